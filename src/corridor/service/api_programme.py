"""The programme's monitoring API (``/api/v1/programme/...``): entries, approval, revisions, meetings,
commitments and the evidence refresh job. The same checks as the pages and the command line apply
(:mod:`corridor.service.programme_view`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from corridor.i18n import Message
from corridor.programme import governance
from corridor.service import audit, auth, programme_cache, programme_view
from corridor.service.deps import Services, allowed, api_writer, db, services
from corridor.service.errors import check_id

router = APIRouter(prefix="/programme", tags=["programme"])
Lang = Literal["es", "fr", "en"]


def _addr(request: Request) -> str | None:
    return request.client.host if request.client else None


class ValueIn(BaseModel):
    indicator: str = Field(min_length=1, max_length=80, description="an indicator with source: manual")
    period: str = Field(min_length=1, max_length=20, description="a reporting period, e.g. 2026")
    area: str = Field(min_length=1, max_length=60, description="ISO 3166-2 region or programme country")
    value: float = Field(ge=0, le=1e12)
    organisation: str | None = Field(default=None, max_length=80, description="partner (partners: their own)")
    sex: str | None = Field(default=None, max_length=20)
    age_band: str | None = Field(default=None, max_length=10)
    nationality: str | None = Field(default=None, max_length=60)
    migratory_status: str | None = Field(default=None, max_length=40)
    profession: str | None = Field(default=None, max_length=40)
    note: str | None = Field(default=None, max_length=1000)


@router.get("/values", summary="Values entered by partners (indicators with source: manual)")
def list_values(
    *,
    request: Request,
    lang: Lang | None = None,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(allowed("read"))],
) -> dict:
    prog = programme_view.require_programme(session)
    return programme_view.values_overview(prog, lang or request.state.lang)


@router.post("/values", status_code=201, summary="Enter (or correct) one value")
def post_value(
    *,
    request: Request,
    body: ValueIn,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(api_writer("records.write"))],
) -> dict:
    prog = programme_view.require_programme(session)
    row = programme_view.record_entry(session, prog, body.model_dump(), user)
    audit.record(session, user, "value.record", f"value {row.id}", detail=body.model_dump(exclude_none=True),
                 address=_addr(request))
    programme_cache.commit(session)
    return {"id": row.id, "indicator": row.indicator.code, "organisation": row.organisation.code,
            "period": row.period.code, "area": row.area, "dimension": row.dimension, "value": row.value}


@router.delete("/values/{value_id}", summary="Remove one entered value (draft periods only)")
def remove_value(
    *,
    request: Request,
    value_id: int,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(api_writer("records.write"))],
) -> dict:
    check_id(value_id, Message("service.errors.no_value", id=value_id), Message("service.errors.no_value.api_hint"))
    prog = programme_view.require_programme(session)
    row = programme_view.remove_entry(session, prog, value_id, user)
    audit.record(session, user, "value.delete", f"value {value_id}", detail={"indicator": row.indicator.code},
                 address=_addr(request))
    programme_cache.commit(session)
    return {"removed": value_id}


@router.get("/periods", summary="Reporting periods and each partner's approval state, with the history")
def list_periods(
    *,
    request: Request,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(allowed("read"))],
) -> dict:
    return programme_view.periods_overview(programme_view.require_programme(session), request.state.lang)


class PeriodIn(BaseModel):
    reason: str | None = Field(default=None, max_length=1000, description="required to return or unlock")


@router.post("/periods/{period}/{organisation}/{action}",
             summary="Submit, return, approve, lock or unlock a partner's period")
def period_action(
    *,
    request: Request,
    period: str,
    organisation: str,
    action: Literal["submit", "return", "approve", "lock", "unlock"],
    body: PeriodIn | None = None,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(api_writer("records.write"))],
) -> dict:
    prog = programme_view.require_programme(session)
    reason = body.reason if body else None
    t = programme_view.period_action(session, prog, period, organisation, action, user, reason)
    audit.record(session, user, f"period.{action}", f"period {period} of {organisation}",
                 detail={"from": t.before, "to": t.after, "reason": reason}, address=_addr(request))
    programme_cache.commit(session)
    return {"period": t.period, "organisation": t.organisation, "from": t.before, "to": t.after}


@router.get("/revisions", summary="Changes to stored values and records (who, when, before, after, why)")
def list_revisions(
    *,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(allowed("read"))],
) -> dict:
    return {"data": programme_view.revisions_overview(programme_view.require_programme(session), limit)}


class RefreshIn(BaseModel):
    run: str = Field(min_length=1, max_length=80, description="a profile run id (see /api/v1/profiles)")
    reason: str | None = Field(default=None, max_length=500)


@router.post("/refresh", status_code=202, summary="Queue a refresh of the programme's evidence from a profile run")
def refresh(
    *,
    request: Request,
    body: RefreshIn,
    sv: Annotated[Services, Depends(services)],
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(api_writer("programme.edit"))],
) -> dict:
    from corridor.service.jobs import job_dict

    programme_view.require_programme(session)
    job = sv.runner.submit(session, "programme_refresh", body.model_dump(), user.username)
    audit.record(session, user, "job.start", f"job {job.id}", detail=job.params, address=_addr(request))
    session.commit()
    sv.runner.enqueue(job.id)
    return job_dict(job)


class CommitmentIn(BaseModel):
    code: str = Field(min_length=1, max_length=80)
    text: str = Field(min_length=1, max_length=2000)
    lang: Lang = "en"
    owner: str = Field(min_length=1, max_length=80)
    due_date: dt.date | None = None
    meeting: str | None = Field(default=None, max_length=80)


@router.post("/commitments", status_code=201, summary="Add a commitment (kept across reloads of the file)")
def add_commitment(
    *,
    request: Request,
    body: CommitmentIn,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(api_writer("programme.edit"))],
) -> dict:
    prog = programme_view.require_programme(session)
    c = governance.add_commitment(session, prog, code=body.code, text={body.lang: body.text}, owner=body.owner,
                                  due=body.due_date, meeting=body.meeting, by=user.username)
    audit.record(session, user, "commitment.add", f"commitment {c.code}", address=_addr(request))
    programme_cache.commit(session)
    return {"code": c.code, "owner": c.owner.code, "status": c.status}


class MeetingIn(BaseModel):
    lang: Lang = "en"
    title: str | None = Field(default=None, max_length=400, description="to create the meeting")
    held_on: dt.date | None = None
    place: str | None = Field(default=None, max_length=200)
    participants: list[str] = Field(default_factory=list, max_length=50)
    minutes: str | None = Field(default=None, max_length=20000)
    decisions: list[str] = Field(default_factory=list, max_length=50)


@router.put("/meetings/{code}", summary="Create a meeting, or record its minutes and decisions")
def meeting(
    *,
    request: Request,
    code: str,
    body: MeetingIn,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(api_writer("programme.edit"))],
) -> dict:
    prog = programme_view.require_programme(session)
    if body.title:
        governance.add_meeting(session, prog, code=code, title={body.lang: body.title}, held_on=body.held_on,
                               place=body.place, participants=body.participants, by=user.username)
    mt = governance.update_meeting(session, prog, code, minutes={body.lang: body.minutes} if body.minutes else None,
                                   decisions=[{body.lang: d} for d in body.decisions], by=user.username)
    audit.record(session, user, "meeting.update", f"meeting {code}", address=_addr(request))
    programme_cache.commit(session)
    return {"code": mt.code, "decisions": len(mt.decisions), "minutes": bool(mt.minutes)}
