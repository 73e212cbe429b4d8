"""Files named or sent by users: paths stay inside the data folder; uploads have size, type and storage
limits, are read under hard caps, and are not kept longer than they are needed.

An upload is streamed to ``uploads/`` (or ``sources/``) under a fresh name, refused when it would
take the folders past the storage quota; a file whose import is rejected is deleted once the
problem report is made, a withdrawn import's file is deleted (the audit log keeps its SHA-256),
and files no import refers to are removed at start-up (left by an import the service was stopped
in the middle of). One user has at most one import in progress.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from corridor.errors import InputError
from corridor.i18n import Message
from corridor.service.errors import Forbidden, InsufficientStorage, RateLimited, TooLarge, UnsupportedMedia
from corridor.sources.bounded import Limits

log = logging.getLogger("corridor.service")
KEPT_FOLDERS = ("uploads", "sources")

UPLOAD_TYPES = {".csv": "text", ".xlsx": "zip", ".parquet": "parquet"}
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_path(root: Path, user_path: str) -> Path:
    """``user_path`` resolved inside ``root``; anything that leaves it (``..``, absolute, symlink) is refused."""
    if not user_path or "\x00" in user_path:
        raise InputError(Message("service.errors.no_path"), hint=Message("service.errors.relative_path.hint"))
    base = root.resolve()
    target = (base / user_path).resolve()
    if target != base and not target.is_relative_to(base):
        raise Forbidden(Message("service.errors.path_outside", path=repr(user_path)),
                        hint=Message("service.errors.path_outside.hint"))
    if not target.is_file():
        raise InputError(Message("service.errors.no_file", path=repr(user_path)), hint=Message("service.errors.no_file.hint"))
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


def import_limits(settings: Any) -> Limits:
    """The caps under which uploaded tables are read (see :mod:`corridor.sources.bounded`)."""
    return Limits(
        max_rows=settings.import_max_rows,
        max_columns=100,
        max_cell_chars=10_000,
        max_problems=100,
        max_unzipped_bytes=max(256 * 1024 * 1024, 50 * settings.upload_max_bytes),
    )


def stored_bytes(data_dir: Path) -> int:
    """Bytes kept in the folders the storage quota covers."""
    total = 0
    for sub in KEPT_FOLDERS:
        for root, _dirs, names in os.walk(data_dir / sub):
            for n in names:
                with contextlib.suppress(OSError):
                    total += os.lstat(os.path.join(root, n)).st_size
    return total


def check_quota(data_dir: Path, quota: int, incoming: int) -> None:
    used = stored_bytes(data_dir)
    if used + incoming > quota:
        raise InsufficientStorage(
            Message("service.errors.storage_full", used=used // (1024 * 1024), quota=quota // (1024 * 1024)),
            hint=Message("service.errors.storage_full.hint"),
        )


def discard(data_dir: Path, stored: str | None) -> str | None:
    """Delete a kept file (only inside ``uploads/`` or ``sources/``); its SHA-256, for the audit log."""
    if not stored:
        return None
    path = Path(stored)
    base = data_dir.resolve()
    try:
        path = path.resolve()
    except OSError:
        return None
    if not any(path.is_relative_to(base / sub) for sub in KEPT_FOLDERS) or not path.is_file():
        return None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    path.unlink(missing_ok=True)
    return digest


def sweep_uploads(data_dir: Path, referenced: set[str]) -> int:
    """Remove files of ``uploads/`` that no import refers to; how many (run at start-up only)."""
    removed = 0
    keep = {str(Path(r).resolve()) for r in referenced}
    for p in (data_dir / "uploads").glob("*"):
        if p.is_file() and str(p.resolve()) not in keep:
            p.unlink(missing_ok=True)
            removed += 1
    if removed:
        log.info("removed uploads no import refers to", extra={"files": removed})
    return removed


class ImportSlots:
    """At most one import in progress per user (a second one is refused with 429)."""

    def __init__(self) -> None:
        self._busy: set[str] = set()
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def hold(self, username: str) -> Iterator[None]:
        with self._lock:
            if username in self._busy:
                raise RateLimited(
                    Message("service.errors.import_running"),
                    hint=Message("service.errors.import_running.hint"),
                    retry_after=5,
                )
            self._busy.add(username)
        try:
            yield
        finally:
            with self._lock:
                self._busy.discard(username)


async def save_upload(
    upload: Any,
    dest: Path,
    *,
    max_bytes: int,
    allowed: tuple[str, ...],
    quota: tuple[Path, int] | None = None,
) -> Path:
    """Stream an upload to ``dest`` under a fresh safe name; refuse wrong types, oversize files and
    files that would take the kept folders past ``quota`` (data folder, bytes)."""
    name = Path(getattr(upload, "filename", "") or "").name
    ext = Path(name.lower()).suffix
    if ext not in allowed:
        raise UnsupportedMedia(Message("service.errors.file_type", type=repr(ext) if ext else Message("service.errors.no_type")),
                               hint=Message("service.errors.file_type.hint", allowed=", ".join(allowed)))
    if quota is not None:
        check_quota(quota[0], quota[1], int(getattr(upload, "size", None) or 0))
    stem = _SAFE.sub("_", Path(name).stem)[:60] or "upload"
    path = dest / f"{stem}-{uuid.uuid4().hex[:10]}{ext}"
    size = 0
    head = b""
    try:
        with path.open("wb") as fh:
            while chunk := await upload.read(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(Message("service.errors.file_large", kib=max_bytes // 1024),
                                   hint=Message("service.errors.file_large.hint"))
                if len(head) < 4096:
                    head += chunk[: 4096 - len(head)]
                fh.write(chunk)
        if size == 0:
            raise InputError(Message("service.errors.file_empty"), hint=Message("service.errors.file_empty.hint"))
        if not _sniff(head, UPLOAD_TYPES[ext]):
            raise UnsupportedMedia(Message("service.errors.file_invalid", name=repr(name), type=ext),
                                   hint=Message("service.errors.file_invalid.hint"))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path
