"""Carrying the uncertainty of a survey-estimated denominator into a rate's interval.

A rate ``r = X / N`` whose denominator ``N`` is a survey estimate with standard
error ``se`` has two sources of error: the Poisson count ``X`` and the sampling
error of ``N``. On the log scale ``log r = log X - log N``; by the delta method
``SE(log N) = se / N`` (the denominator's coefficient of variation, ``cv``).

The classical interval for the count (exact, Byar's or Dobson's) and the normal
interval ``log N +/- z cv`` are combined with the method of variance estimates
recovery (MOVER; Zou GY, Donner A, *Stat Med* 2008;27:1693-1702) on
the log scale: each half-width of the classical interval is added in quadrature
to ``z cv``::

    lower = r exp(-sqrt(log(r / L)^2 + (z cv)^2))
    upper = r exp(+sqrt(log(U / r)^2 + (z cv)^2))

With a Wald interval for the count this is exactly the delta method on the log
rate, ``log r +/- z sqrt(1/X + cv^2)``; with ``cv = 0`` it returns the classical
interval unchanged, bit for bit. For a zero count (``r = 0``) the lower limit
stays 0 and the upper limit is divided by the lower end of the denominator's
interval, ``U exp(z cv)``. Independence of numerator and denominator is assumed
(notifications and the survey are separate sources).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def log_cv(estimate: ArrayLike, se: ArrayLike) -> NDArray[np.float64]:
    """Delta-method standard error of ``log(estimate)``: ``se / estimate``."""
    estimate = np.asarray(estimate, dtype=float)
    se = np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(se == 0, 0.0, se / estimate)


def widen_log_interval(
    value: ArrayLike, lower: ArrayLike, upper: ArrayLike, log_se: ArrayLike, z: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Widen ``[lower, upper]`` around ``value`` by an extra log-scale error ``log_se`` (MOVER).

    Elements with ``log_se == 0`` are returned unchanged.
    """
    value = np.asarray(value, dtype=float)
    lower = np.asarray(lower, dtype=float)
    upper = np.asarray(upper, dtype=float)
    extra = (z * np.asarray(log_se, dtype=float)) ** 2
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        down = np.log(value) - np.log(lower)
        up = np.log(upper) - np.log(value)
        new_lower = value * np.exp(-np.sqrt(down**2 + extra))
        new_upper = value * np.exp(np.sqrt(up**2 + extra))
    zero = value == 0
    new_lower = np.where(zero, lower, np.where(lower == 0, 0.0, new_lower))
    new_upper = np.where(zero, upper * np.exp(np.sqrt(extra)), new_upper)
    fixed = np.asarray(log_se, dtype=float) == 0
    return np.where(fixed, lower, new_lower), np.where(fixed, upper, new_upper)


__all__ = ["log_cv", "widen_log_interval"]
