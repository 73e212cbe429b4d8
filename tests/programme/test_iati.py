"""IATI 2.03 export: valid against the official schema and passing the IATI Standard's ruleset."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest

from corridor.errors import SpecError
from corridor.programme import db as dbm
from corridor.programme.iati import SCHEMA, build_activity, export_iati, schema_errors, to_xml
from corridor.programme.iati_rules import evaluate, summary

from .conftest import programme

NOW = dt.datetime(2026, 12, 4, 10, 0, 0)
LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@pytest.fixture(scope="module")
def exports(demo_module):
    with dbm.session_scope(demo_module) as s:
        return {lang: export_iati(programme(s), lang=lang, now=NOW) for lang in ("es", "fr", "en")}


def _act(xml: bytes) -> ET.Element:
    return ET.fromstring(xml).find("iati-activity")


def test_schema_is_the_official_203_release():
    head = SCHEMA.read_text(encoding="utf-8")[:2000]
    assert 'version="2.03"' in head and "Release 2.03, 2018-02-19" in head


@pytest.mark.parametrize("lang", ["es", "fr", "en"])
def test_demo_passes_schema_and_the_standard_ruleset(exports, lang):
    xml = exports[lang]
    assert schema_errors(xml) == []
    results = evaluate(xml, now=NOW)
    s = summary(results)
    assert s["errors"] == 0 and s["warnings"] == 0, [r for r in results if r.passed is False]
    assert s["passed"] > 700 and s["rules"] >= 60
    ids = {r.id for r in results if r.passed}
    # the checks the issue names: country and sector shares, a sector, dates vs status, references at one level
    assert {"3.1.1", "3.1.2", "6.2.2", "2.1.2", "11.1.2", "11.1.4", "8.11.1", "7.5.3", "7.8.1", "1.14.8"} <= ids


def test_narratives_are_in_the_exports_language_first(exports):
    act = _act(exports["es"])
    assert act.get(LANG) == "es"
    first = act.find("title").findall("narrative")
    assert first[0].get(LANG) is None and first[0].text.startswith("Programa binacional")
    assert {n.get(LANG) for n in first[1:]} == {"en", "fr"}
    comment = act.find("result/indicator/baseline/comment/narrative")
    assert comment.get(LANG) is None and "IC 95" in comment.text and "calidad: fiable" in comment.text
    en = _act(exports["en"]).find("result/indicator/baseline/comment/narrative")
    assert "95% CI" in en.text and "quality: reliable" in en.text


def test_partners_roles_identifiers_countries_sectors_and_tags(exports):
    act = _act(exports["en"])
    orgs = [(p.get("role"), p.get("ref"), p.findtext("narrative")) for p in act.findall("participating-org")]
    assert ("2", "XM-DAC-47066", "International Organization for Migration (IOM)") in orgs
    assert ("4", "XM-DAC-47066", "International Organization for Migration (IOM)") in orgs
    assert ("1", None, "IOM Development Fund") in orgs
    assert {(c.get("code"), c.get("percentage")) for c in act.findall("recipient-country")} == {("CL", "85"), ("CO", "15")}
    sectors = [(s.get("vocabulary"), s.get("code"), float(s.get("percentage"))) for s in act.findall("sector")]
    assert sum(p for _, _, p in sectors) == 100 and all(v == "1" for v, _, _ in sectors)
    tags = {(t.get("vocabulary"), t.get("code")) for t in act.findall("tag")}
    assert {("2", "3"), ("2", "10"), ("2", "17"), ("3", "3.8"), ("3", "17.18"), ("3", "3.c")} <= tags
    assert (act.find("activity-status").get("code"), act.find("activity-date[@type='2']").get("iso-date")) == \
        ("2", "2023-01-01")


def test_finance_budgets_and_transactions(exports):
    act = _act(exports["en"])
    assert act.get("default-currency") == "USD"
    budgets = act.findall("budget")
    assert len(budgets) == 12
    for b in budgets:
        start = dt.date.fromisoformat(b.find("period-start").get("iso-date"))
        end = dt.date.fromisoformat(b.find("period-end").get("iso-date"))
        assert (end - start).days <= 365
    kinds = [t.find("transaction-type").get("code") for t in act.findall("transaction")]
    assert kinds.count("1") == 4 and kinds.count("3") == 8 and kinds.count("4") == 12


def test_results_values_and_references(exports):
    act = _act(exports["en"])
    assert all(r.find("reference") is None for r in act.findall("result"))  # references at indicator level only
    types = [r.get("type") for r in act.findall("result")]
    assert types[0] == "3" and types[-1] == "9"  # impact first, activities last
    oc11 = next(i for i in act.iter("indicator") if i.findtext("title/narrative").startswith("OC1.1 "))
    assert (oc11.get("measure"), oc11.get("ascending")) == ("2", "0")
    bases = {tuple((d.get("name"), d.get("value")) for d in b.findall("dimension")): b.get("value")
             for b in oc11.findall("baseline")}
    assert bases[()] == "18.1331" and set(bases) == {(), (("sex", "female"),), (("sex", "male"),)}
    trained = next(i for i in act.iter("indicator") if i.findtext("title/narrative").startswith("OP3.1.1 "))
    p2023 = trained.find("period")
    assert p2023.find("period-start").get("iso-date") == "2023-01-01"
    assert p2023.find("target").get("value") == "180" and p2023.find("actual").get("value") == "183"
    tb = next(i for i in act.iter("indicator") if i.findtext("title/narrative").startswith("OC2.4 "))
    assert tb.find("baseline") is None and "not computed" in tb.findtext("description/narrative")
    # the tuberculosis rate is SDG indicator 3.3.2 (incidence per 100,000), at indicator level only
    refs = {(i.findtext("title/narrative").split()[0], r.get("vocabulary"), r.get("code"))
            for i in act.iter("indicator") for r in i.findall("reference")}
    assert refs == {("OC2.4", "9", "3.3.2")}
    assert {("2", "3"), ("3", "3.3")} <= {(t.get("vocabulary"), t.get("code")) for t in act.findall("tag")}


def test_indicator_level_sdg_reference_and_ruleset_catches_broken_documents(demo_sqlite):
    with dbm.session_scope(demo_sqlite) as s:
        p = programme(s)
        ind = next(i for r in p.results for i in r.indicators if i.code == "OC2.3")
        ind.sdg = ["3.3.1", "3.3"]
        xml = to_xml(build_activity(p, now=NOW))
        s.rollback()
    oc23 = next(i for i in _act(xml).iter("indicator") if i.findtext("title/narrative").startswith("OC2.3 "))
    assert [(r.get("vocabulary"), r.get("code")) for r in oc23.findall("reference")] == [("9", "3.3.1")]
    assert summary(evaluate(xml, now=NOW))["errors"] == 0

    def errors(doc: bytes) -> set[str]:
        return {r.id for r in evaluate(doc, now=NOW) if r.failed}

    assert "3.1.1" in errors(xml.replace(b' percentage="85"', b"", 1))
    assert "3.1.2" in errors(xml.replace(b'percentage="85"', b'percentage="80"', 1))
    root = ET.fromstring(xml)
    oc2 = next(r for r in root.iter("result") if r.findtext("title/narrative").startswith("OC2 "))
    oc2.insert(1, ET.Element("reference", {"vocabulary": "99", "code": "OC2"}))
    assert "8.11.1" in errors(ET.tostring(root))  # references at both result and indicator level
    root = ET.fromstring(xml)
    root.find("iati-activity/budget/period-end").set("iso-date", "2024-12-31")
    assert "7.5.3" in errors(ET.tostring(root))  # a budget period longer than a year
    assert "6.2.2" in errors(b"".join(ln for ln in xml.splitlines(keepends=True) if b"<sector " not in ln))


def test_status_and_dates_must_agree(demo_sqlite):
    with dbm.session_scope(demo_sqlite) as s:
        p = programme(s)
        p.status = "pipeline"
        with pytest.raises(SpecError, match="is in status 'pipeline' but reports an actual start, actual results"):
            build_activity(p, now=NOW)
        p.status, p.actual_start = "implementation", None
        with pytest.raises(SpecError, match="has no actual_start date"):
            build_activity(p, now=NOW)
        s.rollback()


def test_spanish_and_french_comments_hold_no_english_and_keep_a_standard_errors_decimals(exports):
    """Every narrative the export writes in its own language reads in it: the baseline the programme file
    states names its source in the language ('programme file' was left in English), and a standard error
    of a count-like unit keeps its decimals (a mean gain of 10.5 points had 'SE 1' for 0.6)."""
    from corridor.i18n import catalogue

    for lang, source in (("es", "fuente: archivo del programa"), ("fr", "source : fichier du programme")):
        own = [n.text or "" for n in _act(exports[lang]).iter("narrative") if n.get(LANG) is None]
        text = "\n".join(own)
        assert source in text and "programme file" not in text
        english = [e for k, e in catalogue("en").items() if k.startswith("programme.iati.") and len(e) > 12
                   and "{" not in e and catalogue(lang)[k] != e]
        assert [e for e in english if e in text] == []
        # the mean test gains (points) of the training records: their SE below 1 point
        se = re.findall(r"(?:EE|ET) (\d+(?:,\d+)?) ?; n [\d\u202f\xa0 .]+ ?; (?:fuente|source) ?: (?:registros de "
                        r"capacitación|registres de formation) ?; (?:unidad|unité) ?: (?:puntos|points)", text)
        assert se and all("," in s for s in se), se[:5]
        if lang == "fr":
            assert " ; n " in text and "; n" not in text.replace(" ; n", "")
