"""Errors of the web service: what it refuses, with which HTTP status, and what of a message may be shown.

No message leaves with a path of the server's file system: :func:`scrub` removes the data folder,
the temporary folder, the installation and the home folder from every text shown. The answers
these errors become (JSON, an error page, the way to sign in) are :mod:`corridor.service.answers`';
this module imports nothing of the service, so every other module of it may raise these errors.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from corridor.errors import (
    ColumnNotFoundError,
    CorridorError,
    DesignError,
    EstimationError,
    InputError,
    SourceError,
    SpecError,
    Text,
    UnsupportedError,
)
from corridor.i18n import Message


class ServiceError(CorridorError):
    """A request the service refuses; ``status`` is its HTTP status."""

    status = 400


class NotAuthenticated(ServiceError):
    status = 401


class Forbidden(ServiceError):
    status = 403


class CSRFError(Forbidden):
    """A form post or cookie-authenticated API write without the session's CSRF token."""


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


class TooLarge(ServiceError):
    status = 413


class UnsupportedMedia(ServiceError):
    status = 415


class RateLimited(ServiceError):
    status = 429

    def __init__(self, message: Text, *, hint: Text | None = None, retry_after: int = 60) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class InsufficientStorage(ServiceError):
    status = 507


# most specific first; ServiceError subclasses carry their own status
STATUS: tuple[tuple[type[CorridorError], int], ...] = (
    (ColumnNotFoundError, 422),
    (InputError, 422),
    (SpecError, 422),
    (DesignError, 422),
    (EstimationError, 422),
    (SourceError, 422),
    (UnsupportedError, 501),
)
# ids are INTEGER columns: PostgreSQL's 4-byte range is the narrowest of the supported databases
MAX_ID = 2**31 - 1


def status_of(exc: CorridorError) -> int:
    """The HTTP status of a corridor error."""
    if isinstance(exc, ServiceError):
        return exc.status
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def check_id(value: int, missing: Message, hint: Message) -> int:
    """``value`` if it can be a stored id; beyond the database's range it names nothing (404, ``missing``)."""
    if not 1 <= value <= MAX_ID:
        raise NotFound(missing, hint=hint)
    return value


# --- no server paths in messages -------------------------------------------------------------------------------

_ROOTS: set[str] = set()


def add_private_roots(*roots: str | Path) -> None:
    """Folders whose absolute paths must never appear in a message (the data folder is added per app)."""
    for r in roots:
        if r:
            for p in {str(r), str(Path(r).resolve())}:
                if len(p) > 1:
                    _ROOTS.add(p.rstrip("/"))


add_private_roots(
    tempfile.gettempdir(), sys.prefix, Path(__file__).resolve().parents[2], Path.home(), Path.cwd()
)
_TAIL = r"(/[^\s'\"<>,;:()]*)?"


def scrub(text: str | None) -> str | None:
    """``text`` without absolute paths under the server's private folders (a file keeps its name)."""
    if not text:
        return text
    for root in sorted(_ROOTS, key=len, reverse=True):
        if root in text:
            text = re.sub(re.escape(root) + _TAIL, lambda m: Path(m.group(1) or "").name or "…", text)
    return text


def public(exc: CorridorError) -> tuple[str, str | None]:
    """The message and hint of ``exc`` as they may be shown to a user."""
    return scrub(exc.message) or "", scrub(exc.hint)
