"""Column names and values as readers find them: duplicates, renames, values that are not numbers."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import duckdb

from corridor.errors import InputError
from corridor.i18n import Message, join
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
                raise InputError(Message("sources.cannot_rename_column_columns", pos=pos, where=where, n_out=len(out)),
                                 hint=Message("sources.cannot_rename_column_columns.hint"))
            out[pos - 1] = str(new)
            continue
        hits = [i for i, n in enumerate(names) if n == key]
        if len(hits) != 1:
            raise InputError(
                Message("sources.cannot_rename_column_missing", key=key, where=where) if not hits else
                Message("sources.cannot_rename_column_ambiguous", key=key, where=where, n_hits=len(hits)),
                hint=Message("sources.rename_position_instead_rename.hint"),
            )
        out[hits[0]] = str(new)
    return out


def _fold(name: str) -> str:
    """A column name as DuckDB compares identifiers: ASCII letters without case (``Y`` is ``y``, ``É`` is not ``é``)."""
    return name.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def check_unique(names: Sequence[str], where: str, position: Callable[[int], str] = lambda i: str(i + 1)) -> None:
    """Raise naming both positions when two columns share a name (a reader would rename or drop one).

    Names that differ only in the case of ASCII letters (``y`` and ``Y``) are one name to DuckDB,
    which would call the second ``Y_1``: they are duplicates too.
    """
    seen: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        seen.setdefault(_fold(str(n)), []).append(i)
    dups = {names[ps[0]]: ps for ps in seen.values() if len(ps) > 1}
    if not dups:
        return
    name, pos = next(iter(dups.items()))
    shown = join([position(p) for p in pos])
    more = Message("sources.columns_named_also", names=", ".join(repr(n) for n in list(dups)[1:4])) if len(dups) > 1 else ""
    spellings = list(dict.fromkeys(str(names[p]) for p in pos))
    what = (Message("sources.columns_named_columns_corridor", where=where, n_pos=len(pos), name=name, shown=shown, more=more)
            if len(spellings) == 1 else
            Message("sources.columns_named_case", where=where, n_pos=len(pos), names=join([repr(s) for s in spellings]),
                    shown=shown, more=more))
    raise InputError(
        what, hint=Message("sources.columns_named_columns_corridor.hint", value=pos[-1] + 1, name=name, n_pos=len(pos)),
    )


def restore_duplicates(names: Sequence[str], renamed: Callable[[str], str | None]) -> list[str]:
    """The names a file holds, where its reader renamed a repeated name (``renamed`` gives the original or None)."""
    out: list[str] = []
    for n in names:
        base = renamed(n)
        out.append(base if base is not None and base in out else n)
    return out


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


def nonfinite_values(
    relation: duckdb.DuckDBPyRelation, column: str, limit: int = 5
) -> tuple[int, list[tuple[Any, int, int]]]:
    """NaN and infinite values of a numeric column: (rows in all, [(value, rows, first row number)])."""
    q = quote_ident(column)
    sql = (
        f"SELECT CAST(v AS VARCHAR), count(*) AS n, min(rn) AS first FROM ("
        f"SELECT TRY_CAST({q} AS DOUBLE) AS v, row_number() OVER () AS rn FROM corridor_values) "
        f"WHERE v IS NOT NULL AND NOT isfinite(v) GROUP BY 1 ORDER BY first"
    )
    try:
        rows = relation.query("corridor_values", sql).fetchall()
    except duckdb.Error:
        return 0, []
    return sum(int(r[1]) for r in rows), [(r[0], int(r[1]), int(r[2])) for r in rows[:limit]]


def bad_weight_rows(
    relation: duckdb.DuckDBPyRelation, column: str, what: str, na_values: Sequence[str] = (), limit: int = 5,
) -> list[int]:
    """Numbers (from 1, in the relation's order) of the first rows whose weight is ``missing`` or ``negative``.

    A weight written as text counts as missing when empty or listed in ``na_values``. Empty when the
    relation cannot be asked (the caller then names no rows).
    """
    q = quote_ident(column)
    text = f"trim(CAST({q} AS VARCHAR))"
    if what == "missing":
        skip = ", ".join(quote_literal(str(v)) for v in [*na_values, ""])
        cond = f"{q} IS NULL OR {text} IN ({skip})"
    else:
        cond = f"TRY_CAST({text} AS DOUBLE) < 0"
    sql = (f"SELECT rn FROM (SELECT {q}, row_number() OVER () AS rn FROM corridor_weights) "
           f"WHERE {cond} ORDER BY rn LIMIT {int(limit)}")
    try:
        return [int(r[0]) for r in relation.query("corridor_weights", sql).fetchall()]
    except duckdb.Error:
        return []


_DECIMAL_COMMA = re.compile(r"^[-+]?\d{1,3}(?:\.\d{3})*,\d+$|^[-+]?\d+,\d+$")


def not_numbers_error(
    where: str, column: str, total: int, examples: Sequence[tuple[Any, int, int | None]], *,
    line_offset: int | None = None, role: str = "numeric", why: Any = "", detail: str | None = None,
    hint: Message | None = None,
) -> InputError:
    """The error for a column that should hold numbers: its bad values, their counts and first lines or rows.

    ``line_offset`` turns a row number into a file line (1 for a CSV with a header); None names rows.
    """
    def at(n: int, first: int | None) -> Message:
        if first is None:
            return Message("sources.value_rows", count=n, n=n)
        if line_offset is not None:
            return Message("sources.value_rows_first_line", count=n, n=n, line=first + line_offset)
        return Message("sources.value_rows_first_row", count=n, n=n, row=first)

    shown = ", ".join(f"{v!r} ({at(n, first)})" for v, n, first in examples)
    rest = total - sum(n for _, n, _ in examples)
    more = Message("sources.value_more_rows", count=rest, n=rest) if rest > 0 else ""
    values = " ".join(f"--na-values {shlex.quote(str(v))}" for v in dict.fromkeys(str(v) for v, _, _ in examples))
    if hint is not None:
        pass
    elif examples and all(_DECIMAL_COMMA.match(str(v).strip()) for v, _, _ in examples):
        # '1,403' is a number in a decimal-comma file, not an answer to declare missing
        hint = Message("sources.decimal_comma.hint")
    else:
        hint = Message("sources.column_holds_values_not.hint_numeric" if role == "numeric" else
                       "sources.column_holds_values_not.hint", values=values, column=column)
    return InputError(
        Message("sources.column_holds_values_not", role=Message(f"sources.role.{role.replace(' ', '_')}"), column=column, where=where, shown=shown, more=more, why=why),
        hint=hint,
        detail=detail,
    )
