"""Reporting periods and the approval of each partner's data (as DHIS2 approves data sets).

A programme reports by year or by quarter, from its start date to its end date. Each partner's
data of a period (its training records, the values it entered, and the evidence values of the
indicators it is responsible for) moves through::

    draft --submit--> submitted --approve--> approved --lock--> locked
      ^                  |  return              | return          | unlock (administrators, with a reason)
      +------------------+----------------------+-----------------+

Only draft data can change: an import, an entry, a withdrawal or a refresh that would touch a
submitted, approved or locked period of that partner is refused and nothing is written. Every
change of state is kept (who, when, from, to, why); an unlock needs a reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from corridor.errors import InputError, SpecError
from corridor.i18n import Message
from corridor.programme import models as m

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

FREQUENCIES = ("year", "quarter")
ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "submit": (("draft",), "submitted"),
    "return": (("submitted", "approved"), "draft"),
    "approve": (("submitted",), "approved"),
    "lock": (("approved",), "locked"),
    "unlock": (("locked",), "draft"),
}
# which roles may take each action (the service checks them; partners act on their own organisation)
MAY: dict[str, frozenset[str]] = {
    "submit": frozenset({"partner", "analyst", "admin"}),
    "return": frozenset({"analyst", "admin"}),
    "approve": frozenset({"analyst", "admin"}),
    "lock": frozenset({"analyst", "admin"}),
    "unlock": frozenset({"admin"}),
}


class PeriodLockedError(InputError):
    """Data of a period that is not in draft cannot change."""


def build_periods(start: dt.date, end: dt.date, frequency: str = "year") -> list[tuple[str, dt.date, dt.date]]:
    """Periods ``(code, first day, last day)`` covering ``start`` .. ``end`` (codes ``2024`` or ``2024-Q1``)."""
    if frequency not in FREQUENCIES:
        raise SpecError(Message("programme.errors.periods.frequency", frequency=repr(frequency), allowed=", ".join(FREQUENCIES)),
                        hint=Message("programme.errors.periods.frequency.hint", example="reporting_periods: {frequency: year}"))
    out = []
    year, q = start.year, (start.month - 1) // 3
    while True:
        if frequency == "year":
            a, b, code = dt.date(year, 1, 1), dt.date(year, 12, 31), str(year)
        else:
            a = dt.date(year, 3 * q + 1, 1)
            b = (dt.date(year + (q == 3), (3 * q + 3) % 12 + 1, 1) - dt.timedelta(days=1))
            code = f"{year}-Q{q + 1}"
        if a > end:
            break
        out.append((code, a, b))
        if frequency == "year":
            year += 1
        else:
            year, q = (year + 1, 0) if q == 3 else (year, q + 1)
    return out


def by_code(programme: m.Programme, code: str) -> m.ReportingPeriod:
    for p in programme.periods:
        if p.code == code:
            return p
    raise InputError(Message("programme.errors.periods.no_period", programme=programme.code, code=repr(code)),
                     hint=Message("programme.errors.periods.no_period.hint",
                                  periods=", ".join(p.code for p in sorted(programme.periods, key=lambda p: p.start))))


def containing(programme: m.Programme, day: dt.date) -> m.ReportingPeriod | None:
    """The reporting period that holds ``day`` (None outside the programme's periods)."""
    return next((p for p in programme.periods if p.start <= day <= p.end), None)


def overlapping(programme: m.Programme, start: dt.date, end: dt.date) -> list[m.ReportingPeriod]:
    return sorted((p for p in programme.periods if p.start <= end and start <= p.end), key=lambda p: p.start)


def approval(period: m.ReportingPeriod, organisation: m.Organisation) -> m.PeriodApproval | None:
    return next((a for a in period.approvals if a.organisation_id == organisation.id), None)


def state(period: m.ReportingPeriod, organisation: m.Organisation) -> str:
    """``draft`` unless the partner's data of the period moved on."""
    a = approval(period, organisation)
    return a.state if a else "draft"


def require_draft(period: m.ReportingPeriod, organisation: m.Organisation, what: Message | str) -> None:
    """Refuse a change to a partner's data of a period that is not in draft."""
    a = approval(period, organisation)
    if a is None or a.state == "draft":
        return
    how = "programme.errors.periods.locked.unlock_hint" if a.state == "locked" else "programme.errors.periods.locked.return_hint"
    raise PeriodLockedError(
        Message("programme.errors.periods.locked", what=what, period=period.code, organisation=organisation.code,
                state=Message(f"programme.period_states.{a.state}"), since=f"{a.changed_at:%Y-%m-%d %H:%M}",
                by=a.changed_by),
        hint=Message(how))


@dataclass(frozen=True)
class Transition:
    period: str
    organisation: str
    before: str
    after: str


def transition(session: Session, programme: m.Programme, period_code: str, organisation_code: str, action: str,
               *, by: str, reason: str | None = None, now: dt.datetime | None = None) -> Transition:
    """Move one partner's period along (see the module docstring); the event is recorded."""
    if action not in ACTIONS:
        raise InputError(Message("programme.errors.periods.not_an_action", action=repr(action)),
                         hint=Message("programme.errors.use_one_of.hint", allowed=", ".join(ACTIONS)))
    period = by_code(programme, period_code)
    org = next((o for o in programme.organisations if o.code == organisation_code), None)
    if org is None:
        raise InputError(Message("programme.errors.not_a_partner", code=repr(organisation_code), programme=programme.code),
                         hint=Message("programme.errors.partners.hint",
                                      partners=", ".join(sorted(o.code for o in programme.organisations))))
    allowed, target = ACTIONS[action]
    a = approval(period, org)
    before = a.state if a else "draft"
    if before not in allowed:
        raise InputError(Message("programme.errors.periods.cannot", action=action, period=period.code, organisation=org.code,
                                 state=Message(f"programme.period_states.{before}")),
                         hint=Message("programme.errors.periods.cannot.hint", action=action,
                                      states=[Message(f"programme.period_states.{s}") for s in sorted(allowed)]))
    if action in ("unlock", "return") and not (reason and reason.strip()):
        raise InputError(Message("programme.errors.periods.needs_reason", action=action, period=period.code, organisation=org.code),
                         hint=Message("programme.errors.periods.needs_reason.hint"))
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if a is None:
        a = m.PeriodApproval(period=period, organisation=org, state=before, changed_at=now, changed_by=by)
        session.add(a)
    a.state, a.changed_at, a.changed_by = target, now, by
    a.events.append(m.PeriodEvent(from_state=before, to_state=target, at=now, by=by, reason=reason))
    session.flush()
    return Transition(period.code, org.code, before, target)


def partners_with_data(programme: m.Programme) -> set[str]:
    """Partners whose data a period holds: training records, entries, responsibility for evidence."""
    from sqlalchemy import select
    from sqlalchemy.orm import object_session

    session = object_session(programme)
    if session is None:
        owners = {s.organisation.code for s in programme.sessions if s.organisation}
    else:  # one query, not every training session loaded (thousands of them in a long programme)
        S, O = m.TrainingSession, m.Organisation
        owners = set(session.scalars(
            select(O.code).join(S, S.organisation_id == O.id).where(S.programme_id == programme.id).distinct()
        ))
    owners |= {v.organisation.code for r in programme.results for i in r.indicators for v in i.values}
    owners |= {i.responsible.code for r in programme.results for i in r.indicators
               if i.responsible and i.source_kind == "evidence"}
    return owners


def history(programme: m.Programme) -> list[dict]:
    """Every approval event of the programme, oldest first."""
    out = []
    for p in programme.periods:
        for a in p.approvals:
            for e in a.events:
                out.append({"period": p.code, "organisation": a.organisation.code, "from": e.from_state,
                            "to": e.to_state, "at": e.at, "by": e.by, "reason": e.reason})
    return sorted(out, key=lambda e: (e["at"], e["period"], e["organisation"]))
