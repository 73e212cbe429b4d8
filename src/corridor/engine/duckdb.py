"""DuckDB, the embedded default engine."""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import narwhals as nw
import numpy as np
import pyarrow as pa

from corridor.engine.columns import owned_table, split_matrices
from corridor.errors import EngineMemoryError, InputError, SourceError
from corridor.i18n import Message

_CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".txt", ".csv.zst")


DEFAULT_MEMORY_LIMIT = "512MB"
# results with this many groups come from hash tables worth handing back to the system
_TRIM_ROWS = 500_000


def connect(memory_limit: str | None = DEFAULT_MEMORY_LIMIT) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB connection set up as the engine's: working memory capped at
    ``memory_limit`` (beyond it grouped scans spill to a temporary directory), no progress bar.

    Every connection corridor opens comes from here (tests/test_architecture.py holds the other
    modules to it): a bare ``duckdb.connect()`` would take DuckDB's default, 80% of the machine.
    """
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    if memory_limit:
        try:
            con.execute(f"SET memory_limit = '{memory_limit}'")
        except duckdb.Error as exc:
            con.close()
            raise InputError(Message("engine.memory_limit", limit=memory_limit, error=str(exc)),
                             hint=Message("engine.memory_limit.hint")) from exc
        spill = Path(tempfile.gettempdir()) / f"corridor-duckdb-{os.getpid()}"
        con.execute(f"SET temp_directory = '{spill}'")
    # give freed memory back to the system as it goes: the statistics that follow a scan
    # allocate their own arrays, and pages the engine keeps would count twice
    try:
        con.execute("SET allocator_background_threads = true")
    except duckdb.Error:  # an older DuckDB without the setting: only memory is at stake
        pass
    return con


_SHARED: duckdb.DuckDBPyConnection | None = None
_SHARED_LOCK = threading.Lock()
_PER_THREAD = threading.local()


def shared_connection() -> duckdb.DuckDBPyConnection:
    """The process-wide database (engine settings, default memory limit) of readers given none,
    through this thread's own connection to it.

    One database, so relations read by different modules join without copies and one memory
    limit covers all of them. One connection per thread, because a DuckDB connection refuses a
    second call while one runs ("connection is busy"), and a second thread's query on it could
    read the first one's result: the service answers pages from a pool of threads.
    """
    con: duckdb.DuckDBPyConnection | None = getattr(_PER_THREAD, "con", None)
    if con is None:
        global _SHARED
        with _SHARED_LOCK:
            if _SHARED is None:
                _SHARED = connect()
                con = _SHARED
            else:
                # a cursor is a connection of its own to the same database (same tables, same
                # memory limit); a connection's own settings are set again on it
                con = _SHARED.cursor()
                con.execute("SET enable_progress_bar = false")
        _PER_THREAD.con = con
    return con


class DuckDBEngine:
    """Runs scans in DuckDB, in process.

    Args:
        connection: an existing DuckDB connection (a new in-memory one by default).
        threads: DuckDB worker threads (DuckDB's default when omitted).
        memory_limit: working memory of a new connection (DuckDB units, e.g. ``"2GB"``). Beyond
            it DuckDB's grouped scans spill to a temporary directory instead of failing. The
            default, 512MB, costs no time on census-size samples (measured in
            ``benchmarks/bench_estimate.py``) and leaves the memory to the analyst's own
            session; ``None`` keeps DuckDB's own default (80% of the machine's memory).
            An existing connection keeps its settings.
    """

    name = "duckdb"

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection | None = None,
        threads: int | None = None,
        memory_limit: str | None = DEFAULT_MEMORY_LIMIT,
    ) -> None:
        self.connection = connection or connect(memory_limit)
        self._memory_limit = memory_limit if connection is None else None
        if threads:
            self.connection.execute(f"SET threads TO {int(threads)}")
        self.scans = 0
        # relations whose column counts and minima are cheap (Parquet statistics, in-memory columns)
        self._cheap: dict[int, duckdb.DuckDBPyRelation] = {}

    def beside(self, frame: nw.LazyFrame[Any], table: pa.Table) -> nw.LazyFrame[Any]:
        """A small Arrow table as a frame that joins with ``frame``.

        DuckDB joins relations of one connection only; a relation a caller opened on a connection of
        its own gets the table on that connection (where the DuckDB build says which it is).
        """
        native = frame.to_native()
        con = getattr(native, "_con", None) if isinstance(native, duckdb.DuckDBPyRelation) else None
        if con is not None and con is not self.connection:
            near: nw.LazyFrame[Any] = nw.from_native(con.from_arrow(table))
            return near
        return self.open(table)

    def open(self, data: Any, *, statistics: bool = False) -> nw.LazyFrame[Any]:
        """A lazy frame over a CSV/Parquet path, a DuckDB relation or any Narwhals-supported frame.

        ``statistics``: a relation that answers column counts and minima without a pass over the
        data (a Parquet scan, a table in memory), so :meth:`profile` may use them.
        """
        if isinstance(data, nw.LazyFrame):
            return data
        if isinstance(data, nw.DataFrame):
            return data.lazy()
        if isinstance(data, str | os.PathLike):
            rel = self._read_path(Path(data))
            if Path(data).name.lower().endswith((".parquet", ".pq")) or Path(data).is_dir():
                self._cheap[id(rel)] = rel
            return nw.from_native(rel)
        if isinstance(data, duckdb.DuckDBPyRelation):
            if statistics:
                self._cheap[id(data)] = data
            return nw.from_native(data)
        if isinstance(data, pa.Table):
            rel = self.connection.from_arrow(data)
            self._cheap[id(rel)] = rel
            return nw.from_native(rel)
        if isinstance(data, pa.RecordBatchReader):
            return nw.from_native(self.connection.from_arrow(data))
        module = type(data).__module__.split(".")[0]
        if module in ("pandas", "polars"):
            # DuckDB scans pandas and polars frames in place (through Arrow for polars).
            if module == "polars" and type(data).__name__ == "LazyFrame":
                data = data.collect()  # a lazy query: its rows, then scanned as a frame
            native = data.to_arrow() if module == "polars" else data
            rel = self.connection.from_arrow(native) if module == "polars" else self.connection.from_df(native)
            self._cheap[id(rel)] = rel
            return nw.from_native(rel)
        if module == "pyspark":
            raise InputError(Message("engine.duckdb.spark_frame"), hint=Message("engine.duckdb.spark_frame.hint"))
        raise InputError(Message("engine.duckdb.data_type", kind=type(data).__name__),
                         hint=Message("engine.duckdb.data_type.hint"))

    def _read_path(self, path: Path) -> duckdb.DuckDBPyRelation:
        if not path.exists():
            raise SourceError(Message("engine.file_not_found", path=str(path)), hint=Message("engine.file_not_found.hint"))
        name = path.name.lower()
        try:
            if name.endswith((".parquet", ".pq")) or path.is_dir():
                return self.connection.read_parquet(str(path))
            if name.endswith(_CSV_SUFFIXES):
                if path.stat().st_size == 0:
                    raise SourceError(Message("engine.file_empty", path=str(path)), hint=Message("engine.file_empty.hint"))
                # Numbers are read as DOUBLE: survey CSVs write some values as 6e+05 far down
                # columns that start with integers, which a sampled sniff would type as BIGINT
                # (a full sniff costs several scans). Yes/No and T/F columns stay text.
                return self.connection.read_csv(str(path), auto_type_candidates=["DOUBLE", "VARCHAR"])
        except duckdb.Error as exc:
            raise SourceError(Message("engine.cannot_read", path=str(path), error=str(exc)),
                              hint=Message("engine.cannot_read.hint")) from exc
        raise SourceError(Message("engine.unknown_format", path=str(path)),
                          hint=Message("engine.duckdb.unknown_format.hint"))

    def aggregate(self, frame: nw.LazyFrame[Any], keys: Sequence[str], aggs: Sequence[nw.Expr]) -> pa.Table:
        """One grouped scan: ``GROUP BY keys`` computing ``aggs``; a single row when ``keys`` is empty."""
        if not keys:
            return self.collect(frame.select(*aggs))
        # Narwhals' DuckDB backend does not quote group keys, so names such as "sch.wide" are
        # grouped under plain aliases and renamed back.
        alias = {k: (k if k.isidentifier() else f"__key{i}") for i, k in enumerate(keys)}
        renamed = [k for k in keys if alias[k] != k]
        if renamed:
            frame = frame.with_columns(*[nw.col(k).alias(alias[k]) for k in renamed])
        table = self.collect(frame.group_by(*[alias[k] for k in keys]).agg(*aggs))
        back = {a: k for k, a in alias.items()}
        return table.rename_columns([back.get(c, c) for c in table.column_names]) if renamed else table

    def aggregate_matrices(self, frame: nw.LazyFrame[Any], keys: Sequence[str], aggs: Sequence[nw.Expr],
                           matrices: Sequence[Sequence[str]],
                           keep: Sequence[str] = ()) -> tuple[pa.Table, list[np.ndarray]]:
        """:meth:`aggregate` with the columns of each of ``matrices`` as one float64 matrix (nulls as 0),
        copied straight out of DuckDB's result and taken out of the table but for those in ``keep``
        (:func:`corridor.engine.base.aggregate_matrices`).

        The other columns are copied into numpy-owned memory as every result is; these are copied
        once, into their matrix, instead of into columns that the matrix would copy again.
        """
        if not keys or not all(k.isidentifier() for k in keys):  # the renaming of :meth:`aggregate`
            return split_matrices(self.aggregate(frame, keys, aggs), matrices, keep)
        self.scans += 1
        return self._fetch(frame.group_by(*keys).agg(*aggs), matrices, keep)

    def profile(self, frame: nw.LazyFrame[Any], columns: Sequence[str], minima: Sequence[str]) -> dict[str, float] | None:
        """Counts and minima of a Parquet file or an in-memory frame (DuckDB reads Parquet statistics)."""
        if id(frame.to_native()) not in self._cheap:
            return None
        names = ["rows"] + [f"count:{c}" for c in columns] + [f"min:{c}" for c in minima]
        exprs = [nw.len()] + [nw.col(c).count() for c in columns] + [nw.col(c).min() for c in minima]
        # answered from statistics or memory: not counted as a scan of the data
        row = self._run(frame.select(*[e.alias(f"__p{i}") for i, e in enumerate(exprs)])).to_pylist()[0]
        return {n: (float(v) if v is not None else float("nan")) for n, v in zip(names, row.values(), strict=True)}

    def iter_batches(self, frame: nw.LazyFrame[Any], batch_size: int = 1_000_000) -> Iterator[pa.RecordBatch]:
        """Stream a (possibly large) lazy frame as Arrow record batches."""
        self.scans += 1
        native = frame.to_native()
        try:
            yield from native.to_arrow_reader(batch_size)
        except duckdb.OutOfMemoryException as exc:
            raise EngineMemoryError.of(str(exc)) from exc

    def collect(self, frame: nw.LazyFrame[Any]) -> pa.Table:
        """Run a lazy query and return Arrow."""
        self.scans += 1
        return self._run(frame)

    def collect_rows(self, frame: nw.LazyFrame[Any], dictionary: Sequence[str] = ()) -> pa.Table:
        """``collect``: DuckDB streams a query's result into the Arrow table, with no copy of its own
        (text stays text: DuckDB's Arrow output would decode a dictionary-encoded string column anyway)."""
        return self.collect(frame)

    def _trim(self) -> None:
        """Give back the pages DuckDB keeps after a large grouped scan.

        Its buffer pool holds the freed hash-table blocks up to the memory limit (0.14 GiB after a
        scan into 6 million groups); lowering the limit for a moment releases them, in milliseconds,
        before the statistics allocate their own arrays.
        """
        self.connection.execute("SET memory_limit = '1MB'")
        self.connection.execute(f"SET memory_limit = '{self._memory_limit}'")

    def _run(self, frame: nw.LazyFrame[Any]) -> pa.Table:
        return self._fetch(frame)[0]

    def _fetch(self, frame: nw.LazyFrame[Any], matrices: Sequence[Sequence[str]] = (),
               keep: Sequence[str] = ()) -> tuple[pa.Table, list[np.ndarray]]:
        """A query's result in numpy-owned memory: the columns of ``matrices`` as float64 matrices,
        the others (and those in ``keep``) as a table."""
        try:
            native = frame.to_native()
            if not isinstance(native, duckdb.DuckDBPyRelation):
                return split_matrices(frame.collect().to_arrow(), matrices, keep)
            table, mats = split_matrices(native.to_arrow_table(), matrices, keep)
            table = owned_table(table.to_batches(), table.schema)
            if self._memory_limit and table.num_rows >= _TRIM_ROWS:
                self._trim()
            return table, mats
        except duckdb.ConversionException as exc:
            raise InputError(Message("engine.wrong_type", error=str(exc)), hint=Message("engine.wrong_type.hint")) from exc
        except duckdb.OutOfMemoryException as exc:
            raise EngineMemoryError.of(str(exc)) from exc
        except duckdb.Error as exc:
            raise InputError(Message("engine.duckdb.query_failed", error=str(exc)),
                             hint=Message("engine.query_failed.hint")) from exc
