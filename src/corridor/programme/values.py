"""Values entered by partners (line of work 1 reach, and any indicator with ``source: manual``).

A partner enters, for one indicator, one reporting period and one area (an ISO 3166-2 region
or a programme country), a count in total or for one cell of a disaggregation (sex, age band,
nationality, migratory status, profession). Entering the same cell again replaces its value and
records a revision; values of a period that the partner submitted, had approved or locked
cannot change. A file of values (CSV/XLSX, one value per row) is checked as a whole and written
all or nothing, like training records.

The indicator's actual for a period is the sum of the partners' totals (and of their cells for
each disaggregation value), over the reporting periods inside the period: the values are
counts (persons reached, sessions, materials), which add up.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import TYPE_CHECKING

from corridor.errors import ColumnNotFoundError, InputError, SourceError
from corridor.i18n import Message
from corridor.programme import models as m
from corridor.programme import periods as pm
from corridor.programme.activities import (
    _MIG,
    _PROF,
    _SEX,
    AGE_BANDS,
    _fold,
    _read_rows,
    listed,
    nationality_code,
    problem_lines,
    region_lookup,
)
from corridor.sources.bounded import Limits, Problems

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

ADDITIVE_UNITS = ("persons", "count", "cases", "sessions", "number")
DIMENSIONS = ("sex", "age_band", "nationality", "migratory_status", "profession")
FILE_COLUMNS = ("indicator", "organisation", "period", "area", "value")


def dimension_key(dimension: dict[str, str]) -> str:
    return ";".join(f"{k}={v}" for k, v in sorted(dimension.items()))


def clean_dimension(dimension: dict[str, object], allowed: list[str]) -> tuple[dict[str, str], list[Message]]:
    """Codes of a value's disaggregation cell, and the problems with it (one message per field)."""
    out: dict[str, str] = {}
    problems: list[Message] = []
    for name, raw in dimension.items():
        if raw in (None, ""):
            continue
        text = str(raw).strip()
        if name not in allowed:
            problems.append(Message("programme.errors.values.not_disaggregated", name=repr(name),
                                    allowed=", ".join(allowed) or Message("programme.errors.none")))
            continue
        code: str | None
        if name == "sex":
            code = _SEX.get(_fold(text))
        elif name == "age_band":
            code = text if text in AGE_BANDS else None
        elif name == "nationality":
            code = nationality_code(text)
        elif name == "migratory_status":
            code = _MIG.get(_fold(text))
        elif name == "profession":
            code = _PROF.get(_fold(text))
        else:
            code = None
        if code is None:
            problems.append(Message("programme.errors.values.unknown_code", name=name, code=repr(text)))
        else:
            out[name] = code
    if len(out) > 1:
        problems.append(Message("programme.errors.values.one_disaggregation"))
    return out, problems


def _areas(programme: m.Programme) -> dict[str, str]:
    pycountry_regions = region_lookup(programme.countries or [programme.destination])
    out = dict(pycountry_regions)
    for c in programme.countries or []:
        out[_fold(c)] = c
    return out


@dataclass(frozen=True)
class Entry:
    indicator: m.Indicator
    organisation: m.Organisation
    period: m.ReportingPeriod
    area: str
    dimension: dict[str, str]
    value: float
    note: str | None


def _check(programme: m.Programme, rec: dict, *, problems: list[Message], where: Message,
           check_period: bool = True) -> Entry | None:
    inds = {i.code: i for r in programme.results for i in r.indicators}
    orgs = {o.code: o for o in programme.organisations}
    before = len(problems)
    ind = inds.get(str(rec.get("indicator") or ""))
    if ind is None:
        problems.append(Message("programme.errors.values.in", where=where, problem=Message(
            "programme.errors.values.no_indicator", indicator=repr(rec.get("indicator")), programme=programme.code)))
    elif ind.source_kind != "manual":
        problems.append(Message("programme.errors.values.in", where=where, problem=Message(
            "programme.errors.values.not_manual", indicator=ind.code, source=ind.source_kind)))
    org = orgs.get(str(rec.get("organisation") or ""))
    if org is None:
        problems.append(Message("programme.errors.values.in", where=where, problem=Message(
            "programme.errors.values.not_a_partner", organisation=repr(rec.get("organisation")), partners=", ".join(sorted(orgs)))))
    period = next((p for p in programme.periods if p.code == str(rec.get("period") or "")), None)
    if period is None:
        problems.append(Message("programme.errors.values.in", where=where, problem=Message(
            "programme.errors.values.not_a_period", period=repr(rec.get("period")),
            periods=", ".join(p.code for p in sorted(programme.periods, key=lambda p: p.start)))))
    area = _areas(programme).get(_fold(str(rec.get("area") or "")))
    if area is None:
        problems.append(Message("programme.errors.values.in", where=where, problem=Message(
            "programme.errors.values.not_an_area", area=repr(rec.get("area")))))
    try:
        value = float(str(rec.get("value")).replace(",", "."))
        if not value >= 0:
            raise ValueError
    except (TypeError, ValueError):
        problems.append(Message("programme.errors.values.in", where=where, problem=Message(
            "programme.errors.values.not_a_count", value=repr(rec.get("value")))))
        value = None
    dim, dim_problems = clean_dimension({k: rec.get(k) for k in DIMENSIONS if rec.get(k) not in (None, "")},
                                        list(ind.disaggregation) if ind is not None else [])
    problems += [Message("programme.errors.values.in", where=where, problem=p) for p in dim_problems]
    if check_period and ind is not None and org is not None and period is not None:
        try:
            pm.require_draft(period, org, Message("programme.errors.values.in", where=where, problem=ind.code))
        except pm.PeriodLockedError as exc:
            problems.append(exc.msg)  # type: ignore[arg-type]
    if len(problems) > before:
        return None
    return Entry(ind, org, period, area, dim, value, (str(rec.get("note")).strip() or None) if rec.get("note") else None)


def _write(session: Session, programme: m.Programme, e: Entry, *, by: str, why: str, now: dt.datetime,
           synthetic: bool = False) -> m.ManualValue:
    key = dimension_key(e.dimension)
    row = next((v for v in e.indicator.values if v.organisation_id == e.organisation.id
                and v.period_id == e.period.id and v.area == e.area and v.dimension_key == key), None)
    before = None if row is None else {"value": row.value, "organisation": e.organisation.code, "area": e.area}
    if row is None:
        row = m.ManualValue(indicator=e.indicator, organisation=e.organisation, period=e.period, area=e.area,
                            dimension=e.dimension, dimension_key=key, value=e.value, note=e.note, entered_at=now,
                            entered_by=by, synthetic=synthetic)
        session.add(row)
    elif row.value == e.value and row.note == e.note:
        return row
    else:
        row.value, row.note, row.entered_at, row.entered_by = e.value, e.note, now, by
    session.add(m.Revision(programme=programme, indicator_id=e.indicator.id, subject="value", code=e.indicator.code,
                           period=e.period.code, dimension={"area": e.area, "organisation": e.organisation.code,
                                                            **e.dimension},
                           before=before, after={"value": e.value, "organisation": e.organisation.code,
                                                 "area": e.area}, at=now, by=by, why=why))
    return row


def record_value(session: Session, programme: m.Programme, *, indicator: str, organisation: str, period: str,
                 area: str, value: object, dimension: dict[str, object] | None = None, note: str | None = None,
                 by: str, why: str | None = None, now: dt.datetime | None = None) -> m.ManualValue:
    """Enter (or correct) one value; raises InputError naming every problem, and writes nothing then."""
    problems: list[Message] = []
    rec = {"indicator": indicator, "organisation": organisation, "period": period, "area": area, "value": value,
           "note": note, **(dimension or {})}
    where = Message("programme.errors.what.value_for", indicator=indicator)
    entry = _check(programme, rec, problems=problems, where=where, check_period=False)
    if problems or entry is None:
        raise InputError(reduce(lambda a, b: Message("programme.errors.values.and_problem", first=a, next=b), problems),
                         hint=Message("programme.errors.values.enter_again.hint"))
    pm.require_draft(entry.period, entry.organisation, where)
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    row = _write(session, programme, entry, by=by, why=why or "entered", now=now)
    session.flush()
    return row


def delete_value(session: Session, programme: m.Programme, value_id: int, *, by: str, why: str | None = None,
                 now: dt.datetime | None = None) -> m.ManualValue:
    """Remove one entered value (its period must still be in draft); the removal is a revision."""
    row = session.get(m.ManualValue, value_id)
    if row is None or row.indicator.result.programme_id != programme.id:
        raise InputError(Message("programme.errors.values.no_value", value=value_id, programme=programme.code),
                         hint=Message("programme.errors.values.no_value.hint"))
    pm.require_draft(row.period, row.organisation,
                     Message("programme.errors.what.value_of", value=value_id, indicator=row.indicator.code))
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    session.add(m.Revision(programme=programme, indicator_id=row.indicator_id, subject="value",
                           code=row.indicator.code, period=row.period.code,
                           dimension={"area": row.area, "organisation": row.organisation.code, **row.dimension},
                           before={"value": row.value, "organisation": row.organisation.code, "area": row.area},
                           after=None, at=now, by=by, why=why or "removed"))
    session.delete(row)
    session.flush()
    return row


def import_values(session: Session, programme: m.Programme, path: str | Path, *, by: str,
                  organisation: str | None = None, now: dt.datetime | None = None) -> int:
    """Import a file of values (columns indicator, organisation, period, area, value, and any of sex,
    age_band, nationality, migratory_status, profession, note); all or nothing. Returns the rows written."""
    path = Path(path)
    if not path.exists():
        raise SourceError(Message("programme.errors.values.no_file", path=str(path)), hint=Message("programme.errors.check_path.hint"))
    limits = Limits()
    header, rows, synthetic = _read_rows(path, limits)
    need = [c for c in FILE_COLUMNS if c not in header and not (c == "organisation" and organisation)]
    if need:
        raise ColumnNotFoundError.from_names(need, header, where=Message("programme.errors.values.where", path=str(path)))
    problems = Problems(limits.max_problems)  # the first of them listed, all of them counted
    entries: list[Entry] = []
    seen: dict[tuple, int] = {}
    for row, rec in rows:
        found: list[Message] = []
        if all(str(v).strip() == "" for v in rec.values() if v is not None):
            continue
        rec = {k: (v.strip() if isinstance(v, str) else v) for k, v in rec.items()}
        if organisation and not rec.get("organisation"):
            rec["organisation"] = organisation
        e = _check(programme, rec, problems=found, where=Message("programme.errors.where_row", path=str(path), row=row))
        for p in found:
            problems.add(p)
        if e is None:
            continue
        cell = (e.indicator.code, e.organisation.code, e.period.code, e.area, dimension_key(e.dimension))
        if cell in seen:
            problems.add(Message("programme.errors.values.same_cell", path=str(path), row=row, first=seen[cell],
                                 cell=", ".join(cell[:4]) + (" " + cell[4] if cell[4] else "")))
        seen[cell] = row
        entries.append(e)
    if problems:
        raise InputError(Message("programme.errors.values.problems", count=problems.total, path=str(path),
                                 listed=listed(problems), problems=problem_lines(problems)),
                         hint=Message("programme.errors.import_again.hint"))
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for e in entries:
        _write(session, programme, e, by=by, why=f"imported from {path.name}", now=now, synthetic=synthetic)
    session.flush()
    return len(entries)


def totals(indicator: m.Indicator, start: dt.date, end: dt.date) -> dict[tuple, tuple[float, bool]]:
    """Sum of the entered values of the reporting periods inside ``start`` .. ``end``, by cell.

    Keys: ``()`` for the total, ``(("sex", "F"),)`` for a disaggregation cell and
    ``(("region", "CL-AN"),)`` for an area's total. Values: (sum, any value synthetic).
    """
    out: dict[tuple, list] = defaultdict(lambda: [0.0, False])
    for v in indicator.values:
        if not (start <= v.period.start and v.period.end <= end):
            continue
        cells = [tuple(sorted(v.dimension.items()))]
        if not v.dimension:
            cells.append((("region", v.area),) if "-" in v.area else (("country", v.area),))
        for cell in cells:
            out[cell][0] += v.value
            out[cell][1] = out[cell][1] or v.synthetic
    return {k: (a, b) for k, (a, b) in out.items()}
