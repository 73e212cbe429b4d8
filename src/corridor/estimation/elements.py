"""Element sampling (every row its own PSU): within-group moments of influence values.

Groups of the scan are (domain, stratum); DuckDB's numerically stable
``var_pop`` gives each group's (co)variances of the weighted row values, so
no sum of squares has to be differenced. Missing values enter as zeros (the
influence value of a row without the variable is zero), so every moment of a
group is over all its rows and moments of different variables combine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from corridor.engine.columns import float_column

# the column of each pair of value columns (i, j), i <= j, in a table of products
Products = dict[tuple[int, int], int]

# a combination of moments below this fraction of its terms' sizes is cancellation roundoff
# (the terms carry a few ulps each, from var_pop and from the covariance differencing)
_CANCELLED = 1e-12


def cross_moments(tbl: Any, products: Products, weight_factor: np.ndarray | None) -> np.ndarray:
    """Within-group (co)variances of the weighted row values, per group and product pair."""
    var = {key: float_column(tbl[f"__p{i}"]) for key, i in products.items()}
    out = np.zeros((tbl.num_rows, len(products)))
    for (a, b), i in products.items():
        out[:, i] = var[(a, b)] if a == b else (var[(a, b)] - var[(a, a)] - var[(b, b)]) / 2
    if weight_factor is not None:
        out *= (weight_factor**2)[:, None]
    return out


def within_moments(prod: np.ndarray, products: Products, group: np.ndarray, domain: np.ndarray, num_o: np.ndarray,
                   den_o: np.ndarray, a_num: np.ndarray, a_den: np.ndarray, *, full: bool) -> np.ndarray:
    """Population (co)variances of the outputs' influence values over each entry's rows.

    An output's influence value is ``a_num * x_num + a_den * x_den`` (``a`` of the entry's domain),
    so its moments are combinations of the value moments ``prod``. With ``full`` the result is
    entries x outputs x outputs, else the variances only (entries x outputs).
    """
    width = len(num_o)
    out = np.zeros((len(group), width, width)) if full else np.zeros((len(group), width))

    def terms(o: int) -> list[tuple[int, np.ndarray]]:
        t = [(int(num_o[o]), a_num[domain, o])]
        return t + [(int(den_o[o]), a_den[domain, o])] if den_o[o] >= 0 else t

    with np.errstate(invalid="ignore"):  # outputs of empty domains have no coefficients
        _fill(out, terms, prod, products, group, width, full)
    return out


def _fill(out: np.ndarray, terms: Callable[[int], list[tuple[int, np.ndarray]]], prod: np.ndarray, products: Products,
          group: np.ndarray, width: int, full: bool) -> None:
    for o1 in range(width):
        for o2 in range(o1, width) if full else (o1,):
            val = np.zeros(len(group))
            size = np.zeros(len(group))
            for j1, c1 in terms(o1):
                for j2, c2 in terms(o2):
                    term = c1 * c2 * prod[group, products[(min(j1, j2), max(j1, j2))]]
                    val += term
                    size += np.abs(term)
            # An output whose influence value is the same combination on every row of a group (a
            # proportion of 1 in its domain: numerator and denominator values equal) has no
            # within-group variance, but its terms cancel only to their roundoff, whose size and
            # sign follow the order of DuckDB's parallel sums: 0 in one run, a standard error of
            # 5e-9 in the next. What is left below that roundoff is no variance: zero.
            val[np.abs(val) <= _CANCELLED * size] = 0.0
            if full:
                out[:, o1, o2] = out[:, o2, o1] = val
            else:
                out[:, o1] = val
