"""The JSON API (``/api/v1``): everything the pages show; the tidy indicator table is the main resource.

Reads need any signed-in role (session cookie or ``Authorization: Bearer`` token); writes need the
role's permission and, when authenticated by cookie, the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.errors import CorridorError
from corridor.i18n import Message
from corridor.indicators import load as load_catalogue
from corridor.service import (
    accounts,
    api_programme,
    audit,
    auth,
    charts,
    downloads,
    jobs,
    programme_cache,
    programme_view,
    sources_view,
)
from corridor.service.cache import RenderCache
from corridor.service.deps import Services, allowed, api_writer, current_user, db, services
from corridor.service.errors import MAX_ID, NotFound, check_id
from corridor.service.profiles import PUBLIC_COLUMNS, Run, resolve, unpublished_notice
from corridor.service.profiles import select as select_rows
from corridor.service.store import Job, RegisteredSource, User

router = APIRouter(prefix="/api/v1")
Lang = Literal["es", "fr", "en"]
Format = Literal["json", "csv", "xlsx"]
Limit = Annotated[int, Query(ge=1, le=1000, description="page size")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="rows to skip")]


def page(data: list, count: int, limit: int, offset: int) -> dict:
    """One page of a collection: ``data`` with the total ``count`` and where the next page starts."""
    nxt = offset + limit if offset + limit < count else None
    return {"count": count, "limit": limit, "offset": offset, "next_offset": nxt, "data": data}


def page_query(session: Session, query: Any, limit: int, offset: int) -> tuple[list, int]:
    """The rows of ``query`` on one page, and how many there are in all."""
    from sqlalchemy import func

    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    return list(session.scalars(query.limit(limit).offset(offset))), total


def _filters(
    area: Annotated[
        str | None, Query(max_length=10, description="ISO 3166-1 alpha-3 country or 3166-2 region; 'all'")
    ] = None,
    period: Annotated[str | None, Query(max_length=8, description="a year, or 'all'")] = None,
    population: Annotated[
        str | None, Query(max_length=20, description="corridor, migrants, natives, gap or all")
    ] = None,
    disaggregation: Annotated[
        str | None, Query(max_length=20, description="total, sex, age_band, age_group, region or all")
    ] = None,
    indicator: Annotated[str | None, Query(max_length=60, description="an indicator id or all")] = None,
) -> dict:
    return {
        "area": area,
        "period": period,
        "population": population,
        "disaggregation": disaggregation,
        "indicator": indicator,
    }


def _table(cache: RenderCache, run: Run, f: dict, fmt: str, limit: int, offset: int, lang: str) -> Response:
    """The tidy table of ``run`` under filters ``f``: JSON (one page of rows) or a CSV/XLSX download.
    Rendered once per (run, filters, language, format, page) and kept: runs never change."""
    flt = resolve(run, **f)
    cols = ("indicator", "indicator_name", *PUBLIC_COLUMNS[1:])
    notice = unpublished_notice(run, lang)

    def named() -> list[dict]:
        cat = load_catalogue()
        return [
            {
                "indicator_name": cat[r["indicator"]].label(lang)
                if r["indicator"] in cat
                else r["indicator"],
                **r,
            }
            for r in select_rows(run, flt)
        ]

    if fmt in ("csv", "xlsx"):
        body = cache.get_or_make(
            ("api-table", run.id, flt.key(), lang, fmt),
            lambda: downloads.table_bytes(named(), cols, fmt, notice=notice),
        )
        name = f"corridor-{run.origin}-{run.destination}-{run.id}"
        return downloads.attachment(body, fmt, name, unpublished=notice is not None)

    def as_json() -> bytes:
        rows = named()
        return JSONResponse(
            {
                "run": run.id,
                "for_publication": run.for_publication,
                **({"notice": notice} if notice else {}),
                "filters": flt.query(),
                "count": len(rows),
                "offset": offset,
                "columns": list(cols),
                "data": rows[offset : offset + limit],
            }
        ).body

    body = cache.get_or_make(("api-json", run.id, flt.key(), lang, limit, offset), as_json)
    return Response(body, media_type="application/json")


@router.get("/me", tags=["account"], summary="Who am I")
def me(*, user: Annotated[auth.Principal, Depends(current_user)]) -> dict:
    return {**auth.user_dict(user), "via": user.via}


@router.get("/profiles", tags=["profiles"], summary="Profile runs, newest first")
def profiles(
    *,
    limit: Limit = 100,
    offset: Offset = 0,
    sv: Annotated[Services, Depends(services)],
    user: Annotated[auth.Principal, Depends(allowed("read"))],
) -> dict:
    runs = sv.store.runs(user)
    return page(runs[offset : offset + limit], len(runs), limit, offset)


@router.get("/profiles/{run_id}", tags=["profiles"], summary="One profile run: metadata and filter values")
def profile(
    *,
    request: Request,
    run_id: str,
    sv: Annotated[Services, Depends(services)],
    user: Annotated[auth.Principal, Depends(allowed("read"))],
) -> dict:
    run = sv.store.get(run_id, user)
    notice = unpublished_notice(run, request.state.lang)
    return {
        "id": run.id,
        "for_publication": run.for_publication,
        **({"notice": notice} if notice else {}),
        "meta": {k: v for k, v in run.meta.items() if k != "params"},
        "options": run.options(),
    }


@router.get("/indicators", tags=["indicators"], summary="The tidy indicator table of the newest profile run")
def indicators(
    *,
    request: Request,
    f: Annotated[dict, Depends(_filters)],
    format: Format = "json",
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    offset: Annotated[int, Query(ge=0)] = 0,
    lang: Lang | None = None,
    sv: Annotated[Services, Depends(services)],
    user: Annotated[auth.Principal, Depends(allowed("read"))],
):
    """Published rows only: suppressed cells carry no values. Filters default to the destination
    country, the profile's year and the total (no disaggregation); `all` lifts a filter."""
    run = sv.store.latest(user)
    if run is None:
        raise NotFound(Message("service.errors.no_profile_yet"), hint=Message("service.errors.no_profile_yet.hint"))
    return _table(sv.pages, run, f, format, limit, offset, lang or request.state.lang)


@router.get(
    "/profiles/{run_id}/indicators", tags=["indicators"], summary="The tidy indicator table of one run"
)
def run_indicators(
    *,
    request: Request,
    run_id: str,
    f: Annotated[dict, Depends(_filters)],
    format: Format = "json",
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    offset: Annotated[int, Query(ge=0)] = 0,
    lang: Lang | None = None,
    sv: Annotated[Services, Depends(services)],
    user: Annotated[auth.Principal, Depends(allowed("read"))],
):
    return _table(sv.pages, sv.store.get(run_id, user), f, format, limit, offset, lang or request.state.lang)


@router.get(
    "/profiles/{run_id}/charts/{chart}", tags=["profiles"], summary="The data (or SVG image) of a chart"
)
def chart(
    *,
    request: Request,
    run_id: str,
    chart: Literal["gaps", "regions", "pyramid", "trend"],
    f: Annotated[dict, Depends(_filters)],
    format: Literal["json", "csv", "xlsx", "svg"] = "json",
    lang: Lang | None = None,
    sv: Annotated[Services, Depends(services)],
    user: Annotated[auth.Principal, Depends(allowed("read"))],
):
    run = sv.store.get(run_id, user)
    flt = resolve(run, **f)
    lang = lang or request.state.lang
    notice = unpublished_notice(run, lang)
    if format == "svg":
        return downloads.svg_response(charts.chart_svg(run, chart, flt, lang), f"corridor-{chart}")
    rows = charts.chart_rows(run, chart, flt, lang)
    cols = ("indicator", "indicator_name", *PUBLIC_COLUMNS[1:])
    if format in ("csv", "xlsx"):
        return downloads.table_response(rows, cols, format, f"corridor-{chart}", notice=notice)
    return {
        "chart": chart,
        "for_publication": run.for_publication,
        **({"notice": notice} if notice else {}),
        "filters": flt.query(),
        "count": len(rows),
        "data": rows,
    }


@router.get("/catalogue", tags=["catalogue"], summary="The indicator catalogue")
def catalogue(
    *,
    request: Request,
    lang: Lang | None = None,
    limit: Limit = 1000,
    offset: Offset = 0,
    user: Annotated[auth.Principal, Depends(allowed("read"))],
) -> dict:
    lang = lang or request.state.lang
    inds = list(load_catalogue().values())
    return page([_ind(i, lang) for i in inds[offset : offset + limit]], len(inds), limit, offset)


def _ind(i: Any, lang: str) -> dict:
    return {
        "id": i.id,
        "domain": i.domain,
        "name": i.label(lang),
        "definition": i.describe(lang),
        "unit": i.unit,
        "type": i.type,
        "source": i.source,
        "standard": i.standard,
        "sdg": list(i.sdg),
        "sdg_note": i.sdg_note,
        "populations": list(i.populations),
        "disaggregations": list(i.disaggregations),
    }


@router.get("/catalogue/{indicator_id}", tags=["catalogue"], summary="One indicator definition")
def catalogue_entry(
    *,
    request: Request,
    indicator_id: str,
    lang: Lang | None = None,
    user: Annotated[auth.Principal, Depends(allowed("read"))],
) -> dict:
    cat = load_catalogue()
    if indicator_id not in cat:
        raise NotFound(Message("service.errors.no_indicator", indicator=repr(indicator_id)),
                       hint=Message("service.errors.no_indicator.hint"))
    return _ind(cat[indicator_id], lang or request.state.lang)


@router.get(
    "/programme",
    tags=["programme"],
    summary="The programme: lines of work, results, progress, "
    "commitments, meetings, partners, training records",
)
def programme(
    *,
    request: Request,
    lang: Lang | None = None,
    trainings_offset: Offset = 0,
    trainings_limit: Limit = 100,
    imports_offset: Offset = 0,
    imports_limit: Limit = 100,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(allowed("read"))],
) -> dict:
    """Training sessions and imports are paged (``trainings_count`` and ``imports_count`` give the totals)."""
    prog = programme_view.require_programme(session)
    return programme_cache.overview(
        session,
        prog,
        lang or request.state.lang,
        trainings=(trainings_offset, trainings_limit),
        imports=(imports_offset, imports_limit),
    )


@router.get("/programme/progress", tags=["programme"], summary="Progress against targets")
def programme_progress(
    *,
    request: Request,
    format: Format = "json",
    lang: Lang | None = None,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(allowed("read"))],
):
    prog = programme_view.require_programme(session)
    rows = programme_view.progress_rows(prog, lang or request.state.lang)
    if format in ("csv", "xlsx"):
        cols = [c for c in rows[0]] if rows else ["indicator"]
        return downloads.table_response(rows, cols, format, "programme-progress")
    return {"data": rows}


class Participant(BaseModel):
    participant_id: str = Field(min_length=1, max_length=80)
    profession: str = Field(min_length=1, max_length=40)
    sex: str = Field(min_length=1, max_length=20)
    age: int | None = Field(default=None, ge=0, le=120)
    nationality: str | None = Field(default=None, max_length=60)
    migratory_status: str | None = Field(default=None, max_length=40)
    pre_score: float = Field(ge=0, le=100)
    post_score: float | None = Field(default=None, ge=0, le=100)


class TrainingSessionIn(BaseModel):
    session_id: str = Field(min_length=1, max_length=80)
    date: str = Field(min_length=1, max_length=10, description="YYYY-MM-DD")
    region: str = Field(min_length=1, max_length=60)
    facility: str = Field(min_length=1, max_length=200)
    course: str = Field(min_length=1, max_length=80, description="a course of the programme's catalogue")
    topic: str | None = Field(default=None, max_length=200)
    trainers: str | None = Field(default=None, max_length=400)
    line_of_work: str | None = Field(default=None, max_length=80)
    organisation: str | None = Field(default=None, max_length=80, description="partner (partners: their own)")
    participants: list[Participant] = Field(min_length=1, max_length=60)


@router.post("/programme/trainings", tags=["programme"], status_code=201, summary="Record a training session")
def record_training(
    *,
    request: Request,
    body: TrainingSessionIn,
    sv: Annotated[Services, Depends(services)],
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(api_writer("records.write"))],
) -> dict:
    prog = programme_view.require_programme(session)
    data = body.model_dump(exclude={"participants"})
    batch, n = programme_view.record_session(
        session,
        prog,
        data,
        [p.model_dump() for p in body.participants],
        user,
        sv.settings.data_dir / "uploads",
    )
    audit.record(
        session,
        user,
        "training.record",
        f"import {batch.id}",
        detail={"session": body.session_id, "participants": n},
        address=_addr(request),
    )
    programme_cache.commit(session)
    return {"import_id": batch.id, "participants": n}


@router.delete(
    "/programme/imports/{import_id}", tags=["programme"], summary="Withdraw an import of training records"
)
def withdraw(
    *,
    request: Request,
    import_id: int,
    sv: Annotated[Services, Depends(services)],
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(api_writer("records.write"))],
) -> dict:
    programme_cache.withdraw(session, sv.settings.data_dir, import_id, user, _addr(request))
    return {"withdrawn": import_id}


class StatusIn(BaseModel):
    status: Literal["planned", "in_progress", "done", "cancelled"]  # overdue is shown, computed from the due date


@router.put("/programme/commitments/{code}", tags=["programme"], summary="Set a commitment's status")
def commitment_status(
    *,
    request: Request,
    code: str,
    body: StatusIn,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(api_writer("commitments.status"))],
) -> dict:
    prog = programme_view.require_programme(session)
    c = programme_view.set_commitment_status(session, prog, code, body.status, user)
    audit.record(
        session,
        user,
        "commitment.status",
        f"commitment {code}",
        detail={"status": body.status},
        address=_addr(request),
    )
    programme_cache.commit(session)
    return {"code": c.code, "status": c.status}


@router.get("/sources", tags=["sources"], summary="Registered sources and their row ledgers")
def sources(
    *,
    limit: Limit = 100,
    offset: Offset = 0,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(allowed("sources.read"))],
) -> dict:
    rows, total = page_query(session, select(RegisteredSource).order_by(RegisteredSource.id), limit, offset)
    return page([sources_view.as_dict(s) for s in rows], total, limit, offset)


@router.get("/sources/{source_id}", tags=["sources"], summary="One registered source")
def source(
    *,
    source_id: int,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(allowed("sources.read"))],
) -> dict:
    return sources_view.as_dict(sources_view.get(session, source_id))


class SourceIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    path: str = Field(min_length=1, max_length=500, description="relative to the data folder")
    spec: str | None = Field(default=None, max_length=200, description="a shipped harmonization spec")


@router.post("/sources", tags=["sources"], status_code=201, summary="Register a file of the data folder")
def register_source(
    *,
    request: Request,
    body: SourceIn,
    sv: Annotated[Services, Depends(services)],
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(api_writer("sources.write"))],
) -> dict:
    s = sources_view.register(session, sv.settings.data_dir, body.name, body.path, body.spec, user.username)
    audit.record(
        session,
        user,
        "source.register",
        f"source {s.id}",
        detail={"name": s.name, "path": s.path},
        address=_addr(request),
    )
    session.commit()
    return sources_view.as_dict(s)


@router.get("/jobs", tags=["jobs"], summary="Jobs, newest first")
def list_jobs(
    *,
    limit: Limit = 100,
    offset: Offset = 0,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(allowed("jobs.read"))],
) -> dict:
    rows, total = page_query(session, select(Job).order_by(Job.id.desc()), limit, offset)
    return page([jobs.job_dict(j) for j in rows], total, limit, offset)


@router.get("/jobs/{job_id}", tags=["jobs"], summary="One job and its progress")
def get_job(
    *,
    job_id: int,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(allowed("jobs.read"))],
) -> dict:
    check_id(job_id, Message("service.errors.no_job", id=job_id), Message("service.errors.no_job.hint"))
    j = session.get(Job, job_id)
    if j is None:
        raise NotFound(Message("service.errors.no_job", id=job_id), hint=Message("service.errors.no_job.hint"))
    return jobs.job_dict(j)


class ProfileJobIn(BaseModel):
    origin: str = Field(default="COL", min_length=3, max_length=3)
    destination: str = Field(default="CHL", min_length=3, max_length=3)
    region: str | None = Field(default=None, max_length=10)
    scheme: Literal["chile", "eclac_2023"] = "chile"
    min_n: int | None = Field(
        default=None,
        ge=1,
        le=10_000,
        description="minimum sample cases of a published cell; default and publication minimum: the server's "
        "min_n (a lower one makes a run for analysts only, marked not for publication)",
    )
    source: int | None = None
    pdf: bool = False


@router.post("/jobs", tags=["jobs"], status_code=202, summary="Start a profile run")
def start_job(
    *,
    request: Request,
    body: ProfileJobIn,
    sv: Annotated[Services, Depends(services)],
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(api_writer("jobs.run"))],
) -> dict:
    job = sv.runner.submit(session, "profile", body.model_dump(), user.username)
    audit.record(session, user, "job.start", f"job {job.id}", detail=job.params, address=_addr(request))
    session.commit()
    sv.runner.enqueue(job.id)
    return jobs.job_dict(job)


@router.get("/audit", tags=["admin"], summary="The audit log, newest first")
def audit_log(
    *,
    limit: Limit = 200,
    offset: Offset = 0,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(allowed("audit.read"))],
) -> dict:
    from corridor.service.store import AuditEntry

    rows, total = page_query(session, select(AuditEntry).order_by(AuditEntry.id.desc()), limit, offset)
    return page([audit.as_dict(e) for e in rows], total, limit, offset)


@router.get("/users", tags=["admin"], summary="Users")
def users(
    *,
    limit: Limit = 100,
    offset: Offset = 0,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(allowed("users.admin"))],
) -> dict:
    rows, total = page_query(session, select(User).order_by(User.id), limit, offset)
    return page([auth.user_dict(u) for u in rows], total, limit, offset)


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)
    role: Literal["admin", "analyst", "partner", "viewer"]
    organisation: str | None = Field(default=None, max_length=80)


@router.post("/users", tags=["admin"], status_code=201, summary="Create a user")
def create_user(
    *,
    request: Request,
    body: UserIn,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(api_writer("users.admin"))],
) -> dict:
    u = auth.create_user(session, body.username, body.password, body.role, body.organisation)
    audit.record(
        session,
        user,
        "user.create",
        f"user {u.username}",
        detail={"role": u.role, "organisation": u.organisation},
        address=_addr(request),
    )
    session.commit()
    return auth.user_dict(u)


def _addr(request: Request) -> str | None:
    return request.client.host if request.client else None


router.include_router(api_programme.router)


# --- account lifecycle -----------------------------------------------------------------------------------------


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=80)
    days: float | None = Field(
        default=None, ge=0, le=auth.MAX_TOKEN_DAYS, description="lifetime; default: the server's token_days"
    )


@router.get("/me/tokens", tags=["account"], summary="Your API tokens (never their secrets)")
def my_tokens(
    *,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(allowed("tokens.own"))],
) -> dict:
    toks = [auth.token_dict(t) for t in accounts.tokens_of(session, user.id)]
    return page(toks, len(toks), max(len(toks), 1), 0)


@router.post("/me/tokens", tags=["account"], status_code=201, summary="Create an API token (shown once)")
def create_token(
    *,
    request: Request,
    body: TokenIn,
    sv: Annotated[Services, Depends(services)],
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(api_writer("tokens.own"))],
) -> dict:
    days = sv.settings.token_days if body.days is None else body.days
    secret, row = auth.new_api_token(session, user, body.name, days)
    audit.record(
        session,
        user,
        "token.create",
        f"token {row.id}",
        detail={"name": row.name, "expires_at": auth.token_dict(row)["expires_at"]},
        address=_addr(request),
    )
    session.commit()
    return {**auth.token_dict(row), "token": secret}


@router.delete("/me/tokens/{token_id}", tags=["account"], summary="Revoke one of your API tokens")
def revoke_my_token(
    *,
    request: Request,
    token_id: int,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(api_writer("tokens.own"))],
) -> dict:
    return _account_change(
        request,
        session,
        user,
        "token.revoke.refused",
        f"token {token_id}",
        lambda: accounts.token_revocation(session, token_id, user, user.id),
        {"revoked": token_id},
    )


class OwnPasswordIn(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


@router.put("/me/password", tags=["account"], summary="Change your password (ends all your sessions)")
def change_my_password(
    *,
    request: Request,
    body: OwnPasswordIn,
    sv: Annotated[Services, Depends(services)],
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(api_writer("tokens.own"))],
) -> dict:
    def change() -> accounts.Change:
        current, new = body.current_password, body.new_password
        return accounts.own_password(session, sv.limiter, user, current, new, _addr(request))

    made = _account_change(request, session, user, "user.password.refused", f"user {user.username}", change)
    return {"changed": True, "sessions_ended": made.detail["sessions_ended"]}


class UserPatch(BaseModel):
    role: Literal["admin", "analyst", "partner", "viewer"] | None = None
    organisation: str | None = Field(default=None, max_length=80)
    active: bool | None = None


@router.patch(
    "/users/{user_id}", tags=["admin"], summary="Change a user's role, organisation or active state"
)
def patch_user(
    *,
    request: Request,
    user_id: int,
    body: UserPatch,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(api_writer("users.admin"))],
) -> dict:
    def change() -> None:
        if body.role is not None or body.organisation is not None:
            made = accounts.role_change(session, user_id, body.role, body.organisation, user)
            audit.record_change(session, user, made, _addr(request))
        if body.active is not None:
            audit.record_change(
                session, user, accounts.activation(session, user_id, body.active, user), _addr(request)
            )

    _account_change(request, session, user, "user.change.refused", f"user {user_id}", change)
    return accounts.user_row(session, accounts.get_user(session, user_id))


class PasswordIn(BaseModel):
    new_password: str = Field(min_length=1, max_length=1024)


@router.put(
    "/users/{user_id}/password", tags=["admin"], summary="Set a user's password (ends their sessions)"
)
def set_user_password(
    *,
    request: Request,
    user_id: int,
    body: PasswordIn,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(api_writer("users.admin"))],
) -> dict:
    made = _account_change(
        request,
        session,
        user,
        "user.password.refused",
        f"user {user_id}",
        lambda: accounts.password_reset(session, user_id, body.new_password),
    )
    return {"changed": True, "sessions_ended": made.detail["sessions_ended"]}


@router.get("/users/{user_id}/tokens", tags=["admin"], summary="A user's API tokens")
def user_tokens(
    *,
    user_id: int,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(allowed("users.admin"))],
) -> dict:
    return accounts.user_row(session, accounts.get_user(session, user_id))


@router.delete("/users/{user_id}/tokens/{token_id}", tags=["admin"], summary="Revoke a user's API token")
def revoke_user_token(
    *,
    request: Request,
    user_id: int,
    token_id: int,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(api_writer("users.admin"))],
) -> dict:
    return _account_change(
        request,
        session,
        user,
        "token.revoke.refused",
        f"token {token_id}",
        lambda: accounts.token_revocation(session, token_id, user, user_id),
        {"revoked": token_id},
    )


def _account_change(
    request: Request, session: Session, user: Any, refused: str, target: str, change: Any, answer: Any = None
) -> Any:
    """Make an account change and audit it; a refused change is rolled back and audited as ``refused``
    (in its own transaction), then answered with its error. Returns ``answer``, or the change made."""
    from corridor.service.errors import scrub

    try:
        made = change()
    except CorridorError as exc:
        session.rollback()
        audit.record(
            session, user, refused, target, detail={"error": scrub(exc.message)}, address=_addr(request)
        )
        session.commit()
        raise
    if made is not None:
        audit.record_change(session, user, made, _addr(request))
    session.commit()
    return answer if answer is not None else made
