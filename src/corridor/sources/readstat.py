"""Stata, SPSS and SAS files via pyreadstat, read in chunks into a DuckDB table.

pyreadstat (ReadStat) parses ``.dta``, ``.sav``/``.zsav``, ``.por``,
``.sas7bdat`` and ``.xpt``; each chunk is appended to a DuckDB table so that a
file larger than memory is never held whole in pandas. Variable and value
labels are kept as metadata.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb

from corridor._deps import import_optional
from corridor.errors import InputError, SourceError
from corridor.i18n import Message
from corridor.sources._files import existing_file
from corridor.sources._push import push_frames
from corridor.sources.columns import Rename, apply_rename, restore_duplicates
from corridor.sources.ledger import RowLedger
from corridor.sources.source import Source, default_connection, quote_ident

READERS = {
    ".dta": ("read_dta", "stata"),
    ".sav": ("read_sav", "spss"),
    ".zsav": ("read_sav", "spss"),
    ".por": ("read_por", "spss"),
    ".sas7bdat": ("read_sas7bdat", "sas"),
    ".xpt": ("read_xport", "sas"),
}


def read_stat(
    path: str | Path,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    chunksize: int = 100_000,
    encoding: str | None = None,
    rename: Rename | None = None,
    **_: Any,
) -> Source:
    """Read a Stata/SPSS/SAS file chunk by chunk into a DuckDB table.

    ``rename`` renames columns by 1-based position or unique name. A name the file holds twice
    (pyreadstat calls the second ``x_duplicated1``) is an error naming both positions.
    """
    pyreadstat = import_optional("pyreadstat", feature="reading Stata, SPSS and SAS files")
    con = con or default_connection()
    p = existing_file(path)
    suffix = p.suffix.lower()
    if suffix not in READERS:
        raise SourceError(Message("sources.unknown_statistical_file_extension", path=str(p), suffix=suffix), hint=Message("sources.unknown_statistical_file_extension.hint", readers=', '.join(READERS)))
    fn_name, fmt = READERS[suffix]
    fn = getattr(pyreadstat, fn_name)
    meta_holder: list[Any] = []
    names: list[str] = []
    kwargs: dict[str, Any] = {"chunksize": chunksize}
    if encoding:
        kwargs["encoding"] = encoding
    where = Message("sources.where_file", path=str(p))

    def frames():
        for frame, meta in pyreadstat.read_file_in_chunks(fn, str(p), **kwargs):
            if not meta_holder:
                meta_holder.append(meta)
                found = [str(c) for c in frame.columns]
                names.extend(apply_rename(restore_duplicates(found, _renamed_duplicate), rename, where))
            frame.columns = names
            yield frame

    try:
        table, n = push_frames(con, frames(), "stat", where)
    except Exception as exc:  # pyreadstat raises its own ReadstatError / PyreadstatError
        if isinstance(exc, InputError | SourceError):
            raise
        raise SourceError(
            Message("sources.cannot_read_file", path=str(p), fmt=fmt, exc=exc),
            hint=Message("sources.cannot_read_file.hint"),
        ) from exc
    if not table:
        raise InputError(Message("sources.file_data_rows_2", path=str(p)), hint=Message("sources.file_data_rows_2.hint"))
    meta = meta_holder[0]
    new_name = dict(zip(meta.column_names, names, strict=False))
    labels = {new_name.get(k, k): v for k, v in (meta.column_names_to_labels or {}).items() if v}
    values = {new_name.get(k, k): dict(v) for k, v in (meta.variable_value_labels or {}).items()}
    rel = con.sql(f"SELECT * FROM {quote_ident(table)}")
    return Source(
        relation=rel,
        path=p,
        format=fmt,
        connection=con,
        variable_labels=labels,
        value_labels=values,
        ledger=RowLedger(source=str(p), read=n),
        options={"table": table},
    )


_DUPLICATED = re.compile(r"^(.+)_duplicated[0-9]+$")


def _renamed_duplicate(name: str) -> str | None:
    """The name pyreadstat renamed to ``name`` when a file holds it twice (``x_duplicated1`` -> ``x``)."""
    m = _DUPLICATED.match(name)
    return m.group(1) if m else None
