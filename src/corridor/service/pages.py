"""Server-rendered pages (es/fr/en): sign-in, and the routers of the other page modules.

Filters are GET parameters (shareable URLs); every write is a POST form carrying the session's
CSRF token, answered by a redirect (post/redirect/get) or by the page with the error.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from corridor.errors import CorridorError
from corridor.service import audit, auth
from corridor.service.deps import Services, current_user, db, form_writer, off_loop, optional_user, services
from corridor.service.errors import status_of
from corridor.service.page_common import Q, addr, safe_next, see_other, set_session_cookie
from corridor.service.render import render_page

router = APIRouter(include_in_schema=False)


# --- sign-in ---------------------------------------------------------------------------------------------------


@router.get("/")
def home(*, user: Annotated[auth.Principal | None, Depends(optional_user)]) -> Response:
    return see_other("/profiles" if user else "/login")


@router.get("/login")
def login_page(
    *,
    request: Request,
    next: Q = None,
    sv: Annotated[Services, Depends(services)],
) -> Response:
    pre = secrets.token_urlsafe(24)
    resp = render_page(
        request,
        "login.html",
        {"next": safe_next(next), "pre_token": auth.pre_token(sv.settings.secret_key, pre), "error": None},
    )
    resp.set_cookie(
        auth.PRE_COOKIE, pre, httponly=True, samesite="lax", secure=sv.settings.secure_cookies, max_age=3600
    )
    return resp


@router.post("/login")
async def login(
    *, request: Request, sv: Annotated[Services, Depends(services)], session: Annotated[Session, Depends(db)]
) -> Response:
    form = await request.form()
    auth.check_pre_token(sv.settings.secret_key, request.cookies.get(auth.PRE_COOKIE), form.get("csrf_token"))
    username, password = str(form.get("username") or "")[:200], str(form.get("password") or "")[:1024]
    target = safe_next(str(form.get("next") or ""))
    try:
        user = await off_loop(
            request, auth.authenticate, session, sv.limiter, username, password, addr(request)
        )
    except CorridorError as exc:
        throttled = status_of(exc) == 429
        audit.record(
            session,
            None,
            "login.throttled" if throttled else "login.failed",
            f"user {username[:80]}",
            detail={"retry_after": exc.retry_after} if throttled else {},
            address=addr(request),
        )
        session.commit()
        if throttled:
            raise
        pre = request.cookies.get(auth.PRE_COOKIE)
        return render_page(
            request,
            "login.html",
            {"next": target, "pre_token": auth.pre_token(sv.settings.secret_key, pre), "error": exc.message},
            status_code=401,
        )
    token, _row = auth.start_session(session, user, sv.settings.session_hours)
    audit.record(session, user, "login", f"user {user.username}", address=addr(request))
    session.commit()
    resp = see_other(target)
    set_session_cookie(resp, token, sv.settings)
    resp.delete_cookie(auth.PRE_COOKIE)
    return resp


@router.post("/logout")
async def logout(
    *,
    request: Request,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(current_user)],
) -> Response:
    await form_writer(request, user, "read")
    auth.end_session(session, request.cookies.get(auth.COOKIE))
    audit.record(session, user, "logout", f"user {user.username}", address=addr(request))
    session.commit()
    resp = see_other("/login")
    resp.delete_cookie(auth.COOKIE)
    return resp


def _include() -> None:
    from corridor.service import pages_admin, pages_profiles, pages_programme

    for mod in (pages_profiles, pages_programme, pages_admin):
        router.include_router(mod.router)


_include()
