"""Confidence limits for counts and proportions (vectorised, numpy).

* Byar's approximation to the Poisson limits (Breslow & Day 1987, vol. II, p. 69).
* Exact Poisson limits from the chi-square distribution (Garwood 1936).
* Wilson score limits for a proportion (Wilson 1927; Newcombe & Altman 2000).

The functions take arrays of counts and one confidence level and return arrays
of the same shape. They follow the conventions of PHE/OHID's
``PHEindicatormethods`` (version 2.1.0): Byar's lower limit is missing when the
approximation goes negative; :func:`poisson_limits` uses the exact limits for
counts below 10 and Byar's from 10 up.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from corridor.errors import InputError

#: Counts below this use the exact Poisson limits, counts at or above it Byar's (PHE's rule).
EXACT_BELOW = 10


def normalise_confidence(level: float) -> float:
    """Return a confidence level as a fraction in (0, 1).

    Accepts a fraction (``0.95``) or a percentage from 50 (``95``, ``99.8``), as PHE does.
    """
    try:
        value = float(level)
    except (TypeError, ValueError):
        raise InputError(f"confidence level {level!r} is not a number", hint="give e.g. 0.95 or 95") from None
    if 50 <= value < 100:
        value = value / 100
    if not 0 < value < 1:
        raise InputError(
            f"confidence level {level!r} must be a fraction between 0 and 1 or a percentage between "
            "50 and 100",
            hint="give e.g. 0.95, 0.998, 95 or 99.8",
        )
    return value


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile for a confidence level."""
    confidence = normalise_confidence(confidence)
    return float(stats.norm.ppf(0.5 + confidence / 2))


def byars_lower(x: ArrayLike, confidence: float = 0.95) -> NDArray[np.float64]:
    """Byar's lower limit of a Poisson count: ``x (1 - 1/(9x) - z/(3 sqrt x))^3``.

    Missing (NaN) where the approximation is negative or ``x`` is 0, as in
    PHE's ``byars_lower``. Reference: Breslow NE, Day NE (1987), *Statistical
    methods in cancer research*, vol. II, IARC.
    """
    x = np.asarray(x, dtype=float)
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * (1 - 1 / (9 * x) - z / (3 * np.sqrt(x))) ** 3
    return np.where(out >= 0, out, np.nan)


def byars_upper(x: ArrayLike, confidence: float = 0.95) -> NDArray[np.float64]:
    """Byar's upper limit of a Poisson count: ``(x+1) (1 - 1/(9(x+1)) + z/(3 sqrt(x+1)))^3``."""
    x1 = np.asarray(x, dtype=float) + 1
    z = z_value(confidence)
    return x1 * (1 - 1 / (9 * x1) + z / (3 * np.sqrt(x1))) ** 3


def exact_lower(x: ArrayLike, confidence: float = 0.95) -> NDArray[np.float64]:
    """Exact (Garwood) lower limit of a Poisson count: ``chi2(alpha/2; 2x) / 2``, 0 when ``x`` is 0."""
    x = np.asarray(x, dtype=float)
    alpha = 1 - normalise_confidence(confidence)
    with np.errstate(invalid="ignore"):
        out = stats.chi2.ppf(alpha / 2, 2 * x) / 2
    return np.where(x == 0, 0.0, out)


def exact_upper(x: ArrayLike, confidence: float = 0.95) -> NDArray[np.float64]:
    """Exact (Garwood) upper limit of a Poisson count: ``chi2(1 - alpha/2; 2x + 2) / 2``."""
    x = np.asarray(x, dtype=float)
    alpha = 1 - normalise_confidence(confidence)
    return stats.chi2.ppf(1 - alpha / 2, 2 * x + 2) / 2


def poisson_limits(
    x: ArrayLike, confidence: float = 0.95, method: str = "auto"
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.object_]]:
    """Lower and upper limits of Poisson counts and the method used per element.

    ``method``: ``"auto"`` (exact below 10, Byar's from 10, PHE's rule), ``"exact"`` or ``"byar"``.
    """
    x = np.asarray(x, dtype=float)
    if method == "exact":
        use_exact = np.ones(x.shape, dtype=bool)
    elif method == "byar":
        use_exact = np.zeros(x.shape, dtype=bool)
    elif method == "auto":
        use_exact = x < EXACT_BELOW
    else:
        raise InputError(f"unknown Poisson interval method {method!r}", hint="use 'auto', 'exact' or 'byar'")
    lower = byars_lower(x, confidence)
    upper = byars_upper(x, confidence)
    if use_exact.any():  # the chi-square quantiles are costly: only where needed
        lower[use_exact] = exact_lower(x[use_exact], confidence)
        upper[use_exact] = exact_upper(x[use_exact], confidence)
    names = np.where(use_exact, "Exact", "Byars").astype(object)
    return lower, upper, names


def wilson_lower(x: ArrayLike, n: ArrayLike, confidence: float = 0.95) -> NDArray[np.float64]:
    """Wilson score lower limit of the proportion ``x/n``."""
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    z = z_value(confidence)
    return (2 * x + z**2 - z * np.sqrt(z**2 + 4 * x * (1 - x / n))) / 2 / (n + z**2)


def wilson_upper(x: ArrayLike, n: ArrayLike, confidence: float = 0.95) -> NDArray[np.float64]:
    """Wilson score upper limit of the proportion ``x/n``."""
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    z = z_value(confidence)
    return (2 * x + z**2 + z * np.sqrt(z**2 + 4 * x * (1 - x / n))) / 2 / (n + z**2)


__all__ = [
    "EXACT_BELOW",
    "byars_lower",
    "byars_upper",
    "exact_lower",
    "exact_upper",
    "normalise_confidence",
    "poisson_limits",
    "wilson_lower",
    "wilson_upper",
    "z_value",
]
