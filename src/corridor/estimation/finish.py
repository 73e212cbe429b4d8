"""Finishing on the scan's small table: the estimates, variances, degrees of freedom and intervals of
every output in every domain of one grouping (:func:`finish`).

Outputs of one domain read the same scan groups: the estimates are ratios of domain sums, their
influence totals linear combinations of group sums (:class:`~corridor.estimation.taylor.Blocks`),
and the variance is the Taylor kernel's, a converted design's replicate factors' or the replicate
weights' sums'.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from corridor.design import Design, ReplicateDesign
from corridor.engine.columns import float_column
from corridor.errors import EstimationError, InputError, UnsupportedError
from corridor.estimation import intervals, replicates, taylor
from corridor.estimation.domains import GroupSums, domain_df
from corridor.estimation.elements import cross_moments, within_moments
from corridor.estimation.plan import Output, SumPlan
from corridor.estimation.request import CheckedRequest
from corridor.estimation.scan import RankCells, ReplicateRanks, Scan, replicated
from corridor.estimation.structure import Structure
from corridor.i18n import Message


@dataclass
class Domains:
    """The domains of one grouping: each scan group's domain code, and each domain's values."""

    grouping: tuple[str, ...]
    codes: np.ndarray
    values: list[tuple[Any, ...]]
    full: bool  # the grouping has every by variable of the request


@dataclass
class Outputs:
    """The rows of one grouping's table, domain-major: row ``k`` is plan output ``out_idx[k]`` in domain ``dom_of[k]``."""

    plan: SumPlan
    n_dom: int
    dom_of: np.ndarray
    out_idx: np.ndarray
    num_o: np.ndarray  # per plan output: the value of its numerator, denominator (-1: none), count
    den_o: np.ndarray
    cnt_o: np.ndarray

    @classmethod
    def of(cls, plan: SumPlan, n_dom: int) -> Outputs:
        n_out = len(plan.outputs)
        return cls(
            plan=plan, n_dom=n_dom, dom_of=np.repeat(np.arange(n_dom), n_out), out_idx=np.tile(np.arange(n_out), n_dom),
            num_o=np.array([o.num for o in plan.outputs], dtype=np.int64),
            den_o=np.array([o.den for o in plan.outputs], dtype=np.int64),
            cnt_o=np.array([o.count for o in plan.outputs], dtype=np.int64),
        )

    @property
    def per_domain(self) -> int:
        return len(self.plan.outputs)

    @property
    def K(self) -> int:
        return len(self.dom_of)

    @property
    def num(self) -> np.ndarray:
        num: np.ndarray = self.num_o[self.out_idx]
        return num

    @property
    def den(self) -> np.ndarray:
        den: np.ndarray = self.den_o[self.out_idx]
        return den

    @property
    def rows(self) -> list[Output]:
        return [self.plan.outputs[i] for i in self.out_idx]

    @property
    def kinds(self) -> list[str]:
        return [self.plan.outputs[i].kind for i in self.out_idx]


@dataclass
class Totals:
    """Domain sums of one grouping and the estimates they give."""

    gs: GroupSums  # the group sums (pooled per (domain, unit) cell when the variance allows)
    group_level: bool  # kept at the scan's groups (not pooled)
    sum_w: np.ndarray  # the weight of the rows each output used (missing values dropped)
    s_den: np.ndarray
    has_den: np.ndarray
    n_obs: np.ndarray
    n_cases: np.ndarray
    theta: np.ndarray
    a_num: np.ndarray  # d theta / d numerator sum, d theta / d denominator sum
    a_den: np.ndarray
    empty: np.ndarray


@dataclass
class Draws:
    """Replicate estimates and the constants of their variance (a logit interval reads them)."""

    reps: np.ndarray
    scale: float
    rscales: np.ndarray
    mse: bool


@dataclass
class Variance:
    var: np.ndarray
    cov: np.ndarray | None
    dom_df: np.ndarray
    draws: Draws | None
    design_df: float


@dataclass
class Precision:
    """Each row's standard error, interval, degrees of freedom and design effect."""

    se: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    df: np.ndarray
    deff: np.ndarray


@dataclass
class Finished:
    """One grouping's columns of the result table, the covariance of its rows, the design's df."""

    part: dict[str, Any]
    cov: np.ndarray | None
    design_df: float
    sums: GroupSums | None = None  # the pooled group sums, which a coarser grouping may pool from


def needs_domain_df(rule: Any, kinds: list[str]) -> bool:
    return bool(rule == "domain" or (rule is None and any(k in ("proportion", "quantile") for k in kinds)))


def degrees_of_freedom(rule: Any, kinds: list[str], dom_df: np.ndarray, design_df: float) -> np.ndarray:
    """Each row's degrees of freedom under the request's rule (``df=``); by default the design's, and
    proportions' and quantiles' their domain's, as R does."""
    K = len(kinds)
    if isinstance(rule, int | float) and not isinstance(rule, bool):
        return np.full(K, float(rule))
    if rule == "normal":
        return np.full(K, np.inf)
    if rule == "design":
        return np.full(K, design_df)
    if rule == "domain":
        return dom_df
    if rule is not None:
        raise EstimationError(Message("estimation.not_degrees_freedom_rule", rule=rule), hint=Message("estimation.not_degrees_freedom_rule.hint"))
    per_kind = np.array([k in ("proportion", "quantile") for k in kinds])
    return np.where(per_kind, dom_df, design_df)


def finish(req: CheckedRequest, scan: Scan, domains: Domains, ranks: ReplicateRanks, design_df: float,
           finer: list[GroupSums] | None = None, cov_out: np.ndarray | None = None) -> Finished:
    """Estimates, variances and intervals of every output in every domain of one grouping.

    ``finer`` holds another grouping's :attr:`Finished.sums`, to pool this grouping's cells from; it
    is taken out of the list, so that it is freed once its cell totals are added up. ``cov_out``, the
    grouping's block of the result's covariance matrix (NaN), receives its covariances when asked.
    """
    out = Outputs.of(scan.plan, len(domains.values))
    tot = _totals(req, scan, domains, out, finer)
    blocks = _influence(scan, out, tot)
    v = _variance(req, scan, domains, out, tot, blocks, ranks, design_df, cov_out)
    empty = tot.empty
    var = np.where(empty, np.nan, v.var)
    cov = v.cov
    if cov is not None and cov_out is not None and cov is not cov_out:
        cov_out[...] = cov
        cov = cov_out
    if cov is not None and empty.any():
        cov[empty, :] = np.nan  # as the rows: no estimate, no (co)variance
        cov[:, empty] = np.nan
    se = np.sqrt(np.maximum(var, 0.0))
    df_used = degrees_of_freedom(req.request.df_rule, out.kinds, v.dom_df, v.design_df)
    lo, hi = _intervals(req, out, tot, se, df_used, v.draws)
    deffs = np.full(out.K, np.nan)
    if req.request.deff and scan.structure is not None:
        deffs = _deff(out, tot, var)
    part, cov = _part(req, scan, domains, out, tot, Precision(se, lo, hi, df_used, deffs), cov)
    return Finished(part=part, cov=cov, design_df=v.design_df, sums=tot.gs)


def _totals(req: CheckedRequest, scan: Scan, domains: Domains, out: Outputs,
            finer: list[GroupSums] | None = None) -> Totals:
    structure = scan.structure
    gs = GroupSums(scan.sums, scan.counts, scan.in_group, domains.codes, out.n_dom)
    # design effects read domain sums only (pooled cells add up to them): no group-level pairs
    group_level = scan.element or req.conv is not None or structure is None
    group_level = group_level or req.cal is not None  # residuals need each group's calibration cell
    if structure is not None and not group_level:
        assert req.taylor is not None
        # sums are additive: the estimates and the variance need only totals per (domain, unit
        # of the finest stage the variance uses)
        used = max(1, len(req.taylor.fpc) if not req.taylor.ultimate_cluster else 1)
        finest = structure.stages[min(used, len(structure.stages)) - 1]
        # groups of a grouping of every by variable are distinct cells of the last stage's units
        distinct = domains.full and used >= len(structure.stages)
        gs = gs.pooled(finest.unit, len(finest.unit_stratum), distinct=distinct, finer=finer.pop() if finer else None)
    outs = out.plan.outputs
    sum_w = gs.domain_sum(0, np.array([o.weight for o in outs], dtype=np.int64))
    s_num = gs.domain_sum(0, out.num_o)
    has_den = out.den >= 0
    s_den = gs.domain_sum(0, out.den_o)
    n_obs = gs.domain_sum(1, out.cnt_o)
    n_cases = gs.domain_sum(1, np.array([o.cases for o in outs], dtype=np.int64))
    with np.errstate(invalid="ignore", divide="ignore"):
        theta = np.where(has_den, s_num / s_den, s_num)
        a_num = np.where(has_den, 1.0 / s_den, 1.0)
        a_den = np.where(has_den, -theta / s_den, 0.0)
    empty = n_obs == 0
    theta = np.where(empty, np.nan, theta)
    return Totals(gs=gs, group_level=group_level, sum_w=sum_w, s_den=s_den, has_den=has_den, n_obs=n_obs,
                  n_cases=n_cases, theta=theta, a_num=a_num, a_den=a_den, empty=empty)


def _influence(scan: Scan, out: Outputs, tot: Totals) -> taylor.Blocks:
    """Influence totals of every (entry, output): each domain's a_num * numerator + a_den * denominator sums."""
    gs = tot.gs
    n_out = out.per_domain
    # influence totals of every entry (replicate designs need only its (output, group) pairs)
    # column-major: the variance reads them output by output, and a strided column would be
    # copied whole by every bincount over it (millions of cells when domains cross PSUs)
    z = np.empty((len(gs.group), n_out), order="F")
    present = np.empty((len(gs.group), n_out), dtype=bool, order="F")
    # row counts per entry matter only when rows are the PSUs
    rows = np.empty((len(gs.group), n_out), order="F") if scan.element else None
    # each output's coefficients as a contiguous row, read per entry with one take (faster than
    # a gather down a column of the (domain x output) table)
    an = np.ascontiguousarray(tot.a_num.reshape(out.n_dom, n_out).T)
    ad = np.ascontiguousarray(tot.a_den.reshape(out.n_dom, n_out).T)
    with np.errstate(invalid="ignore"):
        for o in range(n_out):
            counted = gs.column(1, int(out.cnt_o[o]))
            np.greater(counted, 0, out=present[:, o])
            if rows is not None:
                rows[:, o] = counted
            z[:, o] = np.take(an[o], gs.domain) * gs.column(0, int(out.num_o[o]))
            if out.den_o[o] >= 0:
                z[:, o] += np.take(ad[o], gs.domain) * gs.column(0, int(out.den_o[o]))
    z[np.isnan(z)] = 0.0
    return taylor.Blocks(gs.domain, gs.group, z, present, present if rows is None else rows, out.n_dom, seed=gs.cells)


def _variance(req: CheckedRequest, scan: Scan, domains: Domains, out: Outputs, tot: Totals, blocks: taylor.Blocks,
              ranks: ReplicateRanks, design_df: float, cov_out: np.ndarray | None = None) -> Variance:
    """Variances (and covariances when asked, across a variable's levels into ``cov_out`` when given)
    and each row's domain degrees of freedom."""
    structure = scan.structure
    K = out.K
    covariance = req.request.covariance
    if structure is None:  # replicate weights
        need_domain = needs_domain_df(req.request.df_rule, out.kinds)
        # one pass: the design's rank, the domains' when needed, degenerate weights refused
        cells = RankCells(scan.plan, scan.table, scan.counts, scan.in_group) if need_domain else None
        ranks.scan(cells, total_rows=scan.n_rows)
        rvar, rcov, rdraws = _user_replicates(req, scan, out, tot, blocks.pairs())
        design_df = ranks.design_df(total_rows=scan.n_rows)
        dom_df = np.full(K, design_df)
        if need_domain:
            dom_df = ranks.domain_df(scan.plan, domains.grouping, domains.values, out.out_idx)
        return Variance(rvar, rcov, dom_df, rdraws, design_df)
    design = req.taylor
    assert design is not None
    vblocks = blocks
    if req.cal is not None:
        an, ad = tot.a_num.reshape(out.n_dom, out.per_domain), tot.a_den.reshape(out.n_dom, out.per_domain)
        vblocks = req.cal.adjust(blocks, tbl=scan.table, sums=scan.sums, one=scan.one, structure=structure,
                                 num=out.num_o, den=out.den_o, a_num=an, a_den=ad)
    cov = None
    draws: Draws | None = None
    if scan.element:
        units = float_column(scan.table["__rows"])[tot.gs.group]
        an, ad = tot.a_num.reshape(out.n_dom, out.per_domain), tot.a_den.reshape(out.n_dom, out.per_domain)
        prod = cross_moments(scan.table, scan.products, structure.weight_factor)
        within = within_moments(prod, scan.products, tot.gs.group, tot.gs.domain, out.num_o, out.den_o, an, ad,
                                full=bool(covariance))
        var = taylor.variance_elements(blocks, units, within if not covariance else
                                       np.diagonal(within, axis1=1, axis2=2), structure, design)
    else:
        if covariance and req.conv is None:
            vblocks.terms = {}  # the covariance reads the variance pass's strata terms
        var = taylor.variance_clustered(vblocks, structure, design)
    dom_df = domain_df(blocks, structure, scan.element)
    if req.conv is not None:
        if scan.element:
            raise UnsupportedError(
                Message("estimation.replicates_can_only_made"),
                hint=Message("estimation.replicates_can_only_made.hint"),
            )
        factors, var, cov, draws = _converted(req, scan, structure, out, tot, blocks.pairs())
        cov = cov if covariance else None
        dom_df = np.full(K, design_df)
        if needs_domain_df(req.request.df_rule, out.kinds):
            dom_df = _converted_domain_df(structure, blocks.pairs(), K, factors)
    elif covariance and scan.element:
        cov = taylor.covariance_elements(blocks, units, within, structure, design)
    elif isinstance(covariance, str):
        cov = _covariance_across(vblocks, structure, design, domains, covariance, out.per_domain, var, cov_out)
    elif covariance:
        cov = taylor.covariance_clustered(vblocks, structure, design)
    return Variance(var, cov, dom_df, draws, design_df)


def _covariance_across(blocks: taylor.Blocks, structure: Structure, design: Design, domains: Domains, by: str,
                       width: int, var: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The covariance entries :meth:`Estimates.compare` reads across the levels of ``by``: each row with
    itself and with the rows of the same output whose domains differ in ``by`` alone; NaN elsewhere
    (``out``: where to write them, NaN already)."""
    K = len(domains.values) * width
    cov = np.full((K, K), np.nan) if out is None else out
    if by not in domains.grouping:
        np.fill_diagonal(cov, var)
        return cov
    pos = domains.grouping.index(by)
    alike: dict[tuple[Any, ...], list[int]] = {}
    for d, key in enumerate(domains.values):
        alike.setdefault(tuple(v for i, v in enumerate(key) if i != pos), []).append(d)
    first, second, vals = taylor.covariance_within(blocks, structure, design,
                                                   [np.array(doms, dtype=np.int64) for doms in alike.values()])
    cov[first, second] = vals
    cov[second, first] = vals
    return cov


def _converted(req: CheckedRequest, scan: Scan, structure: Structure, out: Outputs, tot: Totals,
               pairs: taylor.Pairs) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, Draws]:
    """A Taylor design converted to replicates: the PSUs' sums times their replicate factors."""
    conv = req.conv
    assert conv is not None
    K = out.K
    pk, pg = pairs.out, pairs.group
    num, den, has_den = out.num, out.den, tot.has_den
    factors, scale, rscales = replicates.conversion_factors(conv, structure)
    stage = structure.stages[0]
    n_units = len(stage.unit_stratum)
    unit = stage.unit[pg]

    def rep_sums(col_of_pair: np.ndarray, sel: np.ndarray) -> np.ndarray:
        mat = np.zeros((K, n_units))
        np.add.at(mat, (pk[sel], unit[sel]), scan.sums[pg[sel], col_of_pair[sel]])
        summed: np.ndarray = mat @ factors
        return summed

    all_sel = np.ones(len(pk), dtype=bool)
    rnum = rep_sums(num[pk], all_sel)
    rden = np.ones_like(rnum)
    dsel = has_den[pk]
    if dsel.any():
        rden = rep_sums(np.where(dsel, den[pk], 0), dsel)
    with np.errstate(invalid="ignore", divide="ignore"):
        reps = np.where(has_den[:, None], rnum / rden, rnum)
    var = replicates.replicate_variance(tot.theta, reps, scale, rscales, conv.mse)
    cov = replicates.replicate_covariance(tot.theta, reps, scale, rscales, conv.mse) if req.request.covariance else None
    return factors, var, cov, Draws(reps, scale, rscales, conv.mse)


def _user_replicates(req: CheckedRequest, scan: Scan, out: Outputs, tot: Totals,
                     pairs: taylor.Pairs) -> tuple[np.ndarray, np.ndarray | None, Draws]:
    """A replicate design: each replicate's estimates from the scan's replicate sums, their variance."""
    rd = req.design
    assert isinstance(rd, ReplicateDesign)
    pk, pg = pairs.out, pairs.group
    K = out.K
    num, den, has_den = out.num, out.den, tot.has_den
    R = len(req.repcols)
    reps = np.empty((K, R))
    used = replicated(scan.plan)
    col_of = np.zeros(len(scan.plan.values), dtype=np.int64)
    col_of[used] = np.arange(len(used))
    rnum_col, rden_col = col_of[num], col_of[np.maximum(den, 0)]
    for r in range(R):
        rs = np.column_stack([float_column(scan.table[f"__r{r}_{j}"]) for j in used])
        rnum = np.bincount(pk, weights=rs[pg, rnum_col[pk]], minlength=K)
        rden: np.ndarray = np.ones(K)
        sel = has_den[pk]
        if sel.any():
            rden = np.bincount(pk[sel], weights=rs[pg[sel], rden_col[pk[sel]]], minlength=K)
        with np.errstate(invalid="ignore", divide="ignore"):
            reps[:, r] = np.where(has_den, rnum / np.where(has_den, rden, 1.0), rnum)
    scale = rd.default_scale(R)
    rscales: np.ndarray = np.asarray(rd.rscales, float) if rd.rscales is not None else np.ones(R)
    if len(rscales) == 1:
        rscales = np.full(R, rscales[0])
    if len(rscales) != R:
        raise InputError(
            Message("estimation.rscales_given_replicate_weight", n_rscales=len(rscales), r=R),
            hint=Message("estimation.rscales_given_replicate_weight.hint"),
        )
    var = replicates.replicate_variance(tot.theta, reps, scale, rscales, rd.mse)
    cov = replicates.replicate_covariance(tot.theta, reps, scale, rscales, rd.mse) if req.request.covariance else None
    return var, cov, Draws(reps, scale, rscales, rd.mse)


def _converted_domain_df(structure: Structure, pairs: taylor.Pairs, K: int, factors: np.ndarray) -> np.ndarray:
    """Per output: rank of the replicate factors of the PSUs with its rows, minus one (R's subset degf)."""
    unit = structure.stages[0].unit[pairs.group]
    keep = pairs.present
    order = np.lexsort((unit[keep], pairs.out[keep]))
    out_k, unit_k = pairs.out[keep][order], unit[keep][order]
    bounds = np.searchsorted(out_k, np.arange(K + 1))
    out = np.zeros(K)
    seen: dict[bytes, float] = {}
    for k in range(K):
        units = np.unique(unit_k[bounds[k] : bounds[k + 1]])
        key = units.tobytes()
        if key not in seen:
            seen[key] = float(max(replicates.rank_df(factors[units]), 0)) if len(units) else 0.0
        out[k] = seen[key]
    return out


def _intervals(req: CheckedRequest, out: Outputs, tot: Totals, se: np.ndarray, df_used: np.ndarray,
               draws: Draws | None) -> tuple[np.ndarray, np.ndarray]:
    """Wald intervals; proportions' by their method (a logit one on replicates from the replicate log-odds)."""
    level = req.request.level
    theta = tot.theta
    lo, hi = intervals.wald(theta, se, level, df_used)
    kinds = out.kinds
    methods = [o.method for o in out.rows]
    for kind_i, method in {(k, m) for k, m in zip(kinds, methods, strict=True) if k == "proportion"}:
        sel = np.array([k == kind_i and m == method for k, m in zip(kinds, methods, strict=True)])
        se_logit = None
        if method == "logit" and draws is not None:
            # as svyglm on a replicate design: the log-odds' variance from replicate log-odds
            with np.errstate(invalid="ignore", divide="ignore"):
                logit_reps = np.log(draws.reps[sel] / (1 - draws.reps[sel]))
                eta = np.log(theta[sel] / (1 - theta[sel]))
            se_logit = np.sqrt(replicates.replicate_variance(eta, logit_reps, draws.scale, draws.rscales, draws.mse))
        assert method is not None
        plo, phi = intervals.proportion_ci(method, theta[sel], se[sel], level, df_used[sel], tot.n_obs[sel],
                                           se_logit=se_logit)
        lo[sel], hi[sel] = plo, phi
    return lo, hi


def _part(req: CheckedRequest, scan: Scan, domains: Domains, out: Outputs, tot: Totals, prec: Precision,
          cov: np.ndarray | None) -> tuple[dict[str, Any], np.ndarray | None]:
    """The grouping's columns of the result table; flags for empty domains, missing values, zero denominators."""
    K = out.K
    theta, empty = tot.theta, tot.empty
    se, lo, hi = prec.se, prec.lo, prec.hi
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = se / np.abs(theta)
    # a domain with rows whose values are all missing is not an empty domain: say which it is
    dom_rows = np.repeat(tot.gs.domain_sum(0, np.array([scan.one])) > 0, out.per_domain)
    flags = np.where(empty, np.where(dom_rows, "all_missing", "empty_domain"), None)  # type: ignore[call-overload]
    # a ratio over a denominator that sums to 0 has no estimate, and no standard error either
    zero_den = tot.has_den & ~empty & (tot.s_den == 0)
    if zero_den.any():
        theta[zero_den] = np.nan
        se[zero_den] = lo[zero_den] = hi[zero_den] = cv[zero_den] = np.nan
        flags = np.where(zero_den, "zero_denominator", flags)
        if cov is not None:
            cov[zero_den, :] = np.nan
            cov[:, zero_den] = np.nan
    rows = out.rows
    part = {
        "domain": [domains.values[d] for d in out.dom_of],
        "estimand": out.kinds,
        "variable": [o.variable for o in rows],
        "level": [o.level for o in rows],
        "prob": [None] * K,
        "estimate": theta, "se": se, "ci_low": lo, "ci_high": hi,
        "ci_level": np.full(K, req.request.level), "df": prec.df, "cv": cv, "deff": prec.deff,
        "n": tot.n_obs.astype(np.int64), "n_cases": tot.n_cases, "sum_w": tot.sum_w, "flag": list(flags),
    }
    return part, cov


def _deff(out: Outputs, tot: Totals, var: np.ndarray) -> np.ndarray:
    """Design effect against simple random sampling without replacement (R ``deff=TRUE``).

    The SRS variance is that of the rows the estimate used: its population is their weight sum
    (with missing values dropped, not the domain's). A ratio's reads its residuals y - R x
    (R ``svyratio``'s ``deff(svytotal(r))``): sum w (y - R x)^2 / X^2 * (N - n) / (n - 1).
    Every sum is a domain's (``gs.domain_sum``): pooled cells or scan groups give the same.
    """
    plan, gs, theta, n_obs = out.plan, tot.gs, tot.theta, tot.n_obs
    num, den, outs = out.num, out.den, out.rows
    result = np.full(out.K, np.nan)
    n_per = len(plan.outputs)

    def per_output(col: np.ndarray, ok: np.ndarray) -> np.ndarray:
        # col and ok are per output row (domain-major): an output's column is the same in every domain
        summed = gs.domain_sum(0, np.where(ok[:n_per], col[:n_per], -1).astype(np.int64))
        return np.where(ok, summed, 0.0)

    weight_col = np.array([o.weight for o in outs])
    planned = weight_col >= 0
    pop = np.where(planned, per_output(np.maximum(weight_col, 0), planned), tot.sum_w)
    for k_kind in ("total", "mean", "proportion"):
        sel = np.array([o.kind == k_kind for o in outs])
        if not sel.any():
            continue
        sq_col = np.array([plan.squares.get(o.num, -1) for o in outs])
        ok = sel & (sq_col >= 0)
        s2 = per_output(np.maximum(sq_col, 0), ok)
        s1 = per_output(num, ok)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_y = s1 / pop
            svyvar = (s2 / pop - mean_y**2) * n_obs / (n_obs - 1)
            if k_kind == "total":
                vsrs = svyvar * pop**2 * (pop - n_obs) / (pop * n_obs)
            else:
                vsrs = svyvar * (pop - n_obs) / (pop * n_obs)
            result[ok] = (var / vsrs)[ok]
    ratio = np.array([o.kind == "ratio" and (o.num, o.den) in plan.cross for o in outs])
    if ratio.any():
        yy = per_output(np.array([plan.squares.get(o.num, 0) for o in outs]), ratio)
        xx = per_output(np.array([plan.squares.get(o.den, 0) for o in outs]), ratio)
        xy = per_output(np.array([plan.cross.get((o.num, o.den), 0) for o in outs]), ratio)
        x_total = per_output(np.maximum(den, 0), ratio)
        with np.errstate(invalid="ignore", divide="ignore"):
            resid = yy - 2 * theta * xy + theta**2 * xx
            vsrs = resid / x_total**2 * (pop - n_obs) / (n_obs - 1)
            result[ratio] = (var / vsrs)[ratio]
    return result
