"""Calibration: weights calibrated to population totals, with calibration-aware standard errors.

:func:`calibrate` (linear, raking, logit distance functions, with bounds and trimming),
:func:`rake` (iterative proportional fitting of margins) and :func:`poststratify` return a
:class:`Calibrated` design that :func:`corridor.estimate` accepts; Taylor standard errors use the
calibration residuals and replicate designs are recalibrated replicate by replicate, as R's
``survey`` package does. Totals come as a tidy table ``(term, level, total)``
(:func:`read_totals`) or from the shipped official tables (:mod:`corridor.calibration.official`).
"""

from __future__ import annotations

from corridor.calibration.calibrated import (
    Calibrated,
    CalibrationError,
    CalibrationWarning,
    calibrate,
    poststratify,
    rake,
)
from corridor.calibration.totals import Term, Totals, read_totals

__all__ = [
    "Calibrated",
    "CalibrationError",
    "CalibrationWarning",
    "Term",
    "Totals",
    "calibrate",
    "poststratify",
    "rake",
    "read_totals",
]
