"""Apache Spark, the engine for data that outgrow one machine.

The estimators are the same as on DuckDB: they build Narwhals expressions and
this engine runs them as Spark plans, so every grouped scan is one Spark job
over the whole (distributed) data, and only the small per-group sums come back
to the driver. PySpark is imported only when this engine is used.

Two gaps between Narwhals and Spark are closed here, and only here:

* Spark reads ``col("api.stu")`` as field ``stu`` of a struct ``api``. Survey
  files name columns with dots (R's ``api.stu``), so frames opened by this
  engine quote column names that contain dots or backticks.
* Spark cannot ``sum`` a boolean (``is_null().sum()``); such sums are summed as
  0/1 integers, as DuckDB and Polars do.

DuckDB relations (harmonized surveys, the profile's indicator columns) reach Spark as a Parquet
file that DuckDB writes, streaming, in the engine's hand-over folder; Spark's executors read it.
No row passes through the driver's Python or JVM memory, so a census-size harmonized survey is
handed over in DuckDB's memory limit (docs/design.md, "Spark and DuckDB relations"). Large row
reads go the other way through the same folder (:meth:`SparkEngine.collect_rows`).
"""

from __future__ import annotations

import atexit
import bz2
import csv
import gzip
import itertools
import os
import re
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import narwhals as nw
import pyarrow as pa

from corridor._deps import import_optional
from corridor.engine.sparksql import aggregate_sql, identifier
from corridor.errors import ColumnNotFoundError, InputError, SourceError, UnsupportedError
from corridor.i18n import Message

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".tsv", ".tsv.gz", ".txt", ".txt.gz")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_DEFAULT_MASTER = "local[2]"
# Inferring a CSV's types reads the whole file; an unchanged local file is inferred once per process.
_CSV_SCHEMAS: dict[tuple[str, int, int], Any] = {}
# A local session is one machine: few shuffle partitions (Spark's 200 is for clusters), UTC like
# DuckDB's Arrow output, Arrow transfers, no web UI or progress bars in a command-line tool,
# and column names that match case-sensitively, as the estimators check them.
_DEFAULT_CONFIG = {
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.caseSensitive": "true",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.memory": "2g",
}
_BOOLEAN_OPS = frozenset(
    {"is_null", "is_not_null", "is_nan", "is_in", "is_between", "is_finite", "__eq__", "__ne__", "__lt__",
     "__le__", "__gt__", "__ge__", "__and__", "__or__", "__invert__", "any_horizontal", "all_horizontal"}
)


def _folder_prefix() -> str:
    """Hand-over folders carry the host's name: on a folder several drivers share, a process id
    alone says nothing about another machine's processes."""
    host = re.sub(r"[^A-Za-z0-9]+", "_", socket.gethostname()) or "host"
    return f"corridor-spark-{host}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def sweep_stale_folders(parent: Path, *, legacy: bool = False) -> list[Path]:
    """Remove the hand-over folders in ``parent`` that processes of this host left when they were
    killed (their files are removed at exit, which a killed process never reaches). ``legacy``:
    also folders named without the host (``corridor-spark-<pid>-``), safe only in a local folder."""
    prefix = _folder_prefix()
    patterns = [re.compile(re.escape(prefix) + r"(\d+)-")]
    if legacy:
        patterns.append(re.compile(r"corridor-spark-(\d+)-"))
    removed = []
    for path in parent.glob("corridor-spark-*"):
        for pattern in patterns:
            match = pattern.match(path.name)
            if match and path.is_dir() and not _alive(int(match.group(1))):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
                break
    return removed


class SparkEngine:
    """Runs scans with Apache Spark (PySpark), locally or on a cluster.

    Args:
        session: an existing ``SparkSession`` (e.g. the ``spark`` of a
            notebook or of a ``spark-submit`` job). Used as it is.
        master: master URL of a session created here (default ``local[2]``);
            ignored when ``session`` is given. If the process already has an
            active session, that one is used, with its own settings.
        config: extra Spark settings for a session created here, e.g.
            ``{"spark.driver.memory": "8g"}``; they override corridor's
            defaults (few shuffle partitions, UTC time zone, Arrow transfers).
        handover: folder in which DuckDB relations given to this engine are written as Parquet
            for Spark to read (default: the system's temporary directory;
            ``CORRIDOR_SPARK_HANDOVER`` sets it for every engine). The files go at the end of the
            process or with :meth:`release`. On a cluster it must be a folder every executor
            reads at the same path (a shared mount); a session whose master is not ``local``
            refuses DuckDB relations without it. Rows read back (:meth:`collect_rows`, a quantile's
            rows) are written there by the executors and read by the driver, each read then deleted.

    Example:
        >>> from corridor.engine.spark import SparkEngine
        >>> eng = SparkEngine(master="local[4]")  # doctest: +SKIP
        >>> cr.estimate("census.parquet", design, cr.Mean("income"), by="region", engine=eng)  # doctest: +SKIP
    """

    name = "spark"

    def __init__(
        self, session: SparkSession | None = None, master: str | None = None, config: dict[str, Any] | None = None,
        handover: str | os.PathLike[str] | None = None,
    ) -> None:
        import_optional("pyspark", feature="the Spark engine")
        problems = narwhals_bridge_problems()
        if problems:
            raise UnsupportedError(
                Message("engine.spark.narwhals_too_old", minimum=NARWHALS_MINIMUM, installed=nw.__version__,
                        missing=", ".join(problems)),
                hint=Message("engine.spark.narwhals_too_old.hint", minimum=NARWHALS_MINIMUM),
            )
        self._session = session
        self.master = master or _DEFAULT_MASTER
        self.config = {k: str(v) for k, v in (config or {}).items()}
        self.scans = 0
        handover = handover if handover is not None else os.environ.get("CORRIDOR_SPARK_HANDOVER") or None
        self.handover = Path(handover) if handover is not None else None
        self._handover_folder: Path | None = None
        # DuckDB relations already handed over, by identity (the relation is kept so its id stays its own)
        self._handed: dict[int, tuple[Any, DataFrame]] = {}

    def __repr__(self) -> str:
        where = "given session" if self._session is not None else self.master
        return f"SparkEngine({where})"

    # ---- the session -----------------------------------------------------------------------------
    @property
    def session(self) -> SparkSession:
        """The SparkSession: the one given, or a local one created on first use and reused."""
        if self._session is None:
            self._session = _create_session(self.master, self.config)
        return self._session

    # ---- opening data ----------------------------------------------------------------------------
    def open(self, data: Any, *, statistics: bool = False) -> nw.LazyFrame[Any]:
        """A lazy frame over a Spark DataFrame, a Parquet/CSV path or URI, or any Narwhals-supported frame.

        Frames that live outside Spark (pandas, polars, PyArrow) are copied
        into the session through Arrow; that suits small and medium data, large
        data should be given as files or Spark DataFrames. A DuckDB relation
        (a harmonized survey) is written by DuckDB as Parquet into the
        hand-over folder and read from there (:meth:`_from_duckdb`).
        """
        if isinstance(data, nw.LazyFrame | nw.DataFrame):
            native = data.to_native()
            if _is_spark_frame(native):
                return _wrap(native)
            if _is_duckdb_relation(native):
                return _wrap(self._from_duckdb(native))
            arrow = data.to_arrow() if isinstance(data, nw.DataFrame) else data.collect("pyarrow").to_arrow()
            return _wrap(self._from_arrow(arrow))
        if _is_spark_frame(data):
            return _wrap(data)
        if isinstance(data, str | os.PathLike):
            return _wrap(self._read_path(os.fspath(data)))
        if isinstance(data, pa.RecordBatchReader):
            return _wrap(self._from_arrow(data.read_all()))
        if isinstance(data, pa.Table | pa.RecordBatch):
            return _wrap(self._from_arrow(pa.table(data) if isinstance(data, pa.RecordBatch) else data))
        module = type(data).__module__.split(".")[0]
        if module == "pandas":
            return _wrap(self._from_arrow(pa.Table.from_pandas(data, preserve_index=False)))
        if module == "polars":
            return _wrap(self._from_arrow(data.to_arrow()))
        if _is_duckdb_relation(data):
            return _wrap(self._from_duckdb(data))
        raise InputError(Message("engine.spark.data_type", kind=type(data).__name__),
                         hint=Message("engine.spark.data_type.hint"))

    def _from_arrow(self, table: pa.Table) -> DataFrame:
        table = _spark_compatible(table)
        session = self.session
        try:
            return session.createDataFrame(table)
        except TypeError:  # PySpark < 4 takes pandas, not Arrow
            return session.createDataFrame(table.to_pandas())

    def _from_duckdb(self, relation: Any) -> DataFrame:
        """A DuckDB relation as a Spark DataFrame, through a Parquet file DuckDB writes.

        DuckDB streams the relation's query (a harmonization, a projection) into the file within its
        connection's memory limit; Spark's executors read the file. Types Spark has no equivalent
        for are cast as :func:`_spark_compatible` casts Arrow's. A relation given twice is written once.
        """
        known = self._handed.get(id(relation))
        if known is not None and known[0] is relation:
            return known[1]
        folder = self._folder()
        path = folder / f"relation-{next(_HANDOVERS)}.parquet"
        try:
            _duckdb_compatible(relation).write_parquet(str(path))
        except Exception as exc:
            if type(exc).__module__.split(".")[0] != "duckdb" and not isinstance(exc, OSError):
                raise
            raise SourceError(Message("engine.spark.handover_failed", folder=str(folder), error=_first_line(exc)),
                              hint=Message("engine.spark.handover_failed.hint")) from exc
        with _spark_errors():
            frame = self.session.read.parquet(str(path))
        self._handed[id(relation)] = (relation, frame)
        return frame

    def _folder(self) -> Path:
        """This engine's hand-over folder, created on first use and removed with the engine."""
        if self._handover_folder is not None:
            return self._handover_folder
        master = _master(self.session)
        if self.handover is None and not master.startswith("local"):
            raise UnsupportedError(Message("engine.spark.handover_needed", master=master),
                                   hint=Message("engine.spark.handover_needed.hint"))
        parent = self.handover or Path(tempfile.gettempdir())
        try:
            parent.mkdir(parents=True, exist_ok=True)
            sweep_stale_folders(parent, legacy=self.handover is None)
            folder = Path(tempfile.mkdtemp(prefix=f"{_folder_prefix()}{os.getpid()}-", dir=parent))
        except OSError as exc:
            raise SourceError(Message("engine.spark.handover_failed", folder=str(parent), error=_first_line(exc)),
                              hint=Message("engine.spark.handover_failed.hint")) from exc
        # removed when the process ends, not with the engine: frames opened here (and frames derived
        # from them) may outlive the engine object, and Spark reads the files whenever they run
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        self._handover_folder = folder
        return folder

    def release(self) -> None:
        """Delete the Parquet files this engine handed to Spark (frames opened from DuckDB relations
        cannot run after this); a long-running process calls it when it is done with them."""
        if self._handover_folder is not None:
            shutil.rmtree(self._handover_folder, ignore_errors=True)
        self._handover_folder = None
        self._handed.clear()

    def _read_path(self, path: str) -> DataFrame:
        is_uri = "://" in path and not path.startswith("file://")
        name = path.lower().rstrip("/")
        if name.endswith((".zst", ".zstd", ".xz", ".zip")):
            raise UnsupportedError(Message("engine.spark.compressed", suffix=Path(name).suffix, path=path),
                                   hint=Message("engine.spark.compressed.hint"))
        if not is_uri:
            local = Path(path.removeprefix("file://"))
            if not local.exists():
                raise SourceError(Message("engine.file_not_found", path=path), hint=Message("engine.file_not_found.hint"))
            if local.is_file() and local.stat().st_size == 0:
                raise SourceError(Message("engine.file_empty", path=path), hint=Message("engine.file_empty.hint"))
            path = str(local.resolve())
        reader = self.session.read
        try:
            if name.endswith(_CSV_SUFFIXES):
                return _read_csv(reader, path, None if is_uri else Path(path))
            if name.endswith(_PARQUET_SUFFIXES) or is_uri or Path(path).is_dir():
                return reader.parquet(path)
        except Exception as exc:
            if isinstance(exc, UnsupportedError | SourceError):
                raise
            raise SourceError(Message("engine.cannot_read", path=path, error=_first_line(exc)),
                              hint=Message("engine.cannot_read.hint")) from exc
        raise SourceError(Message("engine.unknown_format", path=path), hint=Message("engine.spark.unknown_format.hint"))

    # ---- scans -----------------------------------------------------------------------------------
    def aggregate(self, frame: nw.LazyFrame[Any], keys: Sequence[str], aggs: Sequence[nw.Expr]) -> pa.Table:
        """One grouped scan: ``GROUP BY keys`` computing ``aggs``; a single row when ``keys`` is empty.

        Groups come back sorted by their keys (nulls last).
        """
        schema = frame.collect_schema()
        aggs = [_sum_booleans_as_integers(a, schema) for a in aggs]
        # the aggregates as SQL text (a few JVM calls each) where every column they read is there;
        # otherwise Narwhals builds them (and names a missing column as it does)
        sql = aggregate_sql(aggs)
        with _spark_errors():
            if sql is not None and sql[0] and sql[1] <= set(schema.names()) and set(keys) <= set(schema.names()):
                query = self._sql_aggregate(frame, keys, sql[0])
            else:
                query = frame.group_by(*keys).agg(*aggs) if keys else frame.select(*aggs)
        table = self.collect(query)
        # Spark returns groups in an order that depends on partitioning; sorted keys make every
        # result (e.g. the PSU order a seeded bootstrap draws in) independent of the cluster.
        return table.sort_by([(k, "ascending") for k in keys]) if keys else table

    @staticmethod
    def _sql_aggregate(frame: nw.LazyFrame[Any], keys: Sequence[str], texts: Sequence[str]) -> nw.LazyFrame[Any]:
        """The grouped scan with its aggregates parsed by Spark from SQL text (:mod:`corridor.engine.sparksql`)."""
        from pyspark.sql import functions as F

        native: DataFrame = frame.to_native()
        columns = [F.expr(t) for t in texts]
        query = native.groupBy(*[F.col(identifier(k)) for k in keys]).agg(*columns) if keys else native.select(*columns)
        return _wrap(query)

    def profile(self, frame: nw.LazyFrame[Any], columns: Sequence[str], minima: Sequence[str]) -> dict[str, float] | None:
        """None: counting missing values is a Spark job of its own, so the estimator checks inside its scan."""
        return None

    def collect(self, frame: nw.LazyFrame[Any]) -> pa.Table:
        """Run a lazy query (one Spark job) and return its result as Arrow on the driver."""
        self.scans += 1
        with _spark_errors():
            return frame.collect("pyarrow").to_arrow()

    def collect_rows(self, frame: nw.LazyFrame[Any], dictionary: Sequence[str] = ()) -> pa.Table:
        """Run a lazy query of many rows (a quantile's rows) and return them, in :meth:`collect`'s order and
        types, without the driver's JVM holding them.

        ``collect`` gathers every partition's Arrow batches in the driver's JVM heap before Python reads
        them (20M rows did not fit in 4 GB). Here the executors write the rows as Parquet into a folder
        of the hand-over folder, one file per partition (Spark's writer keeps a row group at a time), and
        the driver reads the files with pyarrow in partition order and deletes them. On a cluster
        without a hand-over folder (the driver cannot read the executors' disks) the rows stream through
        the driver one partition at a time instead (:meth:`iter_batches`).

        ``dictionary``: text columns the caller only matches against values; they come back
        dictionary-encoded as Parquet stores them (an integer a row instead of the text).
        """
        expected = self._arrow_schema(frame)
        try:
            parent = self._folder()
        except UnsupportedError:  # a cluster without a shared folder
            batches = [b for b in self.iter_batches(frame) if b.num_rows]
            return _as_collected(pa.Table.from_batches(batches), expected) if batches else expected.empty_table()
        self.scans += 1
        folder = parent / f"rows-{next(_HANDOVERS)}"
        texts = [f"c{i}" for i, f in enumerate(expected) if f.name in set(dictionary)
                 and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))]
        try:
            with _spark_errors():
                _plain_names(frame.to_native()).write.parquet(folder.resolve().as_uri())
            tables = [_read_part(f, texts) for f in _part_files(folder)]
        except OSError as exc:
            raise SourceError(Message("engine.spark.rows_failed", folder=str(parent), error=_first_line(exc)),
                              hint=Message("engine.spark.handover_failed.hint")) from exc
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        if texts:  # those columns as the files give them: dictionary-encoded text
            expected = pa.schema([pa.field(f.name, pa.dictionary(pa.int32(), f.type), f.nullable)
                                  if f"c{i}" in texts else f for i, f in enumerate(expected)])
        tables = [t.rename_columns(expected.names) for t in tables if t.num_rows]
        if not tables:
            return expected.empty_table()
        return _as_collected(pa.concat_tables(tables), expected)  # chunks keep their own dictionaries

    def _arrow_schema(self, frame: nw.LazyFrame[Any]) -> pa.Schema:
        """The Arrow schema :meth:`collect` gives the frame (its first 0 rows: Spark runs no job for them)."""
        with _spark_errors():
            return frame.head(0).collect("pyarrow").to_arrow().schema

    def iter_batches(self, frame: nw.LazyFrame[Any], batch_size: int = 1_000_000) -> Iterator[pa.RecordBatch]:
        """Stream a (possibly large) lazy frame to the driver as Arrow record batches, one partition at a time.

        Executors encode their rows as Arrow IPC streams (at most ``batch_size``
        rows or 64 MiB each), so the driver never holds more than a partition.
        """
        self.scans += 1
        native = frame.to_native()
        names = list(native.columns)
        limit = max(1, int(batch_size))
        with _spark_errors():
            # mapInArrow resolves columns by name and fails on dotted names: send positional names.
            encoded = _plain_names(native).mapInArrow(_ipc_encoder(limit), "ipc binary")
            for row in encoded.toLocalIterator(prefetchPartitions=True):
                with pa.ipc.open_stream(row[0]) as reader:
                    for batch in reader:
                        yield batch.rename_columns(names)


# ---- sessions ------------------------------------------------------------------------------------
def _create_session(master: str, config: dict[str, str]) -> SparkSession:
    import_optional("pyspark", feature="the Spark engine")
    from pyspark.sql import SparkSession

    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise UnsupportedError(Message("engine.spark.no_java"), hint=Message("engine.spark.no_java.hint"))
    active = SparkSession.getActiveSession()
    if active is not None:  # the process's own session, used as it is (its settings are its owner's)
        return active
    if master.startswith("local"):
        # Python workers of a local session run this interpreter, which has pyarrow (mapInArrow
        # needs it); PySpark reads the worker's interpreter from this variable only.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master(master).appName("corridor")
    for key, value in {**_DEFAULT_CONFIG, **config}.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:
        raise UnsupportedError(Message("engine.spark.session_failed", master=master, error=_first_line(exc)),
                               hint=Message("engine.spark.session_failed.hint")) from exc
    session.sparkContext.setLogLevel("ERROR")
    return session


def _master(session: Any) -> str:
    """The session's master URL ('' when the session does not say: then treated as a cluster)."""
    return str(session.conf.get("spark.master", "") or "")


def _is_duckdb_relation(obj: Any) -> bool:
    cls = type(obj)
    return cls.__module__.split(".")[0] in ("duckdb", "_duckdb") and cls.__name__ == "DuckDBPyRelation"


# numbers the hand-over files of the process (engines may share a folder)
_HANDOVERS = itertools.count(1)
# DuckDB types Spark reads badly or not at all from Parquet, and what they become (as Arrow's in _spark_compatible)
_DUCKDB_CASTS = {"UTINYINT": "BIGINT", "USMALLINT": "BIGINT", "UINTEGER": "BIGINT", "UBIGINT": "DOUBLE",
                 "HUGEINT": "DOUBLE", "UHUGEINT": "DOUBLE", '"NULL"': "VARCHAR", "NULL": "VARCHAR"}


def _duckdb_compatible(relation: Any) -> Any:
    """The relation with its unsigned, 128-bit, enum and null-typed columns cast to types Spark has."""
    casts = {}
    for name, dtype in zip(relation.columns, relation.types, strict=True):
        text = str(dtype).upper()
        target = _DUCKDB_CASTS.get(text) or ("VARCHAR" if text.startswith("ENUM(") else None)
        if target:
            casts[name] = target
    if not casts:
        return relation
    quoted = {c: '"' + c.replace('"', '""') + '"' for c in relation.columns}
    return relation.project(", ".join(f"CAST({quoted[c]} AS {casts[c]}) AS {quoted[c]}" if c in casts else quoted[c]
                                      for c in relation.columns))


def _is_spark_frame(obj: Any) -> bool:
    cls = type(obj)
    return cls.__module__.startswith("pyspark.sql") and cls.__name__ == "DataFrame"


# ---- reading files -------------------------------------------------------------------------------
def _read_csv(reader: Any, path: str, local: Path | None) -> DataFrame:
    """Read a CSV as the DuckDB engine does: numeric columns as doubles, every other column as text.

    Spark's inference reads every row, so a column is numeric only if all its
    values are (``6e+05`` far down a column of integers included). Spark would
    type ``true``/``false`` as booleans and ISO dates as dates; those stay text,
    as on DuckDB (survey answers such as Yes/No are categories, not booleans).
    """
    from pyspark.sql import types as T

    options = {"header": "true", "escape": '"', "sep": _delimiter(path, local), "encoding": "UTF-8"}
    stat = local.stat() if local is not None else None
    key = (path, stat.st_size, stat.st_mtime_ns) if stat is not None else None
    schema = _CSV_SCHEMAS.get(key) if key is not None else None
    if schema is None:
        inferred = reader.options(inferSchema="true", **options).csv(path).schema
        schema = T.StructType([T.StructField(f.name, _csv_type(f.dataType, T), True) for f in inferred.fields])
        if key is not None:
            if len(_CSV_SCHEMAS) >= 64:
                _CSV_SCHEMAS.pop(next(iter(_CSV_SCHEMAS)))
            _CSV_SCHEMAS[key] = schema
    out: DataFrame = reader.options(**options).schema(schema).csv(path)
    return out


def _csv_type(dtype: Any, T: Any) -> Any:
    # Numbers are doubles and the rest text, as on DuckDB, so both engines label domains and
    # levels alike (1.0, not 1 on one engine and 1.0 on the other).
    if isinstance(dtype, T.NumericType):
        return T.DoubleType()
    return T.StringType()


def _delimiter(path: str, local: Path | None) -> str:
    name = path.lower()
    if ".tsv" in name:
        return "\t"
    if local is None:
        return ","
    opener = gzip.open if name.endswith(".gz") else bz2.open if name.endswith(".bz2") else open
    with opener(local, "rt", encoding="utf-8", errors="replace", newline="") as fh:
        head = fh.readline()
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _spark_compatible(table: pa.Table) -> pa.Table:
    """Arrow types Spark has no equivalent for, cast to ones it has (unsigned, dictionary, null, large)."""
    fields = []
    for field in table.schema:
        t = field.type
        if pa.types.is_dictionary(t):
            t = t.value_type
        if pa.types.is_null(t):
            t = pa.string()
        elif pa.types.is_unsigned_integer(t):
            t = pa.int64() if t.bit_width < 64 else pa.float64()
        elif pa.types.is_large_string(t) or pa.types.is_string_view(t):
            t = pa.string()
        fields.append(pa.field(field.name, t))
    schema = pa.schema(fields)
    return table if schema == table.schema else table.cast(schema)


# ---- rows out -----------------------------------------------------------------------------------
def _plain_names(native: DataFrame) -> DataFrame:
    """The frame with positional column names (Parquet and mapInArrow resolve names and refuse some
    characters: dots, spaces, commas); the caller names the columns back."""
    return native.toDF(*[f"c{i}" for i in range(len(native.columns))])


_PART = re.compile(r"part-(\d+)(?:-.*?-c(\d+))?")


def _part_files(folder: Path) -> list[Path]:
    """The Parquet files Spark's writer left in ``folder``, in the order of the partitions they hold
    (``part-00007-<job>-c000``: partition 7, its first file), so rows come in ``collect``'s order."""
    found = []
    for path in folder.iterdir():
        m = _PART.match(path.name)
        if m and not path.name.startswith((".", "_")) and path.name.endswith(".parquet"):
            found.append(((int(m.group(1)), int(m.group(2) or 0)), path))
    return [p for _k, p in sorted(found)]


def _read_part(path: Path, dictionary: list[str]) -> pa.Table:
    import pyarrow.parquet as pq

    return pq.read_table(path, read_dictionary=dictionary or None)


def _as_collected(table: pa.Table, expected: pa.Schema) -> pa.Table:
    """The rows in :meth:`SparkEngine.collect`'s types (Parquet has no int8 of its own, stores
    timestamps as INT96 and strings without a size: pyarrow may read them back otherwise)."""
    if table.schema.equals(expected):
        return table
    return table.cast(expected)


# ---- streaming rows out --------------------------------------------------------------------------
def _ipc_encoder(limit: int, max_bytes: int = 64 * 1024**2) -> Any:
    def encode(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa_

        pending: list[pa_.RecordBatch] = []
        rows = size = 0

        def flush() -> pa_.RecordBatch:
            sink = pa_.BufferOutputStream()
            with pa_.ipc.new_stream(sink, pending[0].schema) as writer:
                for b in pending:
                    writer.write_batch(b)
            return pa_.RecordBatch.from_pydict({"ipc": pa_.array([sink.getvalue().to_pybytes()], pa_.binary())})

        for batch in batches:
            while batch.num_rows:
                take = batch.slice(0, limit - rows)
                batch = batch.slice(take.num_rows)
                pending.append(take)
                rows += take.num_rows
                size += take.nbytes
                if rows >= limit or size >= max_bytes:
                    yield flush()
                    pending, rows, size = [], 0, 0
        if pending:
            yield flush()

    return encode


# ---- Narwhals over Spark -------------------------------------------------------------------------
def _quote(name: Any) -> Any:
    if isinstance(name, str) and ("." in name or "`" in name):
        return "`" + name.replace("`", "``") + "`"
    return name


class _QuotingFunctions:
    """``pyspark.sql.functions`` whose ``col`` quotes names with dots or backticks."""

    def __init__(self, functions: Any) -> None:
        self._functions = functions

    def col(self, name: Any) -> Any:
        return self._functions.col(_quote(name))

    def __getattr__(self, item: str) -> Any:
        return getattr(self._functions, item)


# The two bridges below use Narwhals internals (its Spark frame and group-by classes, an
# expression's nodes), which Narwhals may change in any release. pyproject.toml's minimum,
# NARWHALS_MINIMUM, is the first release that has them all, and tests/spark/test_narwhals_minimum.py
# runs the Spark tests on exactly that release; a release without them is refused by name
# (narwhals_bridge_problems) rather than failing inside Spark with a confusing message.
NARWHALS_MINIMUM = "2.10"

try:
    from narwhals._spark_like.dataframe import SparkLikeLazyFrame
    from narwhals._spark_like.group_by import SparkLikeLazyGroupBy
    from narwhals._utils import Version
except ImportError:  # pragma: no cover - a Narwhals release that reorganised its Spark backend
    SparkLikeLazyFrame = None  # type: ignore[assignment,misc]


def narwhals_bridge_problems() -> list[str]:
    """What the Spark bridges need from Narwhals' internals and the installed release lacks (empty: all there)."""
    problems = []
    if SparkLikeLazyFrame is None:
        problems.append("narwhals._spark_like.dataframe.SparkLikeLazyFrame")
    else:
        for name in ("_F", "native", "_with_native", "simple_select", "group_by", "join", "with_row_index",
                     "to_narwhals", "rename", "columns"):
            if not hasattr(SparkLikeLazyFrame, name):
                problems.append(f"SparkLikeLazyFrame.{name}")
        for name in ("agg", "_evaluate_exprs", "compliant"):
            if not hasattr(SparkLikeLazyGroupBy, name):
                problems.append(f"SparkLikeLazyGroupBy.{name}")
    nodes = getattr(nw.col("x").is_null().sum(), "_nodes", None)
    if not nodes or [getattr(n, "name", None) for n in nodes] != ["col", "is_null", "sum"] \
            or getattr(nodes[0], "kwargs", {}).get("names") != ["x"]:
        problems.append("Expr._nodes (an expression's steps, each with its name and arguments)")
    return problems

if SparkLikeLazyFrame is not None:

    class _QuotedGroupBy(SparkLikeLazyGroupBy):
        def agg(self, *exprs: Any) -> Any:
            frame = self.compliant
            keys = [frame._F.col(k) for k in self._keys]
            agg_columns = tuple(self._evaluate_exprs(exprs))
            native: Any = frame.native
            result = native.groupBy(*keys).agg(*agg_columns) if agg_columns else native.select(*keys).dropDuplicates()
            return frame._with_native(result).rename(dict(zip(self._keys, self._output_key_names, strict=False)))

    class _QuotedSparkFrame(SparkLikeLazyFrame):
        """Narwhals' Spark frame, with column names quoted wherever it hands them to Spark."""

        @property
        def _F(self) -> Any:
            return _QuotingFunctions(super()._F)

        def simple_select(self, *column_names: str) -> Any:
            native: Any = self.native
            return self._with_native(native.select(*[self._F.col(c) for c in column_names]))

        def group_by(self, keys: Any, *, drop_null_keys: bool) -> Any:
            return _QuotedGroupBy(self, keys, drop_null_keys=drop_null_keys)

        # Narwhals' join and row index select columns by bare name: dotted names go through plain aliases
        def join(self, other: Any, *, how: Any, left_on: Any, right_on: Any, suffix: str) -> Any:
            left, lnames = _plain(self)
            right, rnames = _plain(other)
            out = SparkLikeLazyFrame.join(
                left, right, how=how, left_on=[lnames.get(c, c) for c in left_on or []] or None,
                right_on=[rnames.get(c, c) for c in right_on or []] or None, suffix=suffix,
            )
            return _named_back(out, {**rnames, **lnames})

        def with_row_index(self, name: str, order_by: Any) -> Any:
            frame, names = _plain(self)
            out = SparkLikeLazyFrame.with_row_index(frame, name, order_by=[names.get(c, c) for c in order_by or []])
            return _named_back(out, names)

    def _plain(frame: Any) -> tuple[Any, dict[str, str]]:
        names = {c: f"__dot{i}" for i, c in enumerate(frame.columns) if "." in c or "`" in c}
        return (frame.rename(names) if names else frame), names

    def _named_back(frame: Any, names: dict[str, str]) -> Any:
        back = {a: c for c, a in names.items() if a in frame.columns}
        return frame.rename(back) if back else frame


def _wrap(df: DataFrame) -> nw.LazyFrame[Any]:
    plain = nw.from_native(df)
    if SparkLikeLazyFrame is None:
        awkward = [c for c in df.columns if "." in c or "`" in c]
        if awkward:
            raise UnsupportedError(Message("engine.spark.awkward_names", names=str(awkward[:5])),
                                   hint=Message("engine.spark.awkward_names.hint"))
        return plain
    compliant = _QuotedSparkFrame(df, version=Version.MAIN, implementation=plain.implementation)
    return compliant.to_narwhals()


def _sum_booleans_as_integers(expr: nw.Expr, schema: Any) -> nw.Expr:
    """Insert a cast to Int64 before ``sum``/``mean`` of a boolean (Spark rejects ``sum(boolean)``)."""
    nodes = getattr(expr, "_nodes", None)
    if not nodes:
        return expr
    out = list(nodes)
    changed = False
    i = 1
    while i < len(out):
        node = out[i]
        if node.name in ("sum", "mean") and _is_boolean(out[:i], schema):
            prefix = nw.Expr(*out[:i]).cast(nw.Int64)._nodes
            out = [*prefix, *out[i:]]
            i = len(prefix)
            changed = True
        i += 1
    return nw.Expr(*out) if changed else expr


def _is_boolean(nodes: list[Any], schema: Any) -> bool:
    last = nodes[-1]
    if last.name in _BOOLEAN_OPS:
        return True
    if len(nodes) == 1 and last.name == "col":
        names = last.kwargs.get("names", [])
        return len(names) == 1 and schema.get(names[0]) == nw.Boolean
    return False


# ---- errors ------------------------------------------------------------------------------------
def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def _spark_errors() -> Iterator[None]:
    """Turn Spark's complaints about the data or the query into corridor errors.

    Analysis errors (a type Spark cannot aggregate, a column it cannot resolve)
    and values that do not convert are the user's to fix; anything else (a lost
    executor, a JVM out of memory) propagates unchanged.
    """
    try:
        yield
    except Exception as exc:
        names = {c.__name__ for c in type(exc).__mro__}
        module = type(exc).__module__
        if module.startswith("narwhals") and "ColumnNotFoundError" in names:
            raise ColumnNotFoundError(Message("engine.spark.column_not_found", error=_first_line(exc))) from exc
        if module.startswith("pyspark"):
            if "CAST_INVALID_INPUT" in str(exc) or names & {"NumberFormatException", "ArithmeticException"}:
                raise InputError(Message("engine.wrong_type", error=_first_line(exc)),
                                 hint=Message("engine.wrong_type.hint")) from exc
            if "AnalysisException" in names:
                raise InputError(Message("engine.spark.query_failed", error=_first_line(exc)),
                                 hint=Message("engine.query_failed.hint")) from exc
        raise


__all__ = ["SparkEngine"]
