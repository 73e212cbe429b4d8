"""The handlers that turn every error into one HTTP answer.

Every refusal has one shape: the API (and any client asking for JSON) gets
``{"error": message, "hint": hint}``; browsers get an error page in their language (or, for a
request without credentials, a redirect to sign in). That holds for corridor's own errors, for
the framework's (unknown route, wrong method, invalid parameters), for bodies over the size
limit and for unexpected server errors, whose answer names only a reference. Every text shown
is scrubbed of the server's paths (:func:`corridor.service.errors.scrub`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from corridor.errors import CorridorError
from corridor.service import audit
from corridor.service.auth import COOKIE
from corridor.service.errors import CSRFError, RateLimited, public, scrub, status_of
from corridor.service.render import render_page
from corridor.service.store import session_scope

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

log = logging.getLogger("corridor.service")


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
    return render_page(
        request,
        "error.html",
        {"status": status, "message": message, "hint": hint},
        status_code=status,
        headers=headers,
    )


def _credentials(request: Request) -> bool:
    """Whether the request offered credentials (a bearer token or a session cookie)."""
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
