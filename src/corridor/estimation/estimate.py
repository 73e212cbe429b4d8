"""``estimate()``: design-based estimates with one grouped scan of the data.

The flow: check the request against the data's schema; plan the row values
to sum; run one grouped scan (by domain, subpopulation flag, strata and
clusters, or by domain with replicate weights); finish on that small table:
estimates, influence totals, variances, degrees of freedom and intervals.
Quantiles read their variable's column once more (a quantile needs the sorted
values).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import narwhals as nw
import numpy as np
import pyarrow as pa

from corridor.design import AnyDesign, Design, Replicated, ReplicateDesign
from corridor.engine import Engine, get_engine
from corridor.engine.columns import column_numpy, float_column, float_matrix, release_freed_memory
from corridor.errors import (
    ColumnNotFoundError,
    DesignError,
    EstimationError,
    InputError,
    MissingValueError,
    UnsupportedError,
)
from corridor.estimands import Estimand, Mean, Proportion, Quantile, Ratio, Total, variables_of
from corridor.estimation import intervals, replicates, taylor
from corridor.estimation.assemble import assemble, block_diag
from corridor.estimation.domains import GroupSums, domain_df, domains, groupings
from corridor.estimation.elements import cross_moments, within_moments
from corridor.estimation.inputs import Input, open_input
from corridor.estimation.plan import SUBPOPULATION as _IN
from corridor.estimation.plan import SumPlan, build_plan
from corridor.estimation.result import Estimates
from corridor.estimation.structure import Structure, build_structure, subset_degf
from corridor.estimation.where import parse_where
from corridor.i18n import Message
from corridor.sources.columns import bad_weight_rows, non_numeric, not_numbers_error

NA = Literal["fail", "drop"]
DFRule = Literal["design", "domain", "normal"]


# scans with this many groups (domains crossing PSUs) hand freed memory back between steps
_LARGE_SCAN = 500_000


@dataclass
class _Request:
    lf: nw.LazyFrame[Any]
    engine: Engine
    design: AnyDesign
    estimands: list[Estimand]
    by: list[str]
    where: str | None
    na: str
    level: float
    df_rule: Any
    deff: bool
    covariance: bool
    repcols: list[str]
    source: str
    groupings: list[tuple[str, ...]]
    input: Input | None = None
    na_values: tuple[str, ...] = ()


def estimate(
    data: Any,
    design: AnyDesign,
    estimands: Estimand | Sequence[Estimand],
    *,
    by: str | Sequence[str] = (),
    where: str | None = None,
    na: NA = "fail",
    level: float = 0.95,
    df: DFRule | float | None = None,
    deff: bool = False,
    covariance: bool = False,
    engine: str | Engine | None = None,
    na_values: Sequence[str] = (),
    read: dict[str, Any] | None = None,
    drop_rejected: bool | None = None,
) -> Estimates:
    """Estimate totals, means, proportions, ratios and quantiles under a sample design.

    Args:
        data: a file of any format :mod:`corridor.sources` reads (CSV, Parquet,
            Stata, SPSS, SAS, XLSX, an IPUMS codebook), a
            :class:`~corridor.sources.Source` (e.g. from ``harmonize``), a
            pandas/polars/PyArrow frame, a DuckDB relation, or (with
            ``engine="spark"``) a Spark DataFrame.
        design: a :class:`~corridor.Design`, :class:`~corridor.ReplicateDesign`
            or converted design (``Design(...).replicates("JKn")``).
        estimands: one or more of :class:`~corridor.Total`, ``Mean``,
            ``Proportion``, ``Ratio``, ``Quantile``.
        by: domain variables; every domain of the design gets a row, also a
            combination with no sampled unit (flagged ``empty_domain``). A list
            of groupings (``[[], ["region"], ["sex", "age_group"]]``) estimates
            them all from the same scan; the table then has a ``grouping``
            column naming the variables of each row's grouping.
        where: a subpopulation condition (``"edad >= 15"``), computed on the
            full design as R's ``subset()`` of a design.
        na: ``"fail"`` (an error naming the column and count) or ``"drop"``
            (rows with a missing value leave that estimate, as ``na.rm=TRUE``).
        level: confidence level.
        df: degrees of freedom of intervals: ``"design"`` (PSUs minus strata of
            the whole design), ``"domain"`` (of each domain), ``"normal"``, or
            a number. By default totals, means and ratios use the design's and
            proportions and quantiles their domain's, as R does.
        deff: add design effects (Kish, without-replacement SRS baseline, as
            R's ``deff=TRUE``).
        covariance: keep the covariance of all rows, for :meth:`Estimates.compare`.
        engine: ``"duckdb"`` (default), ``"spark"``, or an engine instance.
        na_values: texts that mean "missing" in numeric columns (``["NS/NR", "-"]``); any other
            text in a column estimated as numbers is an error naming its values and rows.
        read: reading options for a file: ``encoding``, ``delimiter``, ``sheet``,
            ``header_row``, ``rename`` (``{7: "expr_2021"}``, by 1-based position), ``format``.
        drop_rejected: a source whose reader or spec rejected rows (e.g. missing or negative
            weights) is an error unless this is True (or the spec says ``drop_rejected: true``);
            the count is then in ``Estimates.meta``.

    Rows whose weight is 0 are outside the sample, as R's ``subset()`` of a design: they
    contribute nothing and keep their PSU and stratum in the design; ``meta["zero_weight_rows"]``
    counts them. Missing or negative weights are errors.

    Returns:
        :class:`Estimates`, whose ``table`` is a tidy Arrow table.

    Example:
        >>> from corridor import Design, Proportion, estimate
        >>> res = estimate("casen_2020.csv.gz", Design(weights="expr", strata="estrato", ids="cod_upm"),
        ...                Proportion("pobreza"), by="region")  # doctest: +SKIP
    """
    ests = [estimands] if not isinstance(estimands, Sequence) else list(estimands)
    if not ests:
        raise EstimationError(Message("estimation.nothing_estimate"), hint=Message("estimation.nothing_estimate.hint"))
    if na not in ("fail", "drop"):
        raise EstimationError(Message("estimation.not_rule_missing_values", na=na), hint=Message("estimation.not_rule_missing_values.hint"))
    if not 0 < level < 1:
        raise EstimationError(Message("estimation.confidence_level_not_between", level=level))
    by_groups = groupings(by)
    by_list = list(dict.fromkeys(v for g in by_groups for v in g))
    inp = open_input(data, get_engine(engine), read=read, na_values=na_values, drop_rejected=drop_rejected)
    req = _Request(
        lf=inp.lf, engine=inp.engine, design=design, estimands=ests, by=by_list, where=where, na=na,
        level=level, df_rule=df, deff=deff, covariance=covariance, repcols=[], source=inp.where,
        groupings=by_groups, input=inp, na_values=tuple(str(v) for v in na_values),
    )
    return _Estimator(req).run()


class _Estimator:
    def __init__(self, req: _Request) -> None:
        self.req = req
        self.user_design = d = req.design
        # a calibrated design: an ordinary design over the data joined with its g-weights
        self.cal = None
        if hasattr(d, "for_estimation"):
            needed = [*req.by, *variables_of(req.estimands), *(parse_where(req.where)[1] if req.where else ())]
            self.cal = d.for_estimation(req.engine, req.lf, req.source, needed)
        if self.cal is not None:
            req.lf, req.design = self.cal.frame, self.cal.design
            d = req.design
        self.schema = dict(req.lf.collect_schema())
        self.names = list(self.schema)
        self.taylor: Design | None = None
        self.conv: Replicated | None = None
        self._reps: tuple[np.ndarray, float, np.ndarray, bool] | None = None
        if isinstance(d, Replicated):
            self.taylor, self.conv = d.design, d
        elif isinstance(d, Design):
            self.taylor = d
        elif isinstance(d, ReplicateDesign):
            req.repcols = self._replicate_columns(d)
        else:
            raise EstimationError(Message("estimation.not_design", d=d), hint=Message("estimation.not_design.hint"))
        self.where_expr: nw.Expr | None = None
        where_cols: set[str] = set()
        if req.where:
            self.where_expr, where_cols = parse_where(req.where)
        self.categorical = self._categorical()
        self._check_columns(where_cols)
        self.levels = self._levels()
        self.zero_weights = False
        self.zero_weight_rows = 0
        self._profile()

    # ---- validation -------------------------------------------------------------------------
    def _replicate_columns(self, d: ReplicateDesign) -> list[str]:
        if isinstance(d.repweights, str):
            pattern = re.compile(d.repweights)
            cols = [c for c in self.names if pattern.search(c)]
            if not cols:
                raise ColumnNotFoundError(
                    Message("estimation.column_matches_replicate_weight", repweights=d.repweights, source=self.req.source),
                    hint=Message("estimation.column_matches_replicate_weight.hint", names=', '.join(self.names[:40])),
                )
            return cols
        return list(d.repweights)

    def _check_columns(self, where_cols: set[str]) -> None:
        req = self.req
        design_cols = list(req.design.columns) if not isinstance(req.design, ReplicateDesign) else (
            ([req.design.weights] if req.design.weights else []) + req.repcols
        )
        wanted: list[str] = [*design_cols, *req.by, *sorted(where_cols)]
        for e in req.estimands:
            wanted += [e.numerator, e.denominator] if isinstance(e, Ratio) else [e.variable]
        missing = [c for c in dict.fromkeys(wanted) if c not in self.schema]
        if missing:
            raise ColumnNotFoundError.from_names(missing, self.names, where=req.source)
        weights = self.taylor.weights if self.taylor else req.design.weights  # type: ignore[union-attr]
        numeric_needed = ([weights] if weights else []) + (list(self.taylor.fpc) if self.taylor else []) + req.repcols
        for e in req.estimands:
            if isinstance(e, Ratio):
                numeric_needed += [e.numerator, e.denominator]
            elif isinstance(e, Quantile) or (isinstance(e, Total | Mean) and not self.categorical.get(e, False)):
                numeric_needed.append(e.variable)
        casts: list[nw.Expr] = []
        for col in dict.fromkeys(numeric_needed):
            role = "weight" if col == weights else "replicate weight" if col in req.repcols else "numeric"
            if not self.schema[col].is_numeric() and not (role == "numeric" and self.schema[col] == nw.Boolean):
                casts.append(self._numbers_from_text(col, role))
        if casts:
            # every value is a number written as text (or a declared missing value): read them as numbers
            req.lf = req.lf.with_columns(*casts)
            self.schema = dict(req.lf.collect_schema())

    def _numbers_from_text(self, col: str, role: str) -> nw.Expr:
        """A text column estimated as numbers: its numbers, or an error naming the values that are not."""
        req = self.req
        if self.schema[col] not in (nw.String, nw.Categorical, nw.Enum):
            raise InputError(
                Message("estimation.column_not_numeric_type", role=Message(f"sources.role.{role.replace(' ', '_')}"), col=col, source=req.source, schema=self.schema[col]),
                hint=Message("estimation.column_not_numeric_type.hint"),
            )
        inp = req.input
        rel = inp.relation if inp is not None else None
        if rel is not None:
            total, examples = non_numeric(rel, col, req.na_values)
            offset = inp.line_offset if inp is not None else None
        else:
            total, examples = _non_numeric_lazy(req.engine, req.lf, col, req.na_values)
            offset = None
        if total:
            raise not_numbers_error(req.source, col, total, examples, line_offset=offset, role=role)
        text = nw.col(col).cast(nw.String).str.strip_chars()
        missing = [*req.na_values, ""]
        return nw.when(~text.is_in(missing)).then(text).cast(nw.Float64).alias(col)

    def _categorical(self) -> dict[Estimand, bool]:
        """Whether each estimand treats its variable as categories: a proportion always; a total or
        mean when asked (``categorical=True``) or on a boolean column. Each estimand decides for
        itself, so estimands of one variable do not depend on their order."""
        out: dict[Estimand, bool] = {}
        for e in self.req.estimands:
            if isinstance(e, Proportion):
                out[e] = True
            elif isinstance(e, Total | Mean):
                if e.variable not in self.schema:
                    continue  # named by _check_columns, with every other missing column
                out[e] = bool(e.categorical) if e.categorical is not None else self.schema[e.variable] == nw.Boolean
        return out

    def _levels(self) -> dict[Estimand, list[Any]]:
        """The levels of each categorical estimand (those it names, or every level in the data)."""
        levels: dict[Estimand, list[Any]] = {}
        in_data: dict[str, list[Any]] = {}
        for e in self.req.estimands:
            if not isinstance(e, Total | Mean | Proportion) or not self.categorical.get(e):
                continue
            if isinstance(e, Proportion) and e.level is not None:
                levels[e] = [e.level]
            elif e.levels is not None:
                levels[e] = list(e.levels)
            else:
                if e.variable not in in_data:
                    tbl = self.req.engine.aggregate(self.req.lf, [e.variable], [nw.len().alias("__n")])
                    vals = [v for v in tbl[e.variable].to_pylist() if v is not None]
                    in_data[e.variable] = sorted(vals, key=lambda v: (str(type(v)), v))
                levels[e] = in_data[e.variable]
        return levels

    # ---- main ---------------------------------------------------------------------------------
    def run(self) -> Estimates:
        req = self.req
        lin = [e for e in req.estimands if not isinstance(e, Quantile)]
        quant = [e for e in req.estimands if isinstance(e, Quantile)]
        plan = build_plan(lin, self.levels, self.categorical, deff=req.deff, complete=self.complete)
        parts: list[dict[str, np.ndarray | list[Any]]] = []
        cov_blocks: list[np.ndarray] = []
        self.design_df: float = float("nan")
        self.n_rows = 0
        if lin:
            lin_parts, covs = self._linear(plan)
            parts += lin_parts
            cov_blocks += [c for c in covs if c is not None]
        elif quant:
            self._check_weights_alone()
        for q in quant:
            for grouping in req.groupings:
                part = self._quantiles(q, grouping)
                part["grouping"] = [grouping] * len(part["estimand"])
                parts.append(part)
        table = assemble(parts, req.by, multiple=len(req.groupings) > 1)
        vcov = None
        if req.covariance:
            if quant:
                raise UnsupportedError(Message("estimation.covariances_quantiles_not_available"), hint=Message("estimation.covariances_quantiles_not_available.hint"))
            vcov = block_diag(cov_blocks)
        meta = {}
        if self.cal is not None:
            table, meta = self.cal.flag_table(table), self.cal.meta()
        return Estimates(
            table=table, vcov=vcov, design=self.user_design, design_df=self.design_df, level=req.level,
            by=tuple(req.by), n_rows=self.n_rows, engine=req.engine.name, meta={**self._meta(), **meta},
        )

    def _meta(self) -> dict[str, Any]:
        """What the result should say about its rows: the ledger, weights of 0, value labels."""
        inp = self.req.input
        notes = list(inp.notes) if inp is not None else []
        if inp is not None and inp.ledger is not None:
            ledger = inp.ledger.as_dict()
        else:
            ledger = {"source": str(self.req.source), "read": self.n_rows, "kept": self.n_rows, "filtered": [],
                      "rejected": [], "unknown_codes": [], "notes": []}
        if self.zero_weight_rows:
            notes.append(str(Message("estimation.zero_weight_note", n=self.zero_weight_rows)))
        labels = inp.value_labels if inp is not None else {}
        wanted = set(self.req.by) | {e.variable for e in self.req.estimands if self.categorical.get(e)}
        return {
            "rows_read": self.n_rows, "zero_weight_rows": self.zero_weight_rows, "ledger": ledger,
            "rejected_rows_dropped": (inp.ledger.n_rejected if inp is not None and inp.ledger is not None else 0),
            "notes": notes, "value_labels": {c: v for c, v in labels.items() if c in wanted},
        }

    def _check_weights_alone(self) -> None:
        """Weights checked by a scan of their own (a request of quantiles only reads them later)."""
        wname = self.taylor.weights if self.taylor else self.req.design.weights  # type: ignore[union-attr]
        if not wname or self.weights_checked:
            return
        w = nw.col(wname).cast(nw.Float64)
        tbl = self.req.engine.aggregate(self.req.lf, [], [
            nw.len().alias("__rows"), w.min().alias("__w_min"), w.count().alias("__w_count"),
            nw.when(w == 0).then(nw.lit(1)).count().alias("__w_zero"),
        ])
        self._check_weight_stats(tbl, wname)
        self.zero_weight_rows = int(column_numpy(tbl["__w_zero"]).sum())

    def _check_replicates(self, scan: replicates.RankScan) -> None:
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

    def _weight_expr(self) -> nw.Expr:
        d = self.req.design
        w = self.taylor.weights if self.taylor else d.weights  # type: ignore[union-attr]
        return nw.col(w).cast(nw.Float64) if w else nw.col("__one")

    def frame(self) -> nw.LazyFrame[Any]:
        lf = self.req.lf
        # __one: a per-row constant the engines can aggregate (a bare literal is scalar-like)
        inside = self.where_expr.fill_null(False) if self.where_expr is not None else nw.lit(True)
        if self.zero_weights:
            # rows of weight 0 are outside the sample: a subpopulation on the full design (R's subset())
            inside = inside & (self._weight_expr() > 0)
        return lf.with_columns(inside.alias(_IN), nw.lit(1.0).alias("__one"))

    @property
    def _subpopulation(self) -> bool:
        """Whether some rows are outside the estimate (a where condition, or weights of 0)."""
        return self.where_expr is not None or self.zero_weights

    def _profile(self) -> None:
        """Columns without missing values, and valid weights, when the engine knows them without a scan.

        Then the grouped scan needs no non-missing indicators, counts or weight checks for them:
        on Parquet input it becomes the single sum-and-count scan of the floor.
        """
        self.complete: set[str] = set()
        self.weights_checked = False
        ask = getattr(self.req.engine, "profile", None)
        if ask is None:
            return
        wname = self.taylor.weights if self.taylor else self.req.design.weights  # type: ignore[union-attr]
        cols: list[str] = []
        for e in self.req.estimands:
            if isinstance(e, Ratio):
                cols += [e.numerator, e.denominator]
            elif not isinstance(e, Quantile):
                cols.append(e.variable)
        cols = list(dict.fromkeys([*cols, *([wname] if wname else [])]))
        prof = ask(self.req.lf, cols, [wname] if wname else [])
        if prof is None:
            return
        self.complete = {c for c in cols if prof[f"count:{c}"] == prof["rows"]}
        if wname:
            # + 0.0: Parquet statistics store a minimum of 0 as -0
            self._weight_errors(wname, int(prof["rows"] - prof[f"count:{wname}"]), prof[f"min:{wname}"] + 0.0)
            self.weights_checked = True

    def _check_weight_stats(self, tbl: pa.Table, wcol: str | None) -> bool:
        """Check the scan's weight counts and minima; True when weights of 0 were found (a new scan is due)."""
        if wcol is None or self.weights_checked:
            return False
        nulls = int((column_numpy(tbl["__rows"]) - column_numpy(tbl["__w_count"])).sum())
        wmin = float(np.nanmin(np.asarray(column_numpy(tbl["__w_min"]), dtype=float))) if not nulls else 1.0
        self._weight_errors(wcol, nulls, wmin)
        self.weights_checked = True
        return self.zero_weights

    def _weight_errors(self, wcol: str, nulls: int, wmin: float) -> None:
        if nulls:
            at = self._weight_rows(wcol, "missing")
            raise InputError(
                Message("estimation.weight_column_missing_values_at", wcol=wcol, source=self.req.source, nulls=nulls,
                        at=at) if at else
                Message("estimation.weight_column_missing_values", wcol=wcol, source=self.req.source, nulls=nulls),
                hint=Message("estimation.weight_column_missing_values.hint"),
            )
        if wmin < 0:
            at = self._weight_rows(wcol, "negative")
            raise InputError(
                Message("estimation.weight_column_negative_values_at", wcol=wcol, source=self.req.source, wmin=wmin,
                        at=at) if at else
                Message("estimation.weight_column_negative_values", wcol=wcol, source=self.req.source, wmin=wmin),
                hint=Message("estimation.weight_column_negative_values.hint"),
            )
        if wmin == 0:
            self.zero_weights = True

    def _weight_rows(self, wcol: str, what: str, limit: int = 5) -> Message | None:
        """Where the first missing (or negative) weights are: file lines, or rows of the data; None off DuckDB."""
        inp = self.req.input
        rel = inp.relation if inp is not None else None
        if rel is None or wcol not in rel.columns:
            return None
        rows = bad_weight_rows(rel, wcol, what, self.req.na_values, limit)
        if not rows:
            return None
        offset = inp.line_offset if inp is not None else None
        if offset is not None:
            return Message("estimation.weight_rows_lines", lines=", ".join(f"{r + offset:,}" for r in rows))
        return Message("estimation.weight_rows_rows", rows=", ".join(f"{r:,}" for r in rows))

    def _check_missing(self, plan: SumPlan, counts: np.ndarray, rows: np.ndarray, in_group: np.ndarray) -> None:
        if self.req.na != "fail":
            return
        every = bool(in_group.all())
        total_in = rows.sum() if every else rows[in_group].sum()
        for out in plan.outputs:
            nonnull = counts[:, out.count].sum() if every else counts[in_group, out.count].sum()
            if nonnull < total_in:
                col = out.variable if out.kind != "ratio" else f"{out.numerator} or {out.denominator}"
                raise MissingValueError(
                    Message("estimation.column_missing_values_among", col=col, source=self.req.source, value=int(total_in - nonnull), total_in=int(total_in)),
                    hint=Message("estimation.column_missing_values_among.hint"),
                )

    # ---- linear estimands (total, mean, proportion, ratio) -------------------------------------
    def _linear(self, plan: SumPlan) -> tuple[list[dict[str, Any]], list[np.ndarray | None]]:
        req = self.req
        w = self._weight_expr()
        wname = self.taylor.weights if self.taylor else req.design.weights  # type: ignore[union-attr]
        one = plan.value(("one",), nw.col("__one"))
        lf = self.frame()
        aggs: list[nw.Expr] = [nw.len().alias("__rows")]
        if wname and not self.weights_checked:
            aggs += [nw.col(wname).min().alias("__w_min"), nw.col(wname).count().alias("__w_count")]
        if self.zero_weights:
            aggs.append(nw.when(nw.col(wname).cast(nw.Float64) == 0).then(nw.lit(1)).count().alias("__w_zero"))
        replicate = isinstance(req.design, ReplicateDesign)
        element = self.taylor is not None and not self.taylor.ids
        # without a subpopulation every row is in it: no flag to group by
        keys = [*req.by, _IN] if self._subpopulation else list(req.by)
        if self.taylor is not None:
            keys += [*self.taylor.strata, *self.taylor.ids]
            if self.cal is not None:
                keys += self.cal.keys
            for s, col in enumerate(self.taylor.fpc):
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
            pairs_needed = {(o.num, o.num) for o in plan.outputs} | {(o.den, o.den) for o in plan.outputs if o.den >= 0}
            pairs_needed |= {(min(o.num, o.den), max(o.num, o.den)) for o in plan.outputs if o.den >= 0}
            if req.covariance:
                used = sorted({o.num for o in plan.outputs} | {o.den for o in plan.outputs if o.den >= 0})
                if len(used) > 60:
                    raise UnsupportedError(Message("estimation.covariances_more_than_sums"), hint=Message("estimation.covariances_more_than_sums.hint"))
                pairs_needed |= set(itertools.combinations_with_replacement(used, 2))
            # Second moments as population variances per group (DuckDB's var_pop is numerically
            # stable); cross moments from var(x + y). Sums of squares would cancel catastrophically.
            # A missing value is a zero influence value: every moment is over all the group's rows.
            for i, (a, b) in enumerate(sorted(pairs_needed)):
                products[(a, b)] = i
                xa = (w * plan.values[a]).fill_null(0.0)
                expr = xa if a == b else xa + (w * plan.values[b]).fill_null(0.0)
                aggs.append(expr.var(ddof=0).alias(f"__p{i}"))
        if replicate:
            rd: ReplicateDesign = req.design  # type: ignore[assignment]
            # replicate sums of the values an estimate reads (a ratio's y and x; not its row weights or squares)
            for r, col in enumerate(req.repcols):
                rw = nw.col(col).cast(nw.Float64)
                rw = rw if rd.combined_weights else rw * w
                for j in _replicated(plan):
                    aggs.append((rw if j == one else rw * plan.values[j]).sum().alias(f"__r{r}_{j}"))
        if self.cal is not None:
            aggs += self.cal.aggregates(plan.values)
        tbl = req.engine.aggregate(lf, keys, aggs)
        if self.cal is not None:
            self.cal.check(tbl)
        if self._check_weight_stats(tbl, wname):
            return self._linear(plan)  # weights of 0: scan again with those rows outside the sample
        if "__w_zero" in tbl.column_names:
            self.zero_weight_rows = int(column_numpy(tbl["__w_zero"]).sum())
        nv, nc = len(plan.values), len(plan.counts)
        sums = float_matrix(tbl, [f"__s{j}" for j in range(nv)])
        counts = float_matrix(tbl, count_cols)
        # the sums are copied out: let their columns go (an engine result's columns are freed one by one)
        dropped = {*(f"__s{j}" for j in range(nv)), *(f"__c{c}" for c in range(nc)), "__w_min", "__w_count"}
        dropped.discard("__rows")
        tbl = tbl.drop_columns([c for c in tbl.column_names if c in dropped])
        # the row count is one of the counts when an output counts every row: one copy of it
        rows = counts[:, count_cols.index("__rows")] if "__rows" in count_cols else float_matrix(tbl, ["__rows"])[:, 0]
        self.n_rows = int(rows.sum())
        in_group = (
            column_numpy(tbl[_IN]) if _IN in tbl.column_names else np.ones(tbl.num_rows, dtype=bool)
        )
        self._check_missing(plan, counts, rows, in_group)
        structure: Structure | None = None
        if self.taylor is not None:
            structure = build_structure(tbl, self.taylor, element_psu=element)
            # a subpopulation is R's subset() of the design: its degf counts the PSUs with rows in it
            self.design_df = float(subset_degf(structure, in_group, rows) if self._subpopulation else structure.degf)
            if structure.weight_factor is not None:
                sums = sums * structure.weight_factor[:, None]
            if not element and self.cal is None:
                tbl = tbl.drop_columns(["__rows"])  # only element designs and calibration read it again
        parts, covs = [], []
        large = tbl.num_rows >= _LARGE_SCAN
        for grouping in req.groupings:
            if large:  # what the previous step freed, before the next allocates its per-group arrays
                release_freed_memory()
            dom_codes, dom_values = domains(tbl, list(grouping))
            part, cov = self._finish(plan, tbl, sums, counts, in_group, structure, element, products, one,
                                     dom_codes, dom_values, set(grouping) == set(req.by), grouping)
            part["grouping"] = [grouping] * len(part["estimand"])
            parts.append(part)
            covs.append(cov)
        return parts, covs

    def _finish(self, plan, tbl, sums, counts, in_group, structure, element, products, one, dom_codes, dom_values, full,
                grouping):
        """Estimates, variances and intervals of every output in every domain of one grouping."""
        req = self.req
        outs = plan.outputs
        n_out_per = len(outs)
        n_dom = len(dom_values)
        dom_of = np.repeat(np.arange(n_dom), n_out_per)
        out_idx = np.tile(np.arange(n_out_per), n_dom)
        K = len(dom_of)
        num_o = np.array([o.num for o in outs], dtype=np.int64)
        den_o = np.array([o.den for o in outs], dtype=np.int64)
        cnt_o = np.array([o.count for o in outs], dtype=np.int64)
        num, den = num_o[out_idx], den_o[out_idx]
        gs = GroupSums(sums, counts, in_group, dom_codes, n_dom)
        # design effects read domain sums only (pooled cells add up to them): no group-level pairs
        group_level = element or self.conv is not None or structure is None
        group_level = group_level or self.cal is not None  # residuals need each group's calibration cell
        if structure is not None and not group_level:
            # sums are additive: the estimates and the variance need only totals per (domain, unit
            # of the finest stage the variance uses)
            used = max(1, len(self.taylor.fpc) if not self.taylor.ultimate_cluster else 1)
            finest = structure.stages[min(used, len(structure.stages)) - 1]
            # groups of a grouping of every by variable are distinct cells of the last stage's units
            distinct = full and used >= len(structure.stages)
            gs = gs.pooled(finest.unit, len(finest.unit_stratum), distinct=distinct)
        # the weight of the rows each output used (missing values dropped), not the domain's
        sum_w = gs.domain_sum(0, np.array([o.weight for o in outs], dtype=np.int64))
        S_num = gs.domain_sum(0, num_o)
        has_den = den >= 0
        S_den = gs.domain_sum(0, den_o)
        n_obs = gs.domain_sum(1, cnt_o)
        n_cases = gs.domain_sum(1, np.array([o.cases for o in outs], dtype=np.int64))
        with np.errstate(invalid="ignore", divide="ignore"):
            theta = np.where(has_den, S_num / S_den, S_num)
            a_num = np.where(has_den, 1.0 / S_den, 1.0)
            a_den = np.where(has_den, -theta / S_den, 0.0)
        empty = n_obs == 0
        theta = np.where(empty, np.nan, theta)
        pk = pg = np.zeros(0, dtype=np.int64)
        # influence totals of every entry (replicate designs need only its (output, group) pairs)
        # column-major: the variance reads them output by output, and a strided column would be
        # copied whole by every bincount over it (millions of cells when domains cross PSUs)
        z = np.empty((len(gs.group), n_out_per), order="F")
        present = np.empty((len(gs.group), n_out_per), dtype=bool, order="F")
        # row counts per entry matter only when rows are the PSUs
        rows = np.empty((len(gs.group), n_out_per), order="F") if element else None
        an, ad = a_num.reshape(n_dom, n_out_per), a_den.reshape(n_dom, n_out_per)
        with np.errstate(invalid="ignore"):
            for o in range(n_out_per):
                counted = gs.column(1, int(cnt_o[o]))
                np.greater(counted, 0, out=present[:, o])
                if rows is not None:
                    rows[:, o] = counted
                z[:, o] = an[gs.domain, o] * gs.column(0, int(num_o[o]))
                if den_o[o] >= 0:
                    z[:, o] += ad[gs.domain, o] * gs.column(0, int(den_o[o]))
        z[np.isnan(z)] = 0.0
        blocks = taylor.Blocks(gs.domain, gs.group, z, present, present if rows is None else rows, n_dom, seed=gs.cells)
        if group_level:
            flat = blocks.pairs()
            pk, pg = flat.out, flat.group
        vblocks = blocks
        if self.cal is not None and structure is not None:
            vblocks = self.cal.adjust(blocks, tbl=tbl, sums=sums, one=one, structure=structure, num=num_o, den=den_o,
                                      a_num=an, a_den=ad)

        cov = None
        dom_df = np.full(K, np.nan)
        if structure is not None:
            if element:
                units = float_column(tbl["__rows"])[gs.group]
                prod = cross_moments(tbl, products, structure.weight_factor)
                within = within_moments(prod, products, gs.group, gs.domain, num_o, den_o, an, ad, full=req.covariance)
                var = taylor.variance_elements(blocks, units, within if not req.covariance else
                                               np.diagonal(within, axis1=1, axis2=2), structure, self.taylor)
            else:
                var = taylor.variance_clustered(vblocks, structure, self.taylor)
            dom_df = domain_df(blocks, structure, element)
            if self.conv is not None:
                var, rep_cov = self._converted(structure, sums, pk, pg, num, den, has_den, theta, K, element)
                cov = rep_cov if req.covariance else None
                dom_df = np.full(K, self.design_df)
                if self._needs_domain_df([outs[i].kind for i in out_idx]):
                    dom_df = self._converted_domain_df(structure, blocks.pairs(), K)
            elif req.covariance and element:
                cov = taylor.covariance_elements(blocks, units, within, structure, self.taylor)
            elif req.covariance:
                cov = taylor.covariance_clustered(vblocks, structure, self.taylor)
        else:
            need_domain = self._needs_domain_df([outs[i].kind for i in out_idx])
            # one pass: the design's rank, the domains' when needed, degenerate weights refused
            self.replicate_scan(*((plan, tbl, counts, in_group) if need_domain else ()))
            var, cov, dom_df = self._user_replicates(tbl, plan, pk, pg, num, den, has_den, theta, K)
            if need_domain:
                dom_df = self._replicate_domain_df(plan, grouping, dom_values, out_idx)
        var = np.where(empty, np.nan, var)
        if cov is not None and empty.any():
            cov[empty, :] = np.nan  # as the rows: no estimate, no (co)variance
            cov[:, empty] = np.nan
        se = np.sqrt(np.maximum(var, 0.0))
        kinds = [outs[i].kind for i in out_idx]
        methods = [outs[i].method for i in out_idx]
        df_used = self.df_for(kinds, dom_df)
        lo, hi = intervals.wald(theta, se, req.level, df_used)
        for kind_i, method in {(k, m) for k, m in zip(kinds, methods, strict=True) if k == "proportion"}:
            sel = np.array([k == kind_i and m == method for k, m in zip(kinds, methods, strict=True)])
            se_logit = None
            if method == "logit" and self._reps is not None:
                # as svyglm on a replicate design: the log-odds' variance from replicate log-odds
                reps, scale, rscales, mse = self._reps
                with np.errstate(invalid="ignore", divide="ignore"):
                    logit_reps = np.log(reps[sel] / (1 - reps[sel]))
                    eta = np.log(theta[sel] / (1 - theta[sel]))
                se_logit = np.sqrt(replicates.replicate_variance(eta, logit_reps, scale, rscales, mse))
            plo, phi = intervals.proportion_ci(method, theta[sel], se[sel], req.level, df_used[sel], n_obs[sel],
                                               se_logit=se_logit)
            lo[sel], hi[sel] = plo, phi
        deffs = np.full(K, np.nan)
        if req.deff and structure is not None:
            deffs = self._deff(plan, gs, num, den, theta, var, n_obs, sum_w, K, [outs[i] for i in out_idx])
        with np.errstate(invalid="ignore", divide="ignore"):
            cv = se / np.abs(theta)
        # a domain with rows whose values are all missing is not an empty domain: say which it is
        dom_rows = np.repeat(gs.domain_sum(0, np.array([one])) > 0, n_out_per)
        flags = np.where(empty, np.where(dom_rows, "all_missing", "empty_domain"), None)
        # a ratio over a denominator that sums to 0 has no estimate, and no standard error either
        zero_den = has_den & ~empty & (S_den == 0)
        if zero_den.any():
            theta[zero_den] = np.nan
            se[zero_den] = lo[zero_den] = hi[zero_den] = cv[zero_den] = np.nan
            flags = np.where(zero_den, "zero_denominator", flags)
            if cov is not None:
                cov[zero_den, :] = np.nan
                cov[:, zero_den] = np.nan
        part = {
            "domain": [dom_values[d] for d in dom_of],
            "estimand": kinds,
            "variable": [outs[i].variable for i in out_idx],
            "level": [outs[i].level for i in out_idx],
            "prob": [None] * K,
            "estimate": theta, "se": se, "ci_low": lo, "ci_high": hi,
            "ci_level": np.full(K, req.level), "df": df_used, "cv": cv, "deff": deffs,
            "n": n_obs.astype(np.int64), "n_cases": n_cases, "sum_w": sum_w, "flag": list(flags),
        }
        return part, cov

    def df_for(self, kinds: list[str], dom_df: np.ndarray) -> np.ndarray:
        rule = self.req.df_rule
        K = len(kinds)
        if isinstance(rule, int | float) and not isinstance(rule, bool):
            return np.full(K, float(rule))
        if rule == "normal":
            return np.full(K, np.inf)
        if rule == "design":
            return np.full(K, self.design_df)
        if rule == "domain":
            return dom_df
        if rule is not None:
            raise EstimationError(Message("estimation.not_degrees_freedom_rule", rule=rule), hint=Message("estimation.not_degrees_freedom_rule.hint"))
        per_kind = np.array([k in ("proportion", "quantile") for k in kinds])
        return np.where(per_kind, dom_df, self.design_df)

    def _converted(self, structure, sums, pk, pg, num, den, has_den, theta, K, element):
        if element:
            raise UnsupportedError(
                Message("estimation.replicates_can_only_made"),
                hint=Message("estimation.replicates_can_only_made.hint"),
            )
        factors, scale, rscales = replicates.conversion_factors(self.conv, structure)
        self._conv_factors = factors
        stage = structure.stages[0]
        n_units = len(stage.unit_stratum)
        unit = stage.unit[pg]

        def rep_sums(col_of_pair: np.ndarray, sel: np.ndarray) -> np.ndarray:
            mat = np.zeros((K, n_units))
            np.add.at(mat, (pk[sel], unit[sel]), sums[pg[sel], col_of_pair[sel]])
            return mat @ factors

        all_sel = np.ones(len(pk), dtype=bool)
        rnum = rep_sums(num[pk], all_sel)
        rden = np.ones_like(rnum)
        dsel = has_den[pk]
        if dsel.any():
            rden = rep_sums(np.where(dsel, den[pk], 0), dsel)
        with np.errstate(invalid="ignore", divide="ignore"):
            reps = np.where(has_den[:, None], rnum / rden, rnum)
        var = replicates.replicate_variance(theta, reps, scale, rscales, self.conv.mse)
        cov = replicates.replicate_covariance(theta, reps, scale, rscales, self.conv.mse) if self.req.covariance else None
        self._reps = (reps, scale, rscales, self.conv.mse)
        return var, cov

    def _user_replicates(self, tbl, plan, pk, pg, num, den, has_den, theta, K):
        rd: ReplicateDesign = self.req.design  # type: ignore[assignment]
        R = len(self.req.repcols)
        reps = np.empty((K, R))
        used = _replicated(plan)
        col_of = np.zeros(len(plan.values), dtype=np.int64)
        col_of[used] = np.arange(len(used))
        rnum_col, rden_col = col_of[num], col_of[np.maximum(den, 0)]
        for r in range(R):
            rs = np.column_stack([float_column(tbl[f"__r{r}_{j}"]) for j in used])
            rnum = np.bincount(pk, weights=rs[pg, rnum_col[pk]], minlength=K)
            rden = np.ones(K)
            sel = has_den[pk]
            if sel.any():
                rden = np.bincount(pk[sel], weights=rs[pg[sel], rden_col[pk[sel]]], minlength=K)
            with np.errstate(invalid="ignore", divide="ignore"):
                reps[:, r] = np.where(has_den, rnum / np.where(has_den, rden, 1.0), rnum)
        scale = rd.default_scale(R)
        rscales = np.asarray(rd.rscales, float) if rd.rscales is not None else np.ones(R)
        if len(rscales) == 1:
            rscales = np.full(R, rscales[0])
        if len(rscales) != R:
            raise InputError(
                Message("estimation.rscales_given_replicate_weight", n_rscales=len(rscales), r=R),
                hint=Message("estimation.rscales_given_replicate_weight.hint"),
            )
        var = replicates.replicate_variance(theta, reps, scale, rscales, rd.mse)
        cov = replicates.replicate_covariance(theta, reps, scale, rscales, rd.mse) if self.req.covariance else None
        self._reps = (reps, scale, rscales, rd.mse)
        self.design_df = float(rd.df) if rd.df is not None else float(self._replicate_rank_df())
        return var, cov, np.full(K, self.design_df)

    def _converted_domain_df(self, structure, pairs, K) -> np.ndarray:
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
                seen[key] = float(max(replicates.rank_df(self._conv_factors[units]), 0)) if len(units) else 0.0
            out[k] = seen[key]
        return out

    def _weight_columns(self) -> list[nw.Expr]:
        """The replicate weights as analysis weights (multiplied by the sampling weight unless combined)."""
        rd: ReplicateDesign = self.req.design  # type: ignore[assignment]
        cols = [nw.col(c).cast(nw.Float64) for c in self.req.repcols]
        if not rd.combined_weights:
            w = self._weight_expr()
            cols = [c * w for c in cols]
        return cols

    def _replicate_rank_df(self) -> int:
        """Rank of every row's replicate weights minus one (R's ``degf`` of a replicate design)."""
        return self.replicate_scan().whole.rank - 1

    def replicate_scan(self, plan=None, tbl=None, counts=None, in_group=None) -> replicates.RankScan:
        """One pass over the replicate weights (stopped early once complete): the whole design's row space
        and, given the scan's groups, each domain cell's; degenerate weights are refused here."""
        cached = getattr(self, "_rank_cells", None)
        if cached is not None and (plan is None or cached[1] is not None):
            return cached[0]
        req = self.req
        d: ReplicateDesign = req.design  # type: ignore[assignment]
        flags: list[nw.Expr] = []
        expected: list[set[tuple]] = []
        count_cols = None
        if plan is not None:
            by_count: dict[int, int] = {}
            for out in plan.outputs:
                by_count.setdefault(out.count, out.num)
            inside = self.where_expr.fill_null(False) if self.where_expr is not None else nw.lit(True)
            flags = [inside & ~plan.values[num].is_null() for num in by_count.values()]
            keys = tbl.select(req.by).to_pylist() if req.by else [{}] * tbl.num_rows
            for c in by_count:
                present = in_group & (counts[:, c] > 0)
                expected.append({tuple(keys[g].values()) for g in np.flatnonzero(present).tolist()})
            count_cols = {c: i for i, c in enumerate(by_count)}
        base = self._weight_expr() if (d.weights or not d.combined_weights) else None
        scan = replicates.rank_spaces(req.engine, self.frame(), self._weight_columns(),
                                      req.by if plan is not None else [], flags, expected, base,
                                      total_rows=self.n_rows or None)
        self._check_replicates(scan)
        self._rank_cells = (scan, count_cols)
        return scan

    def _needs_domain_df(self, kinds: list[str]) -> bool:
        rule = self.req.df_rule
        return rule == "domain" or (rule is None and any(k in ("proportion", "quantile") for k in kinds))

    def _replicate_domain_df(self, plan, grouping, dom_values, out_idx) -> np.ndarray:
        """Per output: rank of the replicate weights of the domain's rows it counts, minus one.

        As R's ``svyby`` on a replicate design, whose every domain is a subset with its own ``degf``
        (a user-given design df does not carry over to subsets in R either).
        """
        scan, count_cols = self._rank_cells
        spaces = scan.spaces
        pos = [self.req.by.index(v) for v in grouping]
        per_domain: list[dict[tuple, list[replicates.RowSpace]]] = []
        for cells in spaces:
            acc: dict[tuple, list[replicates.RowSpace]] = {}
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

    def _deff(self, plan, gs, num, den, theta, var, n_obs, sum_w, K, outs):
        """Design effect against simple random sampling without replacement (R ``deff=TRUE``).

        The SRS variance is that of the rows the estimate used: its population is their weight sum
        (with missing values dropped, not the domain's). A ratio's reads its residuals y - R x
        (R ``svyratio``'s ``deff(svytotal(r))``): sum w (y - R x)^2 / X^2 * (N - n) / (n - 1).
        Every sum is a domain's (``gs.domain_sum``): pooled cells or scan groups give the same.
        """
        out = np.full(K, np.nan)
        n_per = len(plan.outputs)

        def per_output(col: np.ndarray, ok: np.ndarray) -> np.ndarray:
            # col and ok are per output row (domain-major): an output's column is the same in every domain
            summed = gs.domain_sum(0, np.where(ok[:n_per], col[:n_per], -1).astype(np.int64))
            return np.where(ok, summed, 0.0)

        weight_col = np.array([o.weight for o in outs])
        planned = weight_col >= 0
        pop = np.where(planned, per_output(np.maximum(weight_col, 0), planned), sum_w)
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
                out[ok] = (var / vsrs)[ok]
        ratio = np.array([o.kind == "ratio" and (o.num, o.den) in plan.cross for o in outs])
        if ratio.any():
            yy = per_output(np.array([plan.squares.get(o.num, 0) for o in outs]), ratio)
            xx = per_output(np.array([plan.squares.get(o.den, 0) for o in outs]), ratio)
            xy = per_output(np.array([plan.cross.get((o.num, o.den), 0) for o in outs]), ratio)
            x_total = per_output(np.maximum(den, 0), ratio)
            with np.errstate(invalid="ignore", divide="ignore"):
                resid = yy - 2 * theta * xy + theta**2 * xx
                vsrs = resid / x_total**2 * (pop - n_obs) / (n_obs - 1)
                out[ratio] = (var / vsrs)[ratio]
        return out

    # ---- quantiles ----------------------------------------------------------------------------
    def _quantiles(self, q: Quantile, grouping: tuple[str, ...]) -> dict[str, Any]:
        from corridor.estimation.quantiles import estimate_quantiles

        return estimate_quantiles(self, q, grouping)


def _replicated(plan: SumPlan) -> list[int]:
    """The values whose replicate sums the estimates read: numerators and denominators of the outputs."""
    return sorted({o.num for o in plan.outputs} | {o.den for o in plan.outputs if o.den >= 0})


def _non_numeric_lazy(engine: Engine, lf: nw.LazyFrame[Any], col: str, na_values: Sequence[str]):
    """Values of a text column that are not numbers, on any engine (without row numbers)."""
    tbl = engine.aggregate(lf.filter(~nw.col(col).is_null()), [col], [nw.len().alias("__n")])
    skip = {*na_values, ""}
    bad: list[tuple[Any, int, None]] = []
    for v, n in zip(tbl[col].to_pylist(), tbl["__n"].to_pylist(), strict=True):
        text = str(v).strip()
        if text in skip:
            continue
        try:
            float(text)
        except ValueError:
            bad.append((v, int(n), None))
    bad.sort(key=lambda b: -b[1])
    return sum(b[1] for b in bad), bad[:5]
