"""Request dependencies: the database session, who is asking, and what they may do.

The dependencies that only look at what is already known (the services, the signed-in user, the role's
permissions) are ``async``: they run on the event loop at once instead of each taking a trip through
the thread pool, which under load costs more than the check itself. Those that touch the database stay
plain functions (run in worker threads)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from corridor.i18n import Message
from corridor.service import auth
from corridor.service.cache import RenderCache
from corridor.service.errors import NotAuthenticated
from corridor.service.files import ImportSlots
from corridor.service.roles import require
from corridor.service.store import session_scope

if TYPE_CHECKING:
    from corridor.service.jobs import JobRunner
    from corridor.service.profiles import ProfileStore
    from corridor.service.settings import Settings

bearer = HTTPBearer(auto_error=False, description="An API token (create one on the Account page)")


@dataclass
class Services:
    """What the app holds for its requests."""

    settings: Settings
    engine: Any
    store: ProfileStore
    runner: JobRunner
    limiter: auth.LoginLimiter
    imports: ImportSlots = field(default_factory=ImportSlots)
    pages: RenderCache = field(default_factory=RenderCache)
    cpu: Any = None  # a capacity limiter for CPU-heavy work (Argon2, imports), made on start


async def off_loop(request: Request, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run ``fn`` in a worker thread, at most as many at once as the machine has cores for it, so that
    hashing and parsing never hold the event loop (other requests, ``/health``) up."""
    import functools

    import anyio.to_thread

    sv: Services = request.app.state.services
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs), limiter=sv.cpu)


async def services(request: Request) -> Services:
    return request.app.state.services


async def db(request: Request) -> AsyncIterator[Session]:
    """A session in one transaction per request (committed when the handler succeeds).

    Made on the event loop: a session opens no connection until it is first used (in the handler's
    worker thread), so making it costs no trip through the thread pool. Its commit and close do take
    one, and only when the handler used it (the cached pages that read nothing end without one)."""
    s = Session(request.app.state.services.engine, expire_on_commit=False)
    try:
        yield s
    except BaseException:
        await _end_off_loop(s, False)
        raise
    await _end_off_loop(s, True)


async def _end_off_loop(s: Session, commit: bool) -> None:
    import anyio
    import anyio.to_thread

    if s.in_transaction() or s.new or s.dirty or s.deleted:
        with anyio.CancelScope(shield=True):  # a client gone mid-request still gives the connection back
            await anyio.to_thread.run_sync(_end, s, commit)
    else:
        s.close()  # never used: no connection to give back


def _end(s: Session, commit: bool) -> None:
    try:
        if commit:
            s.commit()
        else:
            s.rollback()
    finally:
        s.close()


def optional_user(
    *,
    request: Request,
    _token: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> auth.Principal | None:
    """Who asks (or None), read in a short transaction of its own: the pages that read nothing else from
    the database need no request session (one trip through the thread pool instead of three)."""
    with session_scope(request.app.state.services.engine) as session:
        p = auth.identify(session, request)
    request.state.principal = p
    return p


async def current_user(
    *, principal: Annotated[auth.Principal | None, Depends(optional_user)]
) -> auth.Principal:
    if principal is None:
        raise NotAuthenticated(Message("service.errors.sign_in_first"), hint=Message("service.errors.sign_in_first.hint"))
    return principal


def allowed(permission: str):
    """A dependency: the signed-in user, if their role holds ``permission``."""

    async def dep(*, user: Annotated[auth.Principal, Depends(current_user)]) -> auth.Principal:
        require(user, permission)
        return user

    return dep


def api_writer(permission: str):
    """A dependency for API writes: permission, and the CSRF header when authenticated by cookie."""

    async def dep(*, request: Request, user: Annotated[auth.Principal, Depends(current_user)]) -> auth.Principal:
        auth.check_csrf(user, request.headers.get("x-csrf-token"))
        require(user, permission)
        return user

    return dep


async def form_writer(request: Request, user: auth.Principal, permission: str) -> Any:
    """For form posts: the form, once the CSRF field matches and the role holds ``permission``."""
    form = await request.form()
    auth.check_csrf(user, form.get("csrf_token"))
    require(user, permission)
    return form
