"""The grouped scan of an estimate: what it groups by and sums (:func:`plan_scan`), and its result
copied out of the engine (:func:`run_scan`); and the pass over replicate weights that finds their
rank (:class:`ReplicateRanks`).

One scan groups by domain, subpopulation flag, strata and clusters (Taylor designs, also converted
to replicates) or by domain (replicate designs, with every replicate's sums) and sums the weighted
row values the plan needs; everything after it works on that small table.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import duckdb
import narwhals as nw
import numpy as np
import pyarrow as pa

from corridor.design import ReplicateDesign
from corridor.engine.base import aggregate_matrices
from corridor.engine.columns import column_numpy, float_matrix, has_nonfinite
from corridor.errors import DesignError, InputError, MissingValueError, UnsupportedError
from corridor.estimation import replicates
from corridor.estimation.plan import SUBPOPULATION, SumPlan
from corridor.estimation.request import CheckedRequest
from corridor.estimation.structure import Structure, build_structure, subset_degf
from corridor.i18n import Message
from corridor.sources.columns import nonfinite_values, not_numbers_error
from corridor.sources.csv import nonfinite_text


@dataclass(frozen=True)
class ScanPlan:
    """One grouped scan: its keys, its aggregates and where the plan's sums and counts are in its result."""

    keys: list[str]
    aggregates: list[nw.Expr]
    count_columns: list[str]  # the column of each of the plan's counts
    products: dict[tuple[int, int], int]  # (value a, value b) -> column __p{i} of their within-group moment
    one: int  # the plan's value of the constant 1 (its sum is the weight)
    element: bool  # an element design (no cluster ids): rows are the units


@dataclass
class Scan:
    """A grouped scan's result: per group, the plan's weighted sums and counts, copied out of the engine."""

    plan: SumPlan
    table: pa.Table  # the group keys (and what the finishing step reads again)
    sums: np.ndarray  # groups x plan values
    counts: np.ndarray  # groups x plan counts
    rows: np.ndarray  # rows per group
    in_group: np.ndarray  # whether a group is in the subpopulation
    structure: Structure | None  # the Taylor design's stages, strata and units (None: replicate weights)
    products: dict[tuple[int, int], int]
    one: int
    element: bool
    design_df: float  # the design's degrees of freedom (NaN until a replicate design's rank is known)
    n_rows: int


def replicated(plan: SumPlan) -> list[int]:
    """The values whose replicate sums the estimates read: numerators and denominators of the outputs."""
    return sorted({o.num for o in plan.outputs} | {o.den for o in plan.outputs if o.den >= 0})


def plan_scan(req: CheckedRequest, plan: SumPlan) -> ScanPlan:
    """What the scan groups by and computes for the plan's outputs under the request's design."""
    w = req.weight_expr()
    wname = req.weights.name
    one = plan.value(("one",), nw.col("__one"))
    aggs: list[nw.Expr] = [nw.len().alias("__rows")]
    if wname and not req.weights.checked:
        aggs += [nw.col(wname).min().alias("__w_min"), nw.col(wname).count().alias("__w_count")]
    if req.weights.zeros:
        assert wname is not None  # weights of 0 are found in a weight column
        aggs.append(nw.when(nw.col(wname).cast(nw.Float64) == 0).then(nw.lit(1)).count().alias("__w_zero"))
    element = req.taylor is not None and not req.taylor.ids
    # without a subpopulation every row is in it: no flag to group by
    keys = [*req.by, SUBPOPULATION] if req.subpopulation else list(req.by)
    if req.taylor is not None:
        keys += [*req.taylor.strata, *req.taylor.ids]
        if req.cal is not None:
            keys += req.cal.keys
        for s, col in enumerate(req.taylor.fpc):
            aggs += [nw.col(col).min().alias(f"__fpc_min_{s}"), nw.col(col).max().alias(f"__fpc_max_{s}")]
    keys = list(dict.fromkeys(keys))
    for j, v in enumerate(plan.values):
        aggs.append((w if j == one else w * v).sum().alias(f"__s{j}"))
    # a count of every row is the scan's own __rows column
    count_cols = ["__rows" if c == plan.rows_count else f"__c{c}" for c in range(len(plan.counts))]
    for c, cexpr in enumerate(plan.counts):
        if c != plan.rows_count:
            aggs.append(cexpr.alias(f"__c{c}"))
    products: dict[tuple[int, int], int] = {}
    if element:
        aggs += _moments(req, plan, w, products)
    if isinstance(req.design, ReplicateDesign):
        rd = req.design
        # replicate sums of the values an estimate reads (a ratio's y and x; not its row weights or squares)
        for r, col in enumerate(req.repcols):
            rw = nw.col(col).cast(nw.Float64)
            rw = rw if rd.combined_weights else rw * w
            for j in replicated(plan):
                aggs.append((rw if j == one else rw * plan.values[j]).sum().alias(f"__r{r}_{j}"))
    if req.cal is not None:
        aggs += req.cal.aggregates(plan.values)
    return ScanPlan(keys=keys, aggregates=aggs, count_columns=count_cols, products=products, one=one, element=element)


def _moments(req: CheckedRequest, plan: SumPlan, w: nw.Expr, products: dict[tuple[int, int], int]) -> list[nw.Expr]:
    """Within-group second moments of an element design's influence values (filled into ``products``)."""
    pairs_needed = {(o.num, o.num) for o in plan.outputs} | {(o.den, o.den) for o in plan.outputs if o.den >= 0}
    pairs_needed |= {(min(o.num, o.den), max(o.num, o.den)) for o in plan.outputs if o.den >= 0}
    if req.request.covariance:
        used = sorted({o.num for o in plan.outputs} | {o.den for o in plan.outputs if o.den >= 0})
        if len(used) > 60:
            raise UnsupportedError(Message("estimation.covariances_more_than_sums"), hint=Message("estimation.covariances_more_than_sums.hint"))
        pairs_needed |= set(itertools.combinations_with_replacement(used, 2))
    # Second moments as population variances per group (DuckDB's var_pop is numerically
    # stable); cross moments from var(x + y). Sums of squares would cancel catastrophically.
    # A missing value is a zero influence value: every moment is over all the group's rows.
    aggs: list[nw.Expr] = []
    for i, (a, b) in enumerate(sorted(pairs_needed)):
        products[(a, b)] = i
        xa = (w * plan.values[a]).fill_null(0.0)
        expr = xa if a == b else xa + (w * plan.values[b]).fill_null(0.0)
        aggs.append(expr.var(ddof=0).alias(f"__p{i}"))
    return aggs


def run_scan(req: CheckedRequest, plan: SumPlan) -> Scan:
    """Run the plan's grouped scan (again, with those rows outside the sample, when weights of 0 turn up)."""
    while True:
        sp = plan_scan(req, plan)
        nv = len(plan.values)  # with the constant 1 the scan plan adds
        # the sums and counts come as matrices, copied once out of the engine's result (the row
        # count, one of the counts or not, stays a column too: it is read again)
        count_cols = sp.count_columns
        tbl, (sums, counts) = aggregate_matrices(req.engine, req.frame(), sp.keys, sp.aggregates,
                                                 [[f"__s{j}" for j in range(nv)], count_cols], keep=["__rows"])
        if req.cal is not None:
            req.cal.check(tbl)
        if not req.check_weight_stats(tbl):
            break
    if "__w_zero" in tbl.column_names:
        req.weights.zero_rows = int(column_numpy(tbl["__w_zero"]).sum())
    check_finite(req, plan, sums)
    if req.repcols:
        check_finite_replicates(req, tbl)
    tbl = tbl.drop_columns([c for c in ("__w_min", "__w_count") if c in tbl.column_names])
    # the row count is one of the counts when an output counts every row: one copy of it
    rows = counts[:, count_cols.index("__rows")] if "__rows" in count_cols else float_matrix(tbl, ["__rows"])[:, 0]
    in_group = (
        column_numpy(tbl[SUBPOPULATION]) if SUBPOPULATION in tbl.column_names else np.ones(tbl.num_rows, dtype=bool)
    )
    check_missing(req, plan, counts, rows, in_group)
    structure: Structure | None = None
    design_df = float("nan")
    if req.taylor is not None:
        structure = build_structure(tbl, req.taylor, element_psu=sp.element)
        # a subpopulation is R's subset() of the design: its degf counts the PSUs with rows in it
        design_df = float(subset_degf(structure, in_group, rows) if req.subpopulation else structure.degf)
        if structure.weight_factor is not None:
            sums = sums * structure.weight_factor[:, None]
        if not sp.element and req.cal is None:
            tbl = tbl.drop_columns(["__rows"])  # only element designs and calibration read it again
    return Scan(plan=plan, table=tbl, sums=sums, counts=counts, rows=rows, in_group=in_group, structure=structure,
                products=sp.products, one=sp.one, element=sp.element, design_df=design_df, n_rows=int(rows.sum()))


def check_finite(req: CheckedRequest, plan: SumPlan, sums: np.ndarray) -> None:
    """A NaN or infinite value in a variable or the weights makes its sums so: an error naming the column
    and its first rows. (A sum left at NaN would otherwise read as no data, and a mean as 0 or no value.)"""
    bad = ~np.isfinite(sums)
    if not bad.any():
        return
    wname = req.weights.name
    columns: list[str] = []
    weight_bad = False
    for key, j in plan._vindex.items():
        if bad[:, j].any():
            parts = key if isinstance(key, tuple) else (key,)
            # sums of the weight alone (over every row, or over a variable's non-missing rows)
            weight_bad |= parts[0] in ("one", "nn", "ratio_one")
            columns += [c for c in parts[1:] if isinstance(c, str) and c in req.schema and c not in columns]
    # a bad weight spoils every sum: name it (and only it) when the weight's own sums are bad
    _not_finite(req, [wname] if weight_bad and wname else columns or ([wname] if wname else []), wname)


def check_finite_replicates(req: CheckedRequest, tbl: pa.Table) -> None:
    """A NaN or infinite replicate weight: an error naming the column (its standard errors would be lost)."""
    for r, col in enumerate(req.repcols):
        if any(has_nonfinite(tbl[c]) for c in tbl.column_names if c.startswith(f"__r{r}_")):
            _not_finite(req, [col], None, role="replicate weight")


def _not_finite(req: CheckedRequest, candidates: list[str], wname: str | None, role: str = "numeric") -> None:
    inp = req.request.input
    rel = inp.relation if inp is not None else None
    offset = inp.line_offset if inp is not None else None
    src = inp.source if inp is not None else None
    for col in candidates:
        total, examples = nonfinite_values(rel, col) if rel is not None and col in rel.columns else (0, [])
        if examples and offset is not None and src is not None and src.format == "csv" and "csv_args" in src.options:
            # a number prints as DuckDB spells it ('nan', 'inf'): quote the file's own text ('NaN', 'Infinity')
            try:
                text_total, text_examples = nonfinite_text(src, col)
            except duckdb.Error:
                text_examples = []
            if text_examples:
                total, examples = text_total, text_examples
        if examples:
            raise not_numbers_error(req.source, col, total, examples, line_offset=offset,
                                    role="weight" if col == wname else role,
                                    why=Message("estimation.not_finite_why"), hint=Message("estimation.not_finite.hint"))
    raise InputError(Message("estimation.not_finite", column=", ".join(candidates) or "?", source=req.source),
                     hint=Message("estimation.not_finite.hint"))


def check_missing(req: CheckedRequest, plan: SumPlan, counts: np.ndarray, rows: np.ndarray,
                  in_group: np.ndarray) -> None:
    """Under ``na="fail"``, refuse a variable with a missing value among the rows it estimates from."""
    if req.request.na != "fail":
        return
    every = bool(in_group.all())
    total_in = rows.sum() if every else rows[in_group].sum()
    for out in plan.outputs:
        nonnull = counts[:, out.count].sum() if every else counts[in_group, out.count].sum()
        if nonnull < total_in:
            col = out.variable if out.kind != "ratio" else f"{out.numerator} or {out.denominator}"
            raise MissingValueError(
                Message("estimation.column_missing_values_among", col=col, source=req.source, value=int(total_in - nonnull), total_in=int(total_in)),
                hint=Message("estimation.column_missing_values_among.hint"),
            )


@dataclass
class RankCells:
    """The scan's domain cells whose replicate weights' rank is wanted (a domain's degrees of freedom)."""

    plan: SumPlan
    table: pa.Table
    counts: np.ndarray
    in_group: np.ndarray


class ReplicateRanks:
    """The rank of a replicate design's weights (its degrees of freedom), from one pass shared by the
    request's estimates; degenerate replicate weights are refused by that pass."""

    def __init__(self, req: CheckedRequest) -> None:
        self.req = req
        self._scan: replicates.RankScan | None = None
        self._count_cols: dict[int, int] | None = None

    def scan(self, cells: RankCells | None = None, total_rows: int = 0) -> replicates.RankScan:
        """One pass over the replicate weights (stopped early once complete): the whole design's row space
        and, given the scan's groups, each domain cell's; degenerate weights are refused here."""
        if self._scan is not None and (cells is None or self._count_cols is not None):
            return self._scan
        req = self.req
        d = req.design
        assert isinstance(d, ReplicateDesign)
        flags: list[nw.Expr] = []
        expected: list[set[tuple[Any, ...]]] = []
        count_cols = None
        if cells is not None:
            by_count: dict[int, int] = {}
            for out in cells.plan.outputs:
                by_count.setdefault(out.count, out.num)
            inside = req.where_expr.fill_null(False) if req.where_expr is not None else nw.lit(True)
            flags = [inside & ~cells.plan.values[num].is_null() for num in by_count.values()]
            keys = cells.table.select(req.by).to_pylist() if req.by else [{}] * cells.table.num_rows
            for c in by_count:
                present = cells.in_group & (cells.counts[:, c] > 0)
                expected.append({tuple(keys[g].values()) for g in np.flatnonzero(present).tolist()})
            count_cols = {c: i for i, c in enumerate(by_count)}
        base = req.weight_expr() if (d.weights or not d.combined_weights) else None
        scan = replicates.rank_spaces(req.engine, req.frame(), req.replicate_weights(),
                                      req.by if cells is not None else [], flags, expected, base,
                                      total_rows=total_rows or None)
        self._check(scan)
        self._scan, self._count_cols = scan, count_cols
        return scan

    def design_df(self, total_rows: int = 0) -> float:
        """The design's degrees of freedom: given, or the rank of every row's replicate weights minus one
        (R's ``degf`` of a replicate design)."""
        d = self.req.design
        assert isinstance(d, ReplicateDesign)
        return float(d.df) if d.df is not None else float(self.scan(total_rows=total_rows).whole.rank - 1)

    def domain_df(self, plan: SumPlan, grouping: tuple[str, ...], dom_values: list[tuple[Any, ...]],
                  out_idx: np.ndarray) -> np.ndarray:
        """Per output: rank of the replicate weights of the domain's rows it counts, minus one.

        As R's ``svyby`` on a replicate design, whose every domain is a subset with its own ``degf``
        (a user-given design df does not carry over to subsets in R either). Needs :meth:`scan` of the cells.
        """
        assert self._scan is not None and self._count_cols is not None
        count_cols = self._count_cols
        pos = [self.req.by.index(v) for v in grouping]
        per_domain: list[dict[tuple[Any, ...], list[replicates.RowSpace]]] = []
        for cells in self._scan.spaces:
            acc: dict[tuple[Any, ...], list[replicates.RowSpace]] = {}
            for cell, space in cells.items():
                acc.setdefault(tuple(cell[i] for i in pos), []).append(space)
            per_domain.append(acc)
        n_out = len(plan.outputs)
        out = np.empty(len(out_idx))
        for k, o in enumerate(out_idx.tolist()):
            found = per_domain[count_cols[plan.outputs[o].count]].get(tuple(dom_values[k // n_out]), [])
            rank = found[0].merged_rank(found[1:]) if found else 0
            out[k] = max(rank - 1, 0)
        return out

    def _check(self, scan: replicates.RankScan) -> None:
        """Refuse replicate weights that are all the same column, or all the full-sample weight.

        Their variances would be 0 (or rounding noise, such as 4e-13) for every statistic: a
        precision the data do not have. Found by the pass that finds the replicate weights' rank
        (such columns have rank one).
        """
        cols = self.req.repcols
        same = len(cols) > 1 and scan.identical
        if same or scan.equal_to_weight:
            what = ("all equal to the full-sample weight" if scan.equal_to_weight else "all identical to each other")
            raise DesignError(
                Message("estimation.replicate_weight_columns_every", n_cols=len(cols), source=self.req.source, cols=cols[0], cols2=cols[-1], what=what),
                hint=Message("estimation.replicate_weight_columns_every.hint"),
            )
