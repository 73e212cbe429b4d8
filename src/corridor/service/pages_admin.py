"""Sources, jobs, administration (users, audit log) and account (API tokens) pages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.errors import CorridorError
from corridor.service import accounts, audit, auth, sources_view
from corridor.service.deps import Services, allowed, current_user, db, form_writer, off_loop, services
from corridor.service.errors import public, status_of
from corridor.service.files import save_upload
from corridor.service.page_common import addr, see_other, set_session_cookie
from corridor.service.render import render_page
from corridor.service.roles import ROLES
from corridor.service.store import Job, RegisteredSource, User

router = APIRouter(include_in_schema=False)


# --- sources ---------------------------------------------------------------------------------------------------


def _sources_page(
    request: Request,
    session: Session,
    sv: Services,
    *,
    error: str | None = None,
    hint: str | None = None,
    status_code: int = 200,
) -> Response:
    from corridor.harmonize import list_specs

    rows = list(session.scalars(select(RegisteredSource).order_by(RegisteredSource.id)))
    return render_page(
        request,
        "sources.html",
        {
            "sources": rows,
            "specs": list_specs(),
            "error": error,
            "hint": hint,
            "folder": str(sv.settings.data_dir),
            "saved": request.query_params.get("saved"),
            "max_mb": sv.settings.upload_max_bytes / 1024 / 1024,
        },
        status_code=status_code,
    )


@router.get("/sources")
def sources(
    *,
    request: Request,
    sv: Annotated[Services, Depends(services)],
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(allowed("sources.read"))],
) -> Response:
    return _sources_page(request, session, sv)


@router.post("/sources")
async def register_source(
    *,
    request: Request,
    sv: Annotated[Services, Depends(services)],
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(current_user)],
) -> Response:
    form = await form_writer(request, user, "sources.write")
    rel = str(form.get("path") or "").strip()
    upload = form.get("file")
    saved = None
    with sv.imports.hold(user.username):
        if upload is not None and not isinstance(upload, str) and getattr(upload, "filename", ""):
            saved = await save_upload(
                upload,
                sv.settings.data_dir / "sources",
                max_bytes=sv.settings.upload_max_bytes,
                allowed=(".csv", ".xlsx", ".parquet"),
                quota=(sv.settings.data_dir, sv.settings.uploads_quota_bytes),
            )
            rel = str(saved.relative_to(sv.settings.data_dir))
        try:
            s = await off_loop(
                request,
                sources_view.register,
                session,
                sv.settings.data_dir,
                str(form.get("name") or ""),
                rel,
                str(form.get("spec") or "") or None,
                user.username,
            )
        except CorridorError as exc:
            session.rollback()
            if saved is not None:
                saved.unlink(missing_ok=True)
            if status_of(exc) not in (409, 422):
                raise
            message, hint = public(exc)
            return _sources_page(request, session, sv, error=message, hint=hint, status_code=status_of(exc))
        except BaseException:
            if saved is not None:
                saved.unlink(missing_ok=True)
            raise
    audit.record(
        session,
        user,
        "source.register",
        f"source {s.id}",
        detail={"name": s.name, "path": s.path},
        address=addr(request),
    )
    session.commit()
    return see_other("/sources?saved=1")


# --- jobs ------------------------------------------------------------------------------------------------------


@router.get("/jobs")
def jobs_page(
    *,
    request: Request,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(allowed("jobs.read"))],
) -> Response:
    rows = list(session.scalars(select(Job).order_by(Job.id.desc()).limit(100)))
    srcs = list(session.scalars(select(RegisteredSource).order_by(RegisteredSource.id)))
    from corridor.service.jobs import job_error, job_message

    lang = getattr(request.state, "lang", None) or "en"
    # what the table says of each job, in the reader's language: its error when it failed, else its progress
    lines = {j.id: job_error(j, lang) or job_message(j, lang) for j in rows}
    return render_page(request, "jobs.html", {"jobs": rows, "sources": srcs, "job_lines": lines})


@router.post("/jobs")
async def start_job(
    *,
    request: Request,
    sv: Annotated[Services, Depends(services)],
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(current_user)],
) -> Response:
    form = await form_writer(request, user, "jobs.run")
    params = {k: form.get(k) for k in ("origin", "destination", "region", "source")}
    params["pdf"] = form.get("pdf") == "on"
    job = sv.runner.submit(session, "profile", params, user.username)
    audit.record(session, user, "job.start", f"job {job.id}", detail=job.params, address=addr(request))
    session.commit()
    sv.runner.enqueue(job.id)
    return see_other(f"/jobs#job-{job.id}")


# --- administration and account --------------------------------------------------------------------------------


def _admin_page(
    request: Request,
    session: Session,
    *,
    error: str | None = None,
    hint: str | None = None,
    status_code: int = 200,
) -> Response:
    users = [accounts.user_row(session, u) for u in session.scalars(select(User).order_by(User.id))]
    return render_page(
        request,
        "admin.html",
        {
            "users": users,
            "entries": audit.entries(session, limit=100),
            "roles": ROLES,
            "error": error,
            "hint": hint,
            "saved": request.query_params.get("saved"),
        },
        status_code=status_code,
    )


@router.get("/admin")
def admin(
    *,
    request: Request,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(allowed("users.admin"))],
) -> Response:
    return _admin_page(request, session)


async def _account_change(
    request: Request,
    session: Session,
    user: auth.Principal,
    change: Any,
    *,
    refused: str,
    target: str,
    permission: str = "users.admin",
    page: Any = None,
    done: str = "/admin?saved=1",
) -> Response:
    """A form post that changes an account: ``change(form)`` makes it and returns the
    :class:`~corridor.service.accounts.Change` to audit; a refusal (403, 404, 409, 422) shows the page
    again with the error and is audited as ``refused`` on ``target``."""
    form = await form_writer(request, user, permission)
    try:
        made = await off_loop(request, change, form)
    except CorridorError as exc:
        status = status_of(exc)
        if status not in (403, 404, 409, 422):
            raise
        session.rollback()
        message, hint = public(exc)
        audit.record(session, user, refused, target, detail={"error": message}, address=addr(request))
        session.commit()
        return (page or _admin_page)(request, session, error=message, hint=hint, status_code=status)
    audit.record_change(session, user, made, addr(request))
    session.commit()
    return see_other(done)


def _text(form: Any, name: str) -> str:
    return str(form.get(name) or "")


@router.post("/admin/users")
async def admin_create_user(
    *,
    request: Request,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(current_user)],
) -> Response:
    def change(form: Any) -> accounts.Change:
        f = {k: _text(form, k) for k in ("username", "password", "role", "organisation")}
        return accounts.creation(session, f["username"], f["password"], f["role"], f["organisation"] or None)

    return await _account_change(
        request, session, user, change, refused="user.create.refused", target="new user"
    )


@router.post("/admin/users/{user_id}/role")
async def admin_user_role(
    *,
    request: Request,
    user_id: int,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(current_user)],
) -> Response:
    def change(form: Any) -> accounts.Change:
        org = _text(form, "organisation") or None
        return accounts.role_change(session, user_id, _text(form, "role"), org, user)

    return await _account_change(
        request, session, user, change, refused="user.change.refused", target=f"user {user_id}"
    )


@router.post("/admin/users/{user_id}/active")
async def admin_user_active(
    *,
    request: Request,
    user_id: int,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(current_user)],
) -> Response:
    def change(form: Any) -> accounts.Change:
        return accounts.activation(session, user_id, _text(form, "active") == "1", user)

    return await _account_change(
        request, session, user, change, refused="user.change.refused", target=f"user {user_id}"
    )


@router.post("/admin/users/{user_id}/password")
async def admin_user_password(
    *,
    request: Request,
    user_id: int,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(current_user)],
) -> Response:
    def change(form: Any) -> accounts.Change:
        return accounts.password_reset(session, user_id, _text(form, "password"))

    return await _account_change(
        request, session, user, change, refused="user.password.refused", target=f"user {user_id}"
    )


@router.post("/admin/users/{user_id}/tokens/{token_id}/revoke")
async def admin_revoke_token(
    *,
    request: Request,
    user_id: int,
    token_id: int,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(current_user)],
) -> Response:
    def change(form: Any) -> accounts.Change:
        return accounts.token_revocation(session, token_id, user, user_id)

    return await _account_change(
        request, session, user, change, refused="token.revoke.refused", target=f"token {token_id}"
    )


# --- own account -----------------------------------------------------------------------------------------------


def _account_page(
    request: Request,
    session: Session,
    *,
    new_token: str | None = None,
    error: str | None = None,
    hint: str | None = None,
    status_code: int = 200,
) -> Response:
    user = request.state.principal
    sv: Services = request.app.state.services
    return render_page(
        request,
        "account.html",
        {
            "tokens": [auth.token_dict(t) for t in accounts.tokens_of(session, user.id)],
            "new_token": new_token,
            "token_days": sv.settings.token_days,
            "error": error,
            "hint": hint,
            "saved": request.query_params.get("saved"),
        },
        status_code=status_code,
    )


_OWN = {"permission": "tokens.own", "page": _account_page, "done": "/account?saved=1"}


@router.get("/account")
def account(
    *,
    request: Request,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(current_user)],
) -> Response:
    return _account_page(request, session)


@router.post("/account/tokens")
async def new_token(
    *,
    request: Request,
    sv: Annotated[Services, Depends(services)],
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(current_user)],
) -> Response:
    form = await form_writer(request, user, "tokens.own")
    raw = str(form.get("days") or "").strip()
    try:
        days = float(raw) if raw else sv.settings.token_days
        secret, row = auth.new_api_token(session, user, str(form.get("name") or ""), days)
    except (ValueError, CorridorError) as exc:
        session.rollback()
        msg = public(exc) if isinstance(exc, CorridorError) else (f"{raw!r} is not a number of days", None)
        return _account_page(request, session, error=msg[0], hint=msg[1], status_code=422)
    detail = {"name": row.name, "expires_at": auth.token_dict(row)["expires_at"]}
    audit.record(session, user, "token.create", f"token {row.id}", detail=detail, address=addr(request))
    session.commit()
    return _account_page(request, session, new_token=secret)


@router.post("/account/tokens/{token_id}/revoke")
async def revoke_own_token(
    *,
    request: Request,
    token_id: int,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(current_user)],
) -> Response:
    def change(form: Any) -> accounts.Change:
        return accounts.token_revocation(session, token_id, user, user.id)

    return await _account_change(
        request, session, user, change, refused="token.revoke.refused", target=f"token {token_id}", **_OWN
    )


@router.post("/account/password")
async def change_own_password(
    *,
    request: Request,
    sv: Annotated[Services, Depends(services)],
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(current_user)],
) -> Response:
    """Every session ends, this one included; the user gets a fresh one (other browsers must sign in again)."""

    def change(form: Any) -> accounts.Change:
        current, new = _text(form, "current_password"), _text(form, "new_password")
        return accounts.own_password(session, sv.limiter, user, current, new, addr(request))

    resp = await _account_change(
        request,
        session,
        user,
        change,
        refused="user.password.refused",
        target=f"user {user.username}",
        **_OWN,
    )
    if resp.status_code == 303:
        token, _row = auth.start_session(
            session, accounts.get_user(session, user.id), sv.settings.session_hours
        )
        session.commit()
        set_session_cookie(resp, token, sv.settings)
    return resp
