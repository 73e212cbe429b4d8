"""Confidence limits for counts and proportions (vectorised, numpy).

* Byar's approximation to the Poisson limits (Breslow & Day 1987, vol. II, p. 69).
* Exact Poisson limits from the chi-square distribution (Garwood 1936).
* Wilson score limits for a proportion (Wilson 1927; Newcombe & Altman 2000).
* Byar's approximation as R's ``epitools::pois.byar`` applies it: ``x + 0.5`` in both limits
  (:func:`byars_epitools_limits`).
* Fay & Feuer's (1997) gamma limits of a directly standardised rate (:func:`gamma_dsr_limits`),
  as ``epitools::ageadjust.direct`` and the US NCHS compute them.

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
from corridor.i18n import Message

#: Counts below this use the exact Poisson limits, counts at or above it Byar's (PHE's rule).
EXACT_BELOW = 10


def normalise_confidence(level: float) -> float:
    """Return a confidence level as a fraction in (0, 1).

    Accepts a fraction (``0.95``) or a percentage from 50 (``95``, ``99.8``), as PHE does.
    """
    try:
        value = float(level)
    except (TypeError, ValueError):
        raise InputError(Message("epi.confidence_not_number", level=level),
                         hint=Message("epi.confidence_not_number.hint")) from None
    if 50 <= value < 100:
        value = value / 100
    if not 0 < value < 1:
        raise InputError(Message("epi.confidence_range", level=level), hint=Message("epi.confidence_range.hint"))
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


#: Label of epitools' variant of Byar's limits in the ``method`` column.
BYAR_EPITOOLS = "Byars (epitools: x + 0.5)"
#: Label of a row whose epitools Byar lower limit (negative at x = 0) is reported as 0.
BYAR_EPITOOLS_ZERO = "Byars (epitools: x + 0.5; lower limit 0 at x = 0, the formula gives a negative value)"

POISSON_METHODS = ("auto", "exact", "byar", "byar-epitools")


def byars_epitools_limits(x: ArrayLike, confidence: float = 0.95) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Byar's limits with ``a = x + 0.5`` in both: ``a (1 - 1/(9a) -/+ z/(3 sqrt a))^3``.

    The variant of R's ``epitools::pois.byar`` (Rothman & Greenland, *Modern Epidemiology*).
    At ``x = 0`` the lower formula is negative (about -1.6e-5 at 95%); it is returned as 0
    here (the method label of such rows says so), every other value as epitools gives it.
    """
    a = np.asarray(x, dtype=float) + 0.5
    z = z_value(confidence)
    part = 1 - 1 / (9 * a)
    step = z / 3 * np.sqrt(1 / a)
    lower = a * (part - step) ** 3
    upper = a * (part + step) ** 3
    return np.where(lower < 0, 0.0, lower), upper


def gamma_dsr_limits(
    dsr: ArrayLike, var: ArrayLike, max_weight: ArrayLike, confidence: float = 0.95
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Fay & Feuer (1997) gamma limits of a directly standardised rate.

    ``dsr = sum(w_i x_i / n_i)`` and ``var = sum(w_i^2 x_i / n_i^2)`` with weights ``w_i``
    summing to 1, and ``max_weight = max(w_i / n_i)`` over the age bands. Lower limit: the
    ``alpha/2`` quantile of a gamma with mean ``dsr`` and variance ``var``; upper limit: the
    ``1 - alpha/2`` quantile of a gamma with mean ``dsr + max_weight`` and variance
    ``var + max_weight^2``. With no events the lower limit is 0 (epitools gives NaN there).

    Reference: Fay MP, Feuer EJ (1997) Confidence intervals for directly standardized rates: a
    method based on the gamma distribution. *Stat Med* 16:791-801; as R's
    ``epitools::ageadjust.direct``.
    """
    y = np.asarray(dsr, dtype=float)
    v = np.asarray(var, dtype=float)
    wm = np.asarray(max_weight, dtype=float)
    alpha = 1 - normalise_confidence(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = stats.gamma.ppf(alpha / 2, y**2 / v, scale=v / y)
        upper = stats.gamma.ppf(1 - alpha / 2, (y + wm) ** 2 / (v + wm**2), scale=(v + wm**2) / (y + wm))
    return np.where(y == 0, 0.0, lower), upper


def poisson_limits(
    x: ArrayLike, confidence: float = 0.95, method: str = "auto"
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.object_]]:
    """Lower and upper limits of Poisson counts and the method used per element.

    ``method``: ``"auto"`` (exact below 10, Byar's from 10, PHE's rule), ``"exact"``, ``"byar"``
    (PHE's Byar: ``x`` in the lower limit, ``x + 1`` in the upper) or ``"byar-epitools"``
    (``x + 0.5`` in both, as ``epitools::pois.byar``).
    """
    x = np.asarray(x, dtype=float)
    if method == "byar-epitools":
        lower, upper = byars_epitools_limits(x, confidence)
        names = np.where(x == 0, BYAR_EPITOOLS_ZERO, BYAR_EPITOOLS).astype(object)
        return lower, upper, names
    if method == "exact":
        use_exact = np.ones(x.shape, dtype=bool)
    elif method == "byar":
        use_exact = np.zeros(x.shape, dtype=bool)
    elif method == "auto":
        use_exact = x < EXACT_BELOW
    else:
        raise InputError(Message("epi.poisson_method", method=method), hint=Message("epi.poisson_method.hint"))
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
    "POISSON_METHODS",
    "byars_epitools_limits",
    "byars_lower",
    "byars_upper",
    "exact_lower",
    "exact_upper",
    "gamma_dsr_limits",
    "normalise_confidence",
    "poisson_limits",
    "wilson_lower",
    "wilson_upper",
    "z_value",
]
