"""Quantiles and their Woodruff intervals (R ``svyquantile``, survey >= 4.0).

A quantile needs the sorted values of its domain, so this path reads the
variable, the weight, the domain and design columns of the rows once, and
computes everything else (the domain's distribution-function variance and
degrees of freedom) with the same variance code as every other estimate.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import narwhals as nw
import numpy as np
import pyarrow as pa

from corridor.design import ReplicateDesign
from corridor.engine.columns import column_numpy, float_column
from corridor.errors import MissingValueError, UnsupportedError
from corridor.estimands import Quantile
from corridor.estimation import intervals, replicates, taylor
from corridor.estimation.domains import domain_df, sorted_levels
from corridor.estimation.domains import domains as _domains
from corridor.estimation.finish import degrees_of_freedom
from corridor.estimation.plan import SUBPOPULATION as _IN
from corridor.estimation.request import CheckedRequest
from corridor.estimation.scan import ReplicateRanks
from corridor.estimation.structure import Stage, Structure, build_structure, codes, factorize, subset_degf
from corridor.i18n import Message

Array = np.ndarray
# lower limit, upper limit, standard error, degrees of freedom, share below the estimate (Woodruff)
Interval = tuple[float, float, float, float, float | None]


# a by column with at most this many values is coded by the engine (a CASE over its values); a
# longer one is read as it is and coded here
_ENGINE_CODES = 64


@dataclass
class QuantileRows:
    """The rows every quantile of a request reads, and what is computed from them once.

    ``table``: the rows (all of them, or, when ``compact``, only those inside the subpopulation with
    a value of some quantile variable). Compact rows carry each by column as ``__d{j}`` codes into
    ``levels[j]`` (or the column itself, coded here, when it has many values), and their design
    structure is the whole design's, each row pointing at its unit.
    """

    table: pa.Table
    n_rows: int  # every row of the data
    read: _Read
    compact: bool = False
    levels: dict[str, _Levels] = field(default_factory=dict)  # each by column's values over every row


def quantile_rows(req: CheckedRequest, ranks: ReplicateRanks, n_rows: int = 0) -> QuantileRows:
    """The rows every quantile of the request reads: by and design columns, weights, each quantile's variable.

    One read for all the request's quantiles and groupings: a quantile needs its domain's sorted
    values, and the rows are the same for every grouping. ``n_rows``: the rows a scan of the
    request already counted (0: none), which lets the replicate weights' rank pass stop early.

    A Taylor design without calibration reads only the rows a quantile uses (inside the
    subpopulation, with a value), with integer codes of the by columns: the design's strata and
    units, the by columns' values and the row count come from a grouped scan by domain and unit
    (which also checks the weights), so rows without a value are never copied out of the engine.
    """
    if compact_rows_apply(req):
        return _compact_rows(req)
    req.check_weights_alone()
    lf = req.frame()
    design = req.taylor
    cols: list[nw.Expr] = [nw.col(c) for c in dict.fromkeys([*req.by, _IN])]
    names = list(dict.fromkeys([*req.by, _IN]))
    wcol = req.weights.name
    cols.append((nw.col(wcol).cast(nw.Float64) if wcol else nw.col("__one")).alias("__w"))
    for i, v in enumerate(_quantile_variables(req)):
        cols.append(nw.col(v).cast(nw.Float64).alias(f"__x{i}"))
    if design is not None:
        for c in dict.fromkeys([*design.strata, *design.ids]):
            if c not in names:
                cols.append(nw.col(c))
                names.append(c)
        for s, c in enumerate(design.fpc):
            cols += [nw.col(c).alias(f"__fpc_min_{s}"), nw.col(c).alias(f"__fpc_max_{s}")]
        if req.cal is not None:
            cols += req.cal.quantile_columns()
    if req.repcols:
        ranks.scan(total_rows=n_rows)  # degenerate replicate weights are refused before any estimate
        cols += [e.alias(f"__rw{i}") for i, e in enumerate(req.replicate_weights())]
    table = req.engine.collect_rows(lf.select(*cols).with_columns(nw.lit(1).alias("__rows")))
    return QuantileRows(table, table.num_rows, _Read())


def compact_rows_apply(req: CheckedRequest) -> bool:
    """Whether the request's quantiles read only the rows they use: a Taylor design (also converted to
    replicates) without calibration. Replicate weights (their rank over every row is the design's
    degrees of freedom) and calibration residuals (fitted on every row) need every row."""
    return req.taylor is not None and req.cal is None and not req.repcols


def _compact_rows(req: CheckedRequest) -> QuantileRows:
    """The rows a quantile uses, their by columns' codes and their units in the whole design's structure."""
    design = req.taylor
    assert design is not None
    element = not design.ids
    unit_cols = list(dict.fromkeys([*design.strata, *design.ids]))
    # one grouped scan by domain and unit: the by columns' values, the design's structure, the rows
    while True:
        aggs: list[nw.Expr] = [nw.len().alias("__rows")]
        wname = req.weights.name
        if wname:
            w = nw.col(wname).cast(nw.Float64)
            if not req.weights.checked:
                aggs += [w.min().alias("__w_min"), w.count().alias("__w_count")]
            if not req.weights.checked or req.weights.zeros:
                aggs.append(nw.when(w == 0).then(nw.lit(1)).count().alias("__w_zero"))
        for s, col in enumerate(design.fpc):
            aggs += [nw.col(col).min().alias(f"__fpc_min_{s}"), nw.col(col).max().alias(f"__fpc_max_{s}")]
        keys = list(dict.fromkeys([*req.by, *([_IN] if req.subpopulation else []), *unit_cols]))
        cells = req.engine.aggregate(req.frame(), keys, aggs)
        if not req.check_weight_stats(cells):
            break  # weights of 0 found: they leave the subpopulation, scanned again with its flag
    if "__w_zero" in cells.column_names:
        req.weights.zero_rows = int(column_numpy(cells["__w_zero"]).sum())
    rows_per_cell = np.asarray(column_numpy(cells["__rows"]), dtype=np.float64)
    structure = build_structure(cells, design, element_psu=element)
    inside = (np.asarray(column_numpy(cells[_IN]), dtype=bool) if _IN in cells.column_names
              else np.ones(cells.num_rows, dtype=bool))
    design_df = float(subset_degf(structure, inside, rows_per_cell) if not inside.all() else structure.degf)
    levels = {col: _Levels.of(cells, col, j) for j, col in enumerate(req.by)}

    # the rows: inside the subpopulation and (unless a missing value is an error) with some value
    lf = req.frame()
    keep = nw.col(_IN)
    variables = _quantile_variables(req)
    if req.request.na != "fail":
        has = ~nw.col(variables[0]).is_null()
        for v in variables[1:]:
            has = has | ~nw.col(v).is_null()
        keep = keep & has
    wcol = req.weights.name
    cols: list[nw.Expr] = [(nw.col(wcol).cast(nw.Float64) if wcol else nw.col("__one")).alias("__w")]
    cols += [nw.col(v).cast(nw.Float64).alias(f"__x{i}") for i, v in enumerate(variables)]
    for col, lv in levels.items():
        if lv.engine_code is not None:
            cols.append(lv.engine_code.alias(f"__d{lv.j}"))
        elif len(lv.ordered) > 1:
            cols.append(nw.col(col).alias(f"__d{lv.j}"))
    # the strata and ids a row's cell is matched on: the PSU ids alone when they tell the stratum (ids
    # numbered across strata, as most files number them), so that the strata are not read
    unit_read = _deciding_units(cells, unit_cols)
    cols += [nw.col(unit_cols[k]).alias(f"__u{k}") for k in unit_read]
    # the strata and PSU ids, and a by column of many values, are only matched to the scan's values:
    # an engine may hand them over dictionary-encoded (an integer a row instead of the text)
    matched = [f"__u{k}" for k in unit_read]
    matched += [f"__d{lv.j}" for lv in levels.values() if lv.engine_code is None and len(lv.ordered) > 1]
    table = req.engine.collect_rows(lf.filter(keep).select(*cols), dictionary=matched)
    # each row's unit: a cell of the grouped scan with the same strata and cluster ids
    cell = _cells_of(cells, table, unit_cols, unit_read)
    read = _Read()
    read.w = float_column(table["__w"])
    read.in_sub = np.ones(table.num_rows, dtype=bool)
    read.structure = _rows_structure(structure, cell)
    read.design_df = design_df
    if read.structure.weight_factor is not None:
        read.w = read.w * read.structure.weight_factor
    table = table.drop_columns([c for c in table.column_names if c.startswith("__u")])
    return QuantileRows(table, int(rows_per_cell.sum()), read, compact=True, levels=levels)


@dataclass
class _Levels:
    """A by column's values over every row, in the order of :func:`corridor.estimation.domains.domains`,
    and how the compact rows carry it (column ``__d{j}``): codes the engine computed, or the column."""

    ordered: list[Any]  # the values in domain order
    values: pa.Array  # the same values as the grouped scan gave them
    rank: Array  # index in ``values`` -> position in ``ordered``
    j: int
    engine_code: nw.Expr | None  # the expression of the codes, when the engine computes them

    @classmethod
    def of(cls, cells: pa.Table, column: str, j: int) -> _Levels:
        _c, values = codes(cells[column])
        ordered, rank = sorted_levels(values)
        engine = None
        if 1 < len(ordered) <= _ENGINE_CODES and all(v is None or isinstance(v, str | int) for v in ordered):
            # a few whole-number or text values: a CASE the engine runs, so that each row reaches numpy
            # as one small integer; float values (NaN, -0.0) are matched here as the scan grouped them
            engine = _case_codes(column, ordered)
        return cls(ordered, values, rank, j, engine)

    def codes_of(self, table: pa.Table) -> Array:
        """Each row's position in :attr:`ordered`."""
        if len(self.ordered) == 1:
            return np.zeros(table.num_rows, dtype=np.int8)
        col = table[f"__d{self.j}"]
        if self.engine_code is not None:
            return np.asarray(column_numpy(col))
        import pyarrow.compute as pc  # a column of many (or float) values: matched to the scan's values

        idx = pc.index_in(col, value_set=self.values)
        if idx.null_count:  # every value was grouped by the scan of the same rows
            raise AssertionError(f"a value of {self.values.type} column is not among its grouped values")
        return self.rank[np.asarray(column_numpy(idx), dtype=np.int64)]


def _case_codes(column: str, ordered: list[Any]) -> nw.Expr:
    """Each row's position among ``ordered`` (every value of the column; a null is last, the CASE's else)."""
    expr: nw.Expr = nw.lit(len(ordered) - 1)
    for i in range(len(ordered) - 2, -1, -1):
        expr = nw.when(nw.col(column) == nw.lit(ordered[i])).then(nw.lit(i)).otherwise(expr)
    return expr.cast(nw.Int8 if len(ordered) <= 127 else nw.Int16)


def _deciding_units(cells: pa.Table, unit_cols: list[str]) -> list[int]:
    """The strata and id columns (positions in ``unit_cols``) a row's cell is matched on: one whose values
    alone tell every other's among the grouped scan's cells (the last stage's ids first), else all."""
    if len(unit_cols) < 2:
        return list(range(len(unit_cols)))
    coded = [codes(cells[col]) for col in unit_cols]
    key = np.zeros(cells.num_rows, dtype=np.int64)
    for c, values in coded:  # each cell's strata and ids as one key, ranked after each column
        key = factorize(key * len(values) + c)[1]
    n_units = int(key.max()) + 1 if key.size else 0
    for k in reversed(range(len(unit_cols))):
        if len(coded[k][1]) == n_units:  # as many values as units (each unit has one): each value is one unit
            return [k]
    return list(range(len(unit_cols)))


def _cells_of(cells: pa.Table, rows: pa.Table, unit_cols: list[str], read: list[int]) -> Array:
    """Each row's cell of the grouped scan with the same strata and cluster ids (any one: the design's
    stratum and unit of every stage depend only on those columns), matched on the columns ``read``
    (positions in ``unit_cols``; the rows carry them as ``__u{k}``)."""
    import pyarrow.compute as pc

    key_c = np.zeros(cells.num_rows, dtype=np.int64)
    key_r = np.zeros(rows.num_rows, dtype=np.int64)
    bound = 1
    for k in read:
        col = unit_cols[k]
        c, values = codes(cells[col])
        idx = pc.index_in(rows[f"__u{k}"], value_set=values)
        if idx.null_count:  # the scan grouped every row's strata and ids
            raise AssertionError(f"a row's {col} is not among the grouped values")
        r = np.asarray(column_numpy(idx), dtype=np.int64)
        radix = len(values)
        if bound * radix >= 2**62:
            both = factorize(np.concatenate([key_c, key_r]))[1]
            key_c, key_r = both[: len(key_c)], both[len(key_c):]
            bound = int(both.max()) + 1 if both.size else 1
        key_c = key_c * radix + c
        key_r = key_r * radix + r
        bound *= radix
    if bound <= 20_000_000:
        lut = np.full(bound, -1, dtype=np.int64)
        lut[key_c] = np.arange(len(key_c))
        cell = lut[key_r]
    else:
        order = np.argsort(key_c, kind="stable")
        pos = np.minimum(np.searchsorted(key_c[order], key_r), max(len(order) - 1, 0))
        cell = order[pos]
        cell[key_c[cell] != key_r] = -1
    if (cell < 0).any():
        raise AssertionError("a row's strata and cluster ids are not among the grouped cells")
    return cell


def _rows_structure(structure: Structure, cell: Array) -> Structure:
    """The design's structure with each row in its cell's stratum and unit at every stage."""
    def narrow(codes: Array) -> Array:  # a code per row of millions of rows: 4 bytes where they suffice
        # narrowed per cell, then read for each row (a gather of 4-byte codes, no conversion per row)
        per_cell: Array = codes.astype(np.int32) if len(codes) and codes.max() < 2**31 - 1 else codes
        return np.asarray(per_cell[cell])

    stages = [replace(st, unit=narrow(st.unit) if len(st.unit) else st.unit, stratum=narrow(st.stratum))
              for st in structure.stages]
    wf = structure.weight_factor[cell] if structure.weight_factor is not None else None
    return Structure(stages=stages, degf=structure.degf, weight_factor=wf)


def _compact_domains(rows: QuantileRows, grouping: tuple[str, ...]) -> tuple[Array, list[tuple[Any, ...]]]:
    """Domain codes of the compact rows and the domains (the full product of the by columns' values)."""
    n = rows.table.num_rows
    if not grouping:
        return np.zeros(n, dtype=np.int64), [()]
    read = rows.read
    cols = []
    for col in grouping:
        if col not in read.positions:
            read.positions[col] = rows.levels[col].codes_of(rows.table)
        cols.append(read.positions[col])
    per_var = [rows.levels[col].ordered for col in grouping]
    sizes = [len(v) for v in per_var]
    n_dom = int(np.prod(sizes))
    # the domain codes of every row in the smallest type (the domains' sorts read them as such)
    small = domain_code_type(n_dom)
    if len(cols) == 1:
        flat = cols[0].astype(small)
    else:  # np.ravel_multi_index's codes (row-major), computed in the small type: no 8-byte code a row
        flat = np.zeros(n, dtype=small)
        for c, size in zip(cols, sizes, strict=True):
            if len(c) and (c.min() < 0 or c.max() >= size):
                raise AssertionError("a by column's code is outside its values")
            np.multiply(flat, size, out=flat, casting="unsafe")  # every partial code is below n_dom
            np.add(flat, c, out=flat, casting="unsafe")
    return flat, list(itertools.product(*per_var))


def _quantile_variables(req: CheckedRequest) -> list[str]:
    return list(dict.fromkeys(e.variable for e in req.estimands if isinstance(e, Quantile)))


@dataclass
class _Context:
    """One quantile estimand of a request, and the design's degrees of freedom as known so far."""

    req: CheckedRequest
    q: Quantile
    design_df: float

    def df(self, dom_df: float) -> float:
        return float(degrees_of_freedom(self.req.request.df_rule, ["quantile"], np.array([dom_df]), self.design_df)[0])

    def replicate_design_df(self, rep_w: Array) -> None:
        """A replicate design's degrees of freedom, when no estimate of the request set them yet."""
        rd = self.req.design
        assert isinstance(rd, ReplicateDesign)
        if self.design_df != self.design_df:  # NaN: not known yet
            self.design_df = float(rd.df) if rd.df is not None else float(replicates.rank_df(rep_w))


@dataclass
class _Domain:
    """A domain's rows: every row's value and weight, the domain's (valid) rows, their values sorted."""

    x: Array
    w: Array
    group: Array  # the domain's valid rows, in row order
    order: Array  # the same rows, by value (ties in row order)
    xs: Array  # their values and weights in that order
    ws: Array
    structure: Structure | None
    element: bool
    rep_w: Array | None  # every row's replicate weights (replicate designs)
    df_cache: dict[str, float] = field(default_factory=dict)  # the domain's df, once for all probabilities
    # its values and weights without weights of 0, and their running sums: once for every quantile read
    sample: tuple[Array, Array, Array] | None = None


@dataclass
class _Replicates:
    """A domain's replicate weights (its rows in value order x replicates), their variance's constants, its df."""

    weights: Array
    scale: float
    rscales: Array
    mse: bool
    dom_df: float


def estimate_quantiles(req: CheckedRequest, qrows: QuantileRows, q: Quantile, grouping: tuple[str, ...],
                       design_df: float) -> tuple[dict[str, Any], float]:
    """One quantile estimand in every domain of a grouping, from :func:`quantile_rows`: the rows of
    the result table and the design's degrees of freedom (``design_df``: as known so far, NaN if not)."""
    design = req.taylor
    repcols = req.repcols
    ctx = _Context(req, q, design_df)
    rows, read = qrows.table, qrows.read
    if req.cal is not None and design is not None:
        req.cal.rows(rows)  # each row's calibration cell, for the residuals
    if q.variable not in read.x:
        read.x[q.variable] = _f64_nan(rows[f"__x{_quantile_variables(req).index(q.variable)}"])
    x = read.x[q.variable]
    if read.in_sub is None:
        read.w = float_column(rows["__w"])
        read.in_sub = np.asarray(column_numpy(rows[_IN]), dtype=bool)
    w, in_sub = read.w, read.in_sub
    assert w is not None
    if req.request.na == "fail" and np.isnan(x[in_sub]).any():
        raise MissingValueError(
            Message("estimation.column_missing_values", variable=q.variable, source=req.source, sum=int(np.isnan(x[in_sub]).sum())),
            hint=Message("estimation.column_missing_values.hint"),
        )
    if qrows.compact:
        dom_codes, dom_values = _compact_domains(qrows, grouping)
    else:
        dom_codes, dom_values = _domains(rows, list(grouping), read.codes)
    structure = None
    element = design is not None and not design.ids
    if design is not None:
        if read.structure is None:
            read.structure = build_structure(rows, design, element_psu=element)
            read.design_df = float(subset_degf(read.structure, in_sub) if not in_sub.all() else read.structure.degf)
            if read.structure.weight_factor is not None:
                read.w = read.w * read.structure.weight_factor
        structure, w = read.structure, read.w
        assert w is not None
        ctx.design_df = read.design_df
    if q.interval == "score" and (req.conv is not None or repcols):
        raise UnsupportedError(
            Message("estimation.interval_score_designs_strata"),
            hint=Message("estimation.interval_score_designs_strata.hint"),
        )
    if q.interval == "quantile" and req.conv is None and not repcols:
        raise UnsupportedError(
            Message("estimation.interval_quantile_needs_replicate"),
            hint=Message("estimation.interval_quantile_needs_replicate.hint"),
        )
    out: dict[str, list[Any]] = {k: [] for k in ("domain", "estimand", "variable", "level", "prob", "estimate", "se",
                                                  "ci_low", "ci_high", "ci_level", "df", "cv", "deff", "n", "n_cases", "sum_w", "flag")}
    rep_w = np.column_stack([float_column(rows[f"__rw{i}"]) for i in range(len(repcols))]) if repcols else None
    if q.variable not in read.by_value:
        valid = np.flatnonzero(in_sub & ~np.isnan(x))
        read.valid[q.variable], read.by_value[q.variable] = valid, valid[stable_argsort(x[valid])]
    valid, by_value = read.valid[q.variable], read.by_value[q.variable]
    batch = None
    if structure is not None and rep_w is None and not element and batch_applies(req, q, structure):
        # Woodruff's intervals of every domain at once: one pass over the grouping's rows per probability
        batch, starts = _woodruff_domains(ctx, x, w, structure, read, dom_codes, len(dom_values), by_value)
    else:
        in_value_order, in_row_order, starts = _slices(dom_codes, len(dom_values), valid, by_value)
    for d, dom_value in enumerate(dom_values):
        if batch is not None:
            n = int(starts[d + 1] - starts[d])
            for p, qhat, found in zip(q.probs, batch.qhat[d], batch.res[d], strict=True):
                _append(out, req, q, dom_value, p, qhat, found, n, batch.sum_w[d])
            continue
        idx = in_row_order[starts[d]:starts[d + 1]]
        order = in_value_order[starts[d]:starts[d + 1]]
        xs, ws = x[order], w[order]
        dom = _Domain(x, w, idx, order, xs, ws, structure, element, rep_w,
                      sample=intervals.weighted_sample(xs, ws) if len(idx) else None)
        n = len(idx)
        rep_dom = None
        for p in q.probs:
            qhat = intervals.quantile_rule(q.qrule, xs, ws, p, dom.sample) if n else float("nan")
            res: Interval
            if n == 0:
                res = (np.nan, np.nan, np.nan, np.nan, np.nan)
            elif q.interval == "score":
                res = _score_interval(ctx, dom, p, qhat)
            elif q.interval == "quantile":
                if rep_dom is None:
                    rep_dom = _domain_replicates(ctx, dom)
                res = _replicate_interval(ctx, p, qhat, xs, rep_dom)
            else:
                res = _woodruff(ctx, dom, qhat)
            _append(out, req, q, dom_value, p, qhat, res, n, float(ws.sum()))
    return out, ctx.design_df


def _append(out: dict[str, list[Any]], req: CheckedRequest, q: Quantile, dom_value: Any, p: float, qhat: float,
            res: Interval, n: int, sum_w: float) -> None:
    """One result row: a quantile of a domain."""
    lo, hi, se, df, _ = res
    out["domain"].append(dom_value)
    out["estimand"].append("quantile")
    out["variable"].append(q.variable)
    out["level"].append(None)
    out["prob"].append(p)
    out["estimate"].append(qhat)
    out["se"].append(se)
    out["ci_low"].append(lo)
    out["ci_high"].append(hi)
    out["ci_level"].append(req.request.level)
    out["df"].append(df)
    out["cv"].append(se / abs(qhat) if n and qhat else np.nan)
    out["deff"].append(np.nan)
    out["n"].append(n)
    out["n_cases"].append(np.nan)
    out["sum_w"].append(sum_w)
    out["flag"].append("empty_domain" if n == 0 else None)


def batch_applies(req: CheckedRequest, q: Quantile, structure: Structure | None) -> bool:
    """Whether a grouping's Woodruff intervals are taken for every domain at once (:func:`_woodruff_domains`):
    a clustered Taylor design whose variance reads its first stage only, without calibration or conversion
    (the caller checks for replicate weights and a design of elements)."""
    design = req.taylor
    return (structure is not None and design is not None and req.conv is None and req.cal is None
            and q.interval not in ("score", "quantile") and len(taylor.variance_stages(structure, design)) == 1)


@dataclass
class _Batch:
    """Every domain's quantiles and intervals (domain x probability), and its sum of weights."""

    qhat: list[list[float]]
    res: list[list[Interval]]
    sum_w: list[float]


def _woodruff_domains(ctx: _Context, x: Array, w: Array, structure: Structure, read: _Read, dom_codes: Array,
                      n_dom: int, by_value: Array) -> tuple[_Batch, Array]:
    """Woodruff's intervals in every domain of a grouping of a one-stage clustered Taylor design, the numbers
    of :func:`_woodruff` domain by domain: the distribution function at each domain's estimate and its
    per-PSU totals for all domains in one pass, and one variance pass for all of them.

    Everything is read in value order within each domain (one stable sort of small domain codes): the
    estimates and the sums of weights are those of the domain-by-domain code to the bit; the share below
    the estimate is the running sum of weights the estimate was read from over the domain's total (the
    same sums as the rows' in row order up to rounding), and each (domain, PSU) total adds its rows in
    value order, so the standard errors and intervals agree with it to rounding (about 1e-15 relative)."""
    q, design = ctx.q, ctx.req.taylor
    assert design is not None  # a structure is built from the Taylor design
    stage = structure.stages[0]
    n_units = len(stage.unit_stratum)
    # the valid rows' values, weights and PSUs in value order are kept for every grouping, so that a
    # grouping's sort by domain gathers them in increasing positions
    if q.variable not in read.sorted:
        wb = w[by_value]
        read.sorted[q.variable] = x[by_value], wb, bool((wb != 0).all()), stage.unit[by_value]
    xb, wb, no_zeros, ub = read.sorted[q.variable]
    small = domain_code_type(n_dom)
    codes = dom_codes[by_value].astype(small, copy=False)
    starts = np.zeros(n_dom + 1, dtype=np.int64)
    np.cumsum(np.bincount(codes, minlength=n_dom), out=starts[1:])
    perm = np.argsort(codes, kind="stable")  # one radix pass per byte of the codes
    del codes
    xs_all, ws_all = xb[perm], wb[perm]
    key = ub[perm].astype(np.int64)  # each row's (domain, PSU) cell
    del perm
    sizes = np.diff(starts)
    samples: list[tuple[Array, Array, Array] | None] = []
    sum_w: list[float] = []
    qhat = np.full((n_dom, len(q.probs)), np.nan)
    for d in range(n_dom):
        a, b = starts[d], starts[d + 1]
        xs, ws = xs_all[a:b], ws_all[a:b]
        if d:
            key[a:b] += d * n_units
        # without weights of 0 the sample is the domain's values as they are (no pass to find them)
        sample = None if not sizes[d] else (xs, ws, np.cumsum(ws)) if no_zeros else intervals.weighted_sample(xs, ws)
        samples.append(sample)
        sum_w.append(float(ws.sum()))
        for k, p in enumerate(q.probs):
            if sample is not None:
                # weights are not negative: the running sums do not decrease (a binary search reads them)
                qhat[d, k] = intervals.quantile_rule(q.qrule, xs, ws, p, sample, increasing=True)
    rows = np.bincount(key, minlength=n_dom * n_units)
    used = np.flatnonzero(rows)
    if read.unit_row is None:  # a row of each PSU: its stratum is read through it
        read.unit_row = np.zeros(n_units, dtype=np.int64)
        read.unit_row[stage.unit] = np.arange(len(stage.unit))
    pair_dom = used // n_units
    pair_row = read.unit_row[used % n_units]
    pair_rows = rows[used].astype(np.float64)
    del rows
    # the variance pass adds up its deviations in chunks of entries: domains are passed in batches of at
    # most a chunk's entries so that each cell's sum is one chunk's, as one domain's alone
    bounds = [0]
    dom_start = np.searchsorted(pair_dom, np.arange(n_dom + 1))
    for d in range(1, n_dom + 1):
        if dom_start[d] - dom_start[bounds[-1]] > taylor._CHUNK and d - 1 > bounds[-1]:
            bounds.append(d - 1)
    bounds.append(n_dom)
    res: list[list[Interval]] = [[] for _ in range(n_dom)]
    z = np.empty(len(xs_all))  # the rows' influence values, (s1 - m s0) / total, for one probability at a time
    for k in range(len(q.probs)):
        m = np.full(n_dom, np.nan)
        for d in np.flatnonzero(sizes).tolist():
            a, b = starts[d], starts[d + 1]
            sample = samples[d]
            assert sample is not None
            theta = qhat[d, k]
            # the rows at or below the estimate: the first of the domain's rows in value order (none when it
            # is NaN, as in a comparison); the share below it is their running sum over the domain's total
            nan = bool(np.isnan(theta))
            c = a if nan else a + int(np.searchsorted(xs_all[a:b], theta, side="right"))
            cw = sample[2]
            j = 0 if nan else int(np.searchsorted(sample[0], theta, side="right"))
            total_w = cw[-1] if len(cw) else np.float64(0.0)
            m[d] = (cw[j - 1] if j else np.float64(0.0)) / total_w
            s0, zd = ws_all[a:b], z[a:b]
            np.multiply(m[d], s0, out=zd)
            np.subtract(s0[: c - a], zd[: c - a], out=zd[: c - a])  # s1 = s0 below the estimate
            np.negative(zd[c - a:], out=zd[c - a:])  # s1 = 0 above it
            np.divide(zd, total_w, out=zd)
        totals = np.bincount(key, weights=z, minlength=n_dom * n_units)[used]
        var = np.full(n_dom, np.nan)
        dom_df = np.full(n_dom, np.nan)
        for b0, b1 in itertools.pairwise(bounds):
            e0, e1 = dom_start[b0], dom_start[b1]
            pairs = taylor.Pairs(out=pair_dom[e0:e1] - b0, group=pair_row[e0:e1], z=totals[e0:e1],
                                 present=np.ones(e1 - e0, dtype=bool), rows=pair_rows[e0:e1])
            blocks = taylor.Blocks.single(pairs, b1 - b0)
            var[b0:b1] = taylor.variance_clustered(blocks, structure, design)
            dom_df[b0:b1] = domain_df(blocks, structure, False)
        for d in range(n_dom):
            if not sizes[d]:
                res[d].append((np.nan, np.nan, np.nan, np.nan, np.nan))
                continue
            xs, ws = xs_all[starts[d]:starts[d + 1]], ws_all[starts[d]:starts[d + 1]]
            res[d].append(_woodruff_ends(ctx, xs, ws, samples[d], float(m[d]), float(var[d]), float(dom_df[d]),
                                         increasing=True))
    return _Batch([list(map(float, r)) for r in qhat], res, sum_w), starts


class _Read:
    """What every quantile and grouping of a request takes from the same rows, computed once: weights,
    the subpopulation flag, the design's structure, each variable's values and its valid rows in row
    order and by value (a stable sort, done once per variable instead of once per grouping), and each
    by column's codes (a column in several groupings is encoded once)."""

    def __init__(self) -> None:
        self.w: Array | None = None
        self.in_sub: Array | None = None
        self.structure: Structure | None = None
        self.design_df = float("nan")
        self.x: dict[str, Array] = {}
        self.valid: dict[str, Array] = {}
        self.by_value: dict[str, Array] = {}
        self.codes: dict[str, tuple[Array, pa.Array]] = {}  # each by column's codes, for every grouping
        self.positions: dict[str, Array] = {}  # compact rows: each by column's position among its values
        self.unit_row: Array | None = None  # a row of each first-stage unit of the structure
        # each variable's valid values, weights and first-stage units by value, and whether no weight is 0
        self.sorted: dict[str, tuple[Array, Array, bool, Array]] = {}


def domain_code_type(n_dom: int) -> type[np.signedinteger[Any]]:
    """The smallest signed integer type of ``n_dom`` domain codes: numpy's stable sort of integers is a
    radix sort, one pass per byte, so 8-bit codes (up to 127 domains) sort in one pass."""
    return np.int8 if n_dom < 2**7 else np.int16 if n_dom < 2**15 else np.int32 if n_dom < 2**31 else np.int64


def stable_argsort(x: Array) -> Array:
    """``np.argsort(x, kind="stable")`` of values without NaN (equal values in their order), as one sort of
    distinct 64-bit integers (a value's rank, then its position), which numpy sorts several times faster
    than its stable sort of floats (0.09 s against 0.6 s for 4.2M values). Whole numbers are their own
    ranks (their distance to the least); other values take the rank of their run of equal values in an
    unstable sort (-0.0 and 0.0 are equal, as for the stable sort)."""
    n = len(x)
    bits = max(int(n - 1).bit_length(), 1)  # a position's bits
    if n < 2 or 2 * bits > 62:
        return np.argsort(x, kind="stable")
    lo, hi = float(x.min()), float(x.max())
    # the whole numbers' distances to the least are exact only below 2**53 (values on both sides of 0
    # can be up to 2**54 apart, where a float skips odd numbers and two values would share a key)
    if (np.isfinite(lo) and np.isfinite(hi) and max(-lo, hi) < 2.0**53 and hi - lo < min(2.0**53, 2.0 ** (62 - bits))
            and bool((x == np.floor(x)).all())):
        key = (x - lo).astype(np.int64)  # exact: whole numbers whose distances are below 2**53
        key <<= bits
        key |= np.arange(n, dtype=np.int64)
    else:
        order = np.argsort(x)
        xs = x[order]
        key = np.empty(n, dtype=np.int64)
        key[0] = 0
        np.cumsum(xs[1:] != xs[:-1], out=key[1:])  # each run of equal values, in increasing order
        del xs
        key <<= bits
        key |= order
    key.sort()
    key &= (1 << bits) - 1
    return key


def _slices(dom_codes: Array, n_dom: int, valid: Array, by_value: Array) -> tuple[Array, Array, Array]:
    """The valid rows (``valid``, in row order; ``by_value``, sorted by value) grouped by domain, in value
    order and in row order, and each domain's start: stable sorts of small domain codes (radix sorts),
    so that each domain is a slice instead of a pass over every row."""
    small = domain_code_type(n_dom)
    in_value_order = by_value[np.argsort(dom_codes[by_value].astype(small, copy=False), kind="stable")]
    codes = dom_codes[valid].astype(small, copy=False)
    in_row_order = valid[np.argsort(codes, kind="stable")]
    starts = np.zeros(n_dom + 1, dtype=np.int64)
    np.cumsum(np.bincount(codes, minlength=n_dom), out=starts[1:])
    return in_value_order, in_row_order, starts


def _cdf(ctx: _Context, dom: _Domain, theta: float) -> tuple[float, float, float]:
    """The domain's distribution function at ``theta``, its variance and the domain's degrees of freedom
    (rows outside the domain contribute zeros: only the domain's rows are read)."""
    x, w, group, structure, cache = dom.x, dom.w, dom.group, dom.structure, dom.df_cache
    below_g = x[group] <= theta
    if structure is None:  # a replicate design: the rows' replicate weights
        rep_w = dom.rep_w
        rd = ctx.req.design
        assert rep_w is not None and isinstance(rd, ReplicateDesign)
        rw = rep_w[group]
        reps = (rw * below_g[:, None]).sum(axis=0) / rw.sum(axis=0)
        m = float((w[group] * below_g).sum() / w[group].sum())
        scale, rscales = _replicate_constants(rd, rep_w.shape[1])
        var = replicates.replicate_variance(np.array([m]), reps[None, :], scale, rscales, rd.mse)[0]
        if "df" not in cache:
            cache["df"] = float(replicates.rank_df(rw))
        ctx.replicate_design_df(rep_w)
        return m, var, cache["df"]
    s0 = w[group]  # one gather of the domain's weights, for both sums
    s1 = s0 * below_g
    m = s1.sum() / s0.sum()
    z = (s1 - m * s0) / s0.sum()
    req = ctx.req
    design = req.taylor
    assert design is not None  # a structure is built from the Taylor design
    if not dom.element and req.conv is None and req.cal is None and len(taylor.variance_stages(structure, design)) == 1:
        # the variance reads the first-stage units' totals only: the rows are added up per unit here
        # (in row order, as the variance pass would), and the unit totals are its entries, one per unit
        pairs = _unit_pairs(structure.stages[0], group, z)
    else:
        ones = np.ones(len(group))
        pairs = taylor.Pairs(out=np.zeros(len(group), dtype=np.int64), group=group, z=z, present=ones > 0, rows=ones)
    blocks = taylor.Blocks.single(pairs, 1)
    if dom.element:
        var = taylor.variance_elements(blocks, ones, np.zeros((len(group), 1)), structure, design)[0]
    elif req.conv is not None:
        factors, scale, rscales = replicates.conversion_factors(req.conv, structure)
        unit = structure.stages[0].unit[group]
        u1 = np.bincount(unit, weights=s1, minlength=factors.shape[0])
        u0 = np.bincount(unit, weights=s0, minlength=factors.shape[0])
        reps = (u1 @ factors) / (u0 @ factors)
        var = replicates.replicate_variance(np.array([m]), reps[None, :], scale, rscales, req.conv.mse)[0]
        if "df" not in cache:
            # as R's svyby on a converted design: the rank of the domain's replicate weights
            cache["df"] = float(replicates.rank_df(factors[np.unique(unit)]))
    else:
        # a calibrated design: the units' totals of the calibration residuals
        if req.cal is None:
            vblocks = blocks
        else:
            sel = np.zeros(len(x), dtype=bool)
            sel[group] = True
            vblocks = taylor.Blocks.single(req.cal.adjust_rows(z, sel, w, structure), 1)
        var = taylor.variance_clustered(vblocks, structure, design)[0]
    if "df" not in cache:
        cache["df"] = float(domain_df(blocks, structure, dom.element)[0])  # counted by the variance pass when it ran
    return float(m), float(var), cache["df"]


def _unit_pairs(stage: Stage, group: Array, z: Array) -> taylor.Pairs:
    """The domain's rows ``group`` with influence values ``z`` as one entry per first-stage unit: the
    unit's total and a row of it (the unit's stratum is read through that row)."""
    unit = stage.unit[group]
    n_units = len(stage.unit_stratum)
    rows = np.bincount(unit, minlength=n_units)
    used = np.flatnonzero(rows)
    total = np.bincount(unit, weights=z, minlength=n_units)[used]
    first = np.empty(n_units, dtype=np.int64)
    first[unit] = group  # a row of each unit (any one: they share its stratum)
    return taylor.Pairs(out=np.zeros(len(used), dtype=np.int64), group=first[used], z=total,
                        present=np.ones(len(used), dtype=bool), rows=rows[used].astype(np.float64))


def _woodruff(ctx: _Context, dom: _Domain, qhat: float) -> Interval:
    """Woodruff's interval: the distribution function's interval at the estimate, read back as quantiles."""
    xs, ws = dom.xs, dom.ws
    n = len(xs)
    # the running sums are let go during the variance pass and made again for both ends of the
    # interval: they are as long as the domain, and the pass's own arrays make the medians' peak
    dom.sample = None
    m, var, dom_df = _cdf(ctx, dom, qhat)
    if n:
        dom.sample = intervals.weighted_sample(xs, ws)
    return _woodruff_ends(ctx, xs, ws, dom.sample, m, var, dom_df)


def _woodruff_ends(ctx: _Context, xs: Array, ws: Array, sample: tuple[Array, Array, Array] | None, m: float,
                   var: float, dom_df: float, increasing: bool = False) -> Interval:
    """The interval of the distribution function at the estimate (share ``m`` below it, variance ``var``)
    read back as quantiles of the domain's sorted values ``xs`` with weights ``ws``."""
    q = ctx.q
    n = len(xs)
    df = ctx.df(dom_df)
    se_m = float(np.sqrt(max(var, 0.0)))
    level = ctx.req.request.level
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
    lo = (float("nan") if (np.isnan(p_lo) or p_lo < 0)
          else intervals.quantile_rule(q.qrule, xs, ws, p_lo, sample, increasing=increasing))
    hi = (float("nan") if (np.isnan(p_hi) or p_hi > 1)
          else intervals.quantile_rule(q.qrule, xs, ws, p_hi, sample, increasing=increasing))
    se = (hi - lo) / (2 * float(intervals.t_quantile(level, df)))
    return lo, hi, se, df, m


def _score_interval(ctx: _Context, dom: _Domain, p: float, qhat: float) -> Interval:
    """R's ``interval.type="score"`` (Francisco and Fuller 1991): the values theta where the score test of
    ``F(theta) = p`` (the domain's mean of ``(x > theta) - (1 - p)`` over its standard error) is not
    rejected, found as R does (``uniroot`` between the extremes moved in by IQR/100, tolerance
    ``1/(100 sqrt(n))``), then read off by the quantile rule at the domain's weighted share below
    each root (R: the unweighted share; the same with equal weights, see docs/design.md).
    """
    q, xs, ws = ctx.q, dom.xs, dom.ws
    xd = dom.x[dom.group]
    n = len(xd)
    _m, _var, dom_df = _cdf(ctx, dom, qhat)
    df = ctx.df(dom_df)
    tq = float(intervals.t_quantile(ctx.req.request.level, df))

    def score(theta: float, limit: float) -> float:
        m, var, _ = _cdf(ctx, dom, theta)
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
        bounds.append(intervals.quantile_rule(q.qrule, xs, ws, share, dom.sample))
    lo, hi = bounds
    se = (hi - lo) / (2 * tq)
    return lo, hi, se, df, None


def _replicate_constants(rd: ReplicateDesign, R: int) -> tuple[float, np.ndarray]:
    rscales = np.asarray(rd.rscales, float) if rd.rscales is not None else np.ones(R)
    return rd.default_scale(R), (np.full(R, rscales[0]) if len(rscales) == 1 else rscales)


def _domain_replicates(ctx: _Context, dom: _Domain) -> _Replicates:
    """The domain's replicate weights (rows in value order x replicates), constants and degrees of freedom."""
    req, rep_w, order = ctx.req, dom.rep_w, dom.order
    if rep_w is not None:
        rd = req.design
        assert isinstance(rd, ReplicateDesign)
        scale, rscales = _replicate_constants(rd, rep_w.shape[1])
        weights = rep_w[order]
        dom_df = float(replicates.rank_df(weights))
        ctx.replicate_design_df(rep_w)
        return _Replicates(weights, scale, rscales, rd.mse, dom_df)
    # a Taylor design converted to replicates: every PSU's factors
    assert req.conv is not None and dom.structure is not None
    factors, scale, rscales = replicates.conversion_factors(req.conv, dom.structure)
    unit = dom.structure.stages[0].unit[order]
    used = np.unique(unit)
    dom_df = float(replicates.rank_df(factors[used]))
    return _Replicates(dom.w[order][:, None] * factors[unit], scale, rscales, req.conv.mse, dom_df)


def _replicate_interval(ctx: _Context, p: float, qhat: float, xs: Array, rep: _Replicates) -> Interval:
    """R's ``interval.type="quantile"``: the quantile under every replicate's weights, their variance."""
    weights = rep.weights
    reps = np.array([intervals.quantile_rule(ctx.q.qrule, xs, weights[:, r], p) for r in range(weights.shape[1])])
    var = replicates.replicate_variance(np.array([qhat]), reps[None, :], rep.scale, rep.rscales, rep.mse)[0]
    df = ctx.df(rep.dom_df)
    se = float(np.sqrt(max(var, 0.0)))
    half = float(intervals.t_quantile(ctx.req.request.level, df)) * se
    return qhat - half, qhat + half, se, df, None


def _f64_nan(col: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(column_numpy(col), dtype=np.float64)
