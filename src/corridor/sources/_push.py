"""Push chunks of a data frame into a DuckDB table (used by readers that parse in Python)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import duckdb

from corridor.i18n import Message
from corridor.sources.columns import check_unique
from corridor.sources.source import quote_ident, unique_name


def push_frames(
    con: duckdb.DuckDBPyConnection, frames: Iterable[Any], prefix: str, where: Any = None
) -> tuple[str, int]:
    """Append each frame (pandas or Arrow) to a new DuckDB table; return its name and row count.

    Column names must be unique (DuckDB would rename the second ``x`` to ``x_1``).
    """
    table = unique_name(prefix)
    n = 0
    created = False
    for frame in frames:
        if not created:
            names = frame.column_names if hasattr(frame, "column_names") else [str(c) for c in frame.columns]
            check_unique(names, where if where is not None else Message("error.the_data"))
        tmp = unique_name("chunk")
        con.register(tmp, frame)
        try:
            if not created:
                con.execute(f"CREATE TABLE {quote_ident(table)} AS SELECT * FROM {quote_ident(tmp)}")
                created = True
            else:
                con.execute(f"INSERT INTO {quote_ident(table)} SELECT * FROM {quote_ident(tmp)}")
        finally:
            con.unregister(tmp)
        n += len(frame)
    if not created:
        return "", 0
    return table, n
