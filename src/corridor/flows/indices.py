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
                       float(res.tol), 1e-10 * max(1.0, x.sum()), 10_000, bool(res.converged),
                       label=Message("flows.step.quasi_independence")), "raise")
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


MEDIANS = ("migest", "pooled")
# index_distance also reads a table in the order of its rows when asked (migest's reading of a data frame)
DISTANCE_MEDIANS = ("migest", "rows", "pooled")


def r_quicksort_order(values: ArrayLike) -> NDArray[np.intp]:
    """The permutation that sorts ``values`` as R's quicksort with index (``R_qsort_I``) sorts them.

    ``matrixStats::weightedMedian`` sorts with it, and it is not stable: where tied values end
    up depends on every value and its place in the input. This follows Singleton's quicksort
    (CACM algorithm 347, 1969) with Peto's remark, in the variant R uses: the split point moves
    through the segment with a factor that changes at each split, segments of up to 11 values
    away from the left end are finished by insertion, the smaller part is split first. Without
    ties any sort gives the same permutation, so :func:`numpy.argsort` is used then.
    """
    v0 = np.asarray(values, dtype=float).ravel()
    n = v0.size
    if n < 2 or np.unique(v0).size == n:
        return np.argsort(v0, kind="stable")
    # positions 1..n as in the algorithm; position 0 is below everything, so an insertion
    # can never run past the left end (the algorithm itself never reaches it)
    v = [-np.inf, *v0.tolist()]
    idx = [-1, *range(n)]
    lower: list[int] = []
    upper: list[int] = []
    factor = 0.375
    i, j = 1, n
    split = i < j
    if split:
        factor = factor + 0.0390625 if factor < 0.5898437 else factor - 0.21875
    while True:
        if split:
            # split [i, j] around the value at i + (j - i) * factor, after ordering it with the ends
            k, pivot_at, last = i, i + int((j - i) * factor), j
            if v[i] > v[pivot_at]:
                v[i], v[pivot_at] = v[pivot_at], v[i]
                idx[i], idx[pivot_at] = idx[pivot_at], idx[i]
            if v[j] < v[pivot_at]:
                v[j], v[pivot_at] = v[pivot_at], v[j]
                idx[j], idx[pivot_at] = idx[pivot_at], idx[j]
                if v[i] > v[pivot_at]:
                    v[i], v[pivot_at] = v[pivot_at], v[i]
                    idx[i], idx[pivot_at] = idx[pivot_at], idx[i]
            pivot = v[pivot_at]
            while True:
                last -= 1
                while v[last] > pivot:
                    last -= 1
                k += 1
                while v[k] < pivot:
                    k += 1
                if k > last:
                    break
                v[last], v[k] = v[k], v[last]
                idx[last], idx[k] = idx[k], idx[last]
            # keep the larger part for later, go on with the smaller one
            if last - i <= j - k:
                lower.append(k)
                upper.append(j)
                j = last
            else:
                lower.append(i)
                upper.append(last)
                i = k
        elif not lower:
            break
        else:
            i, j = lower.pop(), upper.pop()
        if j - i > 10:
            split = True
            continue
        if i == 1:
            # the leftmost segment has nothing below it to stop an insertion: split it further
            split = i < j
            if split:
                factor = factor + 0.0390625 if factor < 0.5898437 else factor - 0.21875
            continue
        # a short segment with a value at i - 1 no greater than any of its values: insertion
        for pos in range(i + 1, j + 1):
            value, at = v[pos], idx[pos]
            k = pos - 1
            if v[k] <= value:
                continue
            while value < v[k]:
                v[k + 1], idx[k + 1] = v[k], idx[k]
                k -= 1
            v[k + 1], idx[k + 1] = value, at
        split = False
    return np.asarray(idx[1:], dtype=np.intp)


def weighted_median(x: ArrayLike, w: ArrayLike, *, ties: str = "migest") -> float:
    """Interpolated weighted median, as ``matrixStats::weightedMedian(x, w)`` (``interpolate=TRUE``).

    Values with a weight of zero or less are left out. ``ties="migest"`` (default) is
    matrixStats' rule, which migest's ``index_distance`` uses: the values sorted as R's
    quicksort sorts them (:func:`r_quicksort_order`), each a step of the cumulative weight
    centred on it, the median interpolated between the two values whose steps straddle half the
    weight. Tied values are steps one by one, so with ties the result depends on the order in
    which the values are given. ``ties="pooled"``: equal values are one step carrying the sum of
    their weights, so the order does not matter. Without ties the two are the same.
    """
    if ties not in MEDIANS:
        raise InputError(Message("flows.median_not_known", median=ties), hint=Message("flows.median_not_known.hint"))
    xv = np.asarray(x, dtype=float).ravel()
    wv = np.asarray(w, dtype=float).ravel()
    keep = wv > 0
    xv, wv = xv[keep], wv[keep]
    if xv.size == 0:
        raise EstimationError(Message("flows.positive_weight"), hint=Message("flows.positive_weight.hint"))
    # matrixStats adds the weights up in the order given and steps through them as shares of the total
    wv = wv / float(np.cumsum(wv)[-1])
    if ties == "pooled":
        xv, inverse = np.unique(xv, return_inverse=True)
        wv = np.bincount(inverse.ravel(), weights=wv, minlength=xv.size)
    else:
        order = r_quicksort_order(xv)
        xv, wv = xv[order], wv[order]
    if xv.size == 1:
        return float(xv[0])
    # np.cumsum adds one value at a time, as matrixStats' loop does
    centre = np.cumsum(wv) - wv / 2
    past = centre >= 0.5
    half = int(np.argmax(past)) if past.any() else xv.size - 1
    if half == 0:
        return float(xv[0])
    step = centre[half] - centre[half - 1]
    return float((0.5 - centre[half]) / step * (xv[half] - xv[half - 1]) + xv[half])


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
                           float(res.tol), tol, 20_000, bool(res.converged),
                           label=Message("flows.step.distance_decay", decay=b)), "raise")
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
    table: Any, value_col: str, orig_col: str, dest_col: str, what: Message, labels: list[str] | None = None
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
    median: str = "migest",
) -> dict[str, float]:
    """Mean and median migration distance (flow-weighted) and the distance-decay parameter.

    ``m``: flows as an origin x destination matrix or a long table (columns ``orig_col``,
    ``dest_col``, ``flow_col``); ``d`` (or ``dist``): distances as a matrix or a long table
    (``orig_col``, ``dest_col``, ``dist_col``), as ``migest::index_distance``. Tables are
    matched by region names, which must be the same in both; within-region rows are ignored.

    ``median="migest"`` (default) is migest's median: ``matrixStats::weightedMedian`` of the
    distances weighted by the flows, listed as migest lists a matrix, as a long table with the
    origin varying fastest (column by column, R's ``as.data.frame.table``), regions in the
    matrix's order (a table's regions sorted by name). A table is laid out that way whatever
    the order of its rows, so the median never depends on the row order; it is migest's number
    for the matrix, and for a table sorted by destination, then origin. A symmetric distance
    matrix lists every distance twice and the median interpolates between tied distances one
    by one (see :func:`weighted_median`), which is why a canonical order is needed at all.
    ``median="rows"``: a table in the order of its rows, as migest reads a data frame (migest's
    number for that exact table; it moves when the rows are reordered). ``median="pooled"``
    pools tied distances, so that the median depends only on the flows and the distances.
    """
    if median not in DISTANCE_MEDIANS:
        raise InputError(Message("flows.median_not_known", median=median),
                         hint=Message("flows.distance_median_not_known.hint"))
    if d is None:
        d = dist
    elif dist is not None:
        raise InputError(Message("flows.give_distances_once_dist"), hint=Message("flows.give_distances_once_dist.hint"))
    if d is None:
        raise InputError(Message("flows.index_distance_needs_distances"), hint=Message("flows.index_distance_needs_distances.hint"))
    labels: list[str] | None = None
    listed: NDArray[np.intp] | None = None
    if _is_table(m):
        mat, labels = _long_matrix(m, flow_col, orig_col, dest_col, Message("flows.where.flow_table"))
        if median == "rows":
            from corridor.epi._validate import as_frame

            rows = as_frame(m, where=Message("flows.where.flow_table"))
            at = {k: i for i, k in enumerate(labels)}
            # the cells in the order of the table's rows (flat, row-major), as migest reads a data frame
            listed = np.asarray([at[a] * len(labels) + at[b] for a, b in
                                 zip(rows[orig_col].astype(str), rows[dest_col].astype(str), strict=True)], dtype=np.intp)
        m = mat
    if _is_table(d):
        from corridor.epi._validate import as_frame

        frame = as_frame(d, where=Message("flows.where.distance_table"))
        names = sorted(set(frame[orig_col].astype(str)) | set(frame[dest_col].astype(str))) if orig_col in frame \
            and dest_col in frame else None
        if labels is not None and names is not None and set(names) != set(labels):
            extra = sorted(set(names) ^ set(labels))
            raise InputError(
                Message("flows.flow_distance_tables_name", extra=', '.join(extra[:5])),
                hint=Message("flows.flow_distance_tables_name.hint"),
            )
        d_mat, _ = _long_matrix(frame, dist_col, orig_col, dest_col, Message("flows.where.distance_table"), labels)
        if labels is not None:
            given = np.zeros_like(d_mat, dtype=bool)
            pos = {k: i for i, k in enumerate(labels)}
            given[[pos[a] for a in frame[orig_col].astype(str)], [pos[b] for b in frame[dest_col].astype(str)]] = True
            gaps = np.argwhere(~given & ~np.eye(len(labels), dtype=bool) & (m > 0))
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
    n = x.shape[0]
    off = ~np.eye(n, dtype=bool)
    if listed is None:
        # the long table of R's as.data.frame.table, origin varying fastest (a table's rows too, unless "rows")
        listed = np.arange(n * n).reshape(n, n).T.ravel()
    listed = listed[off.ravel()[listed]]
    return {
        "mean": float((d[off] * x[off]).sum() / x[off].sum()),
        "median": weighted_median(d.ravel()[listed], x.ravel()[listed], ties="pooled" if median == "pooled" else "migest"),
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
