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
            raise InputError(f"column {column!r} of {where} must hold numbers, found {col.type}",
                             hint=f"convert {column!r} to numbers (decimal point, no thousands separators)") from exc
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
    where = "the direct estimates"
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
            raise InputError(
                "which column of the direct estimates names the areas?",
                hint="pass area='comuna' (--area comuna on the command line): the domain column of "
                "cr.estimate(..., by='comuna'); the columns are: " + ", ".join(names[:30]),
            )
    require(table, [area, estimate], where=where)
    total = table.num_rows
    ledger = {"rows": total}
    if select:
        require(table, list(select), where=where)
        mask = selected_mask(table, select)
        ledger["not_selected"] = int((~mask).sum())
        table = table.filter(pa.array(mask))
        if table.num_rows == 0:
            raise InputError(f"no row of {where} matches {dict(select)}",
                             hint="check the values with cr.estimate(...).to_pandas()")
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
        raise InputError(
            f"{where} hold {len(combos)} different estimates per area ({shown}); a model needs one",
            hint=f"choose one with select={example!r} (on the command line: "
            + " ".join(f"--select {k}={v}" for k, v in example.items()) + ")",
        )
    estimand = None
    label = estimate
    if "estimand" in table.column_names and table.num_rows:
        estimand = str(table.column("estimand")[0].as_py())
        parts = [table.column(c)[0].as_py() for c in ("variable", "level") if c in table.column_names]
        label = f"{estimand}: " + " = ".join(str(p) for p in parts if p is not None)
    keys = [area_key(v) for v in table.column(area).to_pylist()]
    for i, k in enumerate(keys):
        if k is None:
            raise InputError(f"row {i + 1} of {where} has no area in column {area!r}",
                             hint="every row must name its area")
    seen: dict[str, int] = {}
    for i, k in enumerate(keys):
        if k in seen:
            raise InputError(f"area {k!r} appears twice in {where} (rows {seen[k] + 1} and {i + 1})",
                             hint="give one direct estimate per area (select one estimand/variable/level, "
                             "or one value of the other domain columns)")
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
    where: str = "the auxiliary table",
) -> Design:
    """Treatment-coded model matrix (first level of each factor dropped, as R's ``model.matrix``)."""
    require(source, [area], where=where)
    keys = [area_key(v) for v in source.column(area).to_pylist()]
    for i, k in enumerate(keys):
        if k is None:
            raise InputError(f"row {i + 1} of {where} has no area in column {area!r}", hint="every row must name its area")
    seen: dict[str, int] = {}
    for i, k in enumerate(keys):
        if k in seen:
            raise InputError(f"area {k!r} appears twice in {where} (rows {seen[k] + 1} and {i + 1})",
                             hint="give one row of auxiliary variables per area")
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
                raise InputError(f"factor {c!r} of {where} has a single level {levels[0]!r}",
                                 hint=f"drop {c!r} from the factors: it is constant")
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
        raise InputError("the model has no term", hint="keep the intercept or name covariates")
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
        raise InputError(
            f"column {column!r} of {where} is missing for area{'s' if len(bad) > 1 else ''} "
            + ", ".join(repr(b) for b in bad[:10]) + (" ..." if len(bad) > 10 else ""),
            hint="fill the auxiliary value, or drop the area from both tables",
        )


def check_rank(X: np.ndarray, terms: list[str], m: int) -> None:
    """A model matrix of full column rank, with fewer terms than sampled areas."""
    p = X.shape[1]
    if m <= p:
        raise InputError(f"{m} sampled areas cannot fit a model with {p} terms ({', '.join(terms)})",
                         hint="use fewer auxiliary variables than areas with a direct estimate")
    rank = np.linalg.matrix_rank(X)
    if rank < p:
        # name the last term that is a combination of the others (the one most likely added last)
        for j in reversed(range(p)):
            if np.linalg.matrix_rank(np.delete(X, j, axis=1)) == rank:
                raise InputError(
                    f"the auxiliary variable {terms[j]!r} is a linear combination of the other terms "
                    "over the sampled areas",
                    hint=f"drop {terms[j]!r} (or a variable it duplicates)",
                )
