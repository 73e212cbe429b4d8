"""The shipped Chile-Colombia programme loads with the facts as published by IOM."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from corridor.programme import db as dbm
from corridor.programme import models as m
from corridor.programme.load import load_programme

from .conftest import DEMO_YAML, programme, snapshot


def test_demo_programme_facts(demo):
    with dbm.session_scope(demo) as s:
        p = programme(s)
        assert (p.origin, p.destination) == ("COL", "CHL")
        [agr] = p.agreements
        assert agr.signed_on == dt.date(2015, 7, 9)
        assert {x.organisation.code for x in agr.parties} == {"IOM", "MINSAL-CHL"}
        assert "institutional capacity" in agr.purpose["en"]
        [meeting] = p.meetings
        assert meeting.place.startswith("Antofagasta")
        kinds = {x.organisation.kind for x in meeting.participants}
        assert kinds == {"ministry", "regional_health_authority", "local_health_authority", "civil_society",
                         "international_organisation"}
        codes = {x.organisation.code for x in meeting.participants}
        assert {"MINREL-CHL", "CANCILLERIA-COL", "MINSAL-CHL", "MINSALUD-COL", "IOM"} <= codes
        assert [lw.code for lw in sorted(p.lines_of_work, key=lambda x: x.position)] == ["LW1", "LW2", "LW3"]
        assert "culture of Colombian migrants" in next(x for x in p.lines_of_work if x.code == "LW3").title["en"]
        [c] = p.commitments
        assert (c.owner.code, c.due_date, c.status) == ("IOM", dt.date(2015, 10, 15), "planned")
        assert c.due_note["en"] == "first half of October 2015"
        study = next(d for d in p.documents if d.kind == "study")
        assert set(study.authors) == {"IOM-CHL", "IOM-COL"}
        assert set(study.funders) == {"IOM-DF", "IOM-COL", "IOM-PER"}
        for r in p.results:
            for ind in r.indicators:
                assert {"es", "fr", "en"} <= set(ind.title)


def test_baselines_come_from_the_evidence_table(demo):
    with dbm.session_scope(demo) as s:
        ind = s.scalars(select(m.Indicator).where(m.Indicator.code == "OC1.1")).one()
        base = next(o for o in ind.observations if o.kind == "baseline")
        # evidence_demo_SYNTHETIC.csv row for 2015 (stated figure 0.21, SE 0.030, Wald 95%)
        assert (base.period, base.estimate, base.se, base.quality) == ("2015", 0.21, 0.03, "reliable")
        assert abs(base.ci_low - (0.21 - 1.959964 * 0.03)) < 1e-6
        assert base.source.startswith("SYNTHETIC")
        actual = next(o for o in ind.observations if o.kind == "actual")
        assert (actual.period, actual.estimate) == ("2017", 0.15)


def test_reloading_replaces_the_definition_and_keeps_trainings(demo):
    before = snapshot(demo)
    with dbm.session_scope(demo) as s:
        load_programme(s, DEMO_YAML)
    after = snapshot(demo)
    assert after == before
    with dbm.session_scope(demo) as s:
        assert s.scalar(select(func.count()).select_from(m.Programme)) == 1
        assert s.scalar(select(func.count()).select_from(m.TrainingParticipant)) == 252
