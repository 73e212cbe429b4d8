"""Column names and values as readers find them: duplicates, renames, values that are not numbers."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import duckdb

from corridor.errors import InputError
from corridor.sources.source import quote_ident, quote_literal

Rename = Mapping[Any, str]


def excel_column(i: int) -> str:
    """Spreadsheet letters of a 0-based column position (0 -> A, 27 -> AB)."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def apply_rename(names: Sequence[str], rename: Rename | None, where: str) -> list[str]:
    """Rename columns by 1-based position (``{7: "expr_2021"}``) or by a unique name (``{"exp": "expr"}``)."""
    out = list(names)
    for key, new in (rename or {}).items():
        pos = int(key) if isinstance(key, int) or (isinstance(key, str) and key.isdigit()) else None
        if pos is not None:
            if not 1 <= pos <= len(out):
                raise InputError(f"cannot rename column {pos} of {where}: it has {len(out)} columns",
                                 hint="positions count from 1, left to right")
            out[pos - 1] = str(new)
            continue
        hits = [i for i, n in enumerate(names) if n == key]
        if len(hits) != 1:
            raise InputError(
                f"cannot rename column {key!r} of {where}: "
                + ("there is no such column" if not hits else f"{len(hits)} columns have that name"),
                hint="rename by position instead, e.g. --rename 7=expr_2021 (columns count from 1)",
            )
        out[hits[0]] = str(new)
    return out


def check_unique(names: Sequence[str], where: str, position: Callable[[int], str] = lambda i: str(i + 1)) -> None:
    """Raise naming both positions when two columns share a name (a reader would rename or drop one)."""
    seen: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        seen.setdefault(str(n), []).append(i)
    dups = {n: ps for n, ps in seen.items() if len(ps) > 1}
    if not dups:
        return
    name, pos = next(iter(dups.items()))
    shown = " and ".join(position(p) for p in pos)
    more = f"; also {', '.join(repr(n) for n in list(dups)[1:4])}" if len(dups) > 1 else ""
    raise InputError(
        f"{where} has {len(pos)} columns named {name!r} (columns {shown}){more}; "
        "corridor will not guess which one you mean",
        hint=f"rename one of them, e.g. --rename {pos[-1] + 1}={name}_{len(pos)} (by position, counting from 1; "
        "in a spec: source.options.rename), or fix the header in the file",
    )


def non_numeric(
    relation: duckdb.DuckDBPyRelation, column: str, na_values: Sequence[str] = (), limit: int = 5,
) -> tuple[int, list[tuple[Any, int, int | None]]]:
    """Values of a text column that are not numbers: (rows with such values, [(value, count, first row)]).

    Rows are numbered from 1 in the relation's order (the file's order for a file read in place).
    Values listed in ``na_values`` and empty strings count as missing, not as bad values.
    """
    q = quote_ident(column)
    skip = ", ".join(quote_literal(str(v)) for v in [*na_values, ""])
    sql = (
        f"SELECT v, count(*) AS n, min(rn) AS first FROM ("
        f"SELECT CAST({q} AS VARCHAR) AS v, row_number() OVER () AS rn FROM corridor_values) "
        f"WHERE v IS NOT NULL AND trim(v) NOT IN ({skip}) AND TRY_CAST(trim(v) AS DOUBLE) IS NULL "
        f"GROUP BY v ORDER BY first"
    )
    rows = relation.query("corridor_values", sql).fetchall()
    total = sum(int(r[1]) for r in rows)
    return total, [(r[0], int(r[1]), int(r[2])) for r in rows[:limit]]


def not_numbers_error(
    where: str, column: str, total: int, examples: Sequence[tuple[Any, int, int | None]], *,
    line_offset: int | None = None, role: str = "numeric", why: str = "", detail: str | None = None,
) -> InputError:
    """The error for a column that should hold numbers: its bad values, their counts and first lines or rows.

    ``line_offset`` turns a row number into a file line (1 for a CSV with a header); None names rows.
    """
    def at(first: int | None) -> str:
        if first is None:
            return ""
        return f", first at line {first + line_offset:,}" if line_offset is not None else f", first at row {first:,}"

    shown = ", ".join(f"{v!r} ({n:,} row{'s' if n != 1 else ''}{at(first)})" for v, n, first in examples)
    more = f" and {total - sum(n for _, n, _ in examples):,} more rows" if total > sum(n for _, n, _ in examples) else ""
    values = " ".join(f"--na-values {shlex.quote(str(v))}" for v in dict.fromkeys(str(v) for v, _, _ in examples))
    return InputError(
        f"the {role} column {column!r} in {where} holds values that are not numbers: {shown}{more}{why}",
        hint=f"if they mean 'no answer', declare them missing: {values} (Python: na_values=[...]; "
        f"a spec: columns.<concept>.missing)"
        + (f"; to count categories instead, use a proportion (-e proportion:{column})" if role == "numeric" else ""),
        detail=detail,
    )
