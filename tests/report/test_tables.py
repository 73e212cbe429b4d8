"""The tidy indicator table behind every number: CSV, Parquet and JSON with SDMX-like columns."""

from __future__ import annotations

import json

import pyarrow.csv as pacsv
import pyarrow.parquet as pq

SDMX = ["indicator", "indicator_name", "population", "area", "period", "disaggregation", "disaggregation_value", "estimate",
        "se", "ci_low", "ci_high", "cv", "df", "n", "quality", "suppressed", "suppression_reason", "source", "synthetic"]


def test_three_formats_same_rows(outputs) -> None:
    paths = outputs["fr"]
    t = pq.read_table(paths["parquet"])
    assert all(c in t.column_names for c in SDMX)
    c = pacsv.read_csv(paths["csv"])
    assert c.num_rows == t.num_rows
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert len(doc["data"]) == t.num_rows
    assert doc["metadata"]["synthetic_survey"] is True          # health and poverty still run on the synthetic sample
    assert doc["metadata"]["synthetic_sections"] == ["health", "poverty", "burden"]
    assert {s["id"] for s in doc["metadata"]["sources"]} == {"ine_sermig", "ine_projections", "undesa_ims", "enusc_2020",
                                                              "enusc_2019", "synthetic_corridor_sample"}
    assert {c["section"]: c["status"] for c in doc["metadata"]["coverage"]}["labour"] == "real"
    names = dict(zip(t.column("indicator").to_pylist(), t.column("indicator_name").to_pylist()))
    assert names["unemployment_rate"] == "Taux de chômage"


def test_synthetic_flag(profile) -> None:
    """Survey rows are synthetic exactly in the sections that still run on the synthetic sample."""
    rows = profile.table.to_pylist()
    domain = {i.id: i.domain for i in profile.catalogue.values()}
    survey = [r for r in rows if r["source_kind"] == "survey"]
    assert survey and all(r["synthetic"] == (domain[r["indicator"]] in ("health", "poverty")) for r in survey)
    assert all(r["source"].startswith("ENUSC") for r in survey if domain[r["indicator"]] in ("labour", "migration"))
    assert not any(r["synthetic"] for r in rows if r["source_kind"] == "aggregate")


def test_every_survey_estimate_has_quality_and_suppression(profile) -> None:
    rows = [r for r in profile.table.to_pylist() if r["source_kind"] == "survey" and r["status"] == "ok"]
    assert rows
    assert all(r["quality_scheme"] == "chile" for r in rows)
    assert all(r["suppressed"] is not None for r in rows)
    labelled = [r for r in rows if not r["suppressed"] and r["population"] != "gap" and r["estimand"] != "quantile"]
    assert all(r["quality"] in ("reliable", "weakly_reliable", "non_reliable") for r in labelled)
    assert any(r["suppressed"] for r in rows)
