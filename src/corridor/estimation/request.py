"""An estimate's request, checked against the data before any scan.

:func:`check_request` takes what ``estimate()`` was asked (:class:`Request`) and gives the checked
request every later stage reads (:class:`CheckedRequest`): the design the rows are estimated
under (a calibrated design's plain one over the data joined with its g-weights), the columns
found and read as numbers, the levels of categorical estimands, what the engine already knows of
missing values and weights, and the subpopulation. Weights are checked here, from the engine's
column profile when it has one, else by the scan that reads them (:meth:`CheckedRequest.check_weight_stats`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import narwhals as nw
import numpy as np
import pyarrow as pa

from corridor.design import AnyDesign, Design, Replicated, ReplicateDesign
from corridor.engine import Engine
from corridor.engine.columns import column_numpy
from corridor.errors import ColumnNotFoundError, EstimationError, InputError
from corridor.estimands import Estimand, Mean, Proportion, Quantile, Ratio, Total, variables_of
from corridor.estimation.inputs import Input
from corridor.estimation.plan import SUBPOPULATION
from corridor.estimation.where import parse_where
from corridor.i18n import Message
from corridor.sources.columns import bad_weight_rows, non_numeric, not_numbers_error

NA = Literal["fail", "drop"]
DFRule = Literal["design", "domain", "normal"]


@dataclass
class Request:
    """What ``estimate()`` was asked, with its data opened."""

    lf: nw.LazyFrame[Any]
    engine: Engine
    design: AnyDesign
    estimands: list[Estimand]
    by: list[str]  # every variable of every grouping, once
    groupings: list[tuple[str, ...]]
    where: str | None
    na: str
    level: float
    df_rule: DFRule | float | None
    deff: bool
    covariance: bool | str  # a by variable: only the entries compare() reads across its levels
    source: Any  # how messages name the data (a Message: "file 'casen.csv'")
    input: Input | None = None
    na_values: tuple[str, ...] = ()


@dataclass
class Weights:
    """What is known of the sampling weights: their column, whether they were checked (none missing
    or negative), whether some are 0 (those rows are outside the sample) and how many rows those are."""

    name: str | None
    checked: bool = False
    zeros: bool = False
    zero_rows: int = 0


@dataclass
class CheckedRequest:
    """A request checked against its data: what the scans, the finishing step and quantiles read."""

    request: Request
    lf: nw.LazyFrame[Any]  # the data, text columns of numbers read as numbers, calibration joined
    schema: dict[str, Any]
    design: AnyDesign  # the design estimated (a calibrated design's plain one)
    taylor: Design | None  # the Taylor design (also of a design converted to replicates)
    conv: Replicated | None  # a Taylor design converted to replicates
    repcols: list[str]  # a replicate design's replicate weight columns
    cal: Any  # a calibrated design's residual hook (calibration/hook.py), or None
    where_expr: nw.Expr | None
    categorical: dict[Estimand, bool]
    levels: dict[Estimand, list[Any]] = field(default_factory=dict)
    complete: set[str] = field(default_factory=set)  # columns the engine knows have no missing value
    weights: Weights = field(default_factory=lambda: Weights(None))

    # ---- the request's own terms ---------------------------------------------------------------
    @property
    def engine(self) -> Engine:
        return self.request.engine

    @property
    def by(self) -> list[str]:
        return self.request.by

    @property
    def source(self) -> Any:
        return self.request.source

    @property
    def estimands(self) -> list[Estimand]:
        return self.request.estimands

    @property
    def subpopulation(self) -> bool:
        """Whether some rows are outside the estimate (a where condition, or weights of 0)."""
        return self.where_expr is not None or self.weights.zeros

    def weight_expr(self) -> nw.Expr:
        w = self.weights.name
        return nw.col(w).cast(nw.Float64) if w else nw.col("__one")

    def frame(self) -> nw.LazyFrame[Any]:
        """The rows with the subpopulation flag and a per-row constant ``__one``."""
        # __one: a per-row constant the engines can aggregate (a bare literal is scalar-like)
        inside = self.where_expr.fill_null(False) if self.where_expr is not None else nw.lit(True)
        if self.weights.zeros:
            # rows of weight 0 are outside the sample: a subpopulation on the full design (R's subset())
            inside = inside & (self.weight_expr() > 0)
        return self.lf.with_columns(inside.alias(SUBPOPULATION), nw.lit(1.0).alias("__one"))

    def replicate_weights(self) -> list[nw.Expr]:
        """The replicate weights as analysis weights (multiplied by the sampling weight unless combined)."""
        rd = self.design
        assert isinstance(rd, ReplicateDesign)
        cols = [nw.col(c).cast(nw.Float64) for c in self.repcols]
        if not rd.combined_weights:
            w = self.weight_expr()
            cols = [c * w for c in cols]
        return cols

    # ---- weights -------------------------------------------------------------------------------
    def check_weights_alone(self) -> None:
        """Weights checked by a scan of their own (a request of quantiles only reads them later)."""
        wname = self.weights.name
        # checked by the engine's column profile, which finds weights of 0 without counting them
        if not wname or (self.weights.checked and (not self.weights.zeros or self.weights.zero_rows)):
            return
        w = nw.col(wname).cast(nw.Float64)
        tbl = self.engine.aggregate(self.lf, [], [
            nw.len().alias("__rows"), w.min().alias("__w_min"), w.count().alias("__w_count"),
            nw.when(w == 0).then(nw.lit(1)).count().alias("__w_zero"),
        ])
        self.check_weight_stats(tbl)
        self.weights.zero_rows = int(column_numpy(tbl["__w_zero"]).sum())

    def check_weight_stats(self, tbl: pa.Table) -> bool:
        """Check a scan's weight counts and minima; True when weights of 0 were found (a new scan is due)."""
        wcol = self.weights.name
        if wcol is None or self.weights.checked:
            return False
        nulls = int((column_numpy(tbl["__rows"]) - column_numpy(tbl["__w_count"])).sum())
        wmin = float(np.nanmin(np.asarray(column_numpy(tbl["__w_min"]), dtype=float))) if not nulls else 1.0
        self.weight_errors(nulls, wmin)
        self.weights.checked = True
        return self.weights.zeros

    def weight_errors(self, nulls: int, wmin: float) -> None:
        """Refuse missing or negative weights; note weights of 0."""
        wcol = self.weights.name
        assert wcol is not None
        source = self.source
        if nulls:
            at = self._weight_rows(wcol, "missing")
            raise InputError(
                Message("estimation.weight_column_missing_values_at", wcol=wcol, source=source, nulls=nulls,
                        at=at) if at else
                Message("estimation.weight_column_missing_values", wcol=wcol, source=source, nulls=nulls),
                hint=Message("estimation.weight_column_missing_values.hint"),
            )
        if wmin < 0:
            at = self._weight_rows(wcol, "negative")
            raise InputError(
                Message("estimation.weight_column_negative_values_at", wcol=wcol, source=source, wmin=wmin,
                        at=at) if at else
                Message("estimation.weight_column_negative_values", wcol=wcol, source=source, wmin=wmin),
                hint=Message("estimation.weight_column_negative_values.hint"),
            )
        if wmin == 0:
            self.weights.zeros = True

    def _weight_rows(self, wcol: str, what: str, limit: int = 5) -> Message | None:
        """Where the first missing (or negative) weights are: file lines, or rows of the data; None off DuckDB."""
        inp = self.request.input
        rel = inp.relation if inp is not None else None
        if inp is None or rel is None or wcol not in rel.columns:
            return None
        rows = bad_weight_rows(rel, wcol, what, self.request.na_values, limit)
        if not rows:
            return None
        offset = inp.line_offset
        if offset is not None:
            return Message("estimation.weight_rows_lines", lines=", ".join(f"{r + offset:,}" for r in rows))
        return Message("estimation.weight_rows_rows", rows=", ".join(f"{r:,}" for r in rows))


def check_request(req: Request) -> CheckedRequest:
    """Check a request against its data's schema: columns, numbers, design, levels, weights."""
    d = req.design
    lf = req.lf
    # a calibrated design: an ordinary design over the data joined with its g-weights
    cal = None
    if hasattr(d, "for_estimation"):
        needed = [*req.by, *variables_of(req.estimands), *(parse_where(req.where)[1] if req.where else ())]
        cal = d.for_estimation(req.engine, lf, req.source, needed)
    if cal is not None:
        lf, d = cal.frame, cal.design
    schema = dict(lf.collect_schema())
    taylor: Design | None = None
    conv: Replicated | None = None
    repcols: list[str] = []
    if isinstance(d, Replicated):
        taylor, conv = d.design, d
    elif isinstance(d, Design):
        taylor = d
    elif isinstance(d, ReplicateDesign):
        repcols = _replicate_columns(d, list(schema), req.source)
    else:
        raise EstimationError(Message("estimation.not_design", d=d), hint=Message("estimation.not_design.hint"))
    where_expr: nw.Expr | None = None
    where_cols: set[str] = set()
    if req.where:
        where_expr, where_cols = parse_where(req.where)
    weights = Weights(taylor.weights if taylor is not None else d.weights)  # type: ignore[union-attr]
    checked = CheckedRequest(
        request=req, lf=lf, schema=schema, design=d, taylor=taylor, conv=conv, repcols=repcols, cal=cal,
        where_expr=where_expr, categorical=_categorical(req.estimands, schema), weights=weights,
    )
    _check_columns(checked, where_cols)
    checked.levels = _levels(checked)
    _profile(checked)
    return checked


def _replicate_columns(d: ReplicateDesign, names: list[str], source: Any) -> list[str]:
    if isinstance(d.repweights, str):
        pattern = re.compile(d.repweights)
        cols = [c for c in names if pattern.search(c)]
        if not cols:
            raise ColumnNotFoundError(
                Message("estimation.column_matches_replicate_weight", repweights=d.repweights, source=source),
                hint=Message("estimation.column_matches_replicate_weight.hint", names=', '.join(names[:40])),
            )
        return cols
    return list(d.repweights)


def _check_columns(req: CheckedRequest, where_cols: set[str]) -> None:
    """Every column named exists; columns estimated as numbers are numbers (text of numbers is read as such)."""
    design = req.design
    design_cols = list(design.columns) if not isinstance(design, ReplicateDesign) else (
        ([design.weights] if design.weights else []) + req.repcols
    )
    wanted: list[str] = [*design_cols, *req.by, *sorted(where_cols)]
    for e in req.estimands:
        wanted += [e.numerator, e.denominator] if isinstance(e, Ratio) else [e.variable]
    missing = [c for c in dict.fromkeys(wanted) if c not in req.schema]
    if missing:
        raise ColumnNotFoundError.from_names(missing, list(req.schema), where=req.source)
    weights = req.weights.name
    numeric_needed = ([weights] if weights else []) + (list(req.taylor.fpc) if req.taylor else []) + req.repcols
    for e in req.estimands:
        if isinstance(e, Ratio):
            numeric_needed += [e.numerator, e.denominator]
        elif isinstance(e, Quantile) or (isinstance(e, Total | Mean) and not req.categorical.get(e, False)):
            numeric_needed.append(e.variable)
    casts: list[nw.Expr] = []
    for col in dict.fromkeys(numeric_needed):
        role = "weight" if col == weights else "replicate weight" if col in req.repcols else "numeric"
        if not req.schema[col].is_numeric() and not (role == "numeric" and req.schema[col] == nw.Boolean):
            casts.append(_numbers_from_text(req, col, role))
    if casts:
        # every value is a number written as text (or a declared missing value): read them as numbers
        req.lf = req.lf.with_columns(*casts)
        req.schema = dict(req.lf.collect_schema())


def _numbers_from_text(req: CheckedRequest, col: str, role: str) -> nw.Expr:
    """A text column estimated as numbers: its numbers, or an error naming the values that are not."""
    if req.schema[col] not in (nw.String, nw.Categorical, nw.Enum):
        raise InputError(
            Message("estimation.column_not_numeric_type", role=Message(f"sources.role.{role.replace(' ', '_')}"), col=col, source=req.source, schema=req.schema[col]),
            hint=Message("estimation.column_not_numeric_type.hint"),
        )
    inp = req.request.input
    na_values = req.request.na_values
    rel = inp.relation if inp is not None else None
    offset: int | None
    if inp is not None and rel is not None:
        total, examples = non_numeric(rel, col, na_values)
        offset = inp.line_offset
    else:
        total, examples = _non_numeric_lazy(req.engine, req.lf, col, na_values)
        offset = None
    if total:
        raise not_numbers_error(req.source, col, total, examples, line_offset=offset, role=role)
    text = nw.col(col).cast(nw.String).str.strip_chars()
    missing = [*na_values, ""]
    return nw.when(~text.is_in(missing)).then(text).cast(nw.Float64).alias(col)


def _non_numeric_lazy(engine: Engine, lf: nw.LazyFrame[Any], col: str,
                      na_values: Sequence[str]) -> tuple[int, list[tuple[Any, int, int | None]]]:
    """Values of a text column that are not numbers, on any engine (without row numbers)."""
    tbl = engine.aggregate(lf.filter(~nw.col(col).is_null()), [col], [nw.len().alias("__n")])
    skip = {*na_values, ""}
    bad: list[tuple[Any, int, int | None]] = []
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


def _categorical(estimands: list[Estimand], schema: dict[str, Any]) -> dict[Estimand, bool]:
    """Whether each estimand treats its variable as categories: a proportion always; a total or
    mean when asked (``categorical=True``) or on a boolean column. Each estimand decides for
    itself, so estimands of one variable do not depend on their order."""
    out: dict[Estimand, bool] = {}
    for e in estimands:
        if isinstance(e, Proportion):
            out[e] = True
        elif isinstance(e, Total | Mean):
            if e.variable not in schema:
                continue  # named by _check_columns, with every other missing column
            out[e] = bool(e.categorical) if e.categorical is not None else schema[e.variable] == nw.Boolean
    return out


def _levels(req: CheckedRequest) -> dict[Estimand, list[Any]]:
    """The levels of each categorical estimand (those it names, or every level in the data)."""
    levels: dict[Estimand, list[Any]] = {}
    in_data: dict[str, list[Any]] = {}
    for e in req.estimands:
        if not isinstance(e, Total | Mean | Proportion) or not req.categorical.get(e):
            continue
        if isinstance(e, Proportion) and e.level is not None:
            levels[e] = [e.level]
        elif e.levels is not None:
            levels[e] = list(e.levels)
        else:
            if e.variable not in in_data:
                tbl = req.engine.aggregate(req.lf, [e.variable], [nw.len().alias("__n")])
                vals = [v for v in tbl[e.variable].to_pylist() if v is not None]
                in_data[e.variable] = sorted(vals, key=lambda v: (str(type(v)), v))
            levels[e] = in_data[e.variable]
    return levels


def _profile(req: CheckedRequest) -> None:
    """Columns without missing values, and valid weights, when the engine knows them without a scan.

    Then the grouped scan needs no non-missing indicators, counts or weight checks for them:
    on Parquet input it becomes the single sum-and-count scan of the floor.
    """
    ask = getattr(req.engine, "profile", None)
    if ask is None:
        return
    wname = req.weights.name
    cols: list[str] = []
    for e in req.estimands:
        if isinstance(e, Ratio):
            cols += [e.numerator, e.denominator]
        elif not isinstance(e, Quantile):
            cols.append(e.variable)
    cols = list(dict.fromkeys([*cols, *([wname] if wname else [])]))
    prof = ask(req.lf, cols, [wname] if wname else [])
    if prof is None:
        return
    req.complete = {c for c in cols if prof[f"count:{c}"] == prof["rows"]}
    if wname:
        # + 0.0: Parquet statistics store a minimum of 0 as -0
        req.weight_errors(int(prof["rows"] - prof[f"count:{wname}"]), prof[f"min:{wname}"] + 0.0)
        req.weights.checked = True
