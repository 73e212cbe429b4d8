"""Errors of the web service and the handlers that turn every error into one HTTP answer.

Every refusal has one shape: the API (and any client asking for JSON) gets
``{"error": message, "hint": hint}``; browsers get an error page in their language (or, for a
request without credentials, a redirect to sign in). That holds for corridor's own errors, for
the framework's (unknown route, wrong method, invalid parameters), for bodies over the size
limit and for unexpected server errors, whose answer names only a reference. No message leaves
with a path of the server's file system: :func:`scrub` removes the data folder, the temporary
folder, the installation and the home folder from every text shown.
"""

from __future__ import annotations

import logging
import re
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corridor.errors import (
    ColumnNotFoundError,
    CorridorError,
    DesignError,
    EstimationError,
    InputError,
    SourceError,
    SpecError,
    UnsupportedError,
)

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

log = logging.getLogger("corridor.service")


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

    def __init__(self, message: str, *, hint: str | None = None, retry_after: int = 60) -> None:
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


def check_id(value: int, what: str, hint: str) -> int:
    """``value`` if it can be a stored id; beyond the database's range it names nothing (404)."""
    if not 1 <= value <= MAX_ID:
        raise NotFound(f"there is no {what} {value}", hint=hint)
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


# --- answers ---------------------------------------------------------------------------------------------------


def wants_json(request: Request) -> bool:
    """API paths and clients that ask for JSON get JSON; browsers get pages."""
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _lang(request: Request) -> str:
    return getattr(request.state, "lang", None) or "en"


def say(request: Request, key: str, **kw: Any) -> str:
    """A message of the service's catalogue in the request's language."""
    from corridor.service.i18n import UI

    return UI(_lang(request)).t(key, **kw)


def error_response(
    request: Request,
    status: int,
    message: str,
    hint: str | None,
    *,
    headers: dict[str, str] | None = None,
) -> Response:
    """The one shape of a refusal: JSON ``{"error", "hint"}``, an error page, or the way to sign in."""
    from starlette.responses import JSONResponse, RedirectResponse

    message, hint = scrub(message) or "", scrub(hint)
    if wants_json(request):
        return JSONResponse({"error": message, "hint": hint}, status_code=status, headers=headers)
    if status == 401 and not request.headers.get("authorization"):  # a bad bearer token would loop
        from urllib.parse import quote

        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    from corridor.service.render import render_page

    return render_page(
        request,
        "error.html",
        {"status": status, "message": message, "hint": hint},
        status_code=status,
        headers=headers,
    )


def _credentials(request: Request) -> bool:
    """Whether the request offered credentials (a bearer token or a session cookie)."""
    from corridor.service.auth import COOKIE

    return bool(request.headers.get("authorization")) or COOKIE in request.cookies


async def handle_corridor_error(request: Request, exc: CorridorError) -> Response:
    """CorridorError -> its status; refusals of credentials or permissions are audited."""
    status = status_of(exc)
    log.info("refused", extra={"path": request.url.path, "status": status, "error": scrub(exc.message)})
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    if status == 403 or (status == 401 and (_credentials(request) or request.method not in ("GET", "HEAD"))):
        await _audit_refusal(request, status, exc)
    message, hint = public(exc)
    return error_response(request, status, message, hint, headers=headers)


async def _audit_refusal(request: Request, status: int, exc: CorridorError) -> None:
    from starlette.concurrency import run_in_threadpool

    from corridor.service import audit
    from corridor.service.store import session_scope

    action = "refused.csrf" if isinstance(exc, CSRFError) else f"refused.{status}"
    principal = getattr(request.state, "principal", None)
    address = request.client.host if request.client else None

    def write() -> None:
        with session_scope(request.app.state.services.engine) as s:
            audit.record(
                s,
                principal,
                action,
                f"{request.method} {request.url.path}"[:200],
                detail={"error": scrub(exc.message)},
                address=address,
            )

    try:
        await run_in_threadpool(write)
    except Exception:
        log.exception("could not audit a refusal")


async def handle_http_error(request: Request, exc: Any) -> Response:
    """The framework's refusals (unknown route, wrong method, ...) in the same shape, localized."""
    status = int(getattr(exc, "status_code", 500))
    key = f"err_{status}" if status in (404, 405) else "err_http"
    message = say(request, key, method=request.method, status=status)
    hint = say(request, f"hint_{status}" if status in (404, 405) else "hint_http")
    return error_response(request, status, message, hint, headers=getattr(exc, "headers", None))


async def handle_validation_error(request: Request, exc: Any) -> Response:
    """Invalid parameters or body: 422 naming each field (at most five) and what is wrong with it."""
    parts = []
    for e in list(exc.errors())[:5]:
        loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "body"
        parts.append(f"{loc}: {e.get('msg', 'invalid')}")
    more = len(exc.errors()) - len(parts)
    detail = "; ".join(parts) + (f" (+{more})" if more > 0 else "")
    return error_response(request, 422, say(request, "err_422", detail=detail), say(request, "hint_422"))


async def handle_server_error(request: Request, exc: Exception) -> Response:
    """An unexpected error: the answer names only a reference (the outer frame logs the traceback)."""
    rid = getattr(request.state, "request_id", None) or "-"
    return error_response(request, 500, say(request, "err_500", ref=rid), say(request, "hint_500"))


def install(app: Any) -> None:
    """Register the handlers on a FastAPI application."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    app.add_exception_handler(CorridorError, handle_corridor_error)
    app.add_exception_handler(HTTPException, handle_http_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(Exception, handle_server_error)
