"""Commitments and meetings once they live in the database.

The programme file seeds them; afterwards they change here (command line, API, service) and a
reload of the file neither overwrites nor removes them. Every change is a revision (who, when,
before, after). A commitment past its due date that is neither done nor cancelled is overdue
(:func:`corridor.programme.progress.overdue`); the flag is computed, never stored.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from corridor.errors import InputError
from corridor.i18n import Message
from corridor.programme import models as m

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

EDITABLE_STATUSES = ("planned", "in_progress", "done", "cancelled")


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _org(programme: m.Programme, code: str | None, what: Message) -> m.Organisation:
    org = next((o for o in programme.organisations if o.code == code), None)
    if org is None:
        raise InputError(Message("programme.errors.in", what=what, problem=Message(
                             "programme.errors.not_a_partner", code=repr(code), programme=programme.code)),
                         hint=Message("programme.errors.partners.hint",
                                      partners=", ".join(sorted(o.code for o in programme.organisations))))
    return org


def _find(items: list, code: str, what: str, programme: m.Programme):
    found = next((x for x in items if x.code == code), None)
    if found is None:
        known = ", ".join(sorted(x.code for x in items)) or Message("programme.errors.none")
        # what: "commitment" or "meeting"
        raise InputError(Message(f"programme.errors.governance.no_{what}", code=repr(code), programme=programme.code),
                         hint=Message(f"programme.errors.governance.no_{what}.hint", known=known))
    return found


def find_commitment(programme: m.Programme, code: str) -> m.Commitment:
    return _find(programme.commitments, code, "commitment", programme)


def find_meeting(programme: m.Programme, code: str) -> m.Meeting:
    return _find(programme.meetings, code, "meeting", programme)


def _state(c: m.Commitment) -> dict:
    return {"status": c.status, "due_date": c.due_date.isoformat() if c.due_date else None,
            "done_on": c.done_on.isoformat() if c.done_on else None}


def add_commitment(session: Session, programme: m.Programme, *, code: str, text: dict, owner: str | None,
                   due: dt.date | None = None, meeting: str | None = None, line: str | None = None,
                   by: str, now: dt.datetime | None = None) -> m.Commitment:
    if any(c.code == code for c in programme.commitments):
        raise InputError(Message("programme.errors.governance.commitment_exists", code=repr(code)),
                         hint=Message("programme.errors.governance.commitment_exists.hint"))
    now = _now(now)
    mt = find_meeting(programme, meeting) if meeting else None
    lw = next((x for x in programme.lines_of_work if x.code == line), None) if line else None
    owner_org = _org(programme, owner, Message("programme.errors.what.commitment", code=code))
    c = m.Commitment(programme_id=programme.id, code=code, text=text, owner=owner_org, meeting=mt, line=lw,
                     due_date=due, status="planned", updated_at=now, updated_by=by)
    session.add(c)
    session.flush()
    session.expire(programme, ["commitments"])
    session.add(m.Revision(programme_id=programme.id, subject="commitment", code=code, before=None, after=_state(c),
                           at=now, by=by, why="added"))
    session.flush()
    return c


def update_commitment(session: Session, programme: m.Programme, code: str, *, status: str | None = None,
                      done_on: dt.date | None = None, due: dt.date | None = None, by: str,
                      why: str | None = None, now: dt.datetime | None = None) -> m.Commitment:
    """Change a commitment's status, completion date or due date; the change is a revision."""
    c = find_commitment(programme, code)
    if status is not None and status not in EDITABLE_STATUSES:
        raise InputError(Message("programme.errors.governance.status", status=repr(status), allowed=", ".join(EDITABLE_STATUSES)),
                         hint=Message("programme.errors.governance.status.hint"))
    before = _state(c)
    if status is not None:
        c.status = status
    if done_on is not None:
        c.done_on = done_on
    elif status == "done" and c.done_on is None:
        c.done_on = _now(now).date()
    if status is not None and status != "done":
        c.done_on = None if done_on is None else done_on
    if due is not None:
        c.due_date = due
    after = _state(c)
    if after != before:
        now = _now(now)
        c.updated_at, c.updated_by = now, by
        session.add(m.Revision(programme=programme, subject="commitment", code=code, before=before, after=after,
                               at=now, by=by, why=why or "updated"))
    session.flush()
    return c


def add_meeting(session: Session, programme: m.Programme, *, code: str, title: dict, held_on: dt.date | None,
                place: str | None, participants: list[str], by: str, now: dt.datetime | None = None) -> m.Meeting:
    if any(x.code == code for x in programme.meetings):
        raise InputError(Message("programme.errors.governance.meeting_exists", code=repr(code)),
                         hint=Message("programme.errors.governance.meeting_exists.hint"))
    orgs = [_org(programme, p, Message("programme.errors.what.meeting", code=code)) for p in participants]
    mt = m.Meeting(programme_id=programme.id, code=code, title=title, held_on=held_on, place=place)
    mt.participants = [m.MeetingParticipant(organisation=o) for o in orgs]
    session.add(mt)
    session.flush()
    session.expire(programme, ["meetings"])
    session.add(m.Revision(programme_id=programme.id, subject="meeting", code=code, before=None,
                           after={"held_on": held_on.isoformat() if held_on else None}, at=_now(now), by=by,
                           why="added"))
    session.flush()
    return mt


def update_meeting(session: Session, programme: m.Programme, code: str, *, minutes: dict | None = None,
                   decisions: list[dict] | None = None, by: str, now: dt.datetime | None = None) -> m.Meeting:
    """Record a meeting's minutes (per language) and add decisions; both are revisions."""
    mt = find_meeting(programme, code)
    now = _now(now)
    if minutes:
        before = dict(mt.minutes or {})
        mt.minutes = {**before, **minutes}
        session.add(m.Revision(programme=programme, subject="meeting", code=code, before={"minutes": before},
                               after={"minutes": mt.minutes}, at=now, by=by, why="minutes recorded"))
    for text in decisions or []:
        pos = max((d.position for d in mt.decisions), default=0) + 1
        mt.decisions.append(m.Decision(position=pos, text=text))
        session.add(m.Revision(programme=programme, subject="meeting", code=code, before=None,
                               after={"decision": pos, "text": text}, at=now, by=by, why="decision recorded"))
    session.flush()
    return mt
