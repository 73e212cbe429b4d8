"""ENUSC 2020 and 2019 labour indicators against R (survey 4.1-1, calidad 0.8.2).

The reference figures (tests/reference/enusc/expected.json, each with the literal R call that
gives it) were computed by tests/reference/enusc/make_reference.R from the public CSV files, with
the labour status derived in R from the roster, independently of corridor's specs. Here corridor
computes the same figures from the shipped extracts through the specs and the profile's code
(:func:`corridor.indicators.compute_survey`): estimates, design-based SEs, degrees of freedom,
sample sizes, logit intervals, INE quality labels, and the Colombian-minus-Chilean gaps with
their covariance. Example (2020, Colombian nationals in Chile): employment-to-population ratio
70.91%, SE 6.18 points, df 57, n 141, "weakly reliable" (calidad::assess(calidad::create_prop(var =
'employed', domains = 'group', design = subset(des, !is.na(labour)), ci = TRUE), scheme = 'chile')).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corridor import Design, Proportion, estimate
from corridor.indicators import compute_survey, load, load_survey
from corridor.quality import calidad_label

REF = json.loads((Path(__file__).resolve().parents[1] / "reference" / "enusc" / "expected.json").read_text())
LABOUR = ("employment_to_population_ratio", "labour_force_participation_rate", "unemployment_rate")


@pytest.fixture(scope="module", params=[2020, 2019])
def year_rows(request):
    """corridor's rows of the three labour indicators for COL -> CHL, by region; no suppression (min_n=1)."""
    src = load_survey(f"enusc_{request.param}")
    inds = [load()[i] for i in LABOUR]
    res = compute_survey(src, "COL", "CHL", indicators=inds, disaggregations=("region",), scheme="chile", min_n=1)
    rows = {}
    for r in res.table.to_pylist():
        if r["status"] == "ok" and (r["disaggregation"] == "total" or r["disaggregation_value"] == "CL-AN"):
            rows[(r["indicator"], r["population"], "CHL" if r["disaggregation"] == "total" else "CL-AN")] = r
    return request.param, rows


def _figures(year: int, groups: tuple[str, ...]):
    return [f for f in REF["figures"] if f["year"] == year and f["indicator"] in LABOUR and f["group"] in groups]


def test_estimates_ses_df_n_intervals_labels(year_rows):
    year, rows = year_rows
    figures = _figures(year, ("corridor", "migrants", "natives"))
    assert len(figures) == 18
    for f in figures:
        r = rows[(f["indicator"], f["group"], f["area"])]
        where = f"{year} {f['area']} {f['indicator']} {f['group']}: {f['r_call']}"
        assert r["estimate"] / 100 == pytest.approx(f["estimate"], rel=1e-9), where
        assert r["se"] / 100 == pytest.approx(f["se"], rel=1e-8), where
        assert r["df"] == f["df"] and r["n"] == f["n"], where
        # svyciprop's point comes from a glm stopped at a deviance tolerance (docs/design.md): intervals to 1e-6
        assert r["ci_low"] / 100 == pytest.approx(f["ci_low"], rel=1e-6, abs=1e-9), where
        assert r["ci_high"] / 100 == pytest.approx(f["ci_high"], rel=1e-6), where
        assert calidad_label(r["quality"], "chile") == f["label"], where


def test_gaps_with_covariance(year_rows):
    year, rows = year_rows
    for f in _figures(year, ("gap",)):
        r = rows[(f["indicator"], "gap", f["area"])]
        assert r["estimate"] / 100 == pytest.approx(f["estimate"], rel=1e-9), f["r_call"]
        assert r["se"] / 100 == pytest.approx(f["se"], rel=1e-8), f["r_call"]


def test_2020_colombians_employment_to_population_ratio_stated():
    """The figure an analyst recomputes first: 2020, Colombian nationals in Chile."""
    f = next(x for x in REF["figures"] if (x["year"], x["area"], x["indicator"], x["group"]) ==
             (2020, "CHL", "employment_to_population_ratio", "corridor"))
    assert (round(f["estimate"], 4), round(f["se"], 4), f["df"], f["n"], f["label"]) == (0.7091, 0.0618, 57, 141, "weakly reliable")


@pytest.mark.parametrize("year", [2020, 2019])
def test_share_of_colombian_nationals(year):
    """Share of Colombian nationals among persons 15+ (nationality unknown counts as not Colombian)."""
    src = load_survey(f"enusc_{year}")
    rel = src.relation.project("*, coalesce(country_citizenship = 'COL', FALSE)::INTEGER AS colombian")
    res = estimate(rel, src.design, Proportion("colombian", level=1), by=[[], ["region"]]).table.to_pylist()
    got = {("CHL" if r["region"] is None else r["region"]): r for r in res}
    for f in (x for x in REF["figures"] if x["year"] == year and x["indicator"] == "colombian_share"):
        assert got[f["area"]]["estimate"] == pytest.approx(f["estimate"], rel=1e-9), f["r_call"]
        assert got[f["area"]]["se"] == pytest.approx(f["se"], rel=1e-8), f["r_call"]
    assert isinstance(src.design, Design)


def test_antofagasta_colombians_suppressed_at_30():
    """With the profile's default min_n = 30, the 21 (2020) Colombians of Antofagasta give no published value."""
    src = load_survey("enusc_2020")
    res = compute_survey(src, "COL", "CHL", indicators=[load()[i] for i in LABOUR], disaggregations=("region",))
    anto = [r for r in res.table.to_pylist() if r["population"] == "corridor" and r["disaggregation_value"] == "CL-AN"]
    assert len(anto) == 3 and all(r["suppressed"] and r["suppression_reason"] == "primary_min_n" for r in anto)
    assert all(r["estimate"] is None and r["n"] is None for r in anto)
