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


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow(["" if r.get(c) is None else _cell(r.get(c)) for c in columns])
    return buf.getvalue().encode("utf-8")


def to_xlsx(rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str = "data") -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31] or "data")
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


def table_response(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str, filename: str
) -> Response:
    """A CSV or XLSX attachment."""
    body = to_csv(rows, columns) if fmt == "csv" else to_xlsx(rows, columns)
    return Response(
        body,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'},
    )


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
