"""Progress against targets, with the uncertainty of the values.

For each target (indicator x period x dimension) the actual is compared with
the target through its confidence interval at the indicator's stated
confidence level (two-sided, 95% by default):

* ``met``: the whole interval is on the good side of the target (for an
  indicator where higher is better, ``ci_low >= target``; where lower is
  better, ``ci_high <= target``);
* ``not_met``: the whole interval is on the wrong side;
* ``not_yet_demonstrated``: the interval straddles the target, so the evidence
  does not show it met at that confidence, whatever the point estimate says;
* ``no_data``: no actual for the period (or the cell was suppressed).

Counts from activity records are exact (an interval of zero width). When a
value carries an SE but its interval is at another level, the interval is
rebuilt as ``estimate +/- z * se`` (normal approximation). Progress towards the
target is ``(actual - baseline) / (target - baseline)`` with an interval from the
SE of the difference, ``sqrt(se_actual^2 + se_baseline^2)`` (independent
samples, e.g. two survey rounds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from corridor.programme import models as m

STATUSES = ("met", "not_met", "not_yet_demonstrated", "no_data")


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float
    se: float | None


def judge(low: float, high: float, target: float, *, ascending: bool) -> str:
    """Status of a target given the actual's interval ``[low, high]`` (see module docstring)."""
    if low > high:
        raise ValueError(f"interval lower bound {low} exceeds upper bound {high}")
    if ascending:
        return "met" if low >= target else ("not_met" if high < target else "not_yet_demonstrated")
    return "met" if high <= target else ("not_met" if low > target else "not_yet_demonstrated")


def interval_at(obs: m.Observation, confidence: float) -> tuple[Interval | None, str | None]:
    """The observation's interval at ``confidence``, and a note when it could not be matched exactly."""
    if obs.estimate is None or obs.suppressed:
        return None, None
    est = obs.estimate
    if obs.se == 0.0 and obs.ci_level is None:
        return Interval(est, est, est, 0.0), None
    if obs.ci_low is not None and obs.ci_high is not None and obs.ci_level is not None \
            and math.isclose(obs.ci_level, confidence, abs_tol=1e-9):
        return Interval(est, obs.ci_low, obs.ci_high, obs.se), None
    if obs.se is not None:
        z = stats.norm.ppf(0.5 + confidence / 2)
        return Interval(est, est - z * obs.se, est + z * obs.se, obs.se), None
    if obs.ci_low is not None and obs.ci_high is not None:
        return Interval(est, obs.ci_low, obs.ci_high, None), (
            f"interval at level {obs.ci_level} used: no SE to rebuild it at {confidence}")
    return Interval(est, est, est, None), "no interval or SE: judged on the point estimate"


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

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _se_from(iv: Interval, confidence: float) -> float:
    if iv.se is not None:
        return iv.se
    z = stats.norm.ppf(0.5 + confidence / 2)
    return (iv.high - iv.low) / (2 * z)


def indicator_progress(ind: m.Indicator) -> list[Progress]:
    """Progress of every target of one indicator."""
    obs = ind.observations
    baseline = next((o for o in obs if o.kind == "baseline" and not o.dimension), None)
    base_iv = interval_at(baseline, ind.confidence)[0] if baseline else None
    out = []
    for t in sorted(ind.targets, key=lambda t: (t.period_start, sorted(t.dimension.items()))):
        actual = next((o for o in obs if o.kind == "actual" and o.period == t.period
                       and (o.dimension or {}) == (t.dimension or {})), None)
        iv, note = interval_at(actual, ind.confidence) if actual else (None, None)
        status = "no_data" if iv is None else judge(iv.low, iv.high, t.value, ascending=ind.ascending)
        prog = lo = hi = None
        if iv is not None and base_iv is not None and not t.dimension and t.value != base_iv.estimate:
            span = t.value - base_iv.estimate
            diff = iv.estimate - base_iv.estimate
            prog = diff / span
            se = math.hypot(_se_from(iv, ind.confidence), _se_from(base_iv, ind.confidence))
            z = stats.norm.ppf(0.5 + ind.confidence / 2)
            a, b = (diff - z * se) / span, (diff + z * se) / span
            lo, hi = min(a, b), max(a, b)
        out.append(Progress(
            result=ind.result.code, indicator=ind.code, indicator_title=ind.title, unit=ind.unit,
            ascending=ind.ascending, confidence=ind.confidence, period=t.period, dimension=dict(t.dimension or {}),
            target=t.value, baseline=base_iv.estimate if base_iv else None,
            baseline_period=baseline.period if baseline else None,
            actual=iv.estimate if iv else None, ci_low=iv.low if iv else None, ci_high=iv.high if iv else None,
            quality=actual.quality if actual else None, source=actual.source if actual else None,
            status=status, progress=prog, progress_low=lo, progress_high=hi, note=note))
    return out


def programme_progress(programme: m.Programme) -> list[Progress]:
    """Progress of every target of the programme, in framework order."""
    out = []
    for res in sorted(programme.results, key=lambda r: r.position):
        for ind in sorted(res.indicators, key=lambda i: i.position):
            out += indicator_progress(ind)
    return out
