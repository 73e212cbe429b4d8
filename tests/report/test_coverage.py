"""Coverage as data: the registry (corridor/datasets/coverage.yaml) against the data, and profiles of other corridors.

The profile asks the registry which sources feed each section for a corridor; it renders what
exists and states what does not. Every list of origins in the registry is checked here against
the data it describes.
"""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from corridor.datasets import coverage
from corridor.harmonize import harmonize, load_spec
from corridor.report import build_profile
from corridor.report.locale import messages
from corridor.report.render import render_html

CATCH_ALL = {"CHL", "ZZO", "ZZU", None}


def _spec_codes(name: str, column: str) -> set[str]:
    return set(load_spec(name).columns[column].codes.values()) - CATCH_ALL


@pytest.mark.parametrize("source_id", ["enusc_2020", "enusc_2019"])
def test_enusc_origins_are_the_coded_nationalities(source_id):
    assert set(coverage.get(source_id).origins) == _spec_codes(source_id, "country_citizenship")


def test_census_origins_are_the_birthplace_columns():
    assert set(coverage.get("census2017_comunas").origins) == _spec_codes("census2017_comunas", "country_birth")


def test_ine_sermig_origins_are_its_countries():
    rel = harmonize(None, coverage.get("ine_sermig").spec).relation
    assert set(coverage.get("ine_sermig").origins) == {r[0] for r in rel.project("country_origin").distinct().fetchall()} - CATCH_ALL


def test_synthetic_sample_origins():
    path = coverage.spec_path(coverage.get("synthetic_corridor_sample"))
    births = set(pq.read_table(path.replace("synthetic_corridor_sample.yaml", "synthetic_corridor_sample_SYNTHETIC.parquet"),
                               columns=["country_birth"]).column(0).to_pylist())
    assert set(coverage.get("synthetic_corridor_sample").origins) == births - CATCH_ALL


def test_permit_origins_are_the_table_nationalities():
    from corridor.harmonize.admin import sermig_permits
    from corridor.report.flows_section import PERMITS

    iso = {r["iso3"] for r in sermig_permits(PERMITS, by=("nationality",)).rows}
    assert None not in iso and set(coverage.get("sermig_permits").origins) == iso - CATCH_ALL


def test_every_source_named_in_three_languages():
    for lang in ("es", "fr", "en"):
        names = messages(lang)["source_names"]
        assert {e.id for e in coverage.registry()} <= set(names), lang
        assert all(names[e.id].strip() for e in coverage.registry())


def test_plans():
    ids = {s: [e.id for e in es] for s, es in coverage.plan("COL", "CHL", area="CL-AN").items()}
    assert ids["labour"] == ["enusc_2020", "enusc_2019"] and ids["health"] == ["synthetic_corridor_sample"]
    assert ids["comunas"] == ["casen2022_comunas", "census2017_comunas"] and ids["burden"] == ["demo_notifications"]
    ven = coverage.plan("VEN", "CHL", area="CL-AN")
    assert [e.id for e in ven["comunas"]] == ["casen2022_comunas"] and ven["burden"] == []
    assert {e.id for e in coverage.gaps("VEN", "CHL", area="CL-AN")["comunas"]} == {"census2017_comunas"}
    assert [e.id for e in coverage.plan("PER", "CHL", area="CL-AN")["comunas"]] == ["casen2022_comunas", "census2017_comunas"]
    # a region the demo notifications do not cover
    assert coverage.plan("COL", "CHL", area="CL-TA")["burden"] == []
    # Colombia -> Ecuador: only UN DESA
    ecu = coverage.plan("COL", "ECU")
    assert {s for s, es in ecu.items() if es} == {"stock", "flows"} and coverage.default_region("ECU") is None


@pytest.mark.parametrize("origin", ["VEN", "PER", "HTI", "BOL"])
def test_enusc_labour_rows_for_other_nationalities(origin):
    """ENUSC identifies Venezuelans, Peruvians, Haitians and Bolivians: their labour indicators are estimated (2020)."""
    from corridor.indicators import compute_survey, load, load_survey

    inds = [load()["employment_to_population_ratio"]]
    t = compute_survey(load_survey("enusc_2020"), origin, "CHL", indicators=inds, disaggregations=()).table.to_pylist()
    corridor = next(r for r in t if r["population"] == "corridor")
    assert corridor["n"] > 100 and 0 < corridor["estimate"] < 100 and not corridor["synthetic"]


@pytest.fixture(scope="module")
def ven():
    return build_profile("VEN", "CHL", disaggregations=("region",))


@pytest.fixture(scope="module")
def per():
    return build_profile("PER", "CHL", disaggregations=("region",))


def test_venezuela(ven):
    rows = ven.table.to_pylist()
    labour = [r for r in rows if r["indicator"] == "employment_to_population_ratio" and r["population"] == "corridor"
              and r["disaggregation"] == "total"]
    assert sorted(r["period"] for r in labour) == [2019, 2020] and not any(r["synthetic"] for r in labour)
    assert not any(str(r["indicator"]).startswith("notification_") for r in rows)           # no burden data
    comuna = [r for r in rows if r["disaggregation"] == "comuna"]
    assert comuna and not any(r["population"] == "corridor" for r in comuna)               # census lacks VEN
    status = {c["section"]: c["status"] for c in ven.coverage}
    assert status["labour"] == "real" and status["burden"] == "none" and status["health"] == "synthetic"
    stock = next(r for r in rows if r["indicator"] == "migrant_stock" and r["population"] == "corridor" and r["period"] == 2022
                 and r["disaggregation"] == "total")
    assert stock["estimate"] == 532_715                                                    # INE/SERMIG Tabla 4, 2022
    for lang in ("es", "fr", "en"):
        html = render_html(ven, lang)
        msgs = messages(lang)
        assert 'data-section="burden" data-status="none"' in html and 'id="sec-burden"' not in html
        assert msgs["comunas_not_identified"].split("{")[0] in html
        assert 'id="table-labour"' in html


def test_peru(per):
    rows = per.table.to_pylist()
    born = {r["disaggregation_value"]: r["estimate"] for r in rows if r["disaggregation"] == "comuna"
            and r["indicator"] == "migrant_stock" and r["population"] == "corridor"}
    assert born["2101"] == 7_886 and born["2201"] == 2_694                                # census 2017, born in Peru
    labour = {(r["period"], r["disaggregation_value"]): r for r in rows if r["indicator"] == "labour_force_participation_rate"
              and r["population"] == "corridor"}
    assert labour[(2020, "_T")]["n"] == 272 and labour[(2019, "_T")]["n"] == 209


def test_corridor_without_data():
    """Colombia -> Ecuador: UN DESA only; every other section is stated as not covered, nothing is invented."""
    p = build_profile("COL", "ECU")
    rows = p.table.to_pylist()
    assert p.highlight is None and p.scans == 0 and not any(r["source_kind"] == "survey" for r in rows)
    ok = {r["indicator"] for r in rows if r["status"] == "ok"}
    assert ok == {"migrant_stock", "flow_estimate_stock_diff"}
    status = {c["section"]: c["status"] for c in p.coverage}
    assert status == {"stock": "real", "flows": "real", **{s: "none" for s in status if s not in ("stock", "flows")}}
    assert not p.synthetic_sections
    for lang in ("es", "fr", "en"):
        html = render_html(p, lang)
        assert 'id="synthetic-banner"' not in html and html.count('data-status="none"') == 8
        assert messages(lang)["not_covered"].split("{")[0] in html


def test_origin_inside_other_countries():
    """New Zealand is not identified by INE/SERMIG: the corridor's stock is unavailable, not zero."""
    from corridor.indicators import compute_aggregates, load_aggregates

    rows = compute_aggregates(load_aggregates("NZL", "CHL"))
    sermig = [r for r in rows if r["population"] == "corridor" and r["indicator"] == "migrant_stock"
              and not r["source"].startswith("UN DESA")]
    assert sermig and all(r["status"] == "unavailable" and r["estimate"] is None for r in sermig)
    assert any(r["population"] == "migrants" and r["estimate"] for r in rows)
