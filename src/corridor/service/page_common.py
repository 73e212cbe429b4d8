"""Helpers shared by the page modules: redirects, the client address, a query parameter type."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import RedirectResponse

MAX_SHOWN = 300
Q = Annotated[str | None, Query(max_length=60)]


def addr(request: Request) -> str | None:
    """The client's address (for the audit log)."""
    return request.client.host if request.client else None


def see_other(url: str) -> RedirectResponse:
    """Post/redirect/get."""
    return RedirectResponse(url, status_code=303)


def safe_next(target: str | None) -> str:
    """Only local paths: no scheme, no host, no protocol-relative ``//``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/profiles"
    return target


def set_session_cookie(resp: Any, token: str, settings: Any) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure behind HTTPS, for the session's lifetime."""
    from corridor.service.auth import COOKIE

    resp.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=int(settings.session_hours * 3600),
    )
