"""The programme as the service shows and edits it (a thin adapter over :mod:`corridor.programme`).

Training sessions entered in a form are written as a one-session records file in the data
folder and imported with :func:`corridor.programme.activities.import_trainings`, so a form and
an uploaded export pass exactly the same checks and both leave an import ledger. Imports,
entries and approvals carry the partner (a partner's own organisation; analysts name one), and
the programme layer refuses changes to periods that are not in draft. Which account recorded
each import is also kept in the service's ``svc_record_owner`` table (partners may withdraw only
their own organisation's). Approval actions follow :data:`corridor.programme.periods.MAY`:
partners submit their own periods, analysts return, approve and lock, administrators unlock.
"""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from corridor.errors import InputError
from corridor.i18n import Message, place_name
from corridor.programme import governance
from corridor.programme import models as m
from corridor.programme import periods as pm
from corridor.programme.activities import (
    AGE_BANDS,
    PROFESSIONS,
    import_trainings,
    region_lookup,
    session_keys,
)
from corridor.programme.demo import load_demo as _load_demo
from corridor.programme.progress import overdue, programme_progress
from corridor.programme.refresh import refresh_observations
from corridor.programme.report import Fmt
from corridor.programme.values import delete_value, record_value
from corridor.service.errors import Forbidden, NotFound
from corridor.service.roles import require_org
from corridor.service.store import RecordOwner
from corridor.sources.bounded import Limits

# the service's publication minimum, for the programme's evidence cells (set by create_app)
PUBLICATION = {"min_n": 30}


def refresh(session: Session, prog: m.Programme, **kw: Any) -> Any:
    """Bring the programme's baselines and actuals up to date, evidence published at the service's minimum."""
    return refresh_observations(session, prog, min_n=PUBLICATION["min_n"], **kw)


MAX_PARTICIPANTS = 60
SESSION_FIELDS = ("session_id", "date", "region", "facility", "course", "topic", "trainers", "line_of_work",
                  "organisation")
PARTICIPANT_FIELDS = ("participant_id", "profession", "sex", "age", "nationality", "migratory_status", "pre_score",
                      "post_score")
FIELDS = SESSION_FIELDS + PARTICIPANT_FIELDS


def text(value: dict | str | None, lang: str) -> str:
    """A multilingual text in ``lang`` (falls back to English, then any)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return value.get(lang) or value.get("en") or next(iter(value.values()), "")


def current(session: Session) -> m.Programme | None:
    """The programme the service shows (the first by code)."""
    return session.scalars(select(m.Programme).order_by(m.Programme.code)).first()


def require_programme(session: Session) -> m.Programme:
    prog = current(session)
    if prog is None:
        raise NotFound(Message("service.errors.no_programme"), hint=Message("service.errors.no_programme.hint"))
    return prog


def load_demo(session: Session) -> m.Programme:
    """Load the shipped Chile-Colombia demo (its monitoring data and survey/notification rows are SYNTHETIC)."""
    return _load_demo(session)


def _who(user: Any) -> str:
    return getattr(user, "username", None) or "service"


def _public_evidence(prog: m.Programme) -> dict[str, Any] | None:
    """Where the programme's evidence came from, as users may see it: the run or file by name, never the
    server's folders."""
    meta = dict(prog.evidence_meta or ({"file": prog.evidence_path} if prog.evidence_path else {}))
    if not meta:
        return None
    if meta.get("file"):
        f = Path(str(meta["file"]))
        # a profile's table is named by its run (folder) too: profile_COL_CHL/indicators.parquet
        meta["file"] = f"{f.parent.name}/{f.name}" if f.name.startswith("indicators.") and f.parent.name else f.name
    return meta


def regions(prog: m.Programme) -> list[str]:
    """ISO 3166-2 codes of the programme's countries."""
    return sorted({v for v in region_lookup(prog.countries or [prog.destination]).values()})


def progress_rows(prog: m.Programme, lang: str, progress: list[Any] | None = None) -> list[dict[str, Any]]:
    """Progress against every target in ``lang`` (``progress``: :func:`programme_progress` worked out already)."""
    out = []
    for p in programme_progress(prog) if progress is None else progress:
        d = p.as_dict()
        d["indicator_title"] = text(p.indicator_title, lang)
        d["as_of"] = p.as_of.isoformat() if p.as_of else None
        out.append(d)
    return out


def overview(session: Session, prog: m.Programme, lang: str) -> dict[str, Any]:
    """Everything the programme page and API show, in ``lang``."""
    return overviews(session, prog, (lang,))[lang]


def overviews(session: Session, prog: m.Programme, langs: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """The overview in each of ``langs``, read together: the programme is read once, and the parts that do
    not depend on the language (the training sessions, thousands in a long programme) are worked out
    once and shared."""
    owners = {
        r.record_id: r for r in session.scalars(select(RecordOwner).where(RecordOwner.kind == "import_batch"))
    }
    shared = {
        "trainings": trainings_overview(session, prog, owners),
        # judged, read and sorted once for every language: only their texts differ
        "progress": programme_progress(prog),
        "periods": _periods_core(prog),
        "entries": _entries(prog),
        "revisions": revisions_overview(prog),
    }
    return {lang: _overview(prog, lang, owners, shared) for lang in langs}


def _overview(prog: m.Programme, lang: str, owners: dict[int, Any], shared: dict[str, Any]) -> dict[str, Any]:
    orgs = {o.id: o for o in prog.organisations}
    return {
        "code": prog.code,
        "title": text(prog.title, lang),
        "summary": text(prog.summary, lang),
        "origin": prog.origin,
        "destination": prog.destination,
        "status": prog.status,
        "lines_of_work": [
            {"code": lw.code, "title": text(lw.title, lang)}
            for lw in sorted(prog.lines_of_work, key=lambda x: x.position)
        ],
        "results": [
            {
                "code": r.code,
                "level": r.level,
                "title": text(r.title, lang),
                "sdg": list(r.sdg or []),
                "line": r.line.code if r.line else None,
                "indicators": [
                    {"code": i.code, "title": text(i.title, lang), "unit": i.unit, "sdg": list(i.sdg or [])}
                    for i in sorted(r.indicators, key=lambda i: i.position)
                ],
            }
            for r in sorted(prog.results, key=lambda r: r.position)
        ],
        "progress": progress_rows(prog, lang, shared["progress"]),
        "commitments": [
            {
                "code": c.code,
                "text": text(c.text, lang),
                "owner": c.owner.code,
                "owner_name": text(c.owner.name, lang),
                "due_date": c.due_date.isoformat() if c.due_date else None,
                "due_note": text(c.due_note, lang),
                "status": c.status,
                "overdue": overdue(c),
                "done_on": c.done_on.isoformat() if c.done_on else None,
            }
            for c in sorted(prog.commitments, key=lambda c: c.code)
        ],
        "periods": periods_overview(prog, lang, shared["periods"]),
        "manual": values_overview(prog, lang, shared["entries"]),
        "revisions": shared["revisions"],
        "evidence": _public_evidence(prog),
        "meetings": [
            {
                "code": mt.code,
                "title": text(mt.title, lang),
                "held_on": mt.held_on.isoformat() if mt.held_on else None,
                "date_note": text(mt.date_note, lang),
                "place": place_name(mt.place, lang),
                "participants": [p.organisation.code for p in mt.participants],
                "decisions": [text(d.text, lang) for d in sorted(mt.decisions, key=lambda d: d.position)],
                "minutes": text(mt.minutes, lang),
            }
            for mt in sorted(prog.meetings, key=lambda x: x.code)
        ],
        "partners": [
            {
                "code": o.code,
                "name": text(o.name, lang),
                "kind": o.kind,
                "country": o.country,
                "region": o.region,
            }
            for o in sorted(orgs.values(), key=lambda o: o.code)
        ],
        "trainings": shared["trainings"],
        "imports": [
            {
                "id": b.id,
                "file": Path(b.file_name).name,
                "imported_at": b.imported_at.isoformat(),
                "rows_read": b.rows_read,
                "rows_imported": b.rows_imported,
                "rows_blank": b.rows_skipped_blank,
                "sessions": b.sessions,
                "synthetic": b.synthetic,
                "organisation": owners[b.id].organisation if b.id in owners else None,
                "partner": b.organisation.code if b.organisation else None,
                "recorded_by": owners[b.id].username if b.id in owners else b.recorded_by,
            }
            for b in sorted(prog.imports, key=lambda b: b.id)
        ],
    }


def trainings_overview(session: Session, prog: m.Programme, owners: dict[int, Any]) -> list[dict[str, Any]]:
    """Every training session of the programme, oldest first, with its number of participants: three
    queries whatever the number of sessions (not one per session and relation)."""
    S, P = m.TrainingSession, m.TrainingParticipant
    courses = {c.id: c.code for c in prog.courses}
    orgs = {o.id: o.code for o in prog.organisations}
    counts = dict(
        session.execute(
            select(P.session_id, func.count(P.id))
            .join(S, S.id == P.session_id)
            .where(S.programme_id == prog.id)
            .group_by(P.session_id)
        ).all()
    )
    rows = session.execute(
        select(S.id, S.session_code, S.held_on, S.region, S.facility, S.topic, S.line_code, S.course_id,
               S.organisation_id, S.import_id)
        .where(S.programme_id == prog.id)
        .order_by(S.held_on, S.session_code, S.id)
    ).all()
    return [
        {
            "session_id": r.session_code,
            "date": r.held_on.isoformat(),
            "region": r.region,
            "facility": r.facility,
            "topic": r.topic,
            "line_of_work": r.line_code,
            "course": courses.get(r.course_id) if r.course_id is not None else None,
            "participants": counts.get(r.id, 0),
            "import_id": r.import_id,
            "organisation": orgs.get(r.organisation_id) if r.organisation_id is not None else (
                owners[r.import_id].organisation if r.import_id in owners else None),
        }
        for r in rows
    ]


def _owner(session: Session, batch: m.ImportBatch, user: Any) -> None:
    session.add(
        RecordOwner(
            kind="import_batch",
            record_id=batch.id,
            organisation=getattr(user, "organisation", None),
            username=getattr(user, "username", None),
        )
    )


def _check_org(prog: m.Programme, user: Any) -> None:
    if getattr(user, "role", None) == "partner":
        codes = {o.code for o in prog.organisations}
        if user.organisation not in codes:
            raise InputError(Message("service.errors.not_partner", organisation=repr(user.organisation), programme=prog.code),
                             hint=Message("service.errors.not_partner.hint"))


def partner_of(prog: m.Programme, user: Any, named: str | None) -> str:
    """The partner a write is for: a partner's own organisation; for analysts and admins, the one named."""
    _check_org(prog, user)
    if getattr(user, "role", None) == "partner":
        if named and named != user.organisation:
            raise Forbidden(Message("service.errors.record_for", mine=user.organisation, named=named),
                            hint=Message("service.errors.record_for.hint"))
        return user.organisation
    if not named:
        raise InputError(Message("service.errors.name_partner"), hint=Message("service.errors.name_partner.hint"))
    return named


def record_session(
    session: Session,
    prog: m.Programme,
    data: dict[str, Any],
    participants: list[dict[str, Any]],
    user: Any,
    uploads: Path,
) -> tuple[m.ImportBatch, int]:
    """Import one training session entered in a form; return the import and the participants added."""
    data = {**data, "organisation": partner_of(prog, user, str(data.get("organisation") or "") or None)}
    rows = [p for p in participants if any(str(v or "").strip() for v in p.values())]
    if not rows:
        raise InputError(Message("service.errors.no_participants"), hint=Message("service.errors.no_participants.hint"))
    if len(rows) > MAX_PARTICIPANTS:
        raise InputError(Message("service.errors.participants_many", count=len(rows), max=MAX_PARTICIPANTS),
                         hint=Message("service.errors.participants_many.hint"))
    path = uploads / f"session-{dt.date.today().isoformat()}-{uuid.uuid4().hex[:10]}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS)
        w.writeheader()
        for p in rows:
            w.writerow(
                {
                    **{k: str(data.get(k) or "").strip() for k in SESSION_FIELDS},
                    **{k: str(p.get(k) or "").strip() for k in PARTICIPANT_FIELDS},
                }
            )
    try:
        return import_file(session, prog, path, user)
    except BaseException:
        path.unlink(missing_ok=True)  # a refused form leaves no file behind
        raise


def import_file(
    session: Session, prog: m.Programme, path: Path, user: Any, limits: Limits | None = None
) -> tuple[m.ImportBatch, int]:
    """Import a file of training records (all or nothing; read under ``limits``), record its owner,
    refresh the actuals (those of the periods and indicators the new sessions count toward: the others
    cannot have changed)."""
    _check_org(prog, user)
    org = user.organisation if getattr(user, "role", None) == "partner" else None
    if org is not None:
        _only_own_rows(path, org, limits)
    batch, ledger = import_trainings(session, prog, path, organisation=org, by=_who(user), limits=limits)
    _owner(session, batch, user)
    refresh(session, prog, by=_who(user), kinds=("activities",), changed=session_keys(session, batch.id),
            why=f"training records {path.name} imported (import {batch.id})")
    session.flush()
    session.expire_all()
    return batch, ledger.rows_imported


def _only_own_rows(path: Path, org: str, limits: Limits | None = None) -> None:
    """A partner's upload may name only its own organisation in an organisation column (the file is
    read under the same ``limits`` as the import itself)."""
    from corridor.programme.activities import _read_rows

    _, rows, _ = _read_rows(path, limits)
    others: set[str] = set()
    for _, r in rows:
        if r.get("organisation") not in (None, "", org):
            others.add(str(r.get("organisation"))[:80])
            if len(others) > 20:  # enough to refuse; a hostile file cannot grow this set
                break
    if others:
        raise Forbidden(Message("service.errors.file_others", others=", ".join(sorted(others)), mine=org),
                        hint=Message("service.errors.file_others.hint"))


def withdraw_import(session: Session, prog: m.Programme, batch_id: int, user: Any) -> m.ImportBatch:
    """Remove one import and its sessions (partners: only their organisation's; draft periods only)."""
    batch = session.get(m.ImportBatch, batch_id)
    if batch is None or batch.programme_id != prog.id:
        raise NotFound(Message("service.errors.no_import", id=batch_id, programme=prog.code),
                       hint=Message("service.errors.no_import.hint"))
    owner = session.scalar(
        select(RecordOwner).where(RecordOwner.kind == "import_batch", RecordOwner.record_id == batch_id)
    )
    require_org(user, owner.organisation if owner else None, Message("service.errors.what.import", id=batch_id))
    for ts in session.scalars(select(m.TrainingSession).where(m.TrainingSession.import_id == batch_id)):
        if ts.organisation is not None:
            period = pm.containing(prog, ts.held_on)
            if period is not None:
                pm.require_draft(period, ts.organisation, Message("service.errors.what.withdrawing", id=batch_id))
    changed = session_keys(session, batch_id)
    session.delete(batch)
    session.execute(
        delete(RecordOwner).where(RecordOwner.kind == "import_batch", RecordOwner.record_id == batch_id)
    )
    session.flush()
    session.expire_all()
    refresh(session, prog, by=_who(user), kinds=("activities",), changed=changed, why=f"import {batch_id} withdrawn")
    session.flush()
    session.expire_all()
    return batch


def set_commitment_status(
    session: Session, prog: m.Programme, code: str, status: str, user: Any
) -> m.Commitment:
    """Change a commitment's status (partners: only commitments their organisation owns); kept as a revision."""
    c = next((c for c in prog.commitments if c.code == code), None)
    if c is None:
        raise NotFound(Message("service.errors.no_commitment", code=repr(code)), hint=Message("service.errors.no_commitment.hint"))
    require_org(user, c.owner.code, Message("programme.errors.what.commitment", code=code))
    return governance.update_commitment(session, prog, code, status=status, by=_who(user))


def record_entry(session: Session, prog: m.Programme, data: dict[str, Any], user: Any) -> m.ManualValue:
    """Enter one value of a ``source: manual`` indicator (partners: for their own organisation)."""
    org = partner_of(prog, user, str(data.get("organisation") or "") or None)
    dim = {k: data.get(k) for k in ("sex", "age_band", "nationality", "migratory_status", "profession")
           if data.get(k) not in (None, "")}
    row = record_value(session, prog, indicator=str(data.get("indicator") or ""), organisation=org,
                       period=str(data.get("period") or ""), area=str(data.get("area") or ""),
                       value=data.get("value"), dimension=dim, note=(str(data.get("note") or "") or None),
                       by=_who(user))
    refresh(session, prog, by=_who(user), kinds=("manual",), why=f"value entered for {row.indicator.code}")
    return row


def remove_entry(session: Session, prog: m.Programme, value_id: int, user: Any) -> m.ManualValue:
    row = session.get(m.ManualValue, value_id)
    if row is None or row.indicator.result.programme_id != prog.id:
        raise NotFound(Message("service.errors.no_value", id=value_id), hint=Message("service.errors.no_value.hint"))
    require_org(user, row.organisation.code, Message("service.errors.what.value", id=value_id))
    out = delete_value(session, prog, value_id, by=_who(user))
    refresh(session, prog, by=_who(user), kinds=("manual",), why=f"value {value_id} removed")
    return out


def period_action(session: Session, prog: m.Programme, period: str, organisation: str, action: str, user: Any,
                  reason: str | None = None) -> pm.Transition:
    """Move a partner's period along, if the user's role may (partners: submit their own)."""
    role = getattr(user, "role", None)
    if action not in pm.MAY:
        raise NotFound(Message("service.errors.no_action", action=repr(action)),
                       hint=Message("service.errors.use_one_of.hint", allowed=", ".join(pm.MAY)))
    if role not in pm.MAY[action]:
        raise Forbidden(Message("service.errors.role_action", role=Message(f"service.roles.{role}"), action=action),
                        hint=Message("service.errors.role_action.hint"))
    require_org(user, organisation, Message("service.errors.what.period", period=period, organisation=organisation))
    return pm.transition(session, prog, period, organisation, action, by=_who(user), reason=reason)


def _periods_core(prog: m.Programme) -> dict[str, Any]:
    """What :func:`periods_overview` shows in any language: partners, states and history."""
    orgs = {o.code: o for o in prog.organisations}
    owners = sorted(pm.partners_with_data(prog) | {a.organisation.code for p in prog.periods for a in p.approvals})
    return {
        "partners": owners,
        "rows": [{"period": p.code, "states": {o: pm.state(p, orgs[o]) for o in owners}}
                 for p in sorted(prog.periods, key=lambda p: p.start)],
        "history": [{**e, "at": e["at"].isoformat(timespec="seconds")} for e in pm.history(prog)],
    }


def periods_overview(prog: m.Programme, lang: str, core: dict[str, Any] | None = None) -> dict[str, Any]:
    """Approval state of every reporting period for every partner with data (or an approval); ``core``:
    :func:`_periods_core` worked out already."""
    core = _periods_core(prog) if core is None else core
    states = Fmt(lang).msg["period_states"]
    return {
        "partners": core["partners"],
        "rows": [{**r, "texts": {o: states[st] for o, st in r["states"].items()}} for r in core["rows"]],
        "history": core["history"],
    }


def _manual_indicators(prog: m.Programme) -> list[m.Indicator]:
    return [i for r in sorted(prog.results, key=lambda r: r.position) for i in r.indicators
            if i.source_kind == "manual"]


def _entries(prog: m.Programme) -> list[dict[str, Any]]:
    """The values entered for the manual indicators, newest first."""
    values = sorted((v for i in _manual_indicators(prog) for v in i.values), key=lambda v: (v.entered_at, v.id),
                    reverse=True)
    return [{"id": v.id, "indicator": v.indicator.code, "organisation": v.organisation.code,
             "period": v.period.code, "area": v.area, "dimension": v.dimension, "value": v.value,
             "entered_by": v.entered_by, "entered_at": v.entered_at.isoformat(timespec="seconds"),
             "synthetic": v.synthetic} for v in values]


def values_overview(prog: m.Programme, lang: str, entries: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The manual indicators (for the entry form) and the values entered, newest first (``entries``:
    :func:`_entries` worked out already)."""
    return {
        "indicators": [{"code": i.code, "title": text(i.title, lang), "disaggregation": list(i.disaggregation)}
                       for i in _manual_indicators(prog)],
        "entries": _entries(prog) if entries is None else entries,
    }


def revisions_overview(prog: m.Programme, limit: int = 200) -> list[dict[str, Any]]:
    """Changes to stored values and records, newest first (first values left out)."""
    revs = [r for r in prog.revisions if not (r.before is None and r.subject in ("baseline", "actual"))]
    return [{"at": r.at.isoformat(timespec="seconds"), "by": r.by, "subject": r.subject, "code": r.code,
             "period": r.period, "dimension": r.dimension, "before": r.before, "after": r.after, "why": r.why}
            for r in sorted(revs, key=lambda r: (r.at, r.id), reverse=True)[:limit]]


def refresh_from_run(session: Session, prog: m.Programme, run_dir: Path, user: str,
                     reason: str | None = None) -> dict[str, int]:
    """Refresh the programme's evidence from a profile run folder of the service (a job's work)."""
    from corridor.programme.evidence import read_evidence

    evidence = read_evidence(run_dir, min_n=PUBLICATION["min_n"])  # a run below the minimum is re-suppressed
    prog.evidence_path, prog.evidence_meta = str(run_dir), dict(evidence.meta)
    why = f"evidence refreshed from profile run {run_dir.name} (sha256 {evidence.meta['sha256'][:12]})"
    s = refresh(session, prog, by=user, why=why + (f": {reason}" if reason else ""), evidence=evidence)
    return {"added": s.added, "revised": s.revised, "removed": s.removed, "unchanged": s.unchanged}


def check_refresh_params(params: dict[str, Any], runs: Path) -> dict[str, Any]:
    """A programme refresh job's parameters: an existing profile run, and an optional reason."""
    run = str(params.get("run") or "").strip()
    if not run or "/" in run or run.startswith(".") or not (runs / run / "indicators.parquet").exists():
        raise InputError(Message("service.errors.no_run", run=repr(run)), hint=Message("service.errors.choose_run.hint"))
    reason = str(params.get("reason") or "").strip()[:500] or None
    return {"run": run, "reason": reason}


def run_refresh_job(engine: Any, runs: Path, params: dict[str, Any], user: str | None) -> str:
    """The job: refresh the programme's evidence from a profile run, in one transaction."""
    from corridor.programme.db import session_scope as programme_session

    with programme_session(engine) as session:
        prog = require_programme(session)
        counts = refresh_from_run(session, prog, runs / params["run"], user or "service", params.get("reason"))
    return (f"{params['run']}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))[:80]


PROFESSION_CODES = tuple(PROFESSIONS)
AGE_BAND_CODES = AGE_BANDS
