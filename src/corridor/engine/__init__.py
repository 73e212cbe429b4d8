"""The data engines: where the rows live and the grouped scans run.

This layer knows DuckDB and Spark and no statistics. The estimation layer
builds engine-neutral expressions with Narwhals, hands them to an engine, and
gets small Arrow tables back.
"""

from __future__ import annotations

from corridor.engine.base import Engine, get_engine

__all__ = ["Engine", "get_engine"]
