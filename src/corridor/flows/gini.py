"""Gini-type indices of spatial focusing of a migration matrix.

Plane & Mulligan (1997, *Demography* 34:251) total, row, column and exchange
Gini indices and the field (out/in) indices with the corrected denominators of
Bell, Blake, Boyle, Duke-Williams, Rees, Stillwell & Hugo (2002, *JRSS A*
165:435), with the conventions of the R package ``migration.indices`` 0.3.0
(the diagonal is ignored; the standardized row/column/exchange indices divide by
the uncorrected total index; the migration-weighted out-index weights region
``i`` by its in-flows, as that package does). Pairwise absolute differences are
summed in ``O(n log n)`` from sorted values.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from corridor.errors import InputError
from corridor.flows._checks import as_array, check_square
from corridor.i18n import Message


def _matrix(m: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    x = as_array(m, "migration matrix", ndim=2)
    n = check_square(x, "migration matrix")
    if n < 3:
        raise InputError(Message("flows.gini_indices_need_least"), hint=Message("flows.gini_indices_need_least.hint"))
    off = ~np.eye(n, dtype=bool)
    return x, off


def _pair_abs_sum(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Sum of |a - b| over ordered pairs along the last axis (each unordered pair twice)."""
    s = np.sort(values, axis=-1)
    k = s.shape[-1]
    coef = 2 * np.arange(k) - k + 1
    return 2 * (s * coef).sum(axis=-1)


def _offdiag_rows(x: NDArray[np.float64]) -> NDArray[np.float64]:
    n = x.shape[0]
    return x[~np.eye(n, dtype=bool)].reshape(n, n - 1)


def gini_total(m: ArrayLike, corrected: bool = True) -> float:
    """Total flows Gini index: all off-diagonal cells compared with each other.

    Denominator ``2(n(n-1) - 1)`` when ``corrected`` (Bell et al. 2002), else ``2n(n-1)``.
    """
    x, off = _matrix(m)
    n = x.shape[0]
    den = 2 * (n * (n - 1) - 1) if corrected else 2 * n * (n - 1)
    return float(_pair_abs_sum(x[off]) / (den * x[off].sum()))


def gini_row(m: ArrayLike) -> float:
    """Rows Gini index: focusing of each origin's destinations (Plane & Mulligan 1997)."""
    x, off = _matrix(m)
    n = x.shape[0]
    return float(_pair_abs_sum(_offdiag_rows(x)).sum() / (2 * n * (n - 1) * x[off].sum()))


def gini_col(m: ArrayLike) -> float:
    """Columns Gini index: focusing of each destination's origins (Plane & Mulligan 1997)."""
    return gini_row(np.asarray(m, dtype=float).T)


def gini_exchange(m: ArrayLike) -> float:
    """Exchange Gini index: differences between each flow and its counter-flow."""
    x, off = _matrix(m)
    n = x.shape[0]
    return float(np.abs(x - x.T)[off].sum() / (2 * n * (n - 1) * x[off].sum()))


def gini_row_standardized(m: ArrayLike) -> float:
    """Rows Gini index as a percentage of the (uncorrected) total index."""
    return 100 * gini_row(m) / gini_total(m, corrected=False)


def gini_col_standardized(m: ArrayLike) -> float:
    """Columns Gini index as a percentage of the (uncorrected) total index."""
    return 100 * gini_col(m) / gini_total(m, corrected=False)


def gini_exchange_standardized(m: ArrayLike) -> float:
    """Exchange Gini index as a percentage of the (uncorrected) total index."""
    return 100 * gini_exchange(m) / gini_total(m, corrected=False)


def gini_out(m: ArrayLike, corrected: bool = True) -> NDArray[np.float64]:
    """Out-migration field Gini index of each origin; denominator ``2(n-2)`` (corrected) or ``2(n-1)``."""
    x, _ = _matrix(m)
    n = x.shape[0]
    rows = _offdiag_rows(x)
    den = 2 * (n - 2) if corrected else 2 * (n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _pair_abs_sum(rows) / (den * rows.sum(axis=1))


def gini_in(m: ArrayLike, corrected: bool = True) -> NDArray[np.float64]:
    """In-migration field Gini index of each destination."""
    return gini_out(np.asarray(m, dtype=float).T, corrected)


def weighted_gini_out(m: ArrayLike) -> float:
    """Migration-weighted out-migration Gini index (Bell et al. 2002), weights as ``migration.indices``."""
    x, off = _matrix(m)
    xo = np.where(off, x, 0.0)
    return float((gini_out(x) * xo.sum(axis=0) / xo.sum()).sum() / x.shape[0])


def weighted_gini_in(m: ArrayLike) -> float:
    """Migration-weighted in-migration Gini index (Bell et al. 2002), weights as ``migration.indices``."""
    x, off = _matrix(m)
    xo = np.where(off, x, 0.0)
    return float((gini_in(x) * xo.sum(axis=1) / xo.sum()).sum() / x.shape[0])


def weighted_gini_mean(m: ArrayLike) -> float:
    """Mean of the migration-weighted in- and out-migration Gini indices."""
    return (weighted_gini_in(m) + weighted_gini_out(m)) / 2


def acv(m: ArrayLike) -> float:
    """Aggregated system-wide coefficient of variation (Rogers & Sweeney 1998): in plus out."""
    x, off = _matrix(m)
    rows = _offdiag_rows(x)
    cols = _offdiag_rows(x.T)
    total = x[off].sum()

    def part(v: NDArray[np.float64]) -> float:
        cv = v.std(axis=1) / v.mean(axis=1)
        return float((v.sum(axis=1) / total * cv).sum())

    return part(cols) + part(rows)
