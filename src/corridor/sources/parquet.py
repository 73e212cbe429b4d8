"""Parquet reader: DuckDB scans the file in place (row count and names from the footer, no pass over the data)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from corridor.errors import CorridorError, SourceError
from corridor.i18n import Message
from corridor.sources._files import KIND_NAMES, existing_file, sniff_kind
from corridor.sources.columns import Rename, apply_rename, check_unique
from corridor.sources.ledger import RowLedger
from corridor.sources.source import Source, default_connection, quote_ident, quote_literal


def read_parquet(
    path: str | Path, *, con: duckdb.DuckDBPyConnection | None = None, rename: Rename | None = None, **_: Any
) -> Source:
    """Read a Parquet file as a lazy DuckDB relation (no data are copied)."""
    con = con or default_connection()
    p = existing_file(path)
    lit = quote_literal(str(p))
    try:
        n = int(con.sql(f"SELECT sum(num_rows) FROM parquet_file_metadata({lit})").fetchall()[0][0] or 0)
        schema = con.sql(f"SELECT name, coalesce(num_children, 0) FROM parquet_schema({lit})").fetchall()
        rel = con.sql(f"SELECT * FROM read_parquet({lit})")
    except duckdb.Error as exc:
        raise explain_error(p, exc) from exc
    top = _top_level(schema)
    if len(top) == len(rel.columns):
        named = apply_rename(top, rename, Message("sources.where_file", path=str(p)))
        check_unique(named, Message("sources.where_file", path=str(p)))
        if named != list(rel.columns):
            select = ", ".join(f"{quote_ident(a)} AS {quote_ident(b)}" for a, b in zip(rel.columns, named, strict=True))
            rel = con.sql(f"SELECT {select} FROM read_parquet({lit})")
    return Source(relation=rel, path=p, format="parquet", connection=con, ledger=RowLedger(source=str(p), read=n),
                  options={"rename": dict(rename or {})})


def explain_error(path: Path, exc: BaseException) -> CorridorError:
    """What a Parquet read or scan error means for the user, with DuckDB's own text as the detail."""
    msg = str(exc)
    kind = sniff_kind(path)
    if "magic bytes" in msg or kind != "parquet":
        if kind == "parquet":
            what = Message("sources.parquet_cut_short")
        else:
            what = Message("sources.parquet_is_other", kind=KIND_NAMES[kind])
        return SourceError(Message("sources.file_cannot_read_parquet", path=str(path), what=what),
                           hint=Message("sources.file_cannot_read_parquet.hint"),
                           detail=msg)
    first = msg.strip().splitlines()[0] if msg.strip() else type(exc).__name__
    return SourceError(Message("sources.file_damaged_parquet_file", path=str(path), first=first),
                       hint=Message("sources.file_damaged_parquet_file.hint"), detail=msg)


def _top_level(schema: list[tuple[str, int]]) -> list[str]:
    """Top-level column names from ``parquet_schema`` rows (a depth-first listing under a root)."""
    names: list[str] = []
    i = 1
    while i < len(schema):
        names.append(schema[i][0])
        skip = int(schema[i][1])
        i += 1
        while skip:  # the children of a nested column, and theirs
            skip += int(schema[i][1]) - 1
            i += 1
    return names
