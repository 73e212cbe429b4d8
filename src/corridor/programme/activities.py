"""Activity records: trainings of health professionals, tied to the programme's course catalogue.

Import a CSV or XLSX export (e.g. from KoboToolbox or ODK) with one row per
participant and the session columns repeated on each row::

    session_id, date, region, facility, course, topic, trainers, line_of_work, organisation,
    participant_id, profession, sex, age (or age_band), nationality, migratory_status,
    pre_score, post_score

Every row is checked first (a course of the catalogue, and its line of work; a known
ISO 3166-2 region of a programme country; a date inside the programme's reporting periods
and not in the future; the partner's period still in draft; scores within 0-100; known
profession, sex, age band, nationality and migratory status; one session described
consistently; a session not imported before and not repeated under another id; a participant
once per session). Any problem stops the import with the file, row, column and value of each,
and nothing is written. A successful import keeps a ledger: rows read = rows imported + blank
rows skipped.

Indicators computed from the records (``METRICS``) count only sessions of the courses of the
indicator's output: professionals trained (distinct participant ids), participations, sessions
held, and the mean pre/post score gain with a paired Student-t interval (as R's
``t.test(post, pre, paired = TRUE)``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corridor._deps import import_optional
from corridor.errors import ColumnNotFoundError, InputError, SourceError
from corridor.i18n import Lines, Message
from corridor.sources.bounded import Limits, Problems, read_rows

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from corridor.programme.models import ImportBatch, Programme

REQUIRED = ("session_id", "date", "region", "facility", "course", "participant_id", "profession", "sex",
            "pre_score")
OPTIONAL = ("topic", "trainers", "line_of_work", "organisation", "post_score", "age", "age_band", "nationality",
            "migratory_status")
SESSION_FIELDS = ("date", "region", "facility", "course", "topic", "trainers", "line_of_work", "organisation")
AGE_BANDS = ("0-14", "15-24", "25-44", "45-64", "65+")  # the profile's age bands
MIGRATORY_STATUSES = {"migrant": ("migrante", "foreign-born", "nacido en el extranjero", "ne a l'etranger"),
                      "non_migrant": ("no migrante", "non-migrant", "non migrant", "native", "nativo", "nativa",
                                      "native-born", "non migrant")}
DISAGGREGATIONS = ("region", "profession", "sex", "age_band", "nationality", "migratory_status", "course")

PROFESSIONS = {
    "physician": ("medico", "médico", "medica", "médica", "doctor", "medecin", "médecin"),
    "nurse": ("enfermera", "enfermero", "infirmier", "infirmiere", "infirmière"),
    "midwife": ("matrona", "matron", "partera", "sage-femme"),
    "nursing_technician": ("tens", "tecnico en enfermeria", "técnico en enfermería"),
    "social_worker": ("trabajador social", "trabajadora social", "asistente social"),
    "psychologist": ("psicologo", "psicólogo", "psicologa", "psicóloga", "psychologue"),
    "administrative": ("administrativo", "administrativa", "administratif"),
    "other": ("otro", "otra", "autre"),
}
SEXES = {"F": ("f", "female", "woman", "mujer", "femme"), "M": ("m", "male", "man", "hombre", "homme"),
         "O": ("o", "other", "otro", "otra", "autre", "non-binary", "no binario", "non binaire"),
         "U": ("u", "not stated", "unknown", "no informa", "sin dato", "non declare", "non déclaré")}
METRICS = {
    "professionals_trained": "distinct participants trained in the period",
    "participations": "participant-sessions in the period",
    "sessions_held": "training sessions held in the period",
    "mean_score_gain": "mean post-test minus pre-test score, with a paired t interval",
}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in text if not unicodedata.combining(c)).replace("_", " ")


def _lookup(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    out = {}
    for code, aliases in table.items():
        for name in (code, *aliases):
            out[_fold(name)] = code
    return out


_PROF = _lookup(PROFESSIONS)
_SEX = _lookup(SEXES)
_MIG = _lookup(MIGRATORY_STATUSES)


def age_band(age: object) -> str | None:
    """The profile's age band of an age in years (None when not a whole number from 0 to 120)."""
    try:
        a = float(str(age).strip().replace(",", "."))
    except ValueError:
        return None
    if not (0 <= a <= 120) or a != int(a):
        return None
    return next(b for lim, b in ((15, "0-14"), (25, "15-24"), (45, "25-44"), (65, "45-64"), (999, "65+")) if a < lim)


def nationality_code(value: str) -> str | None:
    """ISO 3166-1 alpha-3 code of a country code or name (None when unknown)."""
    pycountry = import_optional("pycountry", feature="nationality codes")
    text = value.strip()
    if len(text) == 3 and text.isalpha() and pycountry.countries.get(alpha_3=text.upper()):
        return text.upper()
    try:
        return pycountry.countries.lookup(text).alpha_3
    except LookupError:
        return None


def region_lookup(countries: Iterable[str]) -> dict[str, str]:
    """ISO 3166-2 subdivisions of the given alpha-3 countries, by code and by folded name."""
    return dict(_regions(tuple(countries)))


@cache
def _regions(countries: tuple[str, ...]) -> dict[str, str]:
    pycountry = import_optional("pycountry", feature="region codes")
    out: dict[str, str] = {}
    for alpha3 in countries:
        country = pycountry.countries.get(alpha_3=alpha3)
        if country is None:
            continue
        for sub in pycountry.subdivisions.get(country_code=country.alpha_2) or []:
            out[_fold(sub.code)] = sub.code
            out[_fold(sub.name)] = sub.code
    return out


@dataclass
class Ledger:
    """Row accounting of one import: read = imported + blank."""

    file: str
    rows_read: int = 0
    rows_blank: int = 0
    rows_imported: int = 0
    sessions: int = 0

    def balanced(self) -> bool:
        return self.rows_read == self.rows_imported + self.rows_blank


def _read_rows(path: Path, limits: Limits | None = None) -> tuple[list[str], Iterator[tuple[int, dict]], bool]:
    """Header, (file row number, record) pairs streamed under ``limits``, and whether the file is labelled
    SYNTHETIC. Leading rows whose first cell starts with ``#`` are comments."""
    synthetic = "SYNTHETIC" in path.name.upper()
    rows = read_rows(path, limits, name=str(path))
    for number, values in rows:
        first = values[0] if values else None
        if isinstance(first, str) and first.startswith("#"):
            synthetic = synthetic or "SYNTHETIC" in " ".join(str(v) for v in values if v is not None).upper()
            continue
        header = [str(h).strip() if h is not None else "" for h in values]
        break
    else:
        raise InputError(Message("programme.errors.file_no_header", path=str(path)), hint=Message("programme.errors.file_no_header.hint"))

    def records() -> Iterator[tuple[int, dict]]:
        for number, values in rows:
            yield number, {h: ("" if v is None else v) for h, v in zip(header, values)}

    return header, records(), synthetic


def listed(problems: Problems) -> Message | str:
    """' (the first N listed)' when a file had more problems than are listed."""
    return Message("programme.errors.first_listed", count=len(problems.shown)) if problems.total > len(problems.shown) else ""


def problem_lines(problems: Problems) -> Lines:
    """The problems listed, one per line, and how many more there were."""
    more = [Message("programme.errors.and_more", count=problems.total - len(problems.shown))] \
        if problems.total > len(problems.shown) else []
    return Lines([*problems.shown, *more])


def _score(value: object) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return float(str(value).replace(",", ".")) if isinstance(value, str) else float(value)


def _parse_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


def _session_id(rec: dict) -> str:
    v = rec.get("session_id", "")
    return str(v.strip() if isinstance(v, str) else ("" if v is None else v))


def import_trainings(session: Session, programme: Programme, path: str | Path, *,
                     today: dt.date | None = None, organisation: str | None = None,
                     by: str | None = None, limits: Limits | None = None) -> tuple[ImportBatch, Ledger]:
    """Validate and add a file of training records to ``programme`` in the session's transaction.

    ``organisation`` is the partner that ran the sessions when the file has no ``organisation``
    column. Raises InputError listing the bad rows (file, row, column, value; the first
    ``limits.max_problems`` of them, with the count of all) before anything is written. The file
    is read as a stream under ``limits`` (rows, columns, cell sizes, XLSX expansion: see
    :mod:`corridor.sources.bounded`).
    """
    from sqlalchemy import insert, select

    from corridor.programme import models as m
    from corridor.programme import periods as pm

    path = Path(path)
    if not path.exists():
        raise SourceError(Message("programme.errors.trainings.no_file", path=str(path)), hint=Message("programme.errors.check_path.hint"))
    today = today or dt.date.today()
    limits = limits or Limits()
    header, rows, synthetic = _read_rows(path, limits)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ColumnNotFoundError.from_names(missing, header, where=Message("programme.errors.trainings.where", path=str(path)))
    regions = region_lookup(programme.countries or [programme.destination])
    lines = {lw.code for lw in programme.lines_of_work}
    courses = {c.code: c for c in programme.courses}
    orgs = {o.code: o for o in programme.organisations}
    if organisation is not None and organisation not in orgs:
        raise InputError(Message("programme.errors.not_a_partner", code=repr(organisation), programme=programme.code),
                         hint=Message("programme.errors.partners.hint", partners=", ".join(sorted(orgs))))
    if "organisation" not in header and organisation is None:
        raise InputError(Message("programme.errors.trainings.no_partner", path=str(path)),
                         hint=Message("programme.errors.trainings.no_partner.hint"))
    first = min((p.start for p in programme.periods), default=None)
    last = max((p.end for p in programme.periods), default=None)
    known: dict[str, dt.date] = {}  # sessions imported before, looked up only for the ids the file holds

    def looked_up(rows: Iterator[tuple[int, dict]]) -> Iterator[tuple[int, dict]]:
        """The rows, with the ids of each block of them looked up first (one query per 500 rows)."""
        S, asked = m.TrainingSession, set()
        while block := list(islice(rows, 500)):
            ids = {_session_id(rec) for _, rec in block} - asked
            asked |= ids
            if ids:
                known.update(session.execute(select(S.session_code, S.held_on).where(
                    S.programme_id == programme.id, S.session_code.in_(sorted(ids)))).all())
            yield from block

    problems = Problems(limits.max_problems)
    ledger = Ledger(file=str(path))
    sessions: dict[str, dict] = {}
    fingerprints: dict[tuple, str] = {}

    def bad(row: int, column: str, value: object, why: Message | str) -> None:
        # a date is named as the file gives it (YYYY-MM-DD), also once parsed or read from an XLSX cell
        shown = value.date() if isinstance(value, dt.datetime) and value.time() == dt.time() else value
        shown = shown.isoformat() if isinstance(shown, dt.date) else shown
        problems.add(Message("programme.errors.row_problem", path=str(path), row=row, column=repr(column), value=repr(shown),
                             why=why))

    for row, rec in looked_up(rows):
        ledger.rows_read += 1
        if all(str(v).strip() == "" for v in rec.values() if v is not None):
            ledger.rows_blank += 1
            continue
        clean: dict = {"row": row}
        for col in (*REQUIRED, *OPTIONAL):
            v = rec.get(col, "")
            clean[col] = v.strip() if isinstance(v, str) else ("" if v is None else v)
        for col in REQUIRED:
            if clean[col] in ("", None):
                bad(row, col, clean[col], Message("programme.errors.trainings.empty"))
        if not clean["organisation"] and organisation:
            clean["organisation"] = organisation
        sid = _session_id(clean)
        course = courses.get(str(clean["course"]))
        if course is None and clean["course"]:
            bad(row, "course", clean["course"], Message("programme.errors.trainings.not_a_course",
                                                        courses=", ".join(sorted(courses)) or Message("programme.errors.none_declared")))
        if not clean["topic"] and course is not None:
            clean["topic"] = course.title.get("en") or next(iter(course.title.values()))
        try:
            d = _parse_date(clean["date"])
            if d > today:
                bad(row, "date", clean["date"], Message("programme.errors.trainings.future", today=today.isoformat()))
            elif first is None or not (first <= d <= last):
                bad(row, "date", clean["date"],
                    Message("programme.errors.trainings.outside_periods", first=str(first), last=str(last)) if first
                    else Message("programme.errors.trainings.no_periods"))
            clean["date"] = d
        except ValueError:
            bad(row, "date", clean["date"], Message("programme.errors.trainings.not_a_date"))
        org = orgs.get(str(clean["organisation"]))
        if org is None and clean["organisation"]:
            bad(row, "organisation", clean["organisation"],
                Message("programme.errors.trainings.not_a_partner", partners=", ".join(sorted(orgs))))
        if org is not None and isinstance(clean["date"], dt.date):
            period = pm.containing(programme, clean["date"])
            if period is not None and pm.state(period, org) != "draft":
                try:
                    pm.require_draft(period, org, Message("programme.errors.what.session", session=sid))
                except pm.PeriodLockedError as exc:
                    bad(row, "date", clean["date"], exc.msg)
        reg = regions.get(_fold(str(clean["region"])))
        if reg is None and clean["region"]:
            bad(row, "region", clean["region"],
                Message("programme.errors.trainings.not_a_region", countries=", ".join(programme.countries or [])))
        clean["region"] = reg
        prof = _PROF.get(_fold(str(clean["profession"])))
        if prof is None and clean["profession"]:
            bad(row, "profession", clean["profession"], Message("programme.errors.not_one_of", allowed=", ".join(PROFESSIONS)))
        clean["profession"] = prof
        sex = _SEX.get(_fold(str(clean["sex"])))
        if sex is None and clean["sex"]:
            bad(row, "sex", clean["sex"], Message("programme.errors.trainings.not_a_sex"))
        clean["sex"] = sex
        band = None
        if clean["age"] not in ("", None):
            band = age_band(clean["age"])
            if band is None:
                bad(row, "age", clean["age"], Message("programme.errors.trainings.not_an_age"))
        if clean["age_band"]:
            given = str(clean["age_band"])
            if given not in AGE_BANDS:
                bad(row, "age_band", given, Message("programme.errors.not_one_of", allowed=", ".join(AGE_BANDS)))
            elif band is not None and band != given:
                bad(row, "age_band", given, Message("programme.errors.trainings.band_contradicts", age=clean["age"], band=band))
            band = given
        clean["age_band"] = band
        nat = None
        if clean["nationality"]:
            nat = nationality_code(str(clean["nationality"]))
            if nat is None:
                bad(row, "nationality", clean["nationality"], Message("programme.errors.trainings.not_a_country"))
        clean["nationality"] = nat
        mig = None
        if clean["migratory_status"]:
            mig = _MIG.get(_fold(str(clean["migratory_status"])))
            if mig is None:
                bad(row, "migratory_status", clean["migratory_status"], Message("programme.errors.trainings.not_a_status"))
        clean["migratory_status"] = mig
        for col in ("pre_score", "post_score"):
            try:
                s = _score(clean[col])
            except ValueError:
                bad(row, col, clean[col], Message("programme.errors.not_a_number"))
                continue
            if s is not None and (math.isnan(s) or s < 0):
                bad(row, col, clean[col], Message("programme.errors.trainings.score_negative"))
            elif s is not None and s > 100:
                bad(row, col, clean[col], Message("programme.errors.trainings.score_above"))
            clean[col] = s
        if clean["line_of_work"] and clean["line_of_work"] not in lines:
            bad(row, "line_of_work", clean["line_of_work"],
                Message("programme.errors.trainings.not_a_line", lines=", ".join(sorted(lines))))
        elif clean["line_of_work"] and course is not None and course.line is not None \
                and clean["line_of_work"] != course.line.code:
            bad(row, "line_of_work", clean["line_of_work"],
                Message("programme.errors.trainings.course_line", course=course.code, line=course.line.code))
        if sid in known:
            bad(row, "session_id", sid, Message("programme.errors.trainings.already_imported", day=str(known[sid])))
        s = sessions.get(sid)
        if s is None:
            sessions[sid] = s = {**{f: clean[f] for f in SESSION_FIELDS}, "row": row, "participants": {}}
            fp = (clean["date"], clean["region"], _fold(str(clean["facility"])), str(clean["course"]))
            if fp in fingerprints:
                bad(row, "session_id", sid, Message("programme.errors.trainings.same_session", session=repr(fingerprints[fp]),
                                                    row=sessions[fingerprints[fp]]["row"]))
            else:
                fingerprints[fp] = sid
        else:
            for f in SESSION_FIELDS:
                if clean[f] != s[f]:
                    bad(row, f, clean[f], Message("programme.errors.trainings.session_differs", session=repr(sid),
                                                  value=repr(s[f]), row=s["row"], field=f))
        pid = str(clean["participant_id"])
        if pid in s["participants"]:
            bad(row, "participant_id", pid, Message("programme.errors.trainings.participant_twice", session=repr(sid),
                                                    first=s["participants"][pid]["row"], row=row))
        s["participants"][pid] = clean
    if problems:
        raise InputError(Message("programme.errors.trainings.problems", count=problems.total, path=str(path),
                                 listed=listed(problems), problems=problem_lines(problems)),
                         hint=Message("programme.errors.import_again.hint"))
    if not sessions:
        raise InputError(Message("programme.errors.trainings.no_rows", path=str(path)), hint=Message("programme.errors.trainings.no_rows.hint"))
    owners = {s["organisation"] for s in sessions.values()}
    batch = m.ImportBatch(programme_id=programme.id, kind="trainings", file_name=str(path),
                          sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                          imported_at=dt.datetime.now(dt.UTC).replace(tzinfo=None), rows_read=ledger.rows_read,
                          rows_imported=0, rows_skipped_blank=ledger.rows_blank, sessions=len(sessions),
                          synthetic=synthetic, recorded_by=by,
                          organisation_id=orgs[next(iter(owners))].id if len(owners) == 1 else None)
    session.add(batch)
    session.flush()
    rows_out = {
        sid: m.TrainingSession(programme_id=programme.id, import_id=batch.id, session_code=sid, held_on=s["date"],
                               region=s["region"], facility=str(s["facility"]), topic=str(s["topic"]),
                               trainers=(str(s["trainers"]) or None), course_id=courses[str(s["course"])].id,
                               line_code=(s["line_of_work"] or (courses[str(s["course"])].line.code
                                                                if courses[str(s["course"])].line else None)),
                               organisation_id=orgs[str(s["organisation"])].id)
        for sid, s in sessions.items()
    }
    session.add_all(rows_out.values())
    session.flush()
    participants = [
        {"session_id": rows_out[sid].id, "participant_code": pid, "profession": p["profession"], "sex": p["sex"],
         "pre_score": p["pre_score"], "post_score": p["post_score"], "source_row": p["row"],
         "age_band": p["age_band"], "nationality": p["nationality"], "migratory_status": p["migratory_status"]}
        for sid, s in sessions.items() for pid, p in s["participants"].items()
    ]
    session.execute(insert(m.TrainingParticipant), participants)  # one executemany, not one ORM object per row
    ledger.rows_imported = len(participants)
    ledger.sessions = len(sessions)
    batch.rows_imported = ledger.rows_imported
    if not ledger.balanced():  # an internal error, never a user error
        raise AssertionError(f"row ledger does not balance for {path}: {ledger}")
    session.flush()
    session.expire(programme, ["sessions", "imports"])
    return batch, ledger


@dataclass(frozen=True)
class Attendance:
    """One participant in one session (the unit the metrics count)."""

    session: str
    date: dt.date
    region: str
    topic: str
    participant: str
    profession: str
    sex: str
    pre: float
    post: float | None
    course: str | None = None
    result_id: int | None = None
    organisation: str | None = None
    age_band: str | None = None
    nationality: str | None = None
    migratory_status: str | None = None

    def value(self, dimension: str) -> str:
        """The attendance's value for a disaggregation (``not_stated`` when not recorded)."""
        v = getattr(self, dimension)
        return v if v not in (None, "") else "not_stated"


def attendances(programme: Programme) -> list[Attendance]:
    """All training attendances of a programme (one query)."""
    from sqlalchemy import select
    from sqlalchemy.orm import object_session

    from corridor.programme import models as m

    session = object_session(programme)
    if session is None:
        return [
            Attendance(s.session_code, s.held_on, s.region, s.topic, p.participant_code, p.profession, p.sex,
                       p.pre_score, p.post_score, s.course.code if s.course else None,
                       s.course.result_id if s.course else None, s.organisation.code if s.organisation else None,
                       p.age_band, p.nationality, p.migratory_status)
            for s in programme.sessions for p in s.participants
        ]
    S, P, C, O = m.TrainingSession, m.TrainingParticipant, m.Course, m.Organisation
    query = (select(S.session_code, S.held_on, S.region, S.topic, P.participant_code, P.profession, P.sex,
                    P.pre_score, P.post_score, C.code, C.result_id, O.code, P.age_band, P.nationality,
                    P.migratory_status)
             .join(P, P.session_id == S.id).outerjoin(C, C.id == S.course_id).outerjoin(O, O.id == S.organisation_id)
             .where(S.programme_id == programme.id).order_by(S.id, P.id))
    return [Attendance(*row) for row in session.execute(query)]


# what decides which activity indicators and periods a training session counts toward:
# (date held, course code, the course's result id)
SessionKey = tuple[dt.date, str | None, int | None]


def session_keys(session: Session, import_id: int) -> frozenset[SessionKey]:
    """The keys of the training sessions of one import (read before it is withdrawn, or once imported)."""
    from sqlalchemy import select

    from corridor.programme import models as m

    S, C = m.TrainingSession, m.Course
    rows = session.execute(select(S.held_on, C.code, C.result_id).outerjoin(C, C.id == S.course_id)
                           .where(S.import_id == import_id))
    return frozenset((d, code, result) for d, code, result in rows)


def counts_course(indicator: object, course: str | None, result_id: int | None) -> bool:
    """Whether an activity indicator counts the sessions of a course (code, and the result it serves)."""
    wanted = (getattr(indicator, "source", None) or {}).get("courses")
    if wanted:
        return course in wanted
    return result_id is not None and result_id == indicator.result_id


def for_indicator(records: list[Attendance], indicator: object) -> list[Attendance]:
    """The attendances an activity indicator counts: sessions of its courses (by default, its output's);
    the same rule as :func:`counts_course`."""
    wanted = (getattr(indicator, "source", None) or {}).get("courses")
    if wanted:
        return [r for r in records if r.course in wanted]
    return [r for r in records if r.result_id is not None and r.result_id == indicator.result_id]


def metric_cells(session: Session, programme_id: int, indicator: Any, start: dt.date,
                 end: dt.date) -> list[tuple[tuple[tuple[str, str], ...], MetricValue]]:
    """An activity indicator's metric in one period (sessions held from ``start`` to ``end``): over all the
    attendances it counts, then by each value of each of its disaggregations in turn (values sorted;
    ``not_stated`` where none was recorded); nothing when it counts no attendance in the period.

    The same values as :func:`compute_metric` over the attendances of :func:`attendances`, worked out in
    the database: the counts are grouped there (a period of thousands of attendances is never brought
    into Python), and a mean gain reads only the scores and the disaggregations, in the order the
    attendances were recorded (that order fixes the floating-point sums).
    """
    from sqlalchemy import case, distinct, func, or_, select

    from corridor.programme import models as m

    S, P, C = m.TrainingSession, m.TrainingParticipant, m.Course
    columns = {"region": S.region, "course": C.code, "profession": P.profession, "sex": P.sex,
               "age_band": P.age_band, "nationality": P.nationality, "migratory_status": P.migratory_status}
    metric = (indicator.source or {}).get("metric")
    if metric not in METRICS:
        raise InputError(Message("programme.errors.unknown_metric", metric=repr(metric)),
                         hint=Message("programme.errors.use_one_of.hint", allowed=", ".join(METRICS)))
    wanted = (indicator.source or {}).get("courses")
    if not wanted and indicator.result_id is None:
        return []
    dims = list(indicator.disaggregation or [])
    stated = [case((or_(columns[d].is_(None), columns[d] == ""), "not_stated"), else_=columns[d]) for d in dims]

    def rows(*cols: Any) -> Any:
        return (select(*cols).select_from(S).join(P, P.session_id == S.id).outerjoin(C, C.id == S.course_id)
                .where(S.programme_id == programme_id, S.held_on >= start, S.held_on <= end,
                       C.code.in_(list(wanted)) if wanted else C.result_id == indicator.result_id))

    out: list[tuple[tuple[tuple[str, str], ...], MetricValue]] = []
    if metric == "mean_score_gain":
        groups: dict[tuple[tuple[str, str], ...], tuple[list[float], list[float]]] = {}
        scores = session.execute(rows(P.pre_score, P.post_score, *stated).order_by(S.id, P.id)).all()
        if not scores:
            return []
        for pre, post, *values in scores:
            for key in ((), *(((d, v),) for d, v in zip(dims, values))):
                pres, posts = groups.setdefault(key, ([], []))
                if post is not None:
                    pres.append(pre)
                    posts.append(post)
        cells = [()] + [((d, v),) for i, d in enumerate(dims) for v in sorted({r[2 + i] for r in scores})]
        return [(k, paired_gain(*groups[k], indicator.confidence)) for k in cells]
    counted = {"professionals_trained": 1, "participations": 0, "sessions_held": 2}[metric]
    agg = (func.count(), func.count(distinct(P.participant_code)), func.count(distinct(S.session_code)))
    total = session.execute(rows(*agg)).one()
    if not total[0]:
        return []
    found: list[tuple[tuple[tuple[str, str], ...], Any]] = [((), total)]
    for d, expr in zip(dims, stated):
        by_value = {v: r for v, *r in session.execute(rows(expr, *agg).group_by(expr))}
        found += [(((d, v),), by_value[v]) for v in sorted(by_value)]
    for key, r in found:
        v = float(r[counted])
        out.append((key, MetricValue(v, 0.0, v, v, None, r[0])))
    return out


@dataclass(frozen=True)
class MetricValue:
    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    ci_level: float | None
    n: int


def paired_gain(pre: list[float], post: list[float], confidence: float = 0.95) -> MetricValue:
    """Mean of post - pre with a paired Student-t interval (n - 1 df), as R ``t.test(post, pre, paired=TRUE)``."""
    from corridor.estimation.intervals import t_quantile

    d = [b - a for a, b in zip(pre, post)]
    n = len(d)
    if n == 0:
        return MetricValue(None, None, None, None, confidence, 0)
    mean = sum(d) / n
    if n == 1:
        return MetricValue(mean, None, None, None, confidence, 1)
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / (n - 1))
    se = sd / math.sqrt(n)
    q = float(t_quantile(confidence, n - 1))
    return MetricValue(mean, se, mean - q * se, mean + q * se, confidence, n)


def compute_metric(metric: str, rows: list[Attendance], confidence: float = 0.95) -> MetricValue:
    """The value of an activity metric over the given attendances (counts are exact: no interval)."""
    if metric == "professionals_trained":
        v = float(len({r.participant for r in rows}))
    elif metric == "participations":
        v = float(len(rows))
    elif metric == "sessions_held":
        v = float(len({r.session for r in rows}))
    elif metric == "mean_score_gain":
        pairs = [(r.pre, r.post) for r in rows if r.post is not None]
        return paired_gain([a for a, _ in pairs], [b for _, b in pairs], confidence)
    else:
        raise InputError(Message("programme.errors.unknown_metric", metric=repr(metric)),
                         hint=Message("programme.errors.use_one_of.hint", allowed=", ".join(METRICS)))
    return MetricValue(v, 0.0, v, v, None, len(rows))
