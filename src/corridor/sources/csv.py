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
from pathlib import Path
from typing import Any

import duckdb

from corridor.errors import InputError, SourceError
from corridor.sources._files import existing_file, head_bytes, open_text_binary
from corridor.sources.ledger import RowLedger
from corridor.sources.source import Source, default_connection, quote_literal

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
            f"file {str(path)!r} is not valid {encoding}: byte {bad[:1]!r} at line {line} cannot be decoded",
            hint="state the file's encoding, e.g. `encoding: latin-1` in the spec or `--encoding latin-1`",
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
                return f"line {at}, byte {chunk[exc.start:exc.start + 1]!r}"
            line += chunk.count(b"\n")
    return "unknown position"


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
                f"file {str(path)!r} is not valid {encoding} ({exc.reason})",
                hint="check the file's encoding (utf-8, latin-1, cp1252 ...)",
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
                where = "last line" if not text.read(1) else f"line {reader.line_num}"
                return (
                    f"{where} has {len(row)} field(s) where the header has {len(header)}"
                    f" ({delimiter!r}-separated): {delimiter.join(row)[:80]!r}"
                )
    return None


def read_csv(
    path: str | Path,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    encoding: str = "utf-8",
    delimiter: str | None = None,
    header: bool = True,
    types: dict[str, str] | None = None,
    all_varchar: bool = False,
    sample_size: int = -1,
    nullstr: str | list[str] | None = None,
    **_: Any,
) -> Source:
    """Read a delimited text file (optionally gzip-compressed) as a lazy DuckDB relation.

    Raises :class:`~corridor.errors.InputError` for an empty file and
    :class:`~corridor.errors.SourceError` for a wrong encoding, a damaged gzip
    stream or a truncated/ragged row, naming the file and line.
    """
    con = con or default_connection()
    p = existing_file(path)
    sample = head_bytes(p)
    codec = codecs.lookup(encoding).name
    _check_encoding(p, sample, codec)
    text = sample.decode(codec, errors="ignore").lstrip("\ufeff")
    first_line = text.splitlines()[0] if text.strip() else ""
    if not first_line.strip():
        raise InputError(f"file {str(p)!r} is empty (no header line)", hint="check that the file was exported completely")
    delim = delimiter or sniff_delimiter(first_line)
    data_lines = [ln for ln in text.splitlines()[1 if header else 0 :] if ln.strip()]
    if not data_lines:
        raise InputError(f"file {str(p)!r} has a header but no data rows", hint="check that the file was exported completely")
    scan_path = p if codec == "utf-8" else _transcode(p, codec)
    opts = {
        "delim": delim,
        "header": header,
        "quote": '"',
        "escape": '"',
        "sample_size": sample_size,
        "strict_mode": True,
        "all_varchar": all_varchar,
    }
    args = ", ".join(f"{k} = {quote_literal(v)}" for k, v in opts.items())
    if nullstr is not None:
        values = [nullstr] if isinstance(nullstr, str) else list(nullstr)
        args += ", nullstr = [" + ", ".join(quote_literal(v) for v in values + [""]) + "]"
    if types:
        pairs = ", ".join(f"{quote_literal(k)}: {quote_literal(v)}" for k, v in types.items())
        args += f", types = {{{pairs}}}"
    sql = f"SELECT * FROM read_csv({quote_literal(str(scan_path))}, {args})"
    try:
        rel = con.sql(sql)
        n = int(rel.aggregate("count(*)").fetchall()[0][0])
    except (duckdb.Error, UnicodeDecodeError) as exc:
        raise _translate(p, codec, delim, exc) from exc
    ledger = RowLedger(source=str(p), read=n)
    return Source(
        relation=rel,
        path=p,
        format="csv",
        connection=con,
        ledger=ledger,
        options={"encoding": codec, "delimiter": delim, "header": header, "nullstr": nullstr},
    )


def _translate(path: Path, encoding: str, delimiter: str, exc: Exception) -> SourceError:
    msg = str(exc)
    if "GZIP" in msg.upper() or "gzip" in msg:
        return SourceError(
            f"file {str(path)!r} is a truncated or damaged gzip file",
            hint="copy or download the file again; `gzip -t FILE` checks it",
        )
    if "unicode" in msg.lower() or isinstance(exc, UnicodeDecodeError):
        return SourceError(
            f"file {str(path)!r} is not valid {encoding}: {_find_bad_encoding(path, encoding)}",
            hint="state the file's encoding, e.g. `encoding: latin-1` in the spec or `--encoding latin-1`",
        )
    problem = _diagnose(path, encoding, delimiter)
    if problem:
        return SourceError(
            f"file {str(path)!r} is truncated or malformed: {problem}",
            hint="a file cut short or a row with an extra/missing delimiter; re-export the file",
        )
    first = re.split(r"\n", msg.strip())[0]
    return SourceError(f"cannot read {str(path)!r} as CSV: {first}", hint="check the delimiter, quoting and encoding")
