"""Small tables (CSV or XLSX) read row by row under hard limits, for files that anyone may send.

A form export of a few megabytes can still describe millions of rows: an XLSX holds one cell at
row 1,048,576 in 1.6 KB, a compressed sheet of 3 million tiny rows fits in 400 KB, a CSV of one
letter per line has a million rows in 2 MB. :func:`read_rows` never holds more than one row at
a time and stops at the first limit crossed, with an error naming the file and the line:

* XLSX: the archive's entries are checked before any parsing (decompressed size and
  compression ratio, the signature of a decompression bomb), then the sheet's declared
  dimension (rows, columns), then rows as they stream;
* CSV: columns per row, characters per field (the ``csv`` module's own field limit is reported
  with its line, not as a crash), undecodable bytes;
* both: a maximum number of rows.

:class:`Problems` keeps the first problems of a file and counts the rest, so a file with a
problem on every line costs no more memory than a file with a hundred.
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corridor._deps import import_optional
from corridor.errors import InputError, SourceError
from corridor.i18n import Message


@dataclass(frozen=True)
class Limits:
    """Hard caps of a bounded read (``None``: no cap on rows)."""

    max_rows: int | None = None
    max_columns: int = 1_000
    max_cell_chars: int = 128 * 1024
    max_problems: int = 100
    max_zip_ratio: float = 100.0
    max_unzipped_bytes: int = 1024 * 1024 * 1024
    max_zip_entries: int = 10_000


@dataclass
class Problems:
    """The first ``keep`` problems of a file, and how many there were in all."""

    keep: int
    shown: list[str | Message] = field(default_factory=list)
    total: int = 0

    def add(self, text: str | Message) -> None:
        self.total += 1
        if len(self.shown) < self.keep:
            self.shown.append(text)

    def __bool__(self) -> bool:
        return self.total > 0

    def summary(self) -> str:
        """``"first 100 of 250,000"``-style listing, one problem per line."""
        listed = "\n  ".join(map(str, self.shown))
        more = f"\n  ... and {self.total - len(self.shown):,} more" if self.total > len(self.shown) else ""
        return f"  {listed}{more}"


def check_xlsx(path: Path, limits: Limits, name: str | None = None) -> None:
    """Refuse an XLSX whose archive could expand beyond the limits, before anything is parsed."""
    name = name or path.name
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceError(
            Message("sources.bounded.not_xlsx", name=name, exc=str(exc)),
            hint=Message("sources.bounded.not_xlsx.hint"),
        ) from None
    if len(infos) > limits.max_zip_entries:
        raise InputError(
            Message("sources.bounded.zip_entries", name=name, n=len(infos), limit=limits.max_zip_entries),
            hint=Message("sources.bounded.zip_entries.hint"),
        )
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1024 * 1024 and ratio > limits.max_zip_ratio:
            raise InputError(
                Message("sources.bounded.zip_ratio", name=name, part=info.filename, ratio=ratio,
                        size=info.file_size, limit=limits.max_zip_ratio),
                hint=Message("sources.bounded.zip_ratio.hint"),
            )
    if total > limits.max_unzipped_bytes:
        raise InputError(
            Message("sources.bounded.unzipped", name=name, size=total, limit=limits.max_unzipped_bytes),
            hint=Message("sources.bounded.unzipped.hint"),
        )


def _xlsx_rows(path: Path, limits: Limits, name: str) -> Iterator[tuple[int, list[Any]]]:
    openpyxl = import_optional("openpyxl", feature="reading XLSX files")
    check_xlsx(path, limits, name)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on damaged files
        raise SourceError(
            Message("sources.bounded.cannot_read_xlsx", name=name, exc=str(exc)),
            hint=Message("sources.bounded.cannot_read_xlsx.hint"),
        ) from None
    try:
        ws = wb.worksheets[0]
        rows, cols = ws.max_row, ws.max_column  # the sheet's declared dimension, read without parsing rows
        if limits.max_rows is not None and rows is not None and rows > limits.max_rows:
            raise InputError(
                Message("sources.bounded.sheet_rows", name=name, sheet=ws.title, rows=rows, limit=limits.max_rows),
                hint=Message("sources.bounded.sheet_rows.hint"),
            )
        if cols is not None and cols > limits.max_columns:
            raise InputError(
                Message("sources.bounded.sheet_columns", name=name, sheet=ws.title, cols=cols,
                        limit=limits.max_columns),
                hint=Message("sources.bounded.sheet_columns.hint"),
            )
        for i, values in enumerate(ws.iter_rows(values_only=True), start=1):
            _check_row(values, i, f"{name}, row {i}", limits)
            yield i, list(values)
    finally:
        wb.close()


def _check_row(values: Any, count: int, where: str, limits: Limits) -> None:
    """Refuse the ``count``-th row (at ``where``) past the row cap, or with too many columns or a too long cell."""
    if limits.max_rows is not None and count > limits.max_rows:
        raise InputError(
            Message("sources.bounded.too_many_rows", where=where, limit=limits.max_rows),
            hint=Message("sources.bounded.too_many_rows.hint"),
        )
    if len(values) > limits.max_columns:
        raise InputError(
            Message("sources.bounded.too_many_columns", where=where, n=len(values), limit=limits.max_columns),
            hint=Message("sources.bounded.too_many_columns.hint"),
        )
    for v in values:
        if isinstance(v, str) and len(v) > limits.max_cell_chars:
            raise InputError(
                Message("sources.bounded.long_cell", where=where, n=len(v), limit=limits.max_cell_chars),
                hint=Message("sources.bounded.long_cell.hint"),
            )


def _csv_rows(path: Path, limits: Limits, name: str) -> Iterator[tuple[int, list[Any]]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        count = 0
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise InputError(
                    Message("sources.bounded.csv_error", name=name, line=reader.line_num, exc=str(exc)),
                    hint=Message("sources.bounded.csv_error.hint"),
                ) from None
            except UnicodeDecodeError as exc:
                raise SourceError(
                    Message("sources.bounded.not_utf8", name=name, line=reader.line_num, reason=exc.reason),
                    hint=Message("sources.bounded.not_utf8.hint"),
                ) from None
            count += 1
            _check_row(values, count, f"{name}, line {reader.line_num}", limits)
            yield reader.line_num, values


def read_rows(
    path: str | Path, limits: Limits | None = None, *, name: str | None = None
) -> Iterator[tuple[int, list[Any]]]:
    """``(line or row number, values)`` of a CSV (UTF-8) or the first sheet of an XLSX, one at a time.

    ``name`` is how messages call the file (default: its name, never the server's folders).
    """
    p = Path(path)
    limits = limits or Limits()
    name = name or p.name
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_rows(p, limits, name)
    if suffix in (".csv", ".txt"):
        return _csv_rows(p, limits, name)
    raise SourceError(
        Message("sources.bounded.kind", name=name, suffix=suffix or Message("sources.bounded.no_extension")),
        hint=Message("sources.bounded.kind.hint"),
    )
