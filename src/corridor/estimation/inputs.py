"""The input stage of ``estimate()``: files through :mod:`corridor.sources`, frames checked, errors explained.

A path is read by the same readers as ``corridor sources describe`` (every format they read is
estimable), in their lazy form: CSV and Parquet are scanned in place and this stage adds no pass
over them; errors the engine meets while scanning a file are explained in terms of that file
(line, column, what the file really is), with the library's own text kept as the error's detail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import narwhals as nw
import numpy as np
import pyarrow as pa

from corridor.engine import Engine
from corridor.engine.base import aggregate_matrices
from corridor.errors import CorridorError, EngineMemoryError, EstimationError, InputError
from corridor.i18n import Message
from corridor.sources import RowLedger, Source, detect_format, explain_scan_error, read_source
from corridor.sources._files import sniff_kind
from corridor.sources.columns import check_unique

READ_OPTIONS = ("format", "encoding", "delimiter", "decimal", "sheet", "header_row", "last_row", "rename", "data", "chunksize")


@dataclass
class Input:
    """The data an estimate reads, and what is known about where they came from."""

    lf: nw.LazyFrame[Any]
    engine: Engine
    where: Any  # how messages name the data (a Message: "file 'casen.csv'" in the reader's language)
    source: Source | None = None
    line_offset: int | None = None  # row r of the data is line r + offset of the file (CSV with a header)
    ledger: RowLedger | None = None  # rows read, filtered and rejected before estimation (a spec's)
    notes: list[str] = field(default_factory=list)

    @property
    def relation(self) -> Any:
        """The DuckDB relation of the data (to list bad values with their rows), or None."""
        native = self.lf.to_native()
        return native if type(native).__module__.startswith("duckdb") else None

    @property
    def value_labels(self) -> dict[str, dict[Any, str]]:
        return dict(self.source.value_labels) if self.source is not None else {}


def open_input(
    data: Any, engine: Engine, *, read: Mapping[str, Any] | None = None, na_values: Sequence[str] = (),
    drop_rejected: bool | None = None,
) -> Input:
    """Open ``data`` (a path, a :class:`Source`, a frame or relation) on ``engine``."""
    read = dict(read or {})
    unknown = set(read) - set(READ_OPTIONS)
    if unknown:
        raise EstimationError(Message("estimation.unknown_reading_option", unknown=', '.join(sorted(unknown))),
                              hint=Message("estimation.unknown_reading_option.hint", read_options=', '.join(READ_OPTIONS)))
    if isinstance(data, Source):
        return _from_source(data, engine, drop_rejected, explain=False)
    if drop_rejected:
        # only a spec rejects rows (with a reason per rule); on other data the option would change nothing
        # while the user believes bad rows were left out
        raise EstimationError(Message("estimation.drop_rejected_needs_spec"),
                              hint=Message("estimation.drop_rejected_needs_spec.hint"))
    if isinstance(data, str | os.PathLike):
        return _from_path(Path(data), engine, read, na_values)
    if read:
        raise EstimationError(Message("estimation.reading_options_apply_files", read=', '.join(read)),
                              hint=Message("estimation.reading_options_apply_files.hint"))
    _check_frame_names(data)
    return Input(lf=engine.open(data), engine=engine, where=Message("error.the_data"))


def _from_path(path: Path, engine: Engine, read: dict[str, Any], na_values: Sequence[str]) -> Input:
    fmt = str(read.pop("format", None) or detect_format(path)).lower()
    con = getattr(engine, "connection", None) if engine.name == "duckdb" else None
    options = {**read, "na_values": list(na_values), "lazy": True}
    if engine.name != "duckdb" and fmt in ("csv", "parquet") and not read.get("rename") and not read.get("decimal"):
        # the engine reads these in place (a cluster's own reader, its own compressions); a local
        # file is checked first without a pass over it (kind, encoding, header, names)
        lf = engine.open(str(path))
        # (bzip2 and the like are the engine's own to read: checked by it)
        plain = path.is_file() and sniff_kind(path) in ("text", "gzip", "parquet")
        src = read_source(path, fmt, **options) if plain else None
        return Input(lf=lf, engine=engine, where=Message("sources.where_file", path=str(path)), source=src,
                     line_offset=1 if src is not None and fmt == "csv" and src.options.get("header", True) else None)
    src = read_source(path, fmt, con=con, **options)
    statistics = fmt != "csv"  # Parquet statistics; other formats are read into tables in memory
    eng = _Explaining(engine, src) if engine.name == "duckdb" else engine
    return Input(lf=eng.open(src.relation, statistics=statistics), engine=eng, where=Message("sources.where_file", path=src.where),
                 source=src, line_offset=1 if fmt == "csv" and src.options.get("header", True) else None)


def _from_source(src: Source, engine: Engine, drop_rejected: bool | None, explain: bool) -> Input:
    ledger = src.ledger
    allowed = drop_rejected if drop_rejected is not None else bool(src.options.get("drop_rejected", False))
    notes: list[str] = []
    if ledger.n_rejected:
        lines = "; ".join(
            f"{line.text()}: {Message('sources.value_rows', count=line.count, n=line.count)}"
            + (str(Message("estimation.rejected_examples", rows=", ".join(map(str, line.examples)))) if line.examples else "")
            for line in ledger.rejected if line.count
        )
        if not allowed:
            what = Message("estimation.by_spec", spec=src.spec) if src.spec else Message("estimation.by_reader")
            raise InputError(
                Message("estimation.rows_were_rejected", n_rejected=ledger.n_rejected, read=ledger.read, where=src.where, what=what, lines=lines),
                hint=Message("estimation.rows_were_rejected.hint"),
            )
        notes.append(str(Message("estimation.rejected_left_out", n=ledger.n_rejected, lines=lines)))
    where = (Message("sources.where_file_spec", path=src.where, spec=src.spec) if src.spec
             else Message("sources.where_file", path=src.where))
    return Input(lf=engine.open(src.relation), engine=engine, where=where, source=src, ledger=ledger, notes=notes)


def _check_frame_names(data: Any) -> None:
    """Two columns of one name in a frame: DuckDB would call the second ``x_1`` and estimate the first."""
    names: list[str] | None = None
    if isinstance(data, pa.Table | pa.RecordBatch):
        names = list(data.schema.names)
    elif type(data).__module__.split(".")[0] == "pandas" and hasattr(data, "columns"):
        names = [str(c) for c in data.columns]
    elif type(data).__module__.split(".")[0] == "polars" and hasattr(data, "collect_schema"):
        names = list(data.collect_schema().names())  # polars tells 'y' from 'Y'; DuckDB does not
    if names is not None:
        check_unique(names, "the data frame")


class _Explaining:
    """The engine, with errors met while scanning a file explained in terms of that file."""

    def __init__(self, engine: Engine, src: Source) -> None:
        self._engine = engine
        self._src = src
        self.name = engine.name

    @property
    def scans(self) -> int:
        return self._engine.scans

    def __getattr__(self, item: str) -> Any:
        return getattr(self._engine, item)

    @contextmanager
    def _explained(self) -> Iterator[None]:
        try:
            yield
        except EngineMemoryError as exc:  # the file is sound: say which one was being read, not that it is damaged
            raise EngineMemoryError.of(exc.detail or "", self._src.where) from exc.__cause__
        except CorridorError as exc:
            cause = exc.__cause__
            if cause is None or not type(cause).__module__.startswith(("duckdb", "_duckdb")):
                raise
            raise explain_scan_error(self._src, cause) from cause
        except Exception as exc:
            if not type(exc).__module__.startswith(("duckdb", "_duckdb")):
                raise
            raise explain_scan_error(self._src, exc) from exc

    def open(self, data: Any, *, statistics: bool = False) -> nw.LazyFrame[Any]:
        return self._engine.open(data, statistics=statistics)

    def aggregate(self, frame: nw.LazyFrame[Any], keys: Sequence[str], aggs: Sequence[nw.Expr]) -> pa.Table:
        with self._explained():
            return self._engine.aggregate(frame, keys, aggs)

    def aggregate_matrices(self, frame: nw.LazyFrame[Any], keys: Sequence[str], aggs: Sequence[nw.Expr],
                           matrices: Sequence[Sequence[str]],
                           keep: Sequence[str] = ()) -> tuple[pa.Table, list[np.ndarray]]:
        with self._explained():
            return aggregate_matrices(self._engine, frame, keys, aggs, matrices, keep)

    def profile(self, frame: nw.LazyFrame[Any], columns: Sequence[str], minima: Sequence[str]) -> dict[str, float] | None:
        with self._explained():
            return self._engine.profile(frame, columns, minima)

    def collect(self, frame: nw.LazyFrame[Any]) -> pa.Table:
        with self._explained():
            return self._engine.collect(frame)

    def collect_rows(self, frame: nw.LazyFrame[Any], dictionary: Sequence[str] = ()) -> pa.Table:
        with self._explained():
            return self._engine.collect_rows(frame, dictionary)

    def iter_batches(self, frame: nw.LazyFrame[Any], batch_size: int = 1_000_000) -> Iterator[pa.RecordBatch]:
        with self._explained():
            yield from self._engine.iter_batches(frame, batch_size)
