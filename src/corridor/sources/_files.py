"""File checks shared by the readers: existence, emptiness, compression, what a file really is."""

from __future__ import annotations

import gzip
import zipfile
import zlib
from pathlib import Path

from corridor.errors import InputError, SourceError, UnsupportedError
from corridor.i18n import Message

# what a file is, by its first bytes, in words a user recognises
KIND_NAMES = {
    "gzip": Message("sources.kind.gzip"),
    "xlsx": Message("sources.kind.xlsx"),
    "xls": Message("sources.kind.xls"),
    "zip": Message("sources.kind.zip"),
    "zstd": Message("sources.kind.zstd"),
    "bz2": Message("sources.kind.bz2"),
    "xz": Message("sources.kind.xz"),
    "parquet": Message("sources.kind.parquet"),
    "stata": Message("sources.kind.stata"),
    "spss": Message("sources.kind.spss"),
    "sas": Message("sources.kind.sas"),
    "xml": Message("sources.kind.xml"),
    "pdf": Message("sources.kind.pdf"),
    "html": Message("sources.kind.html"),
    "text": Message("sources.kind.text"),
    "binary": Message("sources.kind.binary"),
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
_FORMAT_WORDS = {f: Message(f"sources.format_words.{f}") for f in ("csv", "parquet", "stata", "spss", "sas", "ipums", "xlsx")}
_FORMAT_OF_KIND = {"xlsx": "xlsx", "parquet": "parquet", "stata": "stata", "spss": "spss", "sas": "sas", "xml": "ipums"}


def existing_file(path: str | Path) -> Path:
    """Return ``path`` as a Path, raising :class:`SourceError` if it is not a readable file."""
    p = Path(path).expanduser()
    if not p.exists():
        raise SourceError(Message("sources.file_does_not_exist", path=str(p)), hint=Message("sources.file_does_not_exist.hint"))
    if not p.is_file():
        raise SourceError(Message("sources.not_file", path=str(p)), hint=Message("sources.not_file.hint"))
    if p.stat().st_size == 0:
        raise InputError(Message("sources.file_empty_bytes", path=str(p)), hint=Message("sources.file_empty_bytes.hint"))
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
            Message("sources.cannot_read_compressed_files", suffix=suffix, path=path, kind_names=KIND_NAMES[kind]),
            hint=Message("sources.cannot_read_compressed_files.hint"),
        )
    fits = _FITS.get(fmt)
    if fits is None or kind in fits:
        return
    other = _FORMAT_OF_KIND.get(kind)
    how = (
        Message("sources.file_read.hint_other", ext="dta" if other == "stata" else "sav" if other == "spss" else other,
                other=other)
        if other and other != "ipums"
        else Message("sources.file_read.hint")
    )
    raise SourceError(Message("sources.file_read", path=str(path), format_words=_FORMAT_WORDS[fmt], kind_names=KIND_NAMES[kind]), hint=how)


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
                return Message("sources.gzip_damaged_near", byte=used + len(chunk), size=size, exc=str(exc), lines=lines)
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
                    return Message("sources.gzip_trailing", byte=used, size=size)
    if not dec.eof:
        return Message("sources.gzip_truncated", size=size, lines=lines)
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
    where = gzip_damage(path) or Message("sources.gzip_cannot_decompress")
    return SourceError(
        Message("sources.file_damaged_gzip_file", path=str(path), where=where),
        hint=Message("sources.file_damaged_gzip_file.hint"),
    )


def open_text_binary(path: Path):
    """Open the (decompressed) bytes of a file."""
    return gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")
