"""Errors of the web service and the ONE handler that turns any CorridorError into an HTTP answer.

Pages get an HTML error page in the user's language (or a redirect to sign in); the API gets
``{"error": message, "hint": hint}``. The status comes from the error's class.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

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


def status_of(exc: CorridorError) -> int:
    """The HTTP status of a corridor error."""
    if isinstance(exc, ServiceError):
        return exc.status
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def wants_json(request: Request) -> bool:
    """API paths and clients that ask for JSON get JSON; browsers get pages."""
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


async def handle_corridor_error(request: Request, exc: CorridorError) -> Response:
    """The one handler: CorridorError -> status, JSON for the API, a page (or sign-in redirect) otherwise."""
    from starlette.responses import JSONResponse, RedirectResponse

    status = status_of(exc)
    log.info("refused", extra={"path": request.url.path, "status": status, "error": exc.message})
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    if wants_json(request):
        return JSONResponse({"error": exc.message, "hint": exc.hint}, status_code=status, headers=headers)
    if status == 401:
        from urllib.parse import quote

        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    from corridor.service.render import render_page

    return render_page(
        request,
        "error.html",
        {"status": status, "message": exc.message, "hint": exc.hint},
        status_code=status,
        headers=headers,
    )
