"""Sources, jobs, administration (users, audit log) and account (API tokens) pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.errors import CorridorError
from corridor.service import audit, auth, sources_view
from corridor.service.deps import Services, allowed, current_user, db, form_writer, services
from corridor.service.errors import status_of
from corridor.service.files import save_upload
from corridor.service.page_common import addr, see_other
from corridor.service.render import render_page
from corridor.service.roles import ROLES
from corridor.service.store import ApiToken, Job, RegisteredSource, User

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
    if upload is not None and not isinstance(upload, str) and getattr(upload, "filename", ""):
        saved = await save_upload(
            upload,
            sv.settings.data_dir / "sources",
            max_bytes=sv.settings.upload_max_bytes,
            allowed=(".csv", ".xlsx", ".parquet"),
        )
        rel = str(saved.relative_to(sv.settings.data_dir))
    try:
        s = sources_view.register(
            session,
            sv.settings.data_dir,
            str(form.get("name") or ""),
            rel,
            str(form.get("spec") or "") or None,
            user.username,
        )
    except CorridorError as exc:
        if status_of(exc) not in (409, 422):
            raise
        session.rollback()
        return _sources_page(
            request, session, sv, error=exc.message, hint=exc.hint, status_code=status_of(exc)
        )
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
    return render_page(request, "jobs.html", {"jobs": rows, "sources": srcs})


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
    request: Request, session: Session, *, error: str | None = None, status_code: int = 200
) -> Response:
    users = list(session.scalars(select(User).order_by(User.id)))
    return render_page(
        request,
        "admin.html",
        {"users": users, "entries": audit.entries(session, limit=100), "roles": ROLES, "error": error},
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


@router.post("/admin/users")
async def admin_create_user(
    *,
    request: Request,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(current_user)],
) -> Response:
    form = await form_writer(request, user, "users.admin")
    try:
        u = auth.create_user(
            session,
            str(form.get("username") or ""),
            str(form.get("password") or ""),
            str(form.get("role") or ""),
            str(form.get("organisation") or "") or None,
        )
    except CorridorError as exc:
        if status_of(exc) not in (409, 422):
            raise
        session.rollback()
        return _admin_page(request, session, error=exc.message, status_code=status_of(exc))
    audit.record(
        session,
        user,
        "user.create",
        f"user {u.username}",
        detail={"role": u.role, "organisation": u.organisation},
        address=addr(request),
    )
    session.commit()
    return see_other("/admin")


@router.get("/account")
def account(
    *,
    request: Request,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(current_user)],
) -> Response:
    toks = list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))
    return render_page(request, "account.html", {"tokens": toks, "new_token": None})


@router.post("/account/tokens")
async def new_token(
    *,
    request: Request,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(current_user)],
) -> Response:
    form = await form_writer(request, user, "tokens.own")
    secret, row = auth.new_api_token(session, user, str(form.get("name") or ""))
    audit.record(
        session, user, "token.create", f"token {row.id}", detail={"name": row.name}, address=addr(request)
    )
    session.commit()
    toks = list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))
    resp = render_page(request, "account.html", {"tokens": toks, "new_token": secret})
    resp.headers["Cache-Control"] = "no-store"
    return resp
