"""Partner entries (line of work 1): checked, summed across partners and areas, revised with history."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from corridor.errors import InputError
from corridor.programme import db as dbm
from corridor.programme import models as m
from corridor.programme.governance import add_commitment, add_meeting, update_commitment, update_meeting
from corridor.programme.progress import overdue
from corridor.programme.refresh import refresh_observations
from corridor.programme.values import delete_value, import_values, record_value

from .conftest import programme, snapshot


def _actual(p, code: str, period: str, dim: dict | None = None):
    ind = next(i for r in p.results for i in r.indicators if i.code == code)
    return next((o.estimate for o in ind.observations if o.kind == "actual" and o.period == period
                 and (o.dimension or {}) == (dim or {})), None)


def test_entries_add_up_by_partner_area_and_cell(loaded):
    with dbm.session_scope(loaded) as s:
        p = programme(s)
        for org, n, f in (("REGIONAL-HEALTH-AN", 300, 170), ("CIVIL-SOCIETY", 120, 80)):
            record_value(s, p, indicator="OP1.1.1", organisation=org, period="2026", area="CL-AN", value=n, by="ana")
            record_value(s, p, indicator="OP1.1.1", organisation=org, period="2026", area="CL-AN", value=f,
                         dimension={"sex": "mujer"}, by="ana")
        record_value(s, p, indicator="OP1.1.1", organisation="LOCAL-HEALTH-AN", period="2026", area="Tarapacá",
                     value=40, dimension={"nationality": "Colombia"}, by="ana")
        refresh_observations(s, p, by="ana", kinds=("manual",))
        assert _actual(p, "OP1.1.1", "2026") == 420
        assert _actual(p, "OP1.1.1", "2026", {"sex": "F"}) == 250
        assert _actual(p, "OP1.1.1", "2026", {"nationality": "COL"}) == 40
        assert _actual(p, "OP1.1.1", "2026", {"region": "CL-AN"}) == 420


def test_a_corrected_value_is_a_revision(loaded):
    now = dt.datetime(2026, 11, 2, 9, 0)
    with dbm.session_scope(loaded) as s:
        p = programme(s)
        v = record_value(s, p, indicator="OP1.1.1", organisation="CIVIL-SOCIETY", period="2026", area="CL-AN",
                         value=120, by="ana", now=now)
        record_value(s, p, indicator="OP1.1.1", organisation="CIVIL-SOCIETY", period="2026", area="CL-AN",
                     value=135, by="luis", why="attendance sheet of 30 Oct added", now=now + dt.timedelta(days=1))
        assert s.scalars(select(m.ManualValue)).one().value == 135
        revs = [(r.before, r.after, r.by, r.why) for r in p.revisions if r.subject == "value"]
        assert revs[-1] == ({"value": 120.0, "organisation": "CIVIL-SOCIETY", "area": "CL-AN"},
                            {"value": 135.0, "organisation": "CIVIL-SOCIETY", "area": "CL-AN"}, "luis",
                            "attendance sheet of 30 Oct added")
        delete_value(s, p, v.id, by="luis", why="duplicate")
        assert s.scalars(select(m.ManualValue)).all() == [] and p.revisions[-1].after is None


@pytest.mark.parametrize(("kw", "message"), [
    ({"indicator": "OC1.1"}, "takes its values from evidence, not from entries"),
    ({"organisation": "WHO"}, "organisation 'WHO' is not a partner"),
    ({"period": "2031"}, "period '2031' is not a reporting period"),
    ({"area": "Lima"}, "area 'Lima' is not a region"),
    ({"value": "-3"}, "value '-3' is not a count"),
    ({"dimension": {"profession": "nurse"}}, "is not disaggregated by 'profession'"),
    ({"dimension": {"sex": "F", "age_band": "25-44"}}, "one cell of one disaggregation"),
    ({"dimension": {"age_band": "30-39"}}, "age_band '30-39' is not a known code"),
])
def test_bad_entries_are_refused_and_nothing_is_written(loaded, kw, message):
    args = {"indicator": "OP1.1.1", "organisation": "CIVIL-SOCIETY", "period": "2026", "area": "CL-AN",
            "value": 10, **kw}
    before = snapshot(loaded)
    with pytest.raises(InputError, match=message), dbm.session_scope(loaded) as s:
        record_value(s, programme(s), by="ana", **args)
    assert snapshot(loaded) == before


def test_a_file_of_values_is_all_or_nothing(loaded, tmp_path):
    path = tmp_path / "values.csv"
    path.write_text("indicator,organisation,period,area,value,sex\n"
                    "OP1.1.1,CIVIL-SOCIETY,2026,CL-AN,50,\n"
                    "OP1.1.1,CIVIL-SOCIETY,2026,CL-AN,30,F\n"
                    "OP1.1.1,CIVIL-SOCIETY,2026,CL-AN,31,F\n"
                    "OP1.1.1,CIVIL-SOCIETY,2026,CL-XX,5,\n", encoding="utf-8")
    before = snapshot(loaded)
    with pytest.raises(InputError) as err, dbm.session_scope(loaded) as s:
        import_values(s, programme(s), path, by="ana")
    assert f"{path}, row 4: the same cell as row 3" in err.value.message
    assert f"{path}, row 5: area 'CL-XX' is not a region" in err.value.message
    assert snapshot(loaded) == before


def test_commitments_and_meetings_change_with_history_and_overdue_is_computed(loaded):
    with dbm.session_scope(loaded) as s:
        p = programme(s)
        c = next(c for c in p.commitments if c.code == "PROPOSAL-OCT")
        assert overdue(c, dt.date(2026, 12, 1)) and not overdue(c, dt.date(2015, 10, 1))
        with pytest.raises(InputError, match="'overdue' is not a status to set"):
            update_commitment(s, p, "PROPOSAL-OCT", status="overdue", by="ana")
        update_commitment(s, p, "PROPOSAL-OCT", status="done", done_on=dt.date(2015, 10, 14), by="ana")
        assert not overdue(c, dt.date(2026, 12, 1))
        rev = p.revisions[-1]
        assert (rev.subject, rev.code, rev.before["status"], rev.after["status"], rev.by) == \
            ("commitment", "PROPOSAL-OCT", "planned", "done", "ana")
        new = add_commitment(s, p, code="FOCAL", text={"es": "Designar puntos focales"}, owner="MINSAL-CHL",
                             due=dt.date(2026, 6, 30), meeting="STEERING-2024", by="ana")
        assert overdue(new, dt.date(2026, 12, 1))
        add_meeting(s, p, code="STEERING-2026", title={"en": "Steering committee 2026"}, held_on=dt.date(2026, 11, 25),
                    place="Antofagasta", participants=["IOM", "MINSAL-CHL"], by="ana")
        mt = update_meeting(s, p, "STEERING-2026", minutes={"en": "Reviewed 2026."},
                            decisions=[{"en": "Extend LW3 to Arica"}], by="ana")
        assert mt.minutes == {"en": "Reviewed 2026."} and [d.text for d in mt.decisions] == [{"en": "Extend LW3 to Arica"}]
        with pytest.raises(InputError, match="there is no commitment 'NOPE'"):
            update_commitment(s, p, "NOPE", status="done", by="ana")
