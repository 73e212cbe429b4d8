"""CSV reader: DuckDB's scanner, with encoding, delimiter and damage checks up front.

Delimiters are taken from the header line when not given (``,``, ``;``, tab or
``|``). DuckDB reads UTF-8 only, so a file in another encoding (e.g. INE's
Latin-1 files) is transcoded once, in a stream, to a temporary UTF-8 file.
Column types are inferred from the whole file (``sample_size=-1``), because
some published files write a few numbers in scientific notation deep inside an
integer column (e.g. ``6e+05`` in CASEN 2020).
"""

from __future__ import annotations

import atexit
import codecs
import csv as _csv
import io
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from corridor.errors import CorridorError, InputError, SourceError
from corridor.i18n import Message
from corridor.sources._files import existing_file, gzip_error, head_bytes, open_text_binary
from corridor.sources.columns import Rename, apply_rename, check_unique, non_numeric, not_numbers_error
from corridor.sources.ledger import RowLedger
from corridor.sources.source import Source, default_connection, quote_ident, quote_literal

_DELIMITERS = (",", ";", "\t", "|")
_TEMP_FILES: list[str] = []


@atexit.register
def _cleanup() -> None:
    for name in _TEMP_FILES:
        try:
            os.unlink(name)
        except OSError:
            pass


def _line_of(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def _check_encoding(path: Path, sample: bytes, encoding: str) -> None:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        decoder.decode(sample, final=False)
    except UnicodeDecodeError as exc:
        line = _line_of(sample, exc.start)
        bad = sample[exc.start : exc.start + 4]
        raise SourceError(
            Message("sources.file_not_valid_byte", path=str(path), encoding=encoding, bad=bad[:1], line=line),
            hint=Message("sources.file_not_valid_byte.hint"),
        ) from exc


def _find_bad_encoding(path: Path, encoding: str) -> str:
    """Locate the first undecodable byte in the whole file (error path only)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with open_text_binary(path) as fh:
        while chunk := fh.read(1 << 20):
            try:
                decoder.decode(chunk, final=False)
            except UnicodeDecodeError as exc:
                at = line + chunk.count(b"\n", 0, exc.start)
                return Message("sources.bad_byte_at_line", line=at, byte=chunk[exc.start:exc.start + 1])
            line += chunk.count(b"\n")
    return Message("sources.unknown_position")


def _transcode(path: Path, encoding: str) -> Path:
    fd, name = tempfile.mkstemp(prefix="corridor_", suffix=".csv")
    _TEMP_FILES.append(name)
    decoder = codecs.getincrementaldecoder(encoding)()
    with os.fdopen(fd, "wb") as out, open_text_binary(path) as fh:
        try:
            while chunk := fh.read(1 << 20):
                out.write(decoder.decode(chunk).encode("utf-8"))
            out.write(decoder.decode(b"", final=True).encode("utf-8"))
        except UnicodeDecodeError as exc:
            raise SourceError(
                Message("sources.file_not_valid_2", path=str(path), encoding=encoding, reason=exc.reason),
                hint=Message("sources.file_not_valid_2.hint"),
            ) from exc
    return Path(name)


def sniff_delimiter(header: str) -> str:
    """The most frequent candidate delimiter in a header line (``,`` when none occurs)."""
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def _diagnose(path: Path, encoding: str, delimiter: str) -> str | None:
    """Find the first row whose field count differs from the header's (error path only)."""
    with open_text_binary(path) as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
        reader = _csv.reader(text, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            return None
        for row in reader:
            if len(row) != len(header) and any(field.strip() for field in row):
                if not text.read(1):
                    return (
                        Message("sources.csv_ends_mid_row", line=reader.line_num, n_fields=len(row), n_header=len(header),
                                row=delimiter.join(row)[:80])
                    )
                return (
                    Message("sources.csv_fields_differ", line=reader.line_num, n_fields=len(row), n_header=len(header),
                            delimiter=delimiter, row=delimiter.join(row)[:80])
                )
    return None


def read_csv(
    path: str | Path,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    encoding: str = "utf-8",
    delimiter: str | None = None,
    decimal: str | None = None,
    header: bool = True,
    types: dict[str, str] | None = None,
    all_varchar: bool = False,
    sample_size: int = -1,
    nullstr: str | list[str] | None = None,
    na_values: Sequence[str] | None = None,
    rename: Rename | None = None,
    lazy: bool = False,
    **_: Any,
) -> Source:
    """Read a delimited text file (optionally gzip-compressed) as a lazy DuckDB relation.

    ``decimal=","`` reads numbers written with a decimal comma (``1,5``), as spreadsheets
    in Spanish and French write them. ``na_values`` (or ``nullstr``) are texts read as missing values in every column, e.g.
    ``["NS/NR", "-"]``. ``rename`` renames columns by 1-based position or unique name
    (two columns with the same name are an error otherwise). ``lazy=True`` is for a scan that
    follows at once (estimation): no pass over the file here (the row count is left to that
    scan), types are sniffed on a sample with numbers read as DOUBLE and anything else as text,
    and errors met by the scan are explained by :func:`explain_scan_error`.

    Raises :class:`~corridor.errors.InputError` for an empty file or duplicate column names and
    :class:`~corridor.errors.SourceError` for a wrong encoding, a damaged gzip stream or a
    truncated/ragged row, naming the file and line.
    """
    con = con or default_connection()
    p = existing_file(path)
    sample = head_bytes(p)
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise SourceError(Message("sources.unknown_encoding", encoding=encoding, path=str(p)),
                          hint=Message("sources.unknown_encoding.hint")) from None
    _check_encoding(p, sample, codec)
    text = sample.decode(codec, errors="ignore").lstrip("\ufeff")
    first_line = text.splitlines()[0] if text.strip() else ""
    if not first_line.strip():
        raise InputError(Message("sources.file_empty_header_line", path=str(p)), hint=Message("sources.file_empty_header_line.hint"))
    delim = delimiter or sniff_delimiter(first_line)
    if decimal is not None and (decimal not in (".", ",") or decimal == delim):
        raise SourceError(Message("sources.decimal_mark", decimal=decimal, delimiter=delim, path=str(p)),
                          hint=Message("sources.decimal_mark.hint"))
    data_lines = [ln for ln in text.splitlines()[1 if header else 0 :] if ln.strip()]
    if not data_lines:
        raise InputError(Message("sources.file_header_data_rows", path=str(p)), hint=Message("sources.file_header_data_rows.hint"))
    names: list[str] | None = None
    if header:
        found = next(_csv.reader([first_line], delimiter=delim), [])
        names = apply_rename([n.strip() for n in found], rename, Message("sources.where_file", path=str(p)))
        check_unique(names, Message("sources.where_file", path=str(p)))
        if names == [n.strip() for n in found] and names == found:
            names = None  # the header as it is
    scan_path = p if codec == "utf-8" else _transcode(p, codec)
    opts: dict[str, Any] = {
        "delim": delim,
        "header": header,
        "quote": '"',
        "escape": '"',
        "strict_mode": True,
        "all_varchar": all_varchar,
    }
    if not lazy:
        opts["sample_size"] = sample_size
    args = ", ".join(f"{k} = {quote_literal(v)}" for k, v in opts.items())
    if decimal is not None:
        args += f", decimal_separator = {quote_literal(decimal)}"
    if lazy and not all_varchar:
        # the estimation engines' typing (Spark's too): numbers as doubles, anything else as text
        args += ", auto_type_candidates = ['DOUBLE', 'VARCHAR']"
    missing = [nullstr] if isinstance(nullstr, str) else list(nullstr or [])
    missing += [str(v) for v in na_values or []]
    if missing:
        args += ", nullstr = [" + ", ".join(quote_literal(v) for v in dict.fromkeys([*missing, ""])) + "]"
    if names is not None:
        args += ", names = [" + ", ".join(quote_literal(n) for n in names) + "]"
    if types:
        pairs = ", ".join(f"{quote_literal(k)}: {quote_literal(v)}" for k, v in types.items())
        args += f", types = {{{pairs}}}"
    sql = f"SELECT * FROM read_csv({quote_literal(str(scan_path))}, {args})"
    options = {"encoding": codec, "delimiter": delim, "decimal": decimal, "header": header, "nullstr": missing or None,
               "rename": dict(rename or {}), "lazy": lazy, "scan_path": str(scan_path), "csv_args": args}
    try:
        rel = con.sql(sql)
        n = 0 if lazy else int(rel.aggregate("count(*)").fetchall()[0][0])
    except (duckdb.Error, UnicodeDecodeError) as exc:
        raise _translate(p, codec, delim, exc, options, con) from exc
    ledger = RowLedger(source=str(p), read=n)
    return Source(relation=rel, path=p, format="csv", connection=con, ledger=ledger, options=options)


def explain_scan_error(src: Source, exc: BaseException) -> CorridorError:
    """A scan of a CSV source failed: say what is wrong with the file, where, and how to fix it."""
    assert src.path is not None
    return _translate(src.path, src.options.get("encoding", "utf-8"), src.options.get("delimiter", ","), exc,
                      src.options, src.connection)


_LINE = re.compile(r"CSV Error on Line: (\d+)")
_CONVERT = re.compile(r'converting column "(.+?)"\. Could not convert string "(.*?)" to \'?(\w+)')


def _translate(
    path: Path, encoding: str, delimiter: str, exc: BaseException, options: dict[str, Any] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> CorridorError:
    msg = str(exc)
    detail = msg
    if "GZIP" in msg.upper() or "gzip" in msg:
        err = gzip_error(path)
        err.detail = detail
        return err
    if "unicode" in msg.lower() or isinstance(exc, UnicodeDecodeError):
        return SourceError(
            Message("sources.file_not_valid", path=str(path), encoding=encoding, find_bad_encoding=_find_bad_encoding(path, encoding)),
            hint=Message("sources.file_not_valid.hint"),
            detail=detail,
        )
    conv = _CONVERT.search(msg)
    if conv and options is not None and con is not None:
        column = conv.group(1)
        line = _LINE.search(msg)
        try:
            total, examples = _bad_numbers(path, column, options, con)
        except duckdb.Error:
            total, examples = 0, []
        if not examples:  # the listing itself failed: say what the scan said
            at = int(line.group(1)) if line else None
            examples = [(conv.group(2), 1, int(line.group(1)) - 1 if line else 0)]
            total = 1
            return not_numbers_error(Message("sources.where_file", path=str(path)), column, total, examples, line_offset=1,
                                     why=Message("sources.not_numbers_first_at_line", line=at) if at else "", detail=detail)
        return not_numbers_error(
            Message("sources.where_file", path=str(path)), column, total, examples, line_offset=1 if options.get("header", True) else 0,
            why=Message("sources.not_numbers_looks_numeric"), detail=detail,
        )
    problem = _diagnose(path, encoding, delimiter)
    if problem:
        return SourceError(
            Message("sources.file_truncated_malformed", path=str(path), problem=problem),
            hint=Message("sources.file_truncated_malformed.hint"),
            detail=detail,
        )
    line = _LINE.search(msg)
    if "sniffing" in msg:
        return SourceError(
            Message("sources.cannot_tell_how_laid", path=str(path)),
            hint=Message("sources.cannot_tell_how_laid.hint"),
            detail=detail,
        )
    first = re.split(r"\n", msg.strip())[0]
    first = re.sub(r"^[A-Za-z ]+Error: ", "", first)
    where = Message("sources.at_line", line=int(line.group(1))) if line else ""
    return SourceError(Message("sources.cannot_read_csv", path=str(path), where=where, first=first),
                       hint=Message("sources.cannot_read_csv.hint"),
                       detail=detail)


def _bad_numbers(path: Path, column: str, options: dict[str, Any], con: duckdb.DuckDBPyConnection):
    """Re-read one column as text (error path only) and list its values that are not numbers."""
    args = options["csv_args"] + f", types = {{{quote_literal(column)}: 'VARCHAR'}}"
    rel = con.sql(f"SELECT {quote_ident(column)} FROM read_csv({quote_literal(options['scan_path'])}, {args})")
    return non_numeric(rel, column, [v for v in options.get("nullstr") or []])


def nonfinite_text(src: Source, column: str, limit: int = 5) -> tuple[int, list[tuple[Any, int, int]]]:
    """NaN and infinite values of a CSV source's column as the file writes them (error path only).

    Read as a number, the file's ``NaN``, ``-Infinity`` or ``inf`` all print as DuckDB spells them
    (``nan``, ``-inf``); an error should quote what the user will find in the file. Same shape as
    :func:`corridor.sources.columns.nonfinite_values`; rows are numbered from 1 in the file's order.
    """
    options = src.options
    args = options["csv_args"] + f", types = {{{quote_literal(column)}: 'VARCHAR'}}"
    rel = src.connection.sql(f"SELECT {quote_ident(column)} FROM read_csv({quote_literal(options['scan_path'])}, {args})")
    q = quote_ident(column)
    sql = (
        f"SELECT v, count(*) AS n, min(rn) AS first FROM ("
        f"SELECT CAST({q} AS VARCHAR) AS v, row_number() OVER () AS rn FROM corridor_values) "
        f"WHERE NOT isfinite(TRY_CAST(trim(v) AS DOUBLE)) GROUP BY v ORDER BY first"
    )
    rows = rel.query("corridor_values", sql).fetchall()
    return sum(int(r[1]) for r in rows), [(r[0], int(r[1]), int(r[2])) for r in rows[:limit]]

