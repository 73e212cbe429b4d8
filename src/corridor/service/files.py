"""Files named or sent by users: paths stay inside the data folder; uploads have size and type limits."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from corridor.errors import InputError
from corridor.service.errors import Forbidden, TooLarge, UnsupportedMedia

UPLOAD_TYPES = {".csv": "text", ".xlsx": "zip", ".parquet": "parquet"}
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_path(root: Path, user_path: str) -> Path:
    """``user_path`` resolved inside ``root``; anything that leaves it (``..``, absolute, symlink) is refused."""
    if not user_path or "\x00" in user_path:
        raise InputError("no file path given", hint="give a path relative to the data folder")
    base = root.resolve()
    target = (base / user_path).resolve()
    if target != base and not target.is_relative_to(base):
        raise Forbidden(
            f"the path {user_path!r} is outside the data folder",
            hint="give a path relative to the data folder, without '..'",
        )
    if not target.is_file():
        raise InputError(
            f"there is no file {user_path!r} in the data folder", hint="check the name and the folder"
        )
    return target


def _sniff(head: bytes, kind: str) -> bool:
    if kind == "zip":
        return head.startswith(b"PK\x03\x04")
    if kind == "parquet":
        return head.startswith(b"PAR1")
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a multi-byte character cut at the end of the sniffed block is fine
        return exc.start >= len(head) - 3
    return True


async def save_upload(upload: Any, dest: Path, *, max_bytes: int, allowed: tuple[str, ...]) -> Path:
    """Stream an upload to ``dest`` under a fresh safe name; refuse wrong types and oversize files."""
    name = Path(getattr(upload, "filename", "") or "").name
    ext = Path(name.lower()).suffix
    if ext not in allowed:
        raise UnsupportedMedia(
            f"files of type {ext or '(none)'!r} are not accepted", hint=f"upload one of: {', '.join(allowed)}"
        )
    stem = _SAFE.sub("_", Path(name).stem)[:60] or "upload"
    path = dest / f"{stem}-{uuid.uuid4().hex[:10]}{ext}"
    size = 0
    head = b""
    try:
        with path.open("wb") as fh:
            while chunk := await upload.read(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(
                        f"the file is larger than {max_bytes // 1024} KiB",
                        hint="split it, or ask an administrator to raise upload_max_bytes",
                    )
                if len(head) < 4096:
                    head += chunk[: 4096 - len(head)]
                fh.write(chunk)
        if size == 0:
            raise InputError("the uploaded file is empty", hint="choose a file with data")
        if not _sniff(head, UPLOAD_TYPES[ext]):
            raise UnsupportedMedia(
                f"the file {name!r} is not a valid {ext} file", hint="export it again as UTF-8 CSV or as XLSX"
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path
