"""The programme as the service shows and edits it (a thin adapter over :mod:`corridor.programme`).

Training sessions entered in a form are written as a one-session records file in the data
folder and imported with :func:`corridor.programme.activities.import_trainings`, so a form and
an uploaded export pass exactly the same checks and both leave an import ledger. Which
organisation recorded each import is kept in the service's ``svc_record_owner`` table: the
programme layer has no owner for activity records, and partners may withdraw only their own.
"""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from corridor.errors import InputError
from corridor.programme import models as m
from corridor.programme.activities import PROFESSIONS, import_trainings, region_lookup
from corridor.programme.load import load_programme
from corridor.programme.progress import programme_progress
from corridor.programme.refresh import refresh_observations
from corridor.service.errors import NotFound
from corridor.service.roles import require_org
from corridor.service.store import RecordOwner

DEMO_DIR = Path(__file__).resolve().parents[1] / "datasets" / "programme_demo"
MAX_PARTICIPANTS = 60
FIELDS = (
    "session_id",
    "date",
    "region",
    "facility",
    "topic",
    "trainers",
    "line_of_work",
    "participant_id",
    "profession",
    "sex",
    "pre_score",
    "post_score",
)


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
        raise NotFound("no programme is loaded", hint="load one with `corridor programme load FILE`")
    return prog


def load_demo(session: Session) -> m.Programme:
    """Load the shipped Chile-Colombia demo (its training records and survey rows are SYNTHETIC)."""
    prog = load_programme(session, DEMO_DIR / "programme.yaml")
    import_trainings(session, prog, DEMO_DIR / "trainings_SYNTHETIC.csv")
    refresh_observations(session, prog)
    return prog


def regions(prog: m.Programme) -> list[str]:
    """ISO 3166-2 codes of the programme's countries."""
    return sorted({v for v in region_lookup(prog.countries or [prog.destination]).values()})


def progress_rows(prog: m.Programme, lang: str) -> list[dict[str, Any]]:
    out = []
    for p in programme_progress(prog):
        d = p.as_dict()
        d["indicator_title"] = text(p.indicator_title, lang)
        out.append(d)
    return out


def overview(session: Session, prog: m.Programme, lang: str) -> dict[str, Any]:
    """Everything the programme page and API show, in ``lang``."""
    orgs = {o.id: o for o in prog.organisations}
    owners = {
        r.record_id: r for r in session.scalars(select(RecordOwner).where(RecordOwner.kind == "import_batch"))
    }
    sessions = sorted(prog.sessions, key=lambda s: (s.held_on, s.session_code))
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
        "progress": progress_rows(prog, lang),
        "commitments": [
            {
                "code": c.code,
                "text": text(c.text, lang),
                "owner": c.owner.code,
                "owner_name": text(c.owner.name, lang),
                "due_date": c.due_date.isoformat() if c.due_date else None,
                "due_note": text(c.due_note, lang),
                "status": c.status,
            }
            for c in sorted(prog.commitments, key=lambda c: c.code)
        ],
        "meetings": [
            {
                "code": mt.code,
                "title": text(mt.title, lang),
                "held_on": mt.held_on.isoformat() if mt.held_on else None,
                "date_note": text(mt.date_note, lang),
                "place": mt.place,
                "participants": [p.organisation.code for p in mt.participants],
                "decisions": [text(d.text, lang) for d in sorted(mt.decisions, key=lambda d: d.position)],
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
        "trainings": [
            {
                "session_id": s.session_code,
                "date": s.held_on.isoformat(),
                "region": s.region,
                "facility": s.facility,
                "topic": s.topic,
                "line_of_work": s.line_code,
                "participants": len(s.participants),
                "import_id": s.import_id,
                "organisation": owners[s.import_id].organisation if s.import_id in owners else None,
            }
            for s in sessions
        ],
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
                "recorded_by": owners[b.id].username if b.id in owners else None,
            }
            for b in sorted(prog.imports, key=lambda b: b.id)
        ],
    }


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
            raise InputError(
                f"your organisation {user.organisation!r} is not a partner of programme {prog.code}",
                hint="ask an administrator to correct your account's organisation",
            )


def record_session(
    session: Session,
    prog: m.Programme,
    data: dict[str, Any],
    participants: list[dict[str, Any]],
    user: Any,
    uploads: Path,
) -> tuple[m.ImportBatch, int]:
    """Import one training session entered in a form; return the import and the participants added."""
    _check_org(prog, user)
    rows = [p for p in participants if any(str(v or "").strip() for v in p.values())]
    if not rows:
        raise InputError("the session has no participants", hint="fill in at least one participant row")
    if len(rows) > MAX_PARTICIPANTS:
        raise InputError(
            f"{len(rows)} participants in one form; at most {MAX_PARTICIPANTS}",
            hint="upload larger sessions as a CSV or XLSX file",
        )
    path = uploads / f"session-{dt.date.today().isoformat()}-{uuid.uuid4().hex[:10]}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS)
        w.writeheader()
        for p in rows:
            w.writerow(
                {
                    **{k: str(data.get(k) or "").strip() for k in FIELDS[:7]},
                    **{k: str(p.get(k) or "").strip() for k in FIELDS[7:]},
                }
            )
    return import_file(session, prog, path, user)


def import_file(session: Session, prog: m.Programme, path: Path, user: Any) -> tuple[m.ImportBatch, int]:
    """Import a file of training records (all or nothing), record its owner, refresh the actuals."""
    _check_org(prog, user)
    batch, ledger = import_trainings(session, prog, path)
    _owner(session, batch, user)
    refresh_observations(session, prog)
    session.flush()
    session.expire_all()
    return batch, ledger.rows_imported


def withdraw_import(session: Session, prog: m.Programme, batch_id: int, user: Any) -> m.ImportBatch:
    """Remove one import and its sessions (partners: only their organisation's), then refresh the actuals."""
    batch = session.get(m.ImportBatch, batch_id)
    if batch is None or batch.programme_id != prog.id:
        raise NotFound(
            f"there is no import {batch_id} in programme {prog.code}", hint="see the list of imports"
        )
    owner = session.scalar(
        select(RecordOwner).where(RecordOwner.kind == "import_batch", RecordOwner.record_id == batch_id)
    )
    require_org(user, owner.organisation if owner else None, f"import {batch_id}")
    session.delete(batch)
    session.execute(
        delete(RecordOwner).where(RecordOwner.kind == "import_batch", RecordOwner.record_id == batch_id)
    )
    session.flush()
    session.expire_all()
    refresh_observations(session, prog)
    session.flush()
    session.expire_all()
    return batch


def set_commitment_status(
    session: Session, prog: m.Programme, code: str, status: str, user: Any
) -> m.Commitment:
    """Change a commitment's status (partners: only commitments their organisation owns)."""
    if status not in m.COMMITMENT_STATUSES:
        raise InputError(
            f"status {status!r} is not one of {', '.join(m.COMMITMENT_STATUSES)}",
            hint="choose a listed status",
        )
    c = next((c for c in prog.commitments if c.code == code), None)
    if c is None:
        raise NotFound(f"there is no commitment {code!r}", hint="see the programme's commitments")
    require_org(user, c.owner.code, f"commitment {code}")
    c.status = status
    session.flush()
    return c


PROFESSION_CODES = tuple(PROFESSIONS)
