"""Design-based estimation: estimands reduced to grouped sums, finished with one variance engine."""

from __future__ import annotations

from corridor.estimation.estimate import estimate
from corridor.estimation.result import Estimates

__all__ = ["Estimates", "estimate"]
