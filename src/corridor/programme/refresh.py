"""Refresh an indicator's baselines and actuals from their sources.

Evidence indicators read corridor's tidy indicator table (the programme's
``evidence`` file); activity indicators recompute their metric from the training
records, for each target period, in total and by each disaggregation. The
values are stored as :class:`~corridor.programme.models.Observation` rows, so a
report shows what the evidence said when it was last refreshed.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from corridor.programme import models as m
from corridor.programme.activities import attendances, compute_metric
from corridor.programme.evidence import read_evidence, select

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of a period written as a year (``2017``) or ``START/END`` ISO dates."""
    if "/" in period:
        a, b = period.split("/", 1)
        return dt.date.fromisoformat(a), dt.date.fromisoformat(b)
    year = int(period)
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _obs(ind: m.Indicator, kind: str, period: str, now: dt.datetime, **values: object) -> m.Observation:
    start, end = period_bounds(period)
    return m.Observation(indicator=ind, kind=kind, period=period, period_start=start, period_end=end,
                         refreshed_at=now, **values)


def refresh_observations(session: Session, programme: m.Programme, *, now: dt.datetime | None = None) -> int:
    """Replace the stored baselines/actuals of every indicator of ``programme``; return how many were stored."""
    from sqlalchemy import delete
    from sqlalchemy import select as sa_select

    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    ind_ids = sa_select(m.Indicator.id).join(m.Result).where(m.Result.programme_id == programme.id)
    session.execute(delete(m.Observation).where(m.Observation.indicator_id.in_(ind_ids)))
    session.flush()
    session.expire_all()
    evidence = read_evidence(programme.evidence_path) if programme.evidence_path else []
    records = attendances(programme)
    added = 0
    for res in programme.results:
        for ind in res.indicators:
            base = (ind.source or {}).get("baseline") or None
            new: list[m.Observation] = []
            if ind.source_kind == "evidence":
                src = ind.source
                series = select(evidence, indicator=src["indicator"], population=src["population"],
                                area=src["area"], disaggregation=src.get("disaggregation", "total"))
                for period, row in sorted(series.items()):
                    is_base = base is not None and period == base["period"] and base.get("value") is None
                    kind = "baseline" if is_base else "actual"
                    if base is not None and kind == "actual" and period_bounds(period)[0] <= period_bounds(base["period"])[0]:
                        continue  # earlier than the baseline: context, not an actual
                    new.append(_obs(ind, kind, period, now, estimate=None if row.suppressed else row.estimate,
                                    se=row.se, ci_low=row.ci_low, ci_high=row.ci_high, ci_level=row.ci_level,
                                    quality=row.quality, suppressed=row.suppressed, source=row.source,
                                    dimension={}))
            elif ind.source_kind == "activities":
                metric = ind.source["metric"]
                periods = sorted({t.period for t in ind.targets})
                for period in periods:
                    start, end = period_bounds(period)
                    rows = [r for r in records if start <= r.date <= end]
                    if not rows:
                        continue
                    groups = [({}, rows)]
                    for dim in ind.disaggregation:
                        by_value: dict[str, list] = {}
                        for r in rows:
                            by_value.setdefault(getattr(r, dim), []).append(r)
                        groups += [({dim: v}, by_value[v]) for v in sorted(by_value)]
                    for dimension, sub in groups:
                        v = compute_metric(metric, sub, ind.confidence)
                        new.append(_obs(ind, "actual", period, now, estimate=v.estimate, se=v.se, ci_low=v.ci_low,
                                        ci_high=v.ci_high, ci_level=v.ci_level, n=v.n, dimension=dimension,
                                        quality=None, source="training records", suppressed=False))
            if base is not None and base.get("value") is not None:
                val = float(base["value"])
                new.append(_obs(ind, "baseline", base["period"], now, estimate=val, se=0.0, ci_low=val, ci_high=val,
                                ci_level=None, dimension={}, source="programme file", suppressed=False))
            session.add_all(new)
            added += len(new)
    session.flush()
    return added
