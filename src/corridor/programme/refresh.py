"""Refresh the stored baselines and actuals from their sources, keeping every revision.

* Evidence indicators read the cells of their linked series in corridor's tidy indicator table
  (:mod:`corridor.programme.evidence`): the baseline period, and every later period, in total
  and by each disaggregation. A refresh merges: a period the new table lacks keeps its stored
  value (a new profile of a later survey round adds periods; it does not erase the baseline).
* Activity indicators recompute their metric from the training records of their output's
  courses; indicators with ``source: manual`` sum the values partners entered. Both for every
  target period and reporting period, in total and by each disaggregation.

Every value that appears, changes or disappears is written as a :class:`~models.Revision`
(who, when, before, after, why), so a report can say "revised on ... from ... to ...". A change
to an actual of a period that the responsible partner submitted, had approved or locked is
refused, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from corridor.errors import SpecError
from corridor.i18n import Lines, Message
from corridor.programme import models as m
from corridor.programme import periods as pm
from corridor.programme.activities import SessionKey, counts_course, metric_cells
from corridor.programme.evidence import EvidenceKey, EvidenceTable, link, read_evidence
from corridor.programme.values import totals
from corridor.quality.disclosure import PUBLICATION_MIN_N

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

FIELDS = ("estimate", "se", "ci_low", "ci_high", "ci_level", "n", "quality", "suppressed", "source", "unit", "note",
          "synthetic")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of a period: a year (``2017``), a quarter (``2024-Q2``) or ``START/END`` ISO dates."""
    if "/" in period:
        a, b = period.split("/", 1)
        return dt.date.fromisoformat(a), dt.date.fromisoformat(b)
    q = _QUARTER.match(period)
    if q:
        year, n = int(q.group(1)), int(q.group(2))
        start = dt.date(year, 3 * n - 2, 1)
        end = dt.date(year + (n == 4), (3 * n) % 12 + 1, 1) - dt.timedelta(days=1)
        return start, end
    year = int(period)
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def cumulative(ind: m.Indicator) -> bool:
    """Whether the indicator counts what happened within each period (trainees, people reached)."""
    src = ind.source or {}
    if "cumulative" in src:
        return bool(src["cumulative"])
    if ind.source_kind == "activities":
        return src.get("metric") in ("professionals_trained", "participations", "sessions_held")
    return ind.source_kind == "manual"


@dataclass(frozen=True)
class Value:
    kind: str
    period: str
    dimension: tuple[tuple[str, str], ...]
    fields: dict


def _same(a: dict, b: dict) -> bool:
    for k in FIELDS:
        x, y = a.get(k), b.get(k)
        if isinstance(x, float) and isinstance(y, float):
            if not math.isclose(x, y, rel_tol=1e-12, abs_tol=0.0):
                return False
        elif x != y:
            return False
    return True


def _fields(o: m.Observation) -> dict:
    return {k: getattr(o, k) for k in FIELDS}


def _evidence_values(ind: m.Indicator, table: EvidenceTable, problems: list[Message]) -> list[Value]:
    src = ind.source
    what = Message("programme.errors.load.what.indicator", code=ind.code)
    series = link(table, EvidenceKey.from_spec(src), unit=ind.unit, dimensions=list(ind.disaggregation), what=what)
    problems += series.problems
    if series.problems:
        return []
    base = (src.get("baseline") or {}).get("period")
    base_start = period_bounds(base)[0] if base else None
    out = []
    for (period, dims), row in sorted(series.cells.items()):
        if base is not None and period == base:
            kind = "baseline"
        elif base_start is not None and period_bounds(period)[0] <= base_start:
            continue  # before the baseline: context, not an actual
        else:
            kind = "actual"
        est = None if row.suppressed else row.estimate
        out.append(Value(kind, period, dims, {
            "estimate": est, "se": None if row.suppressed else row.se,
            "ci_low": None if row.suppressed else row.ci_low, "ci_high": None if row.suppressed else row.ci_high,
            "ci_level": row.ci_level, "n": row.n, "quality": row.quality, "suppressed": row.suppressed,
            "source": row.source, "unit": row.unit, "synthetic": row.synthetic,
            "note": row.suppression_reason if row.suppressed else (row.note if est is None else None)}))
    return out


def _periods_of(ind: m.Indicator, programme: m.Programme) -> list[str]:
    codes = {t.period for t in ind.targets} | {p.code for p in programme.periods}
    return sorted(codes, key=lambda c: (period_bounds(c)[0], period_bounds(c)[1]))


def _activity_values(ind: m.Indicator, programme: m.Programme, session: Session,
                     periods: list[str] | None = None) -> list[Value]:
    """The actuals of an activity indicator in each of ``periods`` (default: all its periods)."""
    out = []
    for period in _periods_of(ind, programme) if periods is None else periods:
        for dims, v in metric_cells(session, programme.id, ind, *period_bounds(period)):
            out.append(Value("actual", period, dims, {
                "estimate": v.estimate, "se": v.se, "ci_low": v.ci_low, "ci_high": v.ci_high, "ci_level": v.ci_level,
                "n": v.n, "quality": None, "suppressed": False, "source": "training records", "unit": ind.unit,
                "synthetic": False, "note": None}))
    return out


def _manual_values(ind: m.Indicator, programme: m.Programme) -> list[Value]:
    out = []
    for period in _periods_of(ind, programme):
        start, end = period_bounds(period)
        for dims, (total, synthetic) in sorted(totals(ind, start, end).items()):
            out.append(Value("actual", period, dims, {
                "estimate": total, "se": 0.0, "ci_low": total, "ci_high": total, "ci_level": None, "n": None,
                "quality": None, "suppressed": False, "source": "partner entries", "unit": ind.unit,
                "synthetic": synthetic, "note": None}))
    return out


def _declared_baseline(ind: m.Indicator) -> list[Value]:
    base = (ind.source or {}).get("baseline") or {}
    if base.get("value") is None:
        return []
    val = float(base["value"])
    return [Value("baseline", base["period"], (), {
        "estimate": val, "se": 0.0, "ci_low": val, "ci_high": val, "ci_level": None, "n": None, "quality": None,
        "suppressed": False, "source": "programme file", "unit": ind.unit, "synthetic": False, "note": None})]


def touched_periods(ind: m.Indicator, programme: m.Programme, changed: frozenset[SessionKey]) -> list[str]:
    """The periods of an activity indicator whose actuals training sessions with these keys (added or
    removed) can change: the periods holding the date of a session of a course it counts."""
    dates = {d for d, course, result in changed if counts_course(ind, course, result)}
    if not dates:
        return []
    return [p for p in _periods_of(ind, programme)
            if any(period_bounds(p)[0] <= d <= period_bounds(p)[1] for d in dates)]


@dataclass
class RefreshSummary:
    added: int = 0
    revised: int = 0
    removed: int = 0
    unchanged: int = 0

    @property
    def stored(self) -> int:
        return self.added + self.revised + self.unchanged


def refresh_observations(session: Session, programme: m.Programme, *, now: dt.datetime | None = None,
                         by: str = "corridor", why: str = "refresh", evidence: EvidenceTable | None = None,
                         kinds: tuple[str, ...] = ("evidence", "activities", "manual"),
                         min_n: int = PUBLICATION_MIN_N,
                         changed: frozenset[SessionKey] | None = None) -> RefreshSummary:
    """Bring the stored baselines/actuals of ``programme`` up to date with their sources.

    ``kinds`` limits the refresh to indicators of those source kinds (an import of training
    records refreshes the activity indicators only). Evidence read here is published at ``min_n``
    (see :func:`corridor.programme.evidence.read_evidence`). Raises SpecError (evidence that no longer
    links) or PeriodLockedError (a change to a period that is not in draft) before writing.

    ``changed`` makes the refresh of activity indicators incremental: given the keys of the training
    sessions added or removed since the stored actuals were last brought up to date (see
    :func:`corridor.programme.activities.session_keys`), only the periods those sessions fall in are
    recomputed, each wholly (all its cells, from all its attendances) and exactly as a full refresh
    computes it; the other periods cannot have changed and are left as stored. Baselines are not
    touched.
    """
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    session.flush()
    session.expire(programme)
    if evidence is None and "evidence" in kinds and programme.evidence_path:
        evidence = read_evidence(programme.evidence_path, min_n=min_n)
    indicators = [ind for res in sorted(programme.results, key=lambda r: r.position)
                  for ind in sorted(res.indicators, key=lambda i: i.position) if ind.source_kind in kinds]
    # activity indicators: every period, or (incremental) only the periods the changed sessions touch
    scope: dict[int, list[str] | None] = {
        ind.id: None if changed is None else touched_periods(ind, programme, changed)
        for ind in indicators if ind.source_kind == "activities"}
    problems: list[Message] = []
    plans: list[tuple[m.Indicator, list[Value], bool, set[str] | None]] = []
    for ind in indicators:
        only: set[str] | None = None
        if ind.source_kind == "evidence":
            if evidence is None:
                continue
            new, merge = _evidence_values(ind, evidence, problems), True
        elif ind.source_kind == "activities":
            periods = scope[ind.id]
            if periods is not None:
                if not periods:
                    continue
                only = set(periods)  # an incremental refresh: the actuals of these periods, nothing else
            new, merge = _activity_values(ind, programme, session, periods), False
        else:
            new, merge = _manual_values(ind, programme), False
        plans.append((ind, new if only is not None else new + _declared_baseline(ind), merge, only))
    if problems:
        raise SpecError(Message("programme.errors.refresh.problems", count=len(problems),
                                path=str(evidence.path) if evidence else "", problems=Lines(problems[:25])),
                        hint=Message("programme.errors.refresh.problems.hint"))
    summary = RefreshSummary()
    changes: list[tuple] = []
    locked: list[Message | str] = []
    for ind, new, merge, only in plans:
        stored = {(o.kind, o.period, tuple(sorted((o.dimension or {}).items()))): o for o in ind.observations
                  if only is None or (o.kind == "actual" and o.period in only)}
        wanted = {(v.kind, v.period, v.dimension): v for v in new}
        for key, v in wanted.items():
            old = stored.get(key)
            if old is not None and _same(_fields(old), v.fields):
                summary.unchanged += 1
                continue
            changes.append((ind, key, old, v))
        if not merge:
            changes += [(ind, key, old, None) for key, old in stored.items() if key not in wanted]
    for ind, (kind, period, _dims), old, v in changes:
        if kind != "actual" or (ind.source_kind != "evidence"):
            continue  # records and entries were checked against their periods when they were written
        owner = ind.responsible or next((o for o in programme.organisations if o.code == programme.reporting_org), None)
        if owner is None:
            continue
        for rp in pm.overlapping(programme, *period_bounds(period)):
            try:
                pm.require_draft(rp, owner, Message("programme.errors.what.evidence_of", indicator=ind.code, period=period))
            except pm.PeriodLockedError as exc:
                locked.append(exc.msg)
    if locked:
        raise pm.PeriodLockedError(
            Message("programme.errors.refresh.locked", count=len(locked), problems=Lines(dict.fromkeys(locked))),
            hint=Message("programme.errors.refresh.locked.hint"))
    for ind, (kind, period, dims), old, v in changes:
        before = None if old is None else _fields(old)
        if v is None:
            session.delete(old)
            summary.removed += 1
        elif old is None:
            start, end = period_bounds(period)
            session.add(m.Observation(indicator=ind, kind=kind, period=period, period_start=start, period_end=end,
                                      dimension=dict(dims), refreshed_at=now, **v.fields))
            summary.added += 1
        else:
            for k, val in v.fields.items():
                setattr(old, k, val)
            old.refreshed_at = now
            summary.revised += 1
        session.add(m.Revision(programme=programme, indicator_id=ind.id, subject=kind, code=ind.code, period=period,
                               dimension=dict(dims), before=before, after=None if v is None else dict(v.fields),
                               at=now, by=by, why=why))
    session.flush()
    return summary
