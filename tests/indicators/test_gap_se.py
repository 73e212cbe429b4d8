"""The gap (corridor migrants minus natives) and its SE are the engine's compare() on the same estimates."""

from __future__ import annotations

import pytest

import corridor as cr
from corridor.engine import get_engine
from corridor.indicators import compute_survey, get


@pytest.fixture(scope="module")
def result(synthetic):
    inds = [get("unemployment_rate"), get("uninsured_share"), get("years_since_arrival")]
    eng = get_engine()
    res = compute_survey(synthetic, "COL", "CHL", indicators=inds, disaggregations=("sex",), engine=eng)
    return res, eng


def _direct(synthetic):
    """The same gap written by hand: a 0/1 column over the labour force, the engine's compare()."""
    rel = synthetic.relation.project(
        "weight, strata, psu, sex, "
        "CASE WHEN migrant_status = 'migrant' AND country_origin = 'COL' THEN 'col' "
        "WHEN migrant_status = 'native' THEN 'nat' ELSE 'other' END AS grp, "
        "CASE WHEN age >= 15 AND labour_status IN ('employed', 'unemployed') "
        "THEN (labour_status = 'unemployed')::INT END AS u")
    est = cr.estimate(rel, synthetic.design, cr.Proportion("u", level=1), by=["grp", "sex"], na="drop", covariance=True)
    return est, est.compare("grp", "col", "nat")


def test_gap_equals_compare(result, synthetic) -> None:
    res, _ = result
    _est, gap = _direct(synthetic)
    rows = res.table.to_pylist()
    for g in gap.table.to_pylist():
        mine = next(r for r in rows if r["indicator"] == "unemployment_rate" and r["population"] == "gap"
                and r["disaggregation"] == "sex" and r["disaggregation_value"] == g["sex"])
        if mine["suppressed"]:
            continue
        assert mine["estimate"] == pytest.approx(100 * g["estimate"], rel=1e-10)   # percent points
        assert mine["se"] == pytest.approx(100 * g["se"], rel=1e-10)
        assert mine["ci_low"] == pytest.approx(100 * g["ci_low"], rel=1e-10)


def test_gap_se_is_not_the_independent_sum(result, synthetic) -> None:
    """The covariance term is used: var(a - b) = var(a) + var(b) - 2 cov(a, b)."""
    est, gap = _direct(synthetic)
    t = est.table.to_pylist()
    for g in gap.table.to_pylist():
        a = next(r for r in t if r["grp"] == "col" and r["sex"] == g["sex"])
        b = next(r for r in t if r["grp"] == "nat" and r["sex"] == g["sex"])
        i, j = t.index(a), t.index(b)
        var = est.vcov[i, i] + est.vcov[j, j] - 2 * est.vcov[i, j]
        assert g["se"] ** 2 == pytest.approx(var, rel=1e-10)


def test_three_populations_and_no_gap_for_migrant_only_indicators(result) -> None:
    res, _ = result
    pops = {(r["indicator"], r["population"]) for r in res.table.to_pylist() if r["disaggregation"] == "total"}
    assert {("unemployment_rate", p) for p in ("corridor", "migrants", "natives", "gap")} <= pops
    assert ("years_since_arrival", "corridor") in pops and ("years_since_arrival", "migrants") in pops
    assert ("years_since_arrival", "natives") not in pops and ("years_since_arrival", "gap") not in pops


def test_batched_scans(result) -> None:
    """Indicators sharing the design share one grouped scan, all disaggregations and both
    population splits (corridor/native, migrant status) included."""
    res, _eng = result
    assert res.scans == 1


def test_age_bands_respect_the_universe(synthetic) -> None:
    """Working-age indicators have no 0-14 band; indicators of persons 25+ start at 25-44."""
    res = compute_survey(synthetic, "COL", "CHL", indicators=[get("unemployment_rate"), get("education_level")],
                         disaggregations=("age_band",))
    bands = {}
    for r in res.table.to_pylist():
        if r["disaggregation"] == "age_band":
            bands.setdefault(r["indicator"], set()).add(r["disaggregation_value"])
    assert bands["unemployment_rate"] == {"15-24", "25-44", "45-64", "65+"}
    assert bands["education_level"] == {"25-44", "45-64", "65+"}


def test_region_subpopulation_equals_region_domain(synthetic) -> None:
    """A region as a subpopulation (full design kept) gives the same estimate and SE as the region's
    domain in a national run, as R's svyby(~y, ~region) and subset(design, region == ...) agree."""
    ind = [get("uninsured_share")]
    sub = compute_survey(synthetic, "COL", "CHL", indicators=ind, disaggregations=(), region="CL-RM", min_n=1)
    dom = compute_survey(synthetic, "COL", "CHL", indicators=ind, disaggregations=("region",), min_n=1)
    a = {r["population"]: r for r in sub.table.to_pylist() if r["disaggregation"] == "total"}
    b = {r["population"]: r for r in dom.table.to_pylist() if r["disaggregation_value"] == "CL-RM"}
    for pop in ("corridor", "natives", "gap"):
        assert a[pop]["estimate"] == pytest.approx(b[pop]["estimate"], rel=1e-10)
        assert a[pop]["se"] == pytest.approx(b[pop]["se"], rel=1e-10)
        assert a[pop]["area"] == b[pop]["area"] == "CL-RM"
