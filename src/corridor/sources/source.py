"""The :class:`Source` type: a DuckDB relation plus the metadata a reader keeps."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from corridor.engine.duckdb import shared_connection
from corridor.sources.ledger import RowLedger

_NAMES = itertools.count(1)


def default_connection() -> duckdb.DuckDBPyConnection:
    """The process-wide in-memory DuckDB connection used when none is given: the engine's shared
    one, so its memory limit (512MB unless an engine is given) covers reading too."""
    return shared_connection()


def unique_name(prefix: str) -> str:
    """A fresh identifier for a view or table on a connection."""
    return f"corridor_{prefix}_{next(_NAMES)}"


def quote_ident(name: str) -> str:
    """Quote a column or table name for DuckDB SQL."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: Any) -> str:
    """A SQL literal for a Python scalar (str, int, float, bool, None)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


@dataclass
class Source:
    """Data read into (or scanned by) DuckDB, with labels, design and a row ledger.

    ``relation`` is a lazy :class:`duckdb.DuckDBPyRelation` on ``connection``;
    nothing is loaded into pandas. ``value_labels`` maps a column to
    ``{code: label}``. ``design`` is filled by :func:`corridor.harmonize.harmonize`
    (weights, strata, ids, fpc, nest, lonely_psu, replicate information).
    """

    relation: duckdb.DuckDBPyRelation
    path: Path | None
    format: str
    connection: duckdb.DuckDBPyConnection
    variable_labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict[Any, str]] = field(default_factory=dict)
    ledger: RowLedger = field(default_factory=RowLedger)
    design: dict[str, Any] = field(default_factory=dict)
    spec: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return list(self.relation.columns)

    @property
    def types(self) -> dict[str, str]:
        return {c: str(t) for c, t in zip(self.relation.columns, self.relation.types)}

    @property
    def where(self) -> str:
        """How to name this source in a message (its file, or its format)."""
        return str(self.path) if self.path is not None else f"<{self.format} data>"

    def count(self) -> int:
        """Number of rows (a scan of the relation)."""
        return int(self.relation.aggregate("count(*)").fetchall()[0][0])

    def view(self) -> str:
        """Register the relation as a view and return its name (for SQL built on it)."""
        name = unique_name("v")
        self.relation.create_view(name, replace=True)
        return name
