"""The shipped Chile-Colombia programme loads with the published facts; reloads keep what the database owns."""

from __future__ import annotations

import csv
import datetime as dt

from sqlalchemy import func, select

from corridor.programme import db as dbm
from corridor.programme import models as m
from corridor.programme.governance import update_commitment, update_meeting
from corridor.programme.load import load_programme

from .conftest import DEMO_PROFILE, DEMO_YAML, programme, snapshot


def test_demo_programme_facts(demo):
    with dbm.session_scope(demo) as s:
        p = programme(s)
        assert (p.origin, p.destination) == ("COL", "CHL")
        [agr] = p.agreements
        assert agr.signed_on == dt.date(2015, 7, 9)
        assert {x.organisation.code for x in agr.parties} == {"IOM", "MINSAL-CHL"}
        assert "institutional capacity" in agr.purpose["en"]
        first = next(mt for mt in p.meetings if mt.code == "BINATIONAL-1")
        assert first.place.startswith("Antofagasta")
        kinds = {x.organisation.kind for x in first.participants}
        assert kinds == {"ministry", "regional_health_authority", "local_health_authority", "civil_society",
                         "international_organisation"}
        assert [lw.code for lw in sorted(p.lines_of_work, key=lambda x: x.position)] == ["LW1", "LW2", "LW3"]
        c = next(c for c in p.commitments if c.code == "PROPOSAL-OCT")
        assert (c.owner.code, c.due_date, c.status) == ("IOM", dt.date(2015, 10, 15), "planned")
        study = next(d for d in p.documents if d.kind == "study")
        assert set(study.authors) == {"IOM-CHL", "IOM-COL"} and set(study.funders) == {"IOM-DF", "IOM-COL", "IOM-PER"}
        assert [pr.code for pr in sorted(p.periods, key=lambda x: x.start)] == ["2023", "2024", "2025", "2026"]
        assert {o.code: o.iati_roles for o in p.organisations}["IOM-DF"] == ["1"]
        assert {c.code: c.result.code for c in p.courses} == {"CULT-1": "OP3.1", "CULT-2": "OP3.1", "RIGHTS-1": "OP3.1",
                                                               "DENGUE-CM": "OP2.1", "TB-CF": "OP2.1"}
        for r in p.results:
            for ind in r.indicators:
                assert {"es", "fr", "en"} <= set(ind.title)


def test_baselines_are_the_profile_rows_exactly(demo):
    rows = list(csv.DictReader((DEMO_PROFILE / "indicators.csv").open(encoding="utf-8")))
    with dbm.session_scope(demo) as s:
        inds = [i for r in programme(s).results for i in r.indicators if i.source_kind == "evidence"]
        assert len(inds) == 8
        for ind in inds:
            src = ind.source
            base = next(o for o in ind.observations if o.kind == "baseline" and not o.dimension)
            row = next(r for r in rows if (r["indicator"], r["population"], r["period"]) ==
                       (src["indicator"], src["population"], base.period)
                       and (r["area"] == src["area"] or r["disaggregation_value"] == src["area"])
                       and r["disaggregation"] in ("total", "region"))
            assert base.unit == row["unit"] == ind.unit
            for col in ("estimate", "ci_low", "ci_high", "se"):
                want = float(row[col]) if row[col] else None
                assert getattr(base, col) == want, (ind.code, col)
            assert base.quality == (row["quality"] or None) and base.synthetic


def test_reload_keeps_data_and_database_owned_commitments_and_meetings(demo):
    with dbm.session_scope(demo) as s:
        p = programme(s)
        update_commitment(s, p, "PROPOSAL-OCT", status="done", done_on=dt.date(2015, 10, 14), by="ana")
        update_meeting(s, p, "BINATIONAL-1", minutes={"en": "Minutes typed after the meeting."}, by="ana")
    before = snapshot(demo)
    with dbm.session_scope(demo) as s:
        prog = load_programme(s, DEMO_YAML, by="ana")
        assert prog.loaded_summary.added == prog.loaded_summary.revised == prog.loaded_summary.removed == 0
    after = snapshot(demo)
    assert after == before
    with dbm.session_scope(demo) as s:
        p = programme(s)
        c = next(c for c in p.commitments if c.code == "PROPOSAL-OCT")
        assert (c.status, c.done_on, c.updated_by) == ("done", dt.date(2015, 10, 14), "ana")
        assert next(mt for mt in p.meetings if mt.code == "BINATIONAL-1").minutes["en"].startswith("Minutes typed")
        assert s.scalar(select(func.count()).select_from(m.Programme)) == 1
        assert s.scalar(select(func.count()).select_from(m.TrainingParticipant)) == 1021
