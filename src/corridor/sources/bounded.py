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
    shown: list[str] = field(default_factory=list)
    total: int = 0

    def add(self, text: str) -> None:
        self.total += 1
        if len(self.shown) < self.keep:
            self.shown.append(text)

    def __bool__(self) -> bool:
        return self.total > 0

    def summary(self) -> str:
        """``"first 100 of 250,000"``-style listing, one problem per line."""
        listed = "\n  ".join(self.shown)
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
            f"{name} is not a valid XLSX file ({exc})", hint="save the export as .xlsx or .csv"
        ) from None
    if len(infos) > limits.max_zip_entries:
        raise InputError(
            f"{name} holds {len(infos):,} archive entries; at most {limits.max_zip_entries:,} are accepted",
            hint="save the workbook again from a spreadsheet program, or export it as CSV",
        )
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1024 * 1024 and ratio > limits.max_zip_ratio:
            raise InputError(
                f"{name}: the part {info.filename!r} expands {ratio:,.0f} times "
                f"(to {info.file_size:,} bytes); at most {limits.max_zip_ratio:,.0f} times is accepted",
                hint="a workbook this repetitive is likely mostly empty rows: export only the data, or use CSV",
            )
    if total > limits.max_unzipped_bytes:
        raise InputError(
            f"{name} expands to {total:,} bytes; at most {limits.max_unzipped_bytes:,} are accepted",
            hint="split the workbook, or export it as CSV",
        )


def _xlsx_rows(path: Path, limits: Limits, name: str) -> Iterator[tuple[int, list[Any]]]:
    openpyxl = import_optional("openpyxl", feature="reading XLSX files")
    check_xlsx(path, limits, name)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on damaged files
        raise SourceError(
            f"cannot read {name} as XLSX: {exc}", hint="save the export as .xlsx or .csv"
        ) from None
    try:
        ws = wb.worksheets[0]
        rows, cols = ws.max_row, ws.max_column  # the sheet's declared dimension, read without parsing rows
        if limits.max_rows is not None and rows is not None and rows > limits.max_rows:
            raise InputError(
                f"{name}: the sheet {ws.title!r} extends to row {rows:,}; at most {limits.max_rows:,} rows are read",
                hint="delete the empty rows and columns below and right of the data (or export it as CSV)",
            )
        if cols is not None and cols > limits.max_columns:
            raise InputError(
                f"{name}: the sheet {ws.title!r} extends to column {cols:,}; at most {limits.max_columns:,} are read",
                hint="delete the empty columns right of the data",
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
            f"{where}: more than {limits.max_rows:,} rows; at most {limits.max_rows:,} are read",
            hint="split the file into smaller ones, or remove empty rows at its end",
        )
    if len(values) > limits.max_columns:
        raise InputError(
            f"{where}: {len(values):,} columns; at most {limits.max_columns:,} are read",
            hint="check the separator and the quoting, and delete empty columns right of the data",
        )
    for v in values:
        if isinstance(v, str) and len(v) > limits.max_cell_chars:
            raise InputError(
                f"{where}: a cell of {len(v):,} characters; at most {limits.max_cell_chars:,}",
                hint="a cell this long is not a value of a form; check the quoting of the line",
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
                    f"{name}, line {reader.line_num}: {exc}",
                    hint="a field this long or badly quoted is not a value of a form; check the line",
                ) from None
            except UnicodeDecodeError as exc:
                raise SourceError(
                    f"{name}, after line {reader.line_num}: the file is not UTF-8 text ({exc.reason})",
                    hint="export the file as UTF-8 CSV",
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
        f"{name}: expected .csv or .xlsx, not {suffix or 'no extension'}",
        hint="export the table as CSV or XLSX",
    )
