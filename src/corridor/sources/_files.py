"""File checks shared by the readers: existence, emptiness, compression."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

from corridor.errors import InputError, SourceError


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


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def head_bytes(path: Path, n: int = 1 << 16) -> bytes:
    """The first ``n`` bytes of the (decompressed) file; raises SourceError on a broken gzip stream."""
    if not is_gzip(path):
        with open(path, "rb") as fh:
            return fh.read(n)
    try:
        with gzip.open(path, "rb") as fh:
            return fh.read(n)
    except (EOFError, OSError, zlib.error) as exc:
        raise SourceError(
            f"file {str(path)!r} is a damaged or truncated gzip file ({exc})",
            hint="download or copy the file again; `gzip -t FILE` checks it",
        ) from exc


def open_text_binary(path: Path):
    """Open the (decompressed) bytes of a file."""
    return gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")
