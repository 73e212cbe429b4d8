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
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq

from corridor._deps import import_optional
from corridor.errors import EstimationError, InputError
from corridor.flows import gini
from corridor.flows._checks import alias, as_array, check_square
from corridor.flows.convergence import Convergence, settle
from corridor.flows.ipf import fit_margins
from corridor.i18n import Message


def _flows(m: ArrayLike) -> NDArray[np.float64]:
    x = as_array(m, "flow matrix", ndim=2).copy()
    check_square(x, "flow matrix")
    if (x < 0).any():
        raise InputError(Message("flows.flow_matrix_negative_values"), hint=Message("flows.flow_matrix_negative_values.hint"))
    np.fill_diagonal(x, 0.0)
    return x


def index_intensity(mig_total: ArrayLike, pop_total: ArrayLike, n: int) -> dict[str, NDArray[np.float64] | float]:
    """Crude migration probability (per cent) and Courgeau's k = cmp / log(n^2).

    Bell et al. (2002); Courgeau (1973). Vectorised over arrays of totals.
    """
    m = np.asarray(mig_total, dtype=float)
    p = np.asarray(pop_total, dtype=float)
    if np.any(p <= 0):
        raise InputError(Message("flows.pop_total_must_positive"), hint=Message("flows.pop_total_must_positive.hint"))
    if n < 2:
        raise InputError(Message("flows.regions_index_needs_least", n=n), hint=Message("flows.regions_index_needs_least.hint"))
    cmp = 100 * m / p
    k = cmp / np.log(n**2)
    return {"cmp": cmp if cmp.ndim else float(cmp), "courgeau_k": k if k.ndim else float(k)}


def index_impact(m: ArrayLike, pop: ArrayLike | None = None, *, p: ArrayLike | None = None) -> dict[str, float]:
    """Migration effectiveness, aggregate net migration rate, index of preference and velocity.

    ``pop`` (migest's ``p``) is the population of each region in the order of the matrix (the
    units of ``pop`` carry into ``anmr`` and ``velocity``, as in migest).
    """
    pop = alias(pop, p, "pop", "p")
    if pop is None:
        raise InputError(Message("flows.index_impact_needs_population"), hint=Message("flows.index_impact_needs_population.hint"))
    x = _flows(m)
    p = as_array(pop, "pop", ndim=1)
    if p.size != x.shape[0]:
        raise InputError(
            Message("flows.pop_values_regions", size=p.size, shape=x.shape[0]), hint=Message("flows.pop_values_regions.hint")
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
    res = fit_margins(seed, x.sum(axis=1), x.sum(axis=0), criterion="margins", tol=1e-10 * max(1.0, x.sum()),
                      maxit=10_000)
    settle(Convergence("quasi-independence fit of index_connectivity", "IPF", "margins", int(res.iterations),
                       float(res.tol), 1e-10 * max(1.0, x.sum()), 10_000, bool(res.converged)), "raise")
    return res.mu


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
    """Interpolated weighted median (``matrixStats::weightedMedian`` with ``interpolate=TRUE``), ties pooled.

    Equal values of ``x`` are one point of the distribution carrying the sum of their weights,
    so the result does not depend on the order of tied values. (``matrixStats`` interpolates
    between the tied entries one by one, in the order its sort leaves them, so its result moves
    with the order of the input: a symmetric distance matrix lists every distance twice.)
    Without ties the two agree exactly.
    """
    xv = np.asarray(x, dtype=float)
    wv = np.asarray(w, dtype=float)
    keep = wv > 0
    xv, wv = xv[keep], wv[keep]
    if xv.size == 0:
        raise EstimationError(Message("flows.positive_weight"), hint=Message("flows.positive_weight.hint"))
    xv, inverse = np.unique(xv, return_inverse=True)
    wv = np.bincount(inverse.ravel(), weights=wv, minlength=xv.size)
    if xv.size == 1:
        return float(xv[0])
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
        raise InputError(Message("flows.dist_shape_flows", shape=d.shape, shape2=x.shape), hint=Message("flows.dist_shape_flows.hint"))
    n = x.shape[0]
    off = ~np.eye(n, dtype=bool)
    if (d[off] <= 0).any():
        raise InputError(Message("flows.distances_between_different_regions"), hint=Message("flows.distances_between_different_regions.hint"))
    logd = np.where(off, np.log(np.where(off, d, 1.0)), 0.0)
    rows, cols = x.sum(axis=1), x.sum(axis=0)
    target = (x * logd).sum()

    tol = 1e-9 * max(1.0, x.sum())

    def score(b: float) -> float:
        seed = np.where(off, np.exp(b * logd), 0.0)
        res = fit_margins(seed, rows, cols, criterion="margins", tol=tol, maxit=20_000)
        settle(Convergence(f"distance-decay fit at decay {b:.6g}", "IPF", "margins", int(res.iterations),
                           float(res.tol), tol, 20_000, bool(res.converged)), "raise")
        return float((res.mu * logd).sum() - target)

    lo, hi = -1.0, 1.0
    while score(lo) > 0:
        lo *= 2
        if lo < -64:
            raise EstimationError(Message("flows.distance_decay_not_found"), hint=Message("flows.distance_decay_not_found.hint"))
    while score(hi) < 0:
        hi *= 2
        if hi > 64:
            raise EstimationError(Message("flows.distance_decay_not_found_2"), hint=Message("flows.distance_decay_not_found_2.hint"))
    return float(brentq(score, lo, hi, xtol=1e-10))


def _is_table(obj: object) -> bool:
    return hasattr(obj, "columns") or isinstance(obj, dict) or hasattr(obj, "to_pandas")


def _long_matrix(
    table: Any, value_col: str, orig_col: str, dest_col: str, what: str, labels: list[str] | None = None
) -> tuple[NDArray[np.float64], list[str]]:
    # tables of flows are read with pandas (the [pandas] extra); matrices need only numpy
    pd = import_optional("pandas", feature="flow indices from a table")
    from corridor.epi._validate import as_frame, require_columns

    df = as_frame(table, where=what)
    require_columns(df, [orig_col, dest_col, value_col], where=what)
    pairs = df[[orig_col, dest_col]].astype(str)
    dup = pairs.duplicated()
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(
            Message("flows.lists_pair_twice_row", what=what, iloc=pairs.iloc[pos, 0], iloc2=pairs.iloc[pos, 1], value=pos + 1),
            hint=Message("flows.lists_pair_twice_row.hint"),
        )
    values = pd.to_numeric(df[value_col], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        pos = int(bad[0])
        raise InputError(
            Message("flows.column_not_number_row", value_col=value_col, what=what, value=pos + 1, iloc=df[value_col].iloc[pos]),
            hint=Message("flows.column_not_number_row.hint"),
        )
    return matrix_from_long(pairs[orig_col].tolist(), pairs[dest_col].tolist(), values, labels)


def index_distance(
    m: Any,
    d: Any = None,
    *,
    dist: Any = None,
    orig_col: str = "orig",
    dest_col: str = "dest",
    flow_col: str = "flow",
    dist_col: str = "dist",
) -> dict[str, float]:
    """Mean and median migration distance (flow-weighted) and the distance-decay parameter.

    ``m``: flows as an origin x destination matrix or a long table (columns ``orig_col``,
    ``dest_col``, ``flow_col``); ``d`` (or ``dist``): distances as a matrix or a long table
    (``orig_col``, ``dest_col``, ``dist_col``), as ``migest::index_distance``. Tables are
    matched by region names, which must be the same in both; within-region rows are ignored.
    The median pools tied distances (see :func:`weighted_median`), so it does not depend on
    the order of the rows or on whether the flows come as a table or a matrix.
    """
    if d is None:
        d = dist
    elif dist is not None:
        raise InputError(Message("flows.give_distances_once_dist"), hint=Message("flows.give_distances_once_dist.hint"))
    if d is None:
        raise InputError(Message("flows.index_distance_needs_distances"), hint=Message("flows.index_distance_needs_distances.hint"))
    labels: list[str] | None = None
    if _is_table(m):
        mat, labels = _long_matrix(m, flow_col, orig_col, dest_col, "the flow table")
        m = mat
    if _is_table(d):
        from corridor.epi._validate import as_frame

        frame = as_frame(d, where="the distance table")
        names = sorted(set(frame[orig_col].astype(str)) | set(frame[dest_col].astype(str))) if orig_col in frame \
            and dest_col in frame else None
        if labels is not None and names is not None and set(names) != set(labels):
            extra = sorted(set(names) ^ set(labels))
            raise InputError(
                Message("flows.flow_distance_tables_name", extra=', '.join(extra[:5])),
                hint=Message("flows.flow_distance_tables_name.hint"),
            )
        d_mat, _ = _long_matrix(frame, dist_col, orig_col, dest_col, "the distance table", labels)
        if labels is not None:
            listed = np.zeros_like(d_mat, dtype=bool)
            pos = {k: i for i, k in enumerate(labels)}
            listed[[pos[a] for a in frame[orig_col].astype(str)], [pos[b] for b in frame[dest_col].astype(str)]] = True
            gaps = np.argwhere(~listed & ~np.eye(len(labels), dtype=bool) & (m > 0))
            if gaps.size:
                i, j = (int(v) for v in gaps[0])
                raise InputError(
                    Message("flows.distance_table_row_which", labels=labels[i], labels2=labels[j]),
                    hint=Message("flows.distance_table_row_which.hint"),
                )
        d = d_mat
    x = _flows(m)
    d = as_array(d, "dist", ndim=2)
    if d.shape != x.shape:
        raise InputError(
            Message("flows.dist_shape_flows_2", shape=d.shape, shape2=x.shape), hint=Message("flows.dist_shape_flows_2.hint")
        )
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
        raise InputError(Message("flows.orig_dest_values_different"), hint=Message("flows.orig_dest_values_different.hint"))
    lab = list(labels) if labels is not None else sorted(set(o) | set(de))
    pos = {k: i for i, k in enumerate(lab)}
    missing = sorted((set(o) | set(de)) - set(pos))
    if missing:
        raise InputError(Message("flows.regions_not_labels", missing=', '.join(missing[:5])), hint=Message("flows.regions_not_labels.hint"))
    out = np.zeros((len(lab), len(lab)))
    np.add.at(out, ([pos[a] for a in o], [pos[b] for b in de]), v)
    return out, lab
