"""Element sampling (every row its own PSU): variances from within-group moments.

Groups of the scan are (domain, stratum); DuckDB's numerically stable
``var_pop`` gives each group's (co)variances of the weighted row values, so
no sum of squares has to be differenced.
"""

from __future__ import annotations

import numpy as np

from corridor.engine.columns import float_column
from corridor.errors import UnsupportedError
from corridor.estimation import taylor


def cross_moments(tbl, products, sums, weight_factor):
    """Within-group (co)variances of the weighted row values, per group and product pair."""
    var = {key: float_column(tbl[f"__p{i}"]) for key, i in products.items()}
    out = np.zeros((tbl.num_rows, len(products)))
    for (a, b), i in products.items():
        out[:, i] = var[(a, b)] if a == b else (var[(a, b)] - var[(a, a)] - var[(b, b)]) / 2
    if weight_factor is not None:
        out *= (weight_factor**2)[:, None]
    return out


def within_variance(prod, products, pg, pk, num, den, a_num, a_den):
    """Within-group variance of each pair's influence values, from the (co)variances."""
    nk = num[pk]
    out = a_num[pk] ** 2 * _pick(prod, products, pg, nk, nk)
    dk = den[pk]
    has = dk >= 0
    if has.any():
        pk_h, pg_h = pk[has], pg[has]
        pn = _pick(prod, products, pg_h, nk[has], dk[has])
        pd = _pick(prod, products, pg_h, dk[has], dk[has])
        out[has] += 2 * a_num[pk_h] * a_den[pk_h] * pn + a_den[pk_h] ** 2 * pd
    return out


def _pick(prod, products, pg, a, b):
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keys = lo * 1_000_003 + hi
    uniq, inv = np.unique(keys, return_inverse=True)
    cols = np.array([products[(int(k // 1_000_003), int(k % 1_000_003))] for k in uniq], dtype=np.int64)
    return prod[pg, cols[inv]]


def element_covariance(prod, products, structure, design, pk, pg, num, den, a_num, a_den, z, K, sums=None, m=None):
    """Covariance of outputs when rows are PSUs: within a stratum sum_i z_ki z_li - T_k T_l / n_h."""
    if sums is not None and m is not None:
        raw = prod.copy()
        with np.errstate(invalid="ignore", divide="ignore"):
            for (a, b), i in products.items():
                ma = np.where(m[:, a] > 0, m[:, a], 1.0)
                raw[:, i] = m[:, a] * prod[:, i] + sums[:, a] * sums[:, b] / ma
        prod = raw
    stage = structure.stages[0]
    n_h, f = stage.n, stage.f
    H = len(n_h)
    h = stage.stratum[pg]
    T = np.zeros((H, K))
    np.add.at(T, (h, pk), z)
    coef = {}
    for k in range(K):
        coef[k] = [(num[k], a_num[k])] + ([(den[k], a_den[k])] if den[k] >= 0 else [])
    by_group: dict[int, list[int]] = {}
    for k_, g_ in zip(pk.tolist(), pg.tolist(), strict=True):
        by_group.setdefault(g_, []).append(k_)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(n_h > 1, f * n_h / (n_h - 1), 0.0)
    if (n_h == 1).any() and design.lonely_psu == "fail":
        raise taylor._lonely_error(1, stage, np.flatnonzero(n_h == 1))
    scale = np.where(f < 1e-7, 0.0, scale)
    # sum over strata of scale_h * (cross_h - T_h T_h' / n_h); cross is split by stratum below
    cov = np.zeros((K, K))
    cross_h = np.zeros((H, K, K)) if H * K * K <= 5e7 else None
    if cross_h is None:
        raise UnsupportedError("too many strata x estimates for a covariance", hint="estimate fewer domains per call")
    for g_, ks in by_group.items():
        hh = stage.stratum[g_]
        for k1 in ks:
            for k2 in ks:
                val = 0.0
                for j1, c1 in coef[k1]:
                    for j2, c2 in coef[k2]:
                        val += c1 * c2 * prod[g_, products[(min(j1, j2), max(j1, j2))]]
                cross_h[hh, k1, k2] += val
    for hh in range(H):
        cov += scale[hh] * (cross_h[hh] - np.outer(T[hh], T[hh]) / n_h[hh])
    return cov
