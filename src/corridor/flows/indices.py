"""Summary indices of a migration system: intensity, impact, connectivity and distance.

As ``migest::index_intensity``, ``index_impact``, ``index_connectivity`` and
``index_distance`` (R package ``migest`` 2.0.5), from Bell, Blake, Boyle,
Duke-Williams, Rees, Stillwell & Hugo (2002, *JRSS A* 165:435), Courgeau (1973),
Shryock & Siegel (1976), UN DESA (1983), Rogers & Raymer (1998) and Rogers &
Sweeney (1998). Matrices are origin (rows) x destination (columns); their
diagonal (stayers, within-region moves) is ignored.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq

from corridor.errors import EstimationError, InputError
from corridor.flows import gini
from corridor.flows._checks import as_array, check_square
from corridor.flows.ipf import fit_margins


def _flows(m: ArrayLike) -> NDArray[np.float64]:
    x = as_array(m, "flow matrix", ndim=2).copy()
    check_square(x, "flow matrix")
    if (x < 0).any():
        raise InputError("the flow matrix has negative values", hint="flows are counts and cannot be negative")
    np.fill_diagonal(x, 0.0)
    return x


def index_intensity(mig_total: ArrayLike, pop_total: ArrayLike, n: int) -> dict[str, NDArray[np.float64] | float]:
    """Crude migration probability (per cent) and Courgeau's k = cmp / log(n^2).

    Bell et al. (2002); Courgeau (1973). Vectorised over arrays of totals.
    """
    m = np.asarray(mig_total, dtype=float)
    p = np.asarray(pop_total, dtype=float)
    if np.any(p <= 0):
        raise InputError("pop_total must be positive", hint="give the population at risk")
    if n < 2:
        raise InputError(f"n={n} regions; the index needs at least 2", hint="give the number of regions")
    cmp = 100 * m / p
    k = cmp / np.log(n**2)
    return {"cmp": cmp if cmp.ndim else float(cmp), "courgeau_k": k if k.ndim else float(k)}


def index_impact(m: ArrayLike, pop: ArrayLike) -> dict[str, float]:
    """Migration effectiveness, aggregate net migration rate, index of preference and velocity.

    ``pop`` is the population of each region in the order of the matrix (the units
    of ``pop`` carry into ``anmr`` and ``velocity``, as in migest).
    """
    x = _flows(m)
    p = as_array(pop, "pop", ndim=1)
    if p.size != x.shape[0]:
        raise InputError(
            f"pop has {p.size} values for {x.shape[0]} regions", hint="give one population per region"
        )
    inflow, outflow = x.sum(axis=0), x.sum(axis=1)
    net = inflow - outflow
    turn = inflow + outflow
    share = p / p.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        pref = np.nansum(x / (x.sum() * np.outer(share, share)))
        vel = np.nansum(x / np.outer(p, p) * p.sum())
    return {
        "effectiveness": float(100 * np.abs(net).sum() / turn.sum()),
        "anmr": float(100 * 0.5 * np.abs(net).sum() / p.sum()),
        "preference": float(pref),
        "velocity": float(vel),
    }


def quasi_independence_fit(m: ArrayLike) -> NDArray[np.float64]:
    """Fitted values of the Poisson model ``flow ~ origin + destination`` on the off-diagonal cells."""
    x = _flows(m)
    seed = 1.0 - np.eye(x.shape[0])
    return fit_margins(seed, x.sum(axis=1), x.sum(axis=0), criterion="margins", tol=1e-10, maxit=10_000).mu


def index_connectivity(m: ArrayLike, gini_corrected: bool = True) -> dict[str, float]:
    """Connectivity, inequality, Gini spatial focusing and coefficient-of-variation indices.

    ``inequality_sim`` compares the flows with a quasi-independence Poisson fit to
    the rounded flows (migest fits ``glm(round(flow) ~ orig + dest)``).
    """
    x = _flows(m)
    n = x.shape[0]
    off = ~np.eye(n, dtype=bool)
    f = x[off]
    fit = quasi_independence_fit(np.round(x))[off]
    return {
        "connectivity": float((f != 0).sum() / (n * (n - 1))),
        "inequality_equal": float(0.5 * np.abs(f / f.sum() - f.mean() / f.sum()).sum()),
        "inequality_sim": float(0.5 * np.abs(f / f.sum() - fit / fit.sum()).sum()),
        "gini_total": gini.gini_total(x, corrected=gini_corrected),
        "gini_orig_standardized": gini.gini_row_standardized(x) / 100,
        "gini_dest_standardized": gini.gini_col_standardized(x) / 100,
        "mwg_orig": gini.weighted_gini_out(x),
        "mwg_dest": gini.weighted_gini_in(x),
        "mwg_mean": gini.weighted_gini_mean(x),
        "cv": float(np.sqrt(((x - x.mean()) ** 2).sum() / (x.size * (x.size - 1)) / x.mean())),
        "acv": gini.acv(x),
    }


def weighted_median(x: ArrayLike, w: ArrayLike) -> float:
    """Interpolated weighted median (as ``matrixStats::weightedMedian`` with ``interpolate=TRUE``)."""
    xv = np.asarray(x, dtype=float)
    wv = np.asarray(w, dtype=float)
    keep = wv > 0
    xv, wv = xv[keep], wv[keep]
    if xv.size == 0:
        raise EstimationError("no positive weight", hint="the flows are all zero")
    if xv.size == 1:
        return float(xv[0])
    order = np.argsort(xv, kind="stable")
    xv, wv = xv[order], wv[order]
    wcum = np.cumsum(wv)
    mid = wcum[-1] / 2
    wcum = wcum - wv / 2
    k = max(1, int((wcum < mid).sum())) - 1
    k = min(k, xv.size - 2)
    return float(xv[k] + (mid - wcum[k]) / (wcum[k + 1] - wcum[k]) * (xv[k + 1] - xv[k]))


def distance_decay(m: ArrayLike, dist: ArrayLike) -> float:
    """Distance-decay parameter of ``round(flow) ~ origin + destination + log(dist)`` (Poisson ML).

    For a given decay ``b`` the origin and destination effects are the IPF fit of
    the rounded flows' margins with offset ``dist**b``; ``b`` solves the remaining
    score equation ``sum(y log d) = sum(mu(b) log d)``.
    """
    x = np.round(_flows(m))
    d = as_array(dist, "dist", ndim=2)
    if d.shape != x.shape:
        raise InputError(f"dist has shape {d.shape}, flows {x.shape}", hint="give an origin x destination distance matrix")
    n = x.shape[0]
    off = ~np.eye(n, dtype=bool)
    if (d[off] <= 0).any():
        raise InputError("distances between different regions must be positive", hint="check dist")
    logd = np.where(off, np.log(np.where(off, d, 1.0)), 0.0)
    rows, cols = x.sum(axis=1), x.sum(axis=0)
    target = (x * logd).sum()

    def score(b: float) -> float:
        seed = np.where(off, np.exp(b * logd), 0.0)
        mu = fit_margins(seed, rows, cols, criterion="margins", tol=1e-9 * max(1.0, x.sum()), maxit=20_000).mu
        return float((mu * logd).sum() - target)

    lo, hi = -1.0, 1.0
    while score(lo) > 0:
        lo *= 2
        if lo < -64:
            raise EstimationError("distance decay not found", hint="check the flows and distances")
    while score(hi) < 0:
        hi *= 2
        if hi > 64:
            raise EstimationError("distance decay not found", hint="check the flows and distances")
    return float(brentq(score, lo, hi, xtol=1e-10))


def index_distance(m: ArrayLike, dist: ArrayLike) -> dict[str, float]:
    """Mean and median migration distance (flow-weighted) and the distance-decay parameter."""
    x = _flows(m)
    d = as_array(dist, "dist", ndim=2)
    off = ~np.eye(x.shape[0], dtype=bool)
    return {
        "mean": float((d[off] * x[off]).sum() / x[off].sum()),
        "median": weighted_median(d[off], x[off]),
        "decay": distance_decay(x, d),
    }


def matrix_from_long(
    orig: Sequence[str], dest: Sequence[str], values: ArrayLike, labels: Sequence[str] | None = None
) -> tuple[NDArray[np.float64], list[str]]:
    """Build an origin x destination matrix from long columns (missing pairs are zero)."""
    o = [str(v) for v in orig]
    de = [str(v) for v in dest]
    v = as_array(values, "values", ndim=1)
    if not (len(o) == len(de) == v.size):
        raise InputError("orig, dest and values have different lengths", hint="give three columns of one table")
    lab = list(labels) if labels is not None else sorted(set(o) | set(de))
    pos = {k: i for i, k in enumerate(lab)}
    missing = sorted((set(o) | set(de)) - set(pos))
    if missing:
        raise InputError(f"regions not in labels: {', '.join(missing[:5])}", hint="add them to labels")
    out = np.zeros((len(lab), len(lab)))
    np.add.at(out, ([pos[a] for a in o], [pos[b] for b in de]), v)
    return out, lab
