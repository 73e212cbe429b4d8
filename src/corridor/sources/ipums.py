"""IPUMS extracts (DDI codebook + fixed-width or CSV data) via ipumspy, chunked into DuckDB.

ipumspy parses the DDI XML codebook (variable positions, labels, value
labels, implied decimals) and reads the data file in chunks; each chunk is
appended to a DuckDB table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from corridor._deps import import_optional
from corridor.errors import InputError, SourceError
from corridor.i18n import Message
from corridor.sources._files import existing_file, open_text_binary
from corridor.sources._push import push_frames
from corridor.sources.ledger import RowLedger
from corridor.sources.source import Source, default_connection, quote_ident


def read_ipums(
    ddi_path: str | Path,
    data_path: str | Path | None = None,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    chunksize: int = 100_000,
    **_: Any,
) -> Source:
    """Read an IPUMS extract described by its DDI codebook (``.xml``).

    ``data_path`` defaults to the file named in the codebook, next to it.
    """
    readers = import_optional("ipumspy.readers", feature="reading IPUMS extracts")
    con = con or default_connection()
    ddi_file = existing_file(ddi_path)
    try:
        ddi = readers.read_ipums_ddi(ddi_file)
    except Exception as exc:
        raise SourceError(
            Message("sources.cannot_read_ipums_ddi", ddi_file=str(ddi_file), exc=exc),
            hint=Message("sources.cannot_read_ipums_ddi.hint"),
        ) from exc
    data = Path(data_path) if data_path else ddi_file.parent / ddi.file_description.filename
    data = existing_file(data)
    _check_record_lengths(ddi, data, ddi_file)
    try:
        frames = readers.read_microdata_chunked(ddi, data, chunksize=chunksize)
        table, n = push_frames(con, frames, "ipums", Message("sources.where_file", path=str(data)))
    except (InputError, SourceError):
        raise
    except Exception as exc:
        raise SourceError(
            Message("sources.cannot_read_ipums_data", data=str(data), name=ddi_file.name, exc=exc),
            hint=Message("sources.cannot_read_ipums_data.hint"),
        ) from exc
    if not table:
        raise InputError(Message("sources.file_data_rows", data=str(data)), hint=Message("sources.file_data_rows.hint"))
    var_labels = {v.name: v.label for v in ddi.data_description if v.label}
    value_labels = {
        v.name: {code: label for label, code in v.codes.items()} for v in ddi.data_description if v.codes
    }
    rel = con.sql(f"SELECT * FROM {quote_ident(table)}")
    return Source(
        relation=rel,
        path=data,
        format="ipums",
        connection=con,
        variable_labels=var_labels,
        value_labels=value_labels,
        ledger=RowLedger(source=str(data), read=n),
        options={"ddi": str(ddi_file), "table": table},
    )


def _check_record_lengths(ddi: Any, data: Path, ddi_file: Path) -> None:
    """Refuse fixed-width records shorter than the codebook's record length.

    A short record would be read with its last fields cut or empty: bogus codes and PSU ids, or
    missing values that are not in the data. One streaming pass over the lines, before any parsing.
    """
    fd = ddi.file_description
    if "fixed" not in str(getattr(fd, "format", "")).lower() or str(getattr(fd, "structure", "")) != "rectangular":
        return
    length = max((int(v.end) for v in ddi.data_description), default=0)
    if not length:
        return
    short: list[tuple[int, int]] = []
    n_short = 0
    with open_text_binary(data) as fh:
        for i, line in enumerate(fh, 1):
            size = len(line.rstrip(b"\r\n"))
            if size < length and (size or line.strip()):
                n_short += 1
                if len(short) < 5:
                    short.append((i, size))
    if n_short:
        shown = ", ".join(f"line {i:,} has {size}" for i, size in short)
        raise SourceError(
            Message("sources.file_record_shorter_than", data=str(data), n_short=n_short, length=length, name=ddi_file.name, shown=shown),
            hint=Message("sources.file_record_shorter_than.hint"),
        )
