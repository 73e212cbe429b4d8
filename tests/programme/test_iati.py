"""IATI 2.03 results export, validated against the official activity schema."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from corridor.programme import db as dbm
from corridor.programme.iati import SCHEMA, export_iati, schema_errors

from .conftest import programme

NOW = dt.datetime(2026, 1, 2, 3, 4, 5)


@pytest.fixture
def xml(demo_sqlite) -> bytes:
    with dbm.session_scope(demo_sqlite) as s:
        return export_iati(programme(s), now=NOW)


def test_schema_is_the_official_203_release():
    head = SCHEMA.read_text(encoding="utf-8")[:2000]
    assert 'version="2.03"' in head and "Release 2.03, 2018-02-19" in head


def test_export_validates_and_has_the_framework(xml):
    assert schema_errors(xml) == []
    root = ET.fromstring(xml)
    assert root.get("version") == "2.03"
    act = root.find("iati-activity")
    assert act.findtext("iati-identifier") == "XM-DAC-47066-CHL-COL-HEALTH-MIGRATION"
    assert act.find("reporting-org").get("ref") == "XM-DAC-47066"
    assert {c.get("code") for c in act.findall("recipient-country")} == {"CL", "CO"}
    results = act.findall("result")
    assert [(r.get("type"), r.find("reference").get("code")) for r in results] == [("2", "OC1"), ("1", "OP3.1")]


def test_uncertain_outcome_carries_interval_and_judgement(xml):
    act = ET.fromstring(xml).find("iati-activity")
    ind = act.find("result").find("indicator")
    assert (ind.get("measure"), ind.get("ascending")) == ("2", "0")
    # SDG tags of the result, as IATI IndicatorVocabulary 9 (UN SDG indicators)
    assert [(r.get("vocabulary"), r.get("code")) for r in ind.findall("reference")] == [("9", "3.8.1"), ("9", "17.18.1")]
    base = ind.find("baseline")
    assert (base.get("year"), base.get("value")) == ("2015", "21")  # percent, as measure 2 expects
    period = ind.find("period")
    assert period.find("period-start").get("iso-date") == "2017-01-01"
    target = period.find("target")
    assert target.get("value") == "12"
    assert "not yet demonstrated" in target.find("comment").findtext("narrative")
    actual = period.find("actual")
    assert actual.get("value") == "15"
    comment = actual.find("comment").findtext("narrative")
    assert "95% CI 9.5121 to 20.4879" in comment and "quality: reliable" in comment and "SYNTHETIC" in comment


def test_disaggregated_targets_and_actuals_use_dimensions(xml):
    act = ET.fromstring(xml).find("iati-activity")
    output = act.findall("result")[1]
    trained = output.find("indicator")
    period = trained.find("period")
    targets = {tuple((d.get("name"), d.get("value")) for d in t.findall("dimension")): t.get("value")
               for t in period.findall("target")}
    assert targets == {(): "250", (("region", "CL-AN"),): "150"}
    actuals = {tuple((d.get("name"), d.get("value")) for d in a.findall("dimension")): a.get("value")
               for a in period.findall("actual")}
    assert actuals[()] == "224" and actuals[(("region", "CL-AN"),)] == "135"
    assert sum(int(v) for k, v in actuals.items() if k and k[0][0] == "sex") == 224  # F + M = all
    assert [(r.get("vocabulary"), r.get("code")) for r in trained.findall("reference")] == [("9", "3.c.1")]


def test_validator_rejects_a_broken_document(xml):
    broken = xml.replace(b'measure="2"', b"", 1)
    errors = schema_errors(broken)
    assert errors and any("measure" in e for e in errors)
