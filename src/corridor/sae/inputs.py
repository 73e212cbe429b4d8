"""The inputs of a small-area model: direct estimates per area, area-level auxiliaries, and their checks.

The direct table is what ``cr.estimate(...)`` returns (an ``Estimates`` object, or its table as
pyarrow, pandas or polars, or a CSV/Parquet file of it): one row per area with ``estimate``,
``se`` and ``n``. Every row is accounted for: kept as a sampled area, kept as an area without a
sample (no estimate, or ``n`` = 0), or left out because another estimand/variable/level was
selected; anything else is an error naming the row, the area and the column.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corridor.errors import ColumnNotFoundError, InputError
from corridor.i18n import Message
from corridor.quality._frames import require, to_arrow

_SELECT_COLUMNS = ("estimand", "variable", "level", "prob", "grouping")


def read_table(source: Any, *, what: str) -> pa.Table:
    """A pyarrow table from an Estimates object, a frame, or a CSV/Parquet/XLSX file path."""
    if isinstance(source, (str, Path)):
        from corridor.sources.read import read_source

        return read_source(source).relation.to_arrow_table()
    table, _ = to_arrow(source, what=what)
    return table


def area_key(value: Any) -> str | None:
    """The area code as text: 2101, 2101.0 and "2101" are one area."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            return str(int(value))
    return str(value).strip()


def selected_mask(table: pa.Table, select: Mapping[str, Any]) -> np.ndarray:
    """Rows whose columns equal the values of ``select`` (compared as area codes: 1, 1.0 and "1" alike)."""
    mask = np.ones(table.num_rows, dtype=bool)
    for col, wanted in select.items():
        mask &= np.array([area_key(v) == area_key(wanted) for v in table.column(col).to_pylist()])
    return mask


def _floats(table: pa.Table, column: str, where: str) -> np.ndarray:
    col = table.column(column)
    if not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type) or pa.types.is_null(col.type)
            or pa.types.is_decimal(col.type)):
        try:
            col = pc.cast(col, pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise InputError(Message("sae.error.not_numbers", column=repr(column), where=where, type=str(col.type)),
                             hint=Message("sae.error.not_numbers.hint", column=repr(column))) from exc
    return np.array(pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)


@dataclass
class Direct:
    """Direct estimates, one per area, in the order of ``areas``."""

    areas: list[str]
    estimate: np.ndarray  # NaN for an area without a sample
    variance: np.ndarray  # sampling variance (se^2 or the vardir column)
    n: np.ndarray  # unweighted sample size (NaN if the table has none)
    deff: np.ndarray
    estimand: str | None
    label: str  # what is estimated, e.g. "proportion of pobreza = 1"
    ledger: dict[str, int] = field(default_factory=dict)


def direct_table(
    source: Any,
    *,
    area: str | None,
    estimate: str = "estimate",
    se: str | None = "se",
    vardir: str | None = None,
    n: str | None = "n",
    deff: str | None = "deff",
    select: Mapping[str, Any] | None = None,
) -> tuple[Direct, str]:
    """Read and check the direct estimates; returns them and the area column's name."""
    where = Message("sae.where.direct")
    by: tuple[str, ...] = tuple(getattr(source, "by", ()) or ())
    table = read_table(source, what=where)
    if area is None:
        names = table.column_names
        # corridor's estimate tables put the domain columns first, before 'estimand'
        domains = names[: names.index("estimand")] if "estimand" in names else []
        if len(by) == 1:
            area = by[0]
        elif "area" in names:
            area = "area"
        elif len(domains) == 1:
            area = domains[0]
        else:
            raise InputError(Message("sae.error.which_area"),
                             hint=Message("sae.error.which_area.hint", columns=", ".join(names[:30])))
    require(table, [area, estimate], where=where)
    total = table.num_rows
    ledger = {"rows": total}
    if select:
        require(table, list(select), where=where)
        mask = selected_mask(table, select)
        ledger["not_selected"] = int((~mask).sum())
        table = table.filter(pa.array(mask))
        if table.num_rows == 0:
            raise InputError(Message("sae.error.select_none", where=where, select=str(dict(select))),
                             hint=Message("sae.error.select_none.hint"))
    # one estimand/variable/level only
    combos: dict[tuple[Any, ...], int] = {}
    present = [c for c in _SELECT_COLUMNS if c in table.column_names]
    if present:
        cols = [table.column(c).to_pylist() for c in present]
        for i in range(table.num_rows):
            combos.setdefault(tuple(c[i] for c in cols), i)
    if len(combos) > 1:
        shown = "; ".join(", ".join(f"{c}={v!r}" for c, v in zip(present, k, strict=True) if v is not None)
                          for k in list(combos)[:6])
        first = next(iter(combos))
        example = {c: v for c, v in zip(present, first, strict=True) if v is not None and c != "grouping"}
        raise InputError(Message("sae.error.several_estimates", where=where, n=len(combos), shown=shown),
                         hint=Message("sae.error.several_estimates.hint", example=repr(example),
                                      options=" ".join(f"--select {k}={v}" for k, v in example.items())))
    estimand = None
    label = estimate
    if "estimand" in table.column_names and table.num_rows:
        estimand = str(table.column("estimand")[0].as_py())
        parts = [table.column(c)[0].as_py() for c in ("variable", "level") if c in table.column_names]
        label = f"{estimand}: " + " = ".join(str(p) for p in parts if p is not None)
    keys = [area_key(v) for v in table.column(area).to_pylist()]
    for i, k in enumerate(keys):
        if k is None:
            raise InputError(Message("sae.error.row_no_area", row=i + 1, where=where, area=repr(area)),
                             hint=Message("sae.error.row_no_area.hint"))
    seen: dict[str, int] = {}
    for i, k in enumerate(keys):
        if k in seen:
            raise InputError(Message("sae.error.area_twice", area=repr(k), where=where, first=seen[k] + 1, second=i + 1),
                             hint=Message("sae.error.area_twice.hint_direct"))
        seen[k] = i
    y = _floats(table, estimate, where)
    if vardir is not None:
        require(table, [vardir], where=where)
        var = _floats(table, vardir, where)
    elif se is not None and se in table.column_names:
        var = _floats(table, se, where) ** 2
    else:
        raise ColumnNotFoundError.from_names([se or "se"], table.column_names, where=where)
    size = _floats(table, n, where) if n and n in table.column_names else np.full(len(keys), np.nan)
    design_effect = (_floats(table, deff, where) if deff and deff in table.column_names
                     else np.full(len(keys), np.nan))
    if "flag" in table.column_names:
        empty = np.array([f == "empty_domain" for f in table.column("flag").to_pylist()])
        y[empty] = np.nan
    no_sample = np.isnan(y) | (size == 0)
    y[no_sample] = np.nan
    ledger["sampled"] = int((~no_sample).sum())
    ledger["without_sample"] = int(no_sample.sum())
    return Direct(areas=keys, estimate=y, variance=var, n=size, deff=design_effect, estimand=estimand,
                  label=label, ledger=ledger), area


@dataclass
class Design:
    """The model matrix of every area (sampled or not), with the names of its columns."""

    areas: list[str]
    X: np.ndarray
    terms: list[str]
    columns: dict[str, np.ndarray]  # raw numeric auxiliary columns kept for reuse (e.g. benchmark weights)


def design_matrix(
    source: pa.Table,
    *,
    area: str,
    covariates: Sequence[str] | None,
    factors: Sequence[str] = (),
    intercept: bool = True,
    extra: Sequence[str] = (),
    where: str | Message | None = None,
) -> Design:
    """Treatment-coded model matrix (first level of each factor dropped, as R's ``model.matrix``)."""
    where = where or Message("sae.where.aux")
    require(source, [area], where=where)
    keys = [area_key(v) for v in source.column(area).to_pylist()]
    for i, k in enumerate(keys):
        if k is None:
            raise InputError(Message("sae.error.row_no_area", row=i + 1, where=where, area=repr(area)),
                             hint=Message("sae.error.row_no_area.hint"))
    seen: dict[str, int] = {}
    for i, k in enumerate(keys):
        if k in seen:
            raise InputError(Message("sae.error.area_twice", area=repr(k), where=where, first=seen[k] + 1, second=i + 1),
                             hint=Message("sae.error.area_twice.hint_aux"))
        seen[k] = i
    if covariates is None:
        covariates = [c for c in source.column_names if c != area and c not in extra and (
            pa.types.is_integer(source.column(c).type) or pa.types.is_floating(source.column(c).type))]
    covariates = list(dict.fromkeys([*covariates, *[f for f in factors if f not in covariates]]))
    require(source, [*covariates, *extra], where=where)
    cols: list[np.ndarray] = []
    terms: list[str] = []
    if intercept:
        cols.append(np.ones(len(keys)))
        terms.append("(Intercept)")
    full_coding = not intercept  # as R: without an intercept the first factor keeps all its levels
    for c in covariates:
        if c in factors:
            values = [area_key(v) for v in source.column(c).to_pylist()]
            _no_missing(values, keys, c, where)
            levels = sorted(set(values), key=_level_order)
            if len(levels) < 2:
                raise InputError(Message("sae.error.factor_one_level", factor=repr(c), where=where, level=repr(levels[0])),
                                 hint=Message("sae.error.factor_one_level.hint", factor=repr(c)))
            for lev in levels if full_coding else levels[1:]:
                cols.append(np.array([v == lev for v in values], dtype=float))
                terms.append(f"{c}{lev}")
            full_coding = False
        else:
            x = _floats(source, c, where)
            _no_missing(list(np.where(np.isnan(x), None, x)), keys, c, where)
            cols.append(x)
            terms.append(c)
    if not cols:
        raise InputError(Message("sae.error.no_term"), hint=Message("sae.error.no_term.hint"))
    X = np.column_stack(cols)
    kept = {c: _floats(source, c, where) for c in extra}
    return Design(areas=keys, X=X, terms=terms, columns=kept)


def _level_order(v: str) -> tuple[int, float | str]:
    try:
        return (0, float(v))
    except ValueError:
        return (1, v)


def _no_missing(values: list[Any], keys: list[str], column: str, where: str) -> None:
    bad = [k for v, k in zip(values, keys, strict=True) if v is None]
    if bad:
        raise InputError(Message("sae.error.aux_missing", count=len(bad), column=repr(column), where=where,
                                 areas=", ".join(repr(b) for b in bad[:10]) + (" ..." if len(bad) > 10 else "")),
                         hint=Message("sae.error.aux_missing.hint"))


def check_rank(X: np.ndarray, terms: list[str], m: int) -> None:
    """A model matrix of full column rank, with fewer terms than sampled areas."""
    p = X.shape[1]
    if m <= p:
        raise InputError(Message("sae.error.too_few_areas", m=m, p=p, terms=", ".join(terms)),
                         hint=Message("sae.error.too_few_areas.hint"))
    rank = np.linalg.matrix_rank(X)
    if rank < p:
        # name the last term that is a combination of the others (the one most likely added last)
        for j in reversed(range(p)):
            if np.linalg.matrix_rank(np.delete(X, j, axis=1)) == rank:
                raise InputError(Message("sae.error.collinear", term=repr(terms[j])),
                                 hint=Message("sae.error.collinear.hint", term=repr(terms[j])))
