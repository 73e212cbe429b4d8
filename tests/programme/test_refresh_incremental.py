"""Actuals kept up to date one import at a time are the actuals a full refresh computes.

An import or a withdrawal of training records refreshes only the periods its sessions fall in
(``refresh_observations(changed=...)``); after any sequence of them, a full refresh finds nothing
to change, and every stored actual equals, bit for bit, the metric computed in Python over all the
attendances (:func:`compute_metric`, the reference the database-side counts must match).
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from corridor.programme import db as dbm
from corridor.programme import models as m
from corridor.programme.activities import (
    attendances,
    compute_metric,
    for_indicator,
    import_trainings,
    session_keys,
)
from corridor.programme.refresh import _periods_of, period_bounds, refresh_observations

from .conftest import programme

TODAY = dt.date(2026, 12, 1)
COLUMNS = ("session_id", "date", "region", "facility", "course", "organisation", "participant_id", "profession",
           "sex", "age", "migratory_status", "pre_score", "post_score")
DATES = [dt.date(2023, 1, 1), dt.date(2023, 12, 31), dt.date(2024, 6, 1), dt.date(2025, 3, 3), dt.date(2026, 11, 30)]
score = st.floats(0, 100, allow_nan=False).map(lambda x: round(x, 3))
participant = st.fixed_dictionaries({
    "participant_id": st.sampled_from(["P1", "P2", "P3", "P4", "P5"]),  # the same people come back
    "profession": st.sampled_from(["nurse", "physician", "midwife"]),
    "sex": st.sampled_from(["F", "M", "U"]),
    "age": st.sampled_from(["", "30", "50"]),
    "migratory_status": st.sampled_from(["", "migrant", "non_migrant"]),
    "pre_score": score,
    "post_score": st.one_of(st.just(""), score),
})
training = st.fixed_dictionaries({
    "date": st.sampled_from(DATES),
    "region": st.sampled_from(["CL-AN", "CL-RM"]),
    "course": st.sampled_from(["CULT-1", "CULT-2", "RIGHTS-1", "DENGUE-CM", "TB-CF"]),
    "participants": st.lists(participant, min_size=1, max_size=4, unique_by=lambda p: p["participant_id"]),
})
# an import of 1-3 sessions, or the withdrawal of the n-th import still standing
operation = st.one_of(st.lists(training, min_size=1, max_size=3), st.integers(0, 5))


def _import(s, prog, sessions: list[dict], tmp) -> int:
    path = tmp / f"records-{uuid.uuid4().hex[:8]}.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        for t in sessions:
            sid = uuid.uuid4().hex[:10]  # one facility per session: never the same session twice
            for p in t["participants"]:
                w.writerow({**p, "session_id": sid, "date": t["date"].isoformat(), "region": t["region"],
                            "facility": f"facility {sid}", "course": t["course"], "organisation": "REGIONAL-HEALTH-AN"})
    batch, _ = import_trainings(s, prog, path, today=TODAY)
    refresh_observations(s, prog, kinds=("activities",), changed=session_keys(s, batch.id), why="import")
    return batch.id


def _withdraw(s, prog, batch_id: int) -> None:
    changed = session_keys(s, batch_id)
    s.delete(s.get(m.ImportBatch, batch_id))
    s.flush()
    s.expire_all()
    refresh_observations(s, prog, kinds=("activities",), changed=changed, why="withdrawn")


def _stored(s, prog) -> dict:
    out = {}
    for res in prog.results:
        for ind in res.indicators:
            if ind.source_kind == "activities":
                for o in ind.observations:
                    if o.kind == "actual":
                        key = (ind.code, o.period, tuple(sorted(o.dimension.items())))
                        out[key] = (o.estimate, o.se, o.ci_low, o.ci_high, o.ci_level, o.n)
    return out


def _reference(prog) -> dict:
    """Every activity actual, computed in Python over all the attendances."""
    records = attendances(prog)
    out = {}
    for res in prog.results:
        for ind in res.indicators:
            if ind.source_kind != "activities":
                continue
            mine = for_indicator(records, ind)
            for period in _periods_of(ind, prog):
                start, end = period_bounds(period)
                rows = [r for r in mine if start <= r.date <= end]
                if not rows:
                    continue
                groups = [((), rows)] + [(((d, v),), [r for r in rows if r.value(d) == v])
                                         for d in ind.disaggregation for v in {r.value(d) for r in rows}]
                for dims, sub in groups:
                    v = compute_metric(ind.source["metric"], sub, ind.confidence)
                    out[(ind.code, period, dims)] = (v.estimate, v.se, v.ci_low, v.ci_high, v.ci_level, v.n)
    return out


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=1, max_size=6))
def test_actuals_kept_one_import_at_a_time_equal_a_full_refresh(sqlite_templates, tmp_path, ops):
    db = tmp_path / f"{uuid.uuid4().hex[:8]}.sqlite"
    shutil.copyfile(sqlite_templates["loaded"], db)
    eng = dbm.make_engine(f"sqlite:///{db}")
    try:
        with dbm.session_scope(eng) as s:
            prog = programme(s)
            standing: list[int] = []
            for op in ops:
                if isinstance(op, int):
                    if standing:
                        _withdraw(s, prog, standing.pop(op % len(standing)))
                else:
                    standing.append(_import(s, prog, op, tmp_path))
            s.expire_all()
            kept = _stored(s, prog)
            assert kept == _reference(prog)
            full = refresh_observations(s, prog, kinds=("activities",), why="full")
            assert (full.added, full.revised, full.removed) == (0, 0, 0)
            assert _stored(s, prog) == kept
    finally:
        eng.dispose()


def test_a_session_touches_only_its_periods(loaded, tmp_path):
    """A session of 2026 revises the 2026 actuals of the indicators counting its course; no other row is
    read into a revision."""
    with dbm.session_scope(loaded) as s:
        prog = programme(s)
        first = _import(s, prog, [{"date": dt.date(2024, 6, 1), "region": "CL-AN", "course": "CULT-1",
                                   "participants": [{"participant_id": "P1", "profession": "nurse", "sex": "F",
                                                     "age": "", "migratory_status": "", "pre_score": 40,
                                                     "post_score": 50}]}], tmp_path)
        assert first
        before = s.scalar(select(m.Revision.id).order_by(m.Revision.id.desc()).limit(1))
        _import(s, prog, [{"date": dt.date(2026, 6, 1), "region": "CL-AN", "course": "CULT-2",
                           "participants": [{"participant_id": "P9", "profession": "nurse", "sex": "M", "age": "",
                                             "migratory_status": "", "pre_score": 40, "post_score": 45}]}], tmp_path)
        revs = s.scalars(select(m.Revision).where(m.Revision.id > before)).all()
        assert revs and {r.period for r in revs} == {"2026"}
        assert {r.code for r in revs} == {"OP3.1.1", "OP3.1.2", "A3.1.1"}  # CULT-2: not OP2.1.1's courses
