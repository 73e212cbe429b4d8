"""Parquet reader: DuckDB scans the file in place (row count from the footer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from corridor.errors import SourceError
from corridor.sources._files import existing_file
from corridor.sources.ledger import RowLedger
from corridor.sources.source import Source, default_connection, quote_literal


def read_parquet(path: str | Path, *, con: duckdb.DuckDBPyConnection | None = None, **_: Any) -> Source:
    """Read a Parquet file as a lazy DuckDB relation (no data are copied)."""
    con = con or default_connection()
    p = existing_file(path)
    try:
        rel = con.sql(f"SELECT * FROM read_parquet({quote_literal(str(p))})")
        n = int(
            con.sql(f"SELECT sum(num_rows) FROM parquet_file_metadata({quote_literal(str(p))})").fetchall()[0][0] or 0
        )
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise SourceError(
            f"cannot read {str(p)!r} as Parquet: {first}",
            hint="the file may be truncated or not a Parquet file; check its extension and size",
        ) from exc
    return Source(relation=rel, path=p, format="parquet", connection=con, ledger=RowLedger(source=str(p), read=n))
