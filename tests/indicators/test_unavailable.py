"""An indicator whose concepts a source lacks is reported as unavailable from that source, never computed."""

from __future__ import annotations

from corridor.indicators import compute_survey, get, load_survey
from corridor.indicators.survey import SurveySource


def test_source_without_informality(synthetic) -> None:
    rel = synthetic.relation.project(", ".join(c for c in synthetic.columns if c != "informal"))
    src = SurveySource(relation=rel, design=synthetic.design, name="no_informal", title="Survey without informality",
                       publisher="", year=2022, synthetic=True, design_text="")
    res = compute_survey(src, "COL", "CHL", indicators=[get("informality_rate"), get("unemployment_rate")], disaggregations=())
    rows = res.table.to_pylist()
    inf = [r for r in rows if r["indicator"] == "informality_rate"]
    assert {r["population"] for r in inf} == {"corridor", "migrants", "natives", "gap"}
    assert all(r["status"] == "unavailable" and r["estimate"] is None for r in inf)
    assert all("unavailable from Survey without informality" in r["note"] and "informal" in r["note"] for r in inf)
    assert res.unavailable == {"informality_rate": ["informal"]}
    assert all(r["status"] == "ok" for r in rows if r["indicator"] == "unemployment_rate")


def test_real_casen_extract_has_no_migrant_status() -> None:
    """The shipped CASEN 2020 extract (real) has labour and poverty but no migrant status: nothing is computed."""
    src = load_survey("casen_2020")
    assert src.synthetic is False
    res = compute_survey(src, "COL", "CHL", indicators=[get("unemployment_rate"), get("income_poverty_rate")])
    rows = res.table.to_pylist()
    assert rows and all(r["status"] == "unavailable" for r in rows)
    assert all("migrant_status" in r["note"] for r in rows)
    assert res.scans == 0
