"""Quantiles and their Woodruff intervals (R ``svyquantile``, survey >= 4.0).

A quantile needs the sorted values of its domain, so this path reads the
variable, the weight, the domain and design columns of the rows once, and
computes everything else (the domain's distribution-function variance and
degrees of freedom) with the same variance code as every other estimate.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Protocol

import narwhals as nw
import numpy as np
import pyarrow as pa

from corridor.design import Design, Replicated, ReplicateDesign
from corridor.engine.columns import column_numpy, float_column
from corridor.errors import MissingValueError, UnsupportedError
from corridor.estimands import Quantile
from corridor.estimation import intervals, replicates, taylor
from corridor.estimation.domains import domains as _domains
from corridor.estimation.plan import SUBPOPULATION as _IN
from corridor.estimation.structure import Structure, build_structure, subset_degf
from corridor.i18n import Message

Array = np.ndarray
# lower limit, upper limit, standard error, degrees of freedom, share below the estimate (Woodruff)
Interval = tuple[float, float, float, float, float | None]


class Estimator(Protocol):
    """What quantiles read from the estimator of a request (``estimate._Estimator`` is one).

    Quantiles sort the rows of each domain, so they do not go through the grouped scan, but they
    share the request's frame, design, calibration, replicate checks and degrees-of-freedom rule.
    """

    req: Any  # the validated request: by, design, engine, na, level, source, repcols
    taylor: Design | None
    conv: Replicated | None
    cal: Any  # a calibrated design's residual adjustment, or None
    design_df: float
    n_rows: int

    def frame(self) -> nw.LazyFrame[Any]: ...

    def replicate_scan(self) -> Any: ...

    def df_for(self, kinds: list[str], dom_df: Array) -> Array: ...


def _read_rows(est: Estimator) -> pa.Table:
    """The rows every quantile of the request reads: by and design columns, weights, each quantile's variable.

    One read for all the request's quantiles and groupings (kept on the estimator): a quantile
    needs its domain's sorted values, and the rows are the same for every grouping.
    """
    cached = getattr(est, "_quantile_rows", None)
    if cached is not None:
        return cached
    req = est.req
    lf = est.frame()
    design = est.taylor
    cols: list[nw.Expr] = [nw.col(c) for c in dict.fromkeys([*req.by, _IN])]
    names = list(dict.fromkeys([*req.by, _IN]))
    wcol = design.weights if design else req.design.weights
    cols.append((nw.col(wcol).cast(nw.Float64) if wcol else nw.col("__one")).alias("__w"))
    for i, v in enumerate(_quantile_variables(est)):
        cols.append(nw.col(v).cast(nw.Float64).alias(f"__x{i}"))
    if design is not None:
        for c in dict.fromkeys([*design.strata, *design.ids]):
            if c not in names:
                cols.append(nw.col(c))
                names.append(c)
        for s, c in enumerate(design.fpc):
            cols += [nw.col(c).alias(f"__fpc_min_{s}"), nw.col(c).alias(f"__fpc_max_{s}")]
        if est.cal is not None:
            cols += est.cal.quantile_columns()
    repcols = req.repcols
    if repcols:
        est.replicate_scan()  # degenerate replicate weights are refused before any estimate
        rd: ReplicateDesign = req.design
        for i, c in enumerate(repcols):
            e = nw.col(c).cast(nw.Float64)
            if not rd.combined_weights:
                e = e * (nw.col(wcol).cast(nw.Float64) if wcol else nw.col("__one"))
            cols.append(e.alias(f"__rw{i}"))
    rows = req.engine.collect(lf.select(*cols).with_columns(nw.lit(1).alias("__rows")))
    est._quantile_rows = rows  # type: ignore[attr-defined]
    return rows


def _quantile_variables(est: Estimator) -> list[str]:
    return list(dict.fromkeys(e.variable for e in est.req.estimands if isinstance(e, Quantile)))


def estimate_quantiles(est: Estimator, q: Quantile, grouping: tuple[str, ...]) -> dict[str, Any]:
    req = est.req
    design = est.taylor
    repcols = req.repcols
    rows = _read_rows(est)
    est.n_rows = rows.num_rows
    if est.cal is not None and design is not None:
        est.cal.rows(rows)  # each row's calibration cell, for the residuals
    x = _f64_nan(rows[f"__x{_quantile_variables(est).index(q.variable)}"])
    w = float_column(rows["__w"])
    in_sub = np.asarray(column_numpy(rows[_IN]), dtype=bool)
    if req.na == "fail" and np.isnan(x[in_sub]).any():
        raise MissingValueError(
            Message("estimation.column_missing_values", variable=q.variable, source=req.source, sum=int(np.isnan(x[in_sub]).sum())),
            hint=Message("estimation.column_missing_values.hint"),
        )
    dom_codes, dom_values = _domains(rows, list(grouping))
    valid = in_sub & ~np.isnan(x)
    structure = None
    element = design is not None and not design.ids
    if design is not None:
        structure = build_structure(rows, design, element_psu=element)
        est.design_df = float(subset_degf(structure, in_sub) if not in_sub.all() else structure.degf)
        if structure.weight_factor is not None:
            w = w * structure.weight_factor
    if q.interval == "score" and (est.conv is not None or repcols):
        raise UnsupportedError(
            Message("estimation.interval_score_designs_strata"),
            hint=Message("estimation.interval_score_designs_strata.hint"),
        )
    if q.interval == "quantile" and est.conv is None and not repcols:
        raise UnsupportedError(
            Message("estimation.interval_quantile_needs_replicate"),
            hint=Message("estimation.interval_quantile_needs_replicate.hint"),
        )
    out: dict[str, list[Any]] = {k: [] for k in ("domain", "estimand", "variable", "level", "prob", "estimate", "se",
                                                  "ci_low", "ci_high", "ci_level", "df", "cv", "deff", "n", "n_cases", "sum_w", "flag")}
    rep_w = np.column_stack([float_column(rows[f"__rw{i}"]) for i in range(len(repcols))]) if repcols else None
    for d, dom in enumerate(dom_values):
        sel = valid & (dom_codes == d)
        idx = np.flatnonzero(sel)
        order = idx[np.argsort(x[idx], kind="stable")]
        xs, ws = x[order], w[order]
        n = len(idx)
        rep_dom = None
        cache: dict[str, float] = {}  # the domain's degrees of freedom, once for all its probabilities
        for p in q.probs:
            qhat = intervals.quantile_rule(q.qrule, xs, ws, p) if n else float("nan")
            res: Interval
            if n == 0:
                res = (np.nan, np.nan, np.nan, np.nan, np.nan)
            elif q.interval == "score":
                res = _score_interval(est, q, p, qhat, x, w, sel, structure, element, xs, ws, cache)
            elif q.interval == "quantile":
                if rep_dom is None:
                    rep_dom = _domain_replicates(est, structure, rep_w, w, order, sel)
                res = _replicate_interval(est, q, p, qhat, xs, *rep_dom)
            else:
                res = _woodruff(est, q, p, qhat, x, w, sel, structure, element, rep_w, rows, xs, ws, n, cache)
            lo, hi, se, df, _ = res
            out["domain"].append(dom)
            out["estimand"].append("quantile")
            out["variable"].append(q.variable)
            out["level"].append(None)
            out["prob"].append(p)
            out["estimate"].append(qhat)
            out["se"].append(se)
            out["ci_low"].append(lo)
            out["ci_high"].append(hi)
            out["ci_level"].append(req.level)
            out["df"].append(df)
            out["cv"].append(se / abs(qhat) if n and qhat else np.nan)
            out["deff"].append(np.nan)
            out["n"].append(n)
            out["n_cases"].append(np.nan)
            out["sum_w"].append(float(ws.sum()))
            out["flag"].append("empty_domain" if n == 0 else None)
    return out


def _cdf(est: Estimator, theta: float, x: Array, w: Array, sel: Array, structure: Structure | None, element: bool,
         rep_w: Array | None, cache: dict[str, float]) -> tuple[float, float, float]:
    """The domain's distribution function at ``theta``, its variance and the domain's degrees of freedom."""
    below = (x <= theta) & sel
    if structure is None:  # a replicate design: the rows' replicate weights
        assert rep_w is not None
        rd = est.req.design
        rw = rep_w[sel]
        reps = (rw * (x[sel] <= theta)[:, None]).sum(axis=0) / rw.sum(axis=0)
        m = float((w[sel] * (x[sel] <= theta)).sum() / w[sel].sum())
        scale, rscales = _replicate_constants(rd, rep_w.shape[1])
        var = replicates.replicate_variance(np.array([m]), reps[None, :], scale, rscales, rd.mse)[0]
        if "df" not in cache:
            cache["df"] = float(replicates.rank_df(rw))
        if est.design_df != est.design_df:  # NaN: not known yet
            est.design_df = float(rd.df) if rd.df is not None else float(replicates.rank_df(rep_w))
        return m, var, cache["df"]
    # rows outside the domain contribute zeros: only the domain's rows are needed
    group = np.flatnonzero(sel)
    s1 = w[group] * below[group]
    s0 = w[group]
    m = s1.sum() / s0.sum()
    z = (s1 - m * s0) / s0.sum()
    ones = np.ones(len(group))
    pairs = taylor.Pairs(out=np.zeros(len(group), dtype=np.int64), group=group, z=z, present=ones > 0, rows=ones)
    blocks = taylor.Blocks.single(pairs, 1)
    design = est.taylor
    assert design is not None  # a structure is built from the Taylor design
    if element:
        var = taylor.variance_elements(blocks, ones, np.zeros((len(group), 1)), structure, design)[0]
    elif est.conv is not None:
        factors, scale, rscales = replicates.conversion_factors(est.conv, structure)
        unit = structure.stages[0].unit[group]
        u1 = np.bincount(unit, weights=s1, minlength=factors.shape[0])
        u0 = np.bincount(unit, weights=s0, minlength=factors.shape[0])
        reps = (u1 @ factors) / (u0 @ factors)
        var = replicates.replicate_variance(np.array([m]), reps[None, :], scale, rscales, est.conv.mse)[0]
        if "df" not in cache:
            # as R's svyby on a converted design: the rank of the domain's replicate weights
            cache["df"] = float(replicates.rank_df(factors[np.unique(unit)]))
    else:
        # a calibrated design: the units' totals of the calibration residuals
        vblocks = blocks if est.cal is None else taylor.Blocks.single(est.cal.adjust_rows(z, sel, w, structure), 1)
        var = taylor.variance_clustered(vblocks, structure, design)[0]
    if "df" not in cache:
        from corridor.estimation.domains import domain_df

        cache["df"] = float(domain_df(blocks, structure, element)[0])  # counted by the variance pass when it ran
    return m, var, cache["df"]


def _woodruff(est: Estimator, q: Quantile, p: float, qhat: float, x: Array, w: Array, sel: Array,
              structure: Structure | None, element: bool, rep_w: Array | None, rows: pa.Table, xs: Array, ws: Array,
              n: int, cache: dict[str, float]) -> Interval:
    req = est.req
    m, var, dom_df = _cdf(est, qhat, x, w, sel, structure, element, rep_w, cache)
    df = est.df_for(["quantile"], np.array([dom_df]))[0]
    se_m = float(np.sqrt(max(var, 0.0)))
    level = req.level
    if q.interval == "mean":
        lo_p, hi_p = intervals.wald(np.array([m]), np.array([se_m]), level, np.array([df]))
    elif q.interval in ("xlogit",):
        lo_p, hi_p = intervals.proportion_ci("xlogit", np.array([m]), np.array([se_m]), level, np.array([df]), np.array([n]))
    elif q.interval == "beta":
        lo_p, hi_p = intervals.proportion_ci("beta", np.array([m]), np.array([se_m]), level, np.array([df]), np.array([n]))
    else:  # asin
        tq = intervals.t_quantile(level, df)
        with np.errstate(invalid="ignore", divide="ignore"):
            a = np.arcsin(np.sqrt(m))
            se_a = se_m / (2 * np.sqrt(m * (1 - m)))
            lo_p, hi_p = np.sin(np.array([a - tq * se_a])) ** 2, np.sin(np.array([a + tq * se_a])) ** 2
    p_lo, p_hi = float(lo_p[0]), float(hi_p[0])
    lo = float("nan") if (np.isnan(p_lo) or p_lo < 0) else intervals.quantile_rule(q.qrule, xs, ws, p_lo)
    hi = float("nan") if (np.isnan(p_hi) or p_hi > 1) else intervals.quantile_rule(q.qrule, xs, ws, p_hi)
    se = (hi - lo) / (2 * float(intervals.t_quantile(level, df)))
    return lo, hi, se, df, m


def _score_interval(est: Estimator, q: Quantile, p: float, qhat: float, x: Array, w: Array, sel: Array,
                    structure: Structure | None, element: bool, xs: Array, ws: Array, cache: dict[str, float]) -> Interval:
    """R's ``interval.type="score"`` (Francisco and Fuller 1991): the values theta where the score test of
    ``F(theta) = p`` (the domain's mean of ``(x > theta) - (1 - p)`` over its standard error) is not
    rejected, found as R does (``uniroot`` between the extremes moved in by IQR/100, tolerance
    ``1/(100 sqrt(n))``), then read off by the quantile rule at the domain's weighted share below
    each root (R: the unweighted share; the same with equal weights, see docs/design.md).
    """
    xd = x[sel]
    n = len(xd)
    _m, _var, dom_df = _cdf(est, qhat, x, w, sel, structure, element, None, cache)
    df = est.df_for(["quantile"], np.array([dom_df]))[0]
    tq = float(intervals.t_quantile(est.req.level, df))

    def score(theta: float, limit: float) -> float:
        m, var, _ = _cdf(est, theta, x, w, sel, structure, element, None, cache)
        with np.errstate(invalid="ignore", divide="ignore"):
            return float(((1.0 - m) - (1.0 - p)) / np.sqrt(var) - limit)

    q25, q75 = np.percentile(xd, [25, 75])  # R's IQR(): type 7 quantiles, unweighted
    lower, upper = float(xd.min() + (q75 - q25) / 100), float(xd.max() - (q75 - q25) / 100)
    tol = 1.0 / (100.0 * np.sqrt(n))
    bounds = []
    for limit in (tq, -tq):
        f_lo, f_hi = score(lower, limit), score(upper, limit)
        if not (np.isfinite(f_lo) and np.isfinite(f_hi)) or f_lo * f_hi > 0:
            bounds.append(float("nan"))  # no sign change between the extremes: R's uniroot stops too
            continue
        root = intervals.brent_root(partial(score, limit=limit), lower, upper, f_lo, f_hi, tol)
        # R reads the rule at the unweighted share below the root, off the weighted scale when weights
        # differ (its interval can then miss the estimate); the weighted share is the same root's place
        # (from the cumulated weights the rule itself reads, so that a root at a value reads that value)
        cw = np.cumsum(ws)
        k = int(np.searchsorted(xs, root, side="right")) - 1
        share = float(cw[k] / cw[-1]) if k >= 0 else 0.0
        bounds.append(intervals.quantile_rule(q.qrule, xs, ws, share))
    lo, hi = bounds
    se = (hi - lo) / (2 * tq)
    return lo, hi, se, df, None


def _replicate_constants(rd: ReplicateDesign, R: int) -> tuple[float, np.ndarray]:
    rscales = np.asarray(rd.rscales, float) if rd.rscales is not None else np.ones(R)
    return rd.default_scale(R), (np.full(R, rscales[0]) if len(rscales) == 1 else rscales)


def _domain_replicates(est: Estimator, structure: Structure | None, rep_w: Array | None, w: Array, order: Array,
                       sel: Array) -> tuple[Array, float, Array, bool, float]:
    """The domain's replicate weights (rows in ``order`` x replicates), constants and degrees of freedom."""
    if rep_w is not None:
        rd: ReplicateDesign = est.req.design
        scale, rscales = _replicate_constants(rd, rep_w.shape[1])
        weights = rep_w[order]
        dom_df = float(replicates.rank_df(weights))
        if est.design_df != est.design_df:  # NaN: not known yet
            est.design_df = float(rd.df) if rd.df is not None else float(replicates.rank_df(rep_w))
        return weights, scale, rscales, est.req.design.mse, dom_df
    # a Taylor design converted to replicates: every PSU's factors
    assert est.conv is not None and structure is not None
    factors, scale, rscales = replicates.conversion_factors(est.conv, structure)
    unit = structure.stages[0].unit[order]
    used = np.unique(unit)
    dom_df = float(replicates.rank_df(factors[used]))
    return w[order][:, None] * factors[unit], scale, rscales, est.conv.mse, dom_df


def _replicate_interval(est: Estimator, q: Quantile, p: float, qhat: float, xs: Array, weights: Array, scale: float,
                        rscales: Array, mse: bool, dom_df: float) -> Interval:
    """R's ``interval.type="quantile"``: the quantile under every replicate's weights, their variance."""
    reps = np.array([intervals.quantile_rule(q.qrule, xs, weights[:, r], p) for r in range(weights.shape[1])])
    var = replicates.replicate_variance(np.array([qhat]), reps[None, :], scale, rscales, mse)[0]
    df = est.df_for(["quantile"], np.array([dom_df]))[0]
    se = float(np.sqrt(max(var, 0.0)))
    half = float(intervals.t_quantile(est.req.level, df)) * se
    return qhat - half, qhat + half, se, df, None


def _f64_nan(col: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(column_numpy(col), dtype=np.float64)
