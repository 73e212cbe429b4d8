"""Readers: files of every format users hold, as DuckDB relations with a row ledger.

>>> from corridor.sources import read_source
>>> src = read_source("casen_2020.csv.gz")          # doctest: +SKIP
>>> src.relation.aggregate("count(*)").fetchone()   # doctest: +SKIP
"""

from __future__ import annotations

from corridor.sources.ledger import LedgerLine, RowLedger, UnknownCode
from corridor.sources.read import FORMATS, detect_format, explain_scan_error, read_source
from corridor.sources.source import Source, default_connection

__all__ = [
    "FORMATS",
    "LedgerLine",
    "RowLedger",
    "Source",
    "UnknownCode",
    "default_connection",
    "detect_format",
    "explain_scan_error",
    "read_source",
]
