"""Tables as CSV and XLSX downloads (text that a spreadsheet would run as a formula is neutralised)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from starlette.responses import Response

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(v: Any) -> Any:
    if isinstance(v, str) and v.startswith(_FORMULA):
        return "'" + v
    if isinstance(v, (list, dict)):
        return str(v)
    return v


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str], notice: str | None = None) -> bytes:
    buf = io.StringIO()
    if notice:  # a comment line first: corridor's readers skip it, and no one misses it
        buf.write(f"# {notice}\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow(["" if r.get(c) is None else _cell(r.get(c)) for c in columns])
    return buf.getvalue().encode("utf-8")


def to_xlsx(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str = "data", notice: str | None = None
) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31] or "data")
    if notice:
        ws.append([f"# {notice}"])
    ws.append(list(columns))
    for r in rows:
        ws.append([_cell(r.get(c)) for c in columns])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "svg": "image/svg+xml",
}


def table_bytes(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str, *, notice: str | None = None
) -> bytes:
    """A table as CSV or XLSX bytes (opened by the ``notice``, when there is one)."""
    return to_csv(rows, columns, notice) if fmt == "csv" else to_xlsx(rows, columns, notice=notice)


def attachment(body: bytes, fmt: str, filename: str, *, unpublished: bool = False) -> Response:
    """Bytes as a CSV or XLSX download; a table not for publication says so in its file name."""
    name = filename + ("-NOT-FOR-PUBLICATION" if unpublished else "")
    return Response(
        body, media_type=MEDIA[fmt], headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    )


def table_response(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    fmt: str,
    filename: str,
    *,
    notice: str | None = None,
) -> Response:
    """A CSV or XLSX attachment; a ``notice`` (e.g. "not for publication") opens the file and names it."""
    return attachment(table_bytes(rows, columns, fmt, notice=notice), fmt, filename, unpublished=bool(notice))


def svg_response(svg: str, filename: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        + svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
        if 'xmlns="http://www.w3.org/2000/svg"' not in svg[:400]
        else svg
    )
    return Response(
        body,
        media_type=MEDIA["svg"],
        headers={"Content-Disposition": f'attachment; filename="{filename}.svg"'},
    )
