"""Reporting periods: draft -> submitted -> approved -> locked per partner; only draft data change."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from corridor.errors import InputError
from corridor.programme import db as dbm
from corridor.programme import periods as pm
from corridor.programme.activities import import_trainings
from corridor.programme.refresh import refresh_observations
from corridor.programme.values import record_value

from .conftest import DEMO_TRAININGS, programme, snapshot

TODAY = dt.date(2026, 12, 1)


def test_periods_cover_the_programme_by_year_and_quarter():
    assert [c for c, _, _ in pm.build_periods(dt.date(2023, 1, 1), dt.date(2026, 12, 31))] == \
        ["2023", "2024", "2025", "2026"]
    q = pm.build_periods(dt.date(2024, 2, 10), dt.date(2024, 12, 31), "quarter")
    assert q[0] == ("2024-Q1", dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    assert q[-1] == ("2024-Q4", dt.date(2024, 10, 1), dt.date(2024, 12, 31))


def test_the_demo_history(demo):
    with dbm.session_scope(demo) as s:
        p = programme(s)
        org = next(o for o in p.organisations if o.code == "REGIONAL-HEALTH-AN")
        assert [pm.state(pm.by_code(p, c), org) for c in ("2023", "2024", "2025", "2026")] == \
            ["locked", "approved", "submitted", "draft"]
        events = [e for e in pm.history(p) if e["organisation"] == "REGIONAL-HEALTH-AN"]
        assert [(e["period"], e["from"], e["to"]) for e in events] == [
            ("2023", "draft", "submitted"), ("2023", "submitted", "approved"), ("2023", "approved", "locked"),
            ("2024", "draft", "submitted"), ("2024", "submitted", "approved"), ("2025", "draft", "submitted")]


def test_transitions_follow_the_state_machine_and_unlock_needs_a_reason(loaded):
    with dbm.session_scope(loaded) as s:
        p = programme(s)
        with pytest.raises(InputError, match="cannot approve period 2026 of IOM: it is draft"):
            pm.transition(s, p, "2026", "IOM", "approve", by="ana")
        for action in ("submit", "approve", "lock"):
            pm.transition(s, p, "2026", "IOM", action, by="ana")
        with pytest.raises(InputError, match="unlock of period 2026 of IOM needs a reason"):
            pm.transition(s, p, "2026", "IOM", "unlock", by="root")
        t = pm.transition(s, p, "2026", "IOM", "unlock", by="root", reason="late correction of Q4 entries")
        assert (t.before, t.after) == ("locked", "draft")
        last = pm.history(p)[-1]
        assert (last["from"], last["to"], last["by"], last["reason"]) == ("locked", "draft", "root",
                                                                          "late correction of Q4 entries")
        with pytest.raises(InputError, match="has no reporting period '2031'"):
            pm.transition(s, p, "2031", "IOM", "submit", by="ana")
    assert pm.MAY["unlock"] == {"admin"} and "partner" in pm.MAY["submit"] and "partner" not in pm.MAY["approve"]


def _rows_of(period: str, org: str) -> tuple[list[str], list[dict]]:
    lines = [ln for ln in DEMO_TRAININGS.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    reader = csv.DictReader(lines)
    rows = [r for r in reader if r["date"].startswith(period) and r["organisation"] == org]
    return reader.fieldnames, rows


def test_import_into_a_locked_period_is_refused_and_nothing_is_written(demo, tmp_path):
    header, rows = _rows_of("2023", "REGIONAL-HEALTH-AN")
    first = rows[0]["session_id"]
    rows = [dict(r, session_id=r["session_id"] + "-late", facility=r["facility"] + " annex") for r in rows
            if r["session_id"] == first]
    path = tmp_path / "late.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        w.writeheader()
        w.writerows(rows)
    before = snapshot(demo)
    with pytest.raises(InputError) as err, dbm.session_scope(demo) as s:
        import_trainings(s, programme(s), path, today=TODAY)
    assert "period 2023 of REGIONAL-HEALTH-AN is locked (since 2024-03-15 12:00 UTC, by demo (synthetic))" \
        in err.value.message
    assert f"column 'date', value '{rows[0]['date']}': session {first}-late" in err.value.message  # as the file has it
    assert "nothing was imported" in err.value.message
    assert snapshot(demo) == before


def test_entries_of_submitted_periods_are_refused_until_returned(demo):
    before = snapshot(demo)
    with pytest.raises(pm.PeriodLockedError, match="period 2025 of CIVIL-SOCIETY is submitted"), \
            dbm.session_scope(demo) as s:
        record_value(s, programme(s), indicator="OP1.1.1", organisation="CIVIL-SOCIETY", period="2025",
                     area="CL-AN", value=10, by="ana")
    assert snapshot(demo) == before
    with dbm.session_scope(demo) as s:
        p = programme(s)
        pm.transition(s, p, "2025", "CIVIL-SOCIETY", "return", by="ana", reason="missing a fair")
        record_value(s, p, indicator="OP1.1.1", organisation="CIVIL-SOCIETY", period="2025", area="CL-AN",
                     value=700, by="ana")
        refresh_observations(s, p, by="ana", kinds=("manual",))
        actual = next(o for i in p.results for x in i.indicators if x.code == "OP1.1.1" for o in x.observations
                      if o.kind == "actual" and o.period == "2025" and not o.dimension)
        assert actual.estimate == 3200 - 618 + 700  # CIVIL-SOCIETY's 2025 total was 618 (values_SYNTHETIC.csv)


def test_evidence_of_a_locked_period_is_not_refreshed(loaded, tmp_path):
    """A profile whose new period falls in a locked reporting period of the responsible partner is refused."""
    import shutil

    from .conftest import DEMO_PROFILE

    folder = tmp_path / "profile"
    shutil.copytree(DEMO_PROFILE, folder)
    text = (folder / "indicators.csv").read_text(encoding="utf-8")
    row = next(r for r in text.splitlines() if r.startswith('"unmet_health_need","corridor","CHL",2022,"total"'))
    (folder / "indicators.csv").write_text(text + row.replace(",2022,", ",2024,", 1) + "\n", encoding="utf-8")
    from corridor.programme.evidence import read_evidence

    with dbm.session_scope(loaded) as s:
        p = programme(s)
        for action in ("submit", "approve", "lock"):
            pm.transition(s, p, "2024", "IOM", action, by="ana")
    before = snapshot(loaded)
    with pytest.raises(pm.PeriodLockedError, match=r"evidence of indicator OC1.2, period 2024: period 2024 of IOM "
                                                   r"is locked"), dbm.session_scope(loaded) as s:
        refresh_observations(s, programme(s), evidence=read_evidence(folder), by="ana")
    assert snapshot(loaded) == before
