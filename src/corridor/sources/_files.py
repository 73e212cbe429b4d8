"""File checks shared by the readers: existence, emptiness, compression, what a file really is."""

from __future__ import annotations

import gzip
import zipfile
import zlib
from pathlib import Path

from corridor.errors import InputError, SourceError, UnsupportedError

# what a file is, by its first bytes, in words a user recognises
KIND_NAMES = {
    "gzip": "a gzip-compressed file",
    "xlsx": "an Excel workbook (.xlsx)",
    "xls": "an old-style Excel or other Office file (.xls)",
    "zip": "a ZIP archive",
    "zstd": "a zstd-compressed file",
    "bz2": "a bzip2-compressed file",
    "xz": "an xz-compressed file",
    "parquet": "a Parquet file",
    "stata": "a Stata data file (.dta)",
    "spss": "an SPSS data file (.sav)",
    "sas": "a SAS data file",
    "xml": "an XML document",
    "pdf": "a PDF document",
    "html": "an HTML page",
    "text": "a text file",
    "binary": "a binary (non-text) file",
}
# the kinds each reader format accepts
_FITS = {
    "csv": {"text", "gzip"},
    "parquet": {"parquet"},
    "stata": {"stata"},
    "spss": {"spss", "text"},  # .por files are text
    "sas": {"sas", "text"},  # transport files start with text headers
    "ipums": {"xml"},
    "xlsx": {"xlsx", "zip"},
}
_FORMAT_WORDS = {"csv": "CSV text", "parquet": "Parquet", "stata": "a Stata file", "spss": "an SPSS file",
                 "sas": "a SAS file", "ipums": "an IPUMS DDI codebook (XML)", "xlsx": "an Excel workbook"}
_FORMAT_OF_KIND = {"xlsx": "xlsx", "parquet": "parquet", "stata": "stata", "spss": "spss", "sas": "sas", "xml": "ipums"}


def existing_file(path: str | Path) -> Path:
    """Return ``path`` as a Path, raising :class:`SourceError` if it is not a readable file."""
    p = Path(path).expanduser()
    if not p.exists():
        raise SourceError(f"file {str(p)!r} does not exist", hint="check the path (relative paths are taken from the current directory)")
    if not p.is_file():
        raise SourceError(f"{str(p)!r} is not a file", hint="give the path of a data file, not a folder")
    if p.stat().st_size == 0:
        raise InputError(f"file {str(p)!r} is empty (0 bytes)", hint="the file may not have been written or downloaded completely")
    return p


def sniff_kind(path: Path) -> str:
    """What the file is by its first bytes (a key of ``KIND_NAMES``), whatever its extension says."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    if head[:3] == b"BZh":
        return "bz2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
        except (zipfile.BadZipFile, OSError):
            return "zip"
        return "xlsx" if any(n.startswith("xl/") for n in names) else "zip"
    if head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    if head[:4] == b"PAR1":
        return "parquet"
    if head[:11] == b"<stata_dta>" or (len(head) > 3 and 102 <= head[0] <= 119 and head[1] in (1, 2) and head[2] == 1):
        return "stata"
    if head[:4] in (b"$FL2", b"$FL3"):
        return "spss"
    if head[12:16] == b"\xc2\xea\x81\x60" or head.startswith(b"HEADER RECORD*******LIB"):
        return "sas"
    if head[:5] == b"%PDF-":
        return "pdf"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text[:5].lower() == b"<?xml":
        return "html" if b"<html" in head.lower() else "xml"
    if text[:9].lower() in (b"<!doctype", b"<html>") or text[:5].lower() == b"<html":
        return "html"
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if b"\x00" in head or controls > len(head) // 100:
        return "binary"
    return "text"


def check_kind(path: Path, fmt: str) -> None:
    """Raise when the file's content is not what ``fmt`` reads (e.g. a workbook renamed ``.csv``)."""
    kind = sniff_kind(path)
    if fmt == "csv" and kind in ("zstd", "bz2", "xz", "zip"):
        suffix = path.suffix.lower()
        raise UnsupportedError(
            f"cannot read compressed {suffix} files ({path}): {KIND_NAMES[kind]}",
            hint="decompress it, or recompress it with gzip (.csv.gz), or convert it to Parquet",
        )
    fits = _FITS.get(fmt)
    if fits is None or kind in fits:
        return
    other = _FORMAT_OF_KIND.get(kind)
    how = (
        f"give it its own extension (.{'dta' if other == 'stata' else 'sav' if other == 'spss' else other}) "
        f"or state its format ({other}: --input-format for corridor estimate, --format for sources describe)"
        if other and other != "ipums"
        else "check that this is the file you meant (it may be a download error page or another format)"
    )
    raise SourceError(f"file {str(path)!r} is to be read as {_FORMAT_WORDS[fmt]} but is {KIND_NAMES[kind]}", hint=how)


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def gzip_damage(path: Path) -> str | None:
    """Where a gzip stream breaks: the byte it stops at and the last whole line before it (None if sound)."""
    size = path.stat().st_size
    dec = zlib.decompressobj(16 + zlib.MAX_WBITS)
    lines = 0
    used = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            try:
                out = dec.decompress(chunk)
            except zlib.error as exc:
                return f"its compressed data are damaged near byte {used + len(chunk):,} of {size:,} ({exc}); " \
                       f"the data read end after line {lines:,}"
            lines += out.count(b"\n")
            used += len(chunk) - len(dec.unused_data)
            if dec.eof:
                # a second gzip member follows (concatenated gzip): start it
                rest = dec.unused_data
                if not rest:
                    continue
                dec = zlib.decompressobj(16 + zlib.MAX_WBITS)
                try:
                    lines += dec.decompress(rest).count(b"\n")
                except zlib.error:
                    return f"it has trailing bytes after its end at byte {used:,} of {size:,}"
    if not dec.eof:
        return f"it is truncated: the compressed data stop at byte {size:,} before the end of the stream; " \
               f"the data read end after line {lines:,}"
    return None


def head_bytes(path: Path, n: int = 1 << 16) -> bytes:
    """The first ``n`` bytes of the (decompressed) file; raises SourceError on a broken gzip stream."""
    if not is_gzip(path):
        with open(path, "rb") as fh:
            return fh.read(n)
    try:
        with gzip.open(path, "rb") as fh:
            return fh.read(n)
    except (EOFError, OSError, zlib.error) as exc:
        raise gzip_error(path) from exc


def gzip_error(path: Path) -> SourceError:
    """The error for a gzip file that cannot be read to its end, saying where it breaks."""
    where = gzip_damage(path) or "it cannot be decompressed"
    return SourceError(
        f"file {str(path)!r} is a damaged gzip file: {where}",
        hint="download or copy the file again; `gzip -t FILE` checks it",
    )


def open_text_binary(path: Path):
    """Open the (decompressed) bytes of a file."""
    return gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")
