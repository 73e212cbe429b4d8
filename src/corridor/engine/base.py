"""The engine contract and the choice of an engine by name."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

import narwhals as nw
import numpy as np
import pyarrow as pa

from corridor.engine.columns import split_matrices
from corridor.errors import UnsupportedError
from corridor.i18n import Message


@runtime_checkable
class Engine(Protocol):
    """What the statistics need from a data engine.

    ``open`` turns a path or a frame into a lazy Narwhals frame whose
    expressions the engine evaluates (``statistics``: the data answer counts
    and minima without a pass, as a Parquet file does); ``aggregate`` runs one grouped scan and
    returns its (small) result as Arrow; ``collect`` materialises a (small)
    lazy frame, ``collect_rows`` a large one (row reads). ``scans`` counts the scans run, for benchmarks and tests.
    """

    name: str

    @property
    def scans(self) -> int:
        """Scans run so far (an engine keeps it as a plain counter)."""
        ...

    def open(self, data: Any, *, statistics: bool = False) -> nw.LazyFrame[Any]: ...

    def aggregate(self, frame: nw.LazyFrame[Any], keys: Sequence[str], aggs: Sequence[nw.Expr]) -> pa.Table: ...

    def profile(self, frame: nw.LazyFrame[Any], columns: Sequence[str], minima: Sequence[str]) -> dict[str, float] | None:
        """Row count (``"rows"``), non-null counts (``"count:col"``) and minima (``"min:col"``), or None.

        Only where the engine answers without a pass over the data (Parquet statistics,
        in-memory columns); None tells the estimator to check inside its grouped scan.
        """
        ...

    def collect(self, frame: nw.LazyFrame[Any]) -> pa.Table: ...

    def collect_rows(self, frame: nw.LazyFrame[Any], dictionary: Sequence[str] = ()) -> pa.Table:
        """Materialise a lazy frame of many rows (a quantile's rows), as ``collect`` does (same rows,
        order and types), without the engine holding them all anywhere but in the result.

        ``dictionary``: text columns the caller only matches against values (``pyarrow.compute.index_in``);
        an engine may return them dictionary-encoded."""
        ...

    def iter_batches(self, frame: nw.LazyFrame[Any], batch_size: int = 1_000_000) -> Iterator[pa.RecordBatch]: ...


def aggregate_matrices(engine: Engine, frame: nw.LazyFrame[Any], keys: Sequence[str], aggs: Sequence[nw.Expr],
                       matrices: Sequence[Sequence[str]], keep: Sequence[str] = ()) -> tuple[pa.Table, list[np.ndarray]]:
    """``engine.aggregate`` with the columns of each of ``matrices`` as one float64 matrix (nulls as 0,
    :func:`~corridor.engine.columns.float_matrix`), taken out of the table but for those in ``keep``.

    An engine with a method of this name copies them straight out of its own result (DuckDB: one
    copy instead of two); for any other, they are read from the table ``aggregate`` returns.
    """
    own = getattr(engine, "aggregate_matrices", None)
    if own is not None:
        result: tuple[pa.Table, list[np.ndarray]] = own(frame, keys, aggs, matrices, keep)
        return result
    return split_matrices(engine.aggregate(frame, keys, aggs), matrices, keep)


def get_engine(engine: str | Engine | None = None, **options: Any) -> Engine:
    """Return an engine: an instance as is, or a new one by name (``duckdb``, ``spark``)."""
    if engine is None or engine == "duckdb":
        from corridor.engine.duckdb import DuckDBEngine

        return DuckDBEngine(**options)
    if engine == "spark":
        try:
            from corridor.engine.spark import SparkEngine
        except ImportError as exc:  # the module itself imports pyspark lazily
            raise UnsupportedError(Message("engine.spark_unavailable", error=str(exc)),
                                   hint=Message("engine.spark_unavailable.hint")) from exc
        return SparkEngine(**options)
    if isinstance(engine, str):
        raise UnsupportedError(Message("engine.unknown", engine=engine), hint=Message("engine.unknown.hint"))
    return engine
