"""Disclosure control of published estimate tables: primary and secondary cell suppression.

Primary suppression removes cells estimated from too few sample cases (and,
optionally, cells with too small an estimated population or too poor a
quality label). Secondary suppression then protects them from being derived
by subtraction from a published margin: in every margin group (the cells that
add up to one published total) that holds exactly one suppressed cell, the
smallest remaining cell is suppressed too, until no group holds exactly one
(the classic greedy rule of secondary cell suppression for frequency tables;
see Hundepool et al., *Statistical Disclosure Control*, Wiley 2012, on
tabular data).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corridor.errors import InputError
from corridor.quality._frames import floats, group_ids, is_in, require, set_column, to_arrow

PRIMARY_MIN_N = "primary_min_n"
PRIMARY_MIN_SUM_W = "primary_min_sum_w"
PRIMARY_QUALITY = "primary_quality"
SECONDARY = "secondary"

VALUE_COLUMNS = (
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "cv",
    "deff",
    "n",
    "sum_w",
    "ess",
    "log_cv",
    "unweighted",
)
_TABLE_KEYS = ("estimand", "variable")
_CELL_EXTRAS = ("prob",)
_COMPARISONS = ("difference:", "ratio:")


def suppress(
    table: Any,
    *,
    min_n: int = 30,
    by: Sequence[str] | None = None,
    totals: Sequence[str] | bool | None = None,
    min_sum_w: float | None = None,
    suppress_quality: Sequence[str] = (),
    compared: str | None = None,
    null_values: bool = True,
    value_columns: Sequence[str] = VALUE_COLUMNS,
) -> Any:
    """Suppress small cells and the cells that would reveal them.

    Primary: a cell whose unweighted ``n`` is below ``min_n`` (default 30,
    ECLAC 2023's minimum count) is suppressed with reason ``primary_min_n``;
    with ``min_sum_w``, a cell whose ``sum_w`` is below it gets
    ``primary_min_sum_w``; a cell whose ``quality`` is in ``suppress_quality``
    (e.g. ``("non_reliable",)``) gets ``primary_quality``.

    Secondary: ``by`` are the table's classification columns (default: the
    columns before ``estimand``); ``totals`` the ones along which totals or
    margins are published (default: all of ``by``, plus ``level``, which
    always identifies the cell too).
    Each (estimand, variable) is its own table. For every dimension in
    ``totals``, the cells sharing all other classification values form a margin
    group; while some group of two or more cells holds exactly one suppressed
    cell, its unsuppressed cell with the smallest ``n`` (then smallest
    |estimate|, then first row) is suppressed with reason ``secondary``.
    ``totals=False`` turns secondary suppression off. Rows of different
    ``prob`` (quantiles) are different cells.

    Comparisons: with ``compared`` (the domain column given to
    ``Estimates.compare``, e.g. ``"migrant"``), a comparison row
    (estimand ``difference:...`` or ``ratio:...``, with columns
    ``<compared>_a`` and ``<compared>_b``) stacked in the same table is
    suppressed (``secondary``) when one of the two cells it compares is,
    since the gap and the other cell would give it back.

    Adds ``suppressed`` (bool) and ``suppression_reason``; with
    ``null_values`` the ``value_columns`` of suppressed cells are set to null
    (the reason stays). Unsuppressed rows are returned unchanged, in order.
    """
    arrow, back = to_arrow(table)
    require(arrow, ["n"])
    if min_n < 0:
        raise InputError(f"min_n must be >= 0, got {min_n}", hint="e.g. min_n=30")
    keys = _classification(arrow, by)
    dims = _dimensions(arrow, keys, totals)

    n = floats(arrow, "n")
    reason = np.full(arrow.num_rows, -1, dtype=np.int8)
    reasons = [PRIMARY_MIN_N, PRIMARY_MIN_SUM_W, PRIMARY_QUALITY, SECONDARY]
    reason[n < min_n] = 0
    if min_sum_w is not None:
        require(arrow, ["sum_w"])
        reason[(reason < 0) & (floats(arrow, "sum_w") < min_sum_w)] = 1
    if suppress_quality:
        require(arrow, ["quality"])
        reason[(reason < 0) & is_in(arrow, "quality", list(suppress_quality))] = 2

    groupings: list[np.ndarray] = []
    if dims:
        tables = [c for c in _TABLE_KEYS if c in arrow.column_names]
        tables += [c for c in _CELL_EXTRAS if c in arrow.column_names and c not in keys]
        cache: dict[str, tuple[np.ndarray, int]] = {}
        groupings = [group_ids(arrow, tables + [k for k in keys if k != d], cache, dense=False) for d in dims]
    links = _links(arrow, compared, keys) if compared else []
    estimate = np.abs(floats(arrow, "estimate"))
    while True:
        if groupings:
            _secondary(reason, groupings, n, estimate)
        if not _follow(reason, links):
            break

    suppressed = reason >= 0
    out = arrow
    if null_values and suppressed.any():
        mask = pa.array(suppressed)
        for name in value_columns:
            if name in out.column_names:
                col = out.column(name)
                out = set_column(out, name, pc.if_else(mask, pa.scalar(None, col.type), col))
    codes = pc.take(pa.array(reasons + [None], pa.string()), pa.array(np.where(suppressed, reason, 4)))
    out = set_column(out, "suppressed", pa.array(suppressed))
    out = set_column(out, "suppression_reason", codes)
    return back(out)


def margin_groups(
    table: Any, *, by: Sequence[str] | None = None, totals: Sequence[str] | bool | None = None
) -> list[np.ndarray]:
    """The margin-group id of every row, one array per dimension in ``totals`` (as :func:`suppress`)."""
    arrow, _ = to_arrow(table)
    keys = _classification(arrow, by)
    tables = [c for c in _TABLE_KEYS if c in arrow.column_names]
    return [group_ids(arrow, tables + [k for k in keys if k != d]) for d in _dimensions(arrow, keys, totals)]


def _classification(arrow: pa.Table, by: Sequence[str] | None) -> list[str]:
    """The columns identifying a cell within its table: ``by`` (or those before ``estimand``) and ``level``."""
    if by is not None:
        keys = list(by)
        require(arrow, keys)
    elif "estimand" not in arrow.column_names:
        raise InputError(
            "cannot tell the classification columns: the table has no 'estimand' column",
            hint="pass by=[...] with the columns that classify the cells (e.g. by=['region', 'sex'])",
        )
    else:
        keys = arrow.column_names[: arrow.column_names.index("estimand")]
    if "level" in arrow.column_names and "level" not in keys:
        keys.append("level")
    return keys


def _dimensions(arrow: pa.Table, keys: list[str], totals: Sequence[str] | bool | None) -> list[str]:
    if totals is False:
        return []
    if totals is None or totals is True:
        return list(keys)
    dims = list(totals)
    require(arrow, dims)
    unknown = [d for d in dims if d not in keys]
    if unknown:
        raise InputError(
            f"totals {', '.join(map(repr, unknown))} are not classification columns of the table",
            hint=f"the classification columns are: {', '.join(keys)}",
        )
    return dims


def _links(arrow: pa.Table, compared: str, keys: list[str]) -> list[tuple[int, list[int]]]:
    """Each comparison row with the rows of the two cells it compares."""
    side_a, side_b = f"{compared}_a", f"{compared}_b"
    missing = [c for c in ("estimand", side_a, side_b) if c not in arrow.column_names]
    if missing:
        raise InputError(
            f"compared={compared!r}, but the table has no column {', '.join(map(repr, missing))}",
            hint=f"stack the output of Estimates.compare({compared!r}, a, b) under the estimates it compares",
        )
    same = [c for c in keys if c not in (compared, "level")]
    same += [c for c in ("variable", "level", "prob") if c in arrow.column_names]
    rows = arrow.select(list(dict.fromkeys([*same, "estimand", compared, side_a, side_b]))).to_pylist()
    cells: dict[tuple, int] = {}
    for i, r in enumerate(rows):
        if r[compared] is not None and not str(r["estimand"]).startswith(_COMPARISONS):
            cells[(tuple(r[c] for c in same), r["estimand"], str(r[compared]))] = i
    links = []
    for i, r in enumerate(rows):
        estimand = str(r["estimand"])
        if not estimand.startswith(_COMPARISONS) or r[side_a] is None:
            continue
        base = estimand.split(":", 1)[1]
        key = tuple(r[c] for c in same)
        found = [cells.get((key, base, str(r[side]))) for side in (side_a, side_b)]
        links.append((i, [j for j in found if j is not None]))
    return links


def _follow(reason: np.ndarray, links: list[tuple[int, list[int]]]) -> bool:
    """Suppress, in place, comparisons of a suppressed cell; whether any was."""
    changed = False
    for i, parts in links:
        if reason[i] < 0 and any(reason[j] >= 0 for j in parts):
            reason[i] = 3
            changed = True
    return changed


def _secondary(reason: np.ndarray, groupings: list[np.ndarray], n: np.ndarray, estimate: np.ndarray) -> None:
    """Suppress, in place, until no margin group of >= 2 cells has exactly one suppressed cell."""
    order_n = np.where(np.isnan(n), np.inf, n)
    order_est = np.where(np.isnan(estimate), np.inf, estimate)
    rows = np.arange(len(reason))
    sizes = [np.bincount(g) for g in groupings]
    changed = True
    while changed:
        changed = False
        for gid, size in zip(groupings, sizes):
            hidden = np.bincount(gid, weights=reason >= 0, minlength=len(size))
            exposed = (hidden == 1) & (size >= 2)
            if not exposed.any():
                continue
            candidates = rows[exposed[gid] & (reason < 0)]
            ordering = np.lexsort((candidates, order_est[candidates], order_n[candidates], gid[candidates]))
            ranked = candidates[ordering]
            first = np.ones(len(ranked), dtype=bool)
            first[1:] = gid[ranked][1:] != gid[ranked][:-1]
            reason[ranked[first]] = 3
            changed = True
