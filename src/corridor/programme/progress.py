"""Progress against targets, judged on the intervals of the values.

For each target (indicator x period x dimension) the actual is compared through its confidence
interval at the indicator's stated confidence level (two-sided, 95% by default).

A **finished** period (its last day has passed):

* ``met``: the whole interval is on the good side of the target (higher is better:
  ``ci_low >= target``; lower is better: ``ci_high <= target``);
* ``not_met``: the whole interval is on the wrong side;
* ``not_yet_demonstrated``: the interval straddles the target, so the evidence does not show it
  met at that confidence, whatever the point estimate says;
* ``no_data``: no actual for the period (or the cell was suppressed).

An **open** period is judged against where the indicator should be by now, on its trajectory:
a straight line from the baseline to the target (for counts of what happens within the period,
trainees or people reached, from zero at the period's start to the target at its end), or
through the milestones the programme file declares. ``on_track`` when the whole interval is on
the good side of the trajectory's value, ``off_track`` when it is wholly on the wrong side,
``not_yet_demonstrated`` when it straddles it; ``met`` once the interval is wholly past the
final target for a count (counts only grow within a period).

Counts from activity records and entries are exact (intervals of zero width). When a value
carries an SE but its interval is at another level, the interval is rebuilt as
``estimate +/- z * se`` (normal approximation). Progress is ``(actual - baseline) / (target -
baseline)`` with an interval from the SE of the difference, ``sqrt(se_actual^2 + se_baseline^2)``
(independent samples, e.g. two survey rounds).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from itertools import pairwise
from statistics import NormalDist

from corridor.programme import models as m
from corridor.programme.refresh import cumulative, period_bounds


def _z(confidence: float) -> float:
    """Two-sided normal critical value (the standard library's, exact to double precision)."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


STATUSES = ("met", "not_met", "not_yet_demonstrated", "on_track", "off_track", "no_data")


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float
    se: float | None


def judge(low: float, high: float, target: float, *, ascending: bool) -> str:
    """Status of a finished period's target given the actual's interval ``[low, high]``."""
    if low > high:
        raise ValueError(f"interval lower bound {low} exceeds upper bound {high}")
    if ascending:
        return "met" if low >= target else ("not_met" if high < target else "not_yet_demonstrated")
    return "met" if high <= target else ("not_met" if low > target else "not_yet_demonstrated")


def judge_open(low: float, high: float, expected: float, *, ascending: bool) -> str:
    """Status of an open period against the trajectory's value ``expected`` at the actual's date."""
    status = judge(low, high, expected, ascending=ascending)
    return {"met": "on_track", "not_met": "off_track"}.get(status, status)


def interval_at(obs: m.Observation, confidence: float) -> tuple[Interval | None, str | None]:
    """The observation's interval at ``confidence``, and a note when it could not be matched exactly."""
    if obs.estimate is None or obs.suppressed:
        return None, obs.note
    est = obs.estimate
    if obs.se == 0.0 and obs.ci_level is None:
        return Interval(est, est, est, 0.0), None
    if obs.ci_low is not None and obs.ci_high is not None and obs.ci_level is not None \
            and math.isclose(obs.ci_level, confidence, abs_tol=1e-9):
        return Interval(est, obs.ci_low, obs.ci_high, obs.se), None
    if obs.se is not None:
        z = _z(confidence)
        return Interval(est, est - z * obs.se, est + z * obs.se, obs.se), None
    if obs.ci_low is not None and obs.ci_high is not None:
        return Interval(est, obs.ci_low, obs.ci_high, None), (
            f"interval at level {obs.ci_level} used: no SE to rebuild it at {confidence}")
    return Interval(est, est, est, None), "no interval or SE: judged on the point estimate"


def trajectory_value(points: list[tuple[dt.date, float]], day: dt.date) -> float:
    """The piecewise-linear trajectory through ``points`` (sorted by date) at ``day``."""
    if day <= points[0][0]:
        return points[0][1]
    for (a, va), (b, vb) in pairwise(points):
        if day <= b:
            span = (b - a).days
            return vb if span == 0 else va + (vb - va) * (day - a).days / span
    return points[-1][1]


@dataclass(frozen=True)
class Progress:
    """Where one target stands."""

    result: str
    indicator: str
    indicator_title: dict
    unit: str
    ascending: bool
    confidence: float
    period: str
    dimension: dict
    target: float
    baseline: float | None
    baseline_period: str | None
    actual: float | None
    ci_low: float | None
    ci_high: float | None
    quality: str | None
    source: str | None
    status: str
    progress: float | None
    progress_low: float | None
    progress_high: float | None
    note: str | None
    open: bool = False
    as_of: dt.date | None = None
    expected: float | None = None
    synthetic: bool = False

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _se_from(iv: Interval, confidence: float) -> float:
    if iv.se is not None:
        return iv.se
    z = _z(confidence)
    return (iv.high - iv.low) / (2 * z)


def _points(ind: m.Indicator, t: m.Target, base: Interval | None, base_obs: m.Observation | None,
            counts: bool) -> list[tuple[dt.date, float]] | None:
    if counts:
        start = [(t.period_start, 0.0)]
    elif base is not None and base_obs is not None:
        start = [(base_obs.period_end, base.estimate)]
    else:
        return None
    declared = [(dt.date.fromisoformat(p["date"]), float(p["value"])) for p in ind.trajectory or []
                if start[0][0] < dt.date.fromisoformat(p["date"]) < t.period_end]
    return sorted(start + declared) + [(t.period_end, t.value)]


def indicator_progress(ind: m.Indicator, *, today: dt.date | None = None) -> list[Progress]:
    """Progress of every target of one indicator, as of ``today``."""
    today = today or dt.date.today()
    obs = ind.observations
    counts = cumulative(ind)
    out = []
    for t in sorted(ind.targets, key=lambda t: (t.period_start, sorted(t.dimension.items()))):
        dim = dict(t.dimension or {})
        baseline = next((o for o in obs if o.kind == "baseline" and (o.dimension or {}) == dim), None) \
            or next((o for o in obs if o.kind == "baseline" and not o.dimension), None)
        base_iv = interval_at(baseline, ind.confidence)[0] if baseline else None
        actual = next((o for o in obs if o.kind == "actual" and o.period == t.period
                       and (o.dimension or {}) == dim), None)
        iv, note = interval_at(actual, ind.confidence) if actual else (None, None)
        is_open = today < t.period_end
        as_of = expected = None
        if iv is None:
            status = "no_data"
        elif not is_open:
            status = judge(iv.low, iv.high, t.value, ascending=ind.ascending)
        else:
            as_of = min(today, actual.period_end) if not counts else today
            if counts and judge(iv.low, iv.high, t.value, ascending=ind.ascending) == "met":
                status = "met"
            else:
                points = _points(ind, t, base_iv, baseline, counts)
                if points is None:
                    status, note = "not_yet_demonstrated", "no baseline to draw a trajectory from"
                else:
                    expected = trajectory_value(points, as_of)
                    status = judge_open(iv.low, iv.high, expected, ascending=ind.ascending)
        prog = lo = hi = None
        if iv is not None and base_iv is not None and t.value != base_iv.estimate and not counts:
            span = t.value - base_iv.estimate
            diff = iv.estimate - base_iv.estimate
            prog = diff / span
            se = math.hypot(_se_from(iv, ind.confidence), _se_from(base_iv, ind.confidence))
            z = _z(ind.confidence)
            a, b = (diff - z * se) / span, (diff + z * se) / span
            lo, hi = min(a, b), max(a, b)
        elif iv is not None and counts and t.value:
            prog = lo = hi = iv.estimate / t.value
        out.append(Progress(
            result=ind.result.code, indicator=ind.code, indicator_title=ind.title, unit=ind.unit,
            ascending=ind.ascending, confidence=ind.confidence, period=t.period, dimension=dim,
            target=t.value, baseline=base_iv.estimate if base_iv else None,
            baseline_period=baseline.period if baseline else None,
            actual=iv.estimate if iv else None, ci_low=iv.low if iv else None, ci_high=iv.high if iv else None,
            quality=actual.quality if actual else None, source=actual.source if actual else None,
            status=status, progress=prog, progress_low=lo, progress_high=hi, note=note, open=is_open,
            as_of=as_of, expected=expected, synthetic=bool(actual and actual.synthetic)))
    return out


def programme_progress(programme: m.Programme, *, today: dt.date | None = None) -> list[Progress]:
    """Progress of every target of the programme, in framework order."""
    out = []
    for res in sorted(programme.results, key=lambda r: r.position):
        for ind in sorted(res.indicators, key=lambda i: i.position):
            out += indicator_progress(ind, today=today)
    return out


def overdue(commitment: m.Commitment, today: dt.date | None = None) -> bool:
    """A commitment past its due date that is neither done nor cancelled."""
    today = today or dt.date.today()
    return (commitment.due_date is not None and commitment.due_date < today
            and commitment.status not in ("done", "cancelled"))


__all__ = ["STATUSES", "Interval", "Progress", "indicator_progress", "interval_at", "judge", "judge_open",
           "overdue", "period_bounds", "programme_progress", "trajectory_value"]
