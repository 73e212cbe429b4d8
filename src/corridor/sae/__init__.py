"""Small-area estimation: area-level (Fay-Herriot) models fed by corridor's direct estimates.

* :func:`fay_herriot` fits the model (REML, ML or the moment method; optional arcsin or log
  transformation, smoothed sampling variances, benchmarking) and returns
  :class:`SmallAreaEstimates`: EBLUPs, synthetic estimates for areas without a sample, MSEs
  (analytic or parametric bootstrap), shrinkage factors, quality labels, coefficients, fit and
  diagnostics.
* :mod:`corridor.sae.model` is the model itself on numpy arrays, reproducing R ``sae``'s
  ``eblupFH``/``mseFH``.

See ``docs/small_areas.md``.
"""

from __future__ import annotations

from corridor.sae.fayherriot import fay_herriot
from corridor.sae.result import SmallAreaEstimates

__all__ = ["SmallAreaEstimates", "fay_herriot"]
