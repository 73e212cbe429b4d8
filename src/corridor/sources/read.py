"""Choose a reader from a file's extension (or an explicit ``format``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from corridor.errors import CorridorError, EngineMemoryError, SourceError
from corridor.i18n import Message
from corridor.sources._files import check_kind, existing_file
from corridor.sources.source import Source

FORMATS = ("csv", "parquet", "stata", "spss", "sas", "ipums", "xlsx")

# The reading options a user gives (command line, Python ``read=``, a spec's source.options) and the
# formats that use them: an option given for a format that has no use for it is an error, not ignored
# (``--sheet 2`` on a Parquet file would otherwise estimate from a file the user did not mean).
_USER_OPTIONS = {
    "encoding": ("csv", "stata", "spss", "sas", "readstat"),
    "delimiter": ("csv",),
    "decimal": ("csv",),
    "sheet": ("xlsx",),
    "header_row": ("xlsx",),
    "last_row": ("xlsx",),
    "data": ("ipums",),
}


def detect_format(path: str | Path) -> str:
    """The reader format for a path, from its extension (``.csv.gz`` is CSV)."""
    name = Path(path).name.lower()
    for suffix in (".gz", ".bz2", ".zst", ".zstd", ".xz", ".zip"):
        name = name.removesuffix(suffix)
    ext = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    table = {
        ".csv": "csv", ".txt": "csv", ".tsv": "csv",
        ".parquet": "parquet", ".pq": "parquet",
        ".dta": "stata", ".sav": "spss", ".zsav": "spss", ".por": "spss",
        ".sas7bdat": "sas", ".xpt": "sas",
        ".xml": "ipums",
        ".xlsx": "xlsx", ".xlsm": "xlsx",
    }
    if ext not in table:
        raise SourceError(
            Message("sources.cannot_tell_format_extension", path=str(path), value=ext or '(none)'),
            hint=Message("sources.cannot_tell_format_extension.hint", formats=', '.join(FORMATS)),
        )
    return table[ext]


def read_source(
    path: str | Path,
    format: str | None = None,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    **options: Any,
) -> Source:
    """Read any supported file into a :class:`Source` (options go to the format's reader).

    The file's first bytes must fit the format (a workbook renamed ``.csv`` is named as a workbook).
    """
    fmt = (format or detect_format(path)).lower()
    if fmt not in FORMATS and fmt != "readstat":
        raise SourceError(Message("sources.unknown_format_2", fmt=fmt, path=str(path)), hint=Message("sources.unknown_format_2.hint", formats=', '.join(FORMATS)))
    _check_options(path, fmt, options)
    check_kind(existing_file(path), fmt)
    if fmt == "csv":
        from corridor.sources.csv import read_csv

        return read_csv(path, con=con, **options)
    if fmt == "parquet":
        from corridor.sources.parquet import read_parquet

        return read_parquet(path, con=con, **options)
    if fmt in ("stata", "spss", "sas", "readstat"):
        from corridor.sources.readstat import read_stat

        return read_stat(path, con=con, **options)
    if fmt == "ipums":
        from corridor.sources.ipums import read_ipums

        return read_ipums(path, options.pop("data", None), con=con, **options)
    if fmt == "xlsx":
        from corridor.sources.xlsx import read_xlsx

        return read_xlsx(path, con=con, **options)
    raise SourceError(Message("sources.unknown_format", fmt=fmt, path=str(path)), hint=Message("sources.unknown_format.hint", formats=', '.join(FORMATS)))


def _check_options(path: str | Path, fmt: str, options: dict[str, Any]) -> None:
    """Options that ``fmt`` has no use for, and row numbers that are not rows, named before reading."""
    for name, formats in _USER_OPTIONS.items():
        if options.get(name) is not None and fmt not in formats:
            takes = [n for n, f in _USER_OPTIONS.items() if fmt in f]
            raise SourceError(
                Message("sources.option_not_for_format", option=name, fmt=fmt, path=str(path)),
                hint=Message("sources.option_not_for_format.hint", fmt=fmt, options=", ".join(takes) or "-"),
            )
    for name in ("header_row", "last_row"):
        value = options.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise SourceError(Message("sources.row_number_not_a_row", option=name, value=repr(value), path=str(path)),
                              hint=Message("sources.row_number_not_a_row.hint"))


def explain_scan_error(src: Source, exc: BaseException) -> CorridorError:
    """A scan of ``src`` failed inside the engine: what is wrong with the file, where, and how to fix it.

    The library's own text is kept as the error's ``detail`` (the command line's --verbose shows it).
    """
    if isinstance(exc, duckdb.OutOfMemoryException):
        return EngineMemoryError.of(str(exc), src.where)
    if src.format == "csv" and src.path is not None:
        from corridor.sources.csv import explain_scan_error as explain_csv

        return explain_csv(src, exc)
    if src.format == "parquet" and src.path is not None:
        from corridor.sources.parquet import explain_error

        return explain_error(src.path, exc)
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return SourceError(Message("sources.cannot_read", where=src.where, first=first), hint=Message("sources.cannot_read.hint"),
                       detail=text)
