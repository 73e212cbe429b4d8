"""XLSX tables via openpyxl (read-only, streamed row by row) into a DuckDB table.

Meant for published aggregate tables: choose the sheet, the header row and
optionally the last data row; reading stops at the first empty row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from corridor._deps import import_optional
from corridor.errors import InputError, SourceError
from corridor.i18n import Message
from corridor.sources._files import existing_file
from corridor.sources._push import push_frames
from corridor.sources.columns import Rename, apply_rename, check_unique, excel_column
from corridor.sources.ledger import RowLedger
from corridor.sources.source import Source, default_connection, quote_ident


def _column(values: list[Any]) -> pa.Array:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def _batches(rows, names: list[str], size: int = 50_000):
    buf: list[tuple] = []
    for row in rows:
        buf.append(row)
        if len(buf) >= size:
            yield pa.table({n: _column([r[i] for r in buf]) for i, n in enumerate(names)})
            buf = []
    if buf:
        yield pa.table({n: _column([r[i] for r in buf]) for i, n in enumerate(names)})


def read_xlsx(
    path: str | Path,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    sheet: str | int = 0,
    header_row: int = 1,
    last_row: int | None = None,
    rename: Rename | None = None,
    **_: Any,
) -> Source:
    """Read one sheet of an ``.xlsx`` workbook; ``header_row`` is 1-based as in Excel."""
    openpyxl = import_optional("openpyxl", feature="reading XLSX tables")
    con = con or default_connection()
    p = existing_file(path)
    # a file object: openpyxl refuses paths whose extension is not .xlsx (a workbook saved as .csv)
    fh = open(p, "rb")  # noqa: SIM115  (closed in the finally below, after the streamed read)
    try:
        wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
    except Exception as exc:
        fh.close()
        raise SourceError(Message("sources.cannot_open_xlsx_workbook", path=str(p), exc=exc), hint=Message("sources.cannot_open_xlsx_workbook.hint")) from exc
    try:
        names = wb.sheetnames
        if isinstance(sheet, int):
            if sheet >= len(names):
                raise SourceError(Message("sources.sheet_sheet_number", path=str(p), n_names=len(names), sheet=sheet), hint=Message("sources.sheet_sheet_number.hint", names=', '.join(names)))
            ws = wb[names[sheet]]
        elif sheet in names:
            ws = wb[sheet]
        else:
            raise SourceError(Message("sources.sheet_not_found", sheet=sheet, path=str(p)), hint=Message("sources.sheet_not_found.hint", names=', '.join(names)))
        rows = ws.iter_rows(min_row=header_row, max_row=last_row, values_only=True)
        header = next(rows, None)
        if header is None or all(h is None for h in header):
            raise InputError(Message("sources.sheet_header_row", title=ws.title, path=str(p), header_row=header_row), hint=Message("sources.sheet_header_row.hint"))
        width = max(i for i, h in enumerate(header) if h is not None) + 1
        cols = [str(h).strip() if h is not None else f"column{i + 1}" for i, h in enumerate(header[:width])]
        where = Message("sources.where_sheet", title=ws.title, path=str(p), header_row=header_row)
        cols = apply_rename(cols, rename, where)
        check_unique(cols, where, position=excel_column)

        def data():
            for row in rows:
                row = tuple(row[:width]) + (None,) * max(0, width - len(row))
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                    return
                yield row

        table, n = push_frames(con, _batches(data(), cols), "xlsx")
    finally:
        wb.close()
        fh.close()
    if not table:
        raise InputError(Message("sources.sheet_data_rows_below", title=ws.title, path=str(p)), hint=Message("sources.sheet_data_rows_below.hint"))
    return Source(
        relation=con.sql(f"SELECT * FROM {quote_ident(table)}"),
        path=p,
        format="xlsx",
        connection=con,
        ledger=RowLedger(source=f"{p} [{ws.title}]", read=n),
        options={"sheet": ws.title, "header_row": header_row, "table": table},
    )
