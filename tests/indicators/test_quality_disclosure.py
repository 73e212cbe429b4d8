"""Every survey estimate has a quality label by the chosen scheme; small cells are suppressed."""

from __future__ import annotations

import pytest

from corridor.indicators import compute_survey, get, load_survey


@pytest.fixture(scope="module")
def by_region(synthetic):
    inds = [get("unemployment_rate"), get("health_insurance_coverage")]
    return compute_survey(synthetic, "COL", "CHL", indicators=inds, disaggregations=("region",), min_n=30).table.to_pylist()


def test_labels_follow_ine_rule_for_proportions(by_region) -> None:
    """INE Chile 2020 (calidad 'chile'): n >= 60 and df >= 9, then SE <= p^(2/3)/9 (p <= 0.5) -> reliable."""
    checked = 0
    for r in by_region:
        if r["status"] != "ok" or r["suppressed"] or r["population"] == "gap":
            continue
        assert r["quality_scheme"] == "chile"
        p, se = r["estimate"] / 100, r["se"] / 100
        if r["n"] < 60 or r["df"] < 9:
            expected = "non_reliable"
        elif 0 < p < 1:
            bound = (p if p <= 0.5 else 1 - p) ** (2 / 3) / 9
            expected = "reliable" if se <= bound else "weakly_reliable"
        else:
            continue
        assert r["quality"] == expected, r
        checked += 1
    assert checked > 50


def test_small_cells_suppressed_with_values_removed(by_region) -> None:
    cells = [r for r in by_region if r["status"] == "ok" and r["population"] != "gap"]
    primary = [r for r in cells if r["suppression_reason"] == "primary_min_n"]
    assert primary, "the synthetic sample has regions with fewer than 30 Colombians"
    assert all(r["estimate"] is None and r["se"] is None and r["n"] is None for r in primary)
    assert all(not r["suppressed"] for r in cells if r["n"] is not None and r["n"] >= 30 and r["suppression_reason"] is None)


def test_no_margin_reveals_a_single_suppressed_cell(by_region) -> None:
    """Regions of one population and indicator add up to its national total: never exactly one hidden cell."""
    groups: dict[tuple, list[bool]] = {}
    for r in by_region:
        if r["status"] != "ok" or r["population"] == "gap":
            continue
        key = (r["indicator"], r["population"], r["level"])
        groups.setdefault(key, []).append(bool(r["suppressed"]))
    for key, flags in groups.items():
        assert sum(flags) != 1, key


def test_gap_suppressed_when_a_side_is(by_region) -> None:
    side = {(r["indicator"], r["population"], r["disaggregation_value"], r["level"]): r["suppressed"] for r in by_region
            if r["population"] in ("corridor", "natives")}
    for r in by_region:
        if r["population"] == "gap" and r["status"] == "ok":
            k = (r["indicator"], r["disaggregation_value"], r["level"])
            if side[(k[0], "corridor", k[1], k[2])] or side[(k[0], "natives", k[1], k[2])]:
                assert r["suppressed"] and r["estimate"] is None


def test_eclac_scheme(synthetic) -> None:
    res = compute_survey(synthetic, "COL", "CHL", indicators=[get("unemployment_rate")], disaggregations=(), scheme="eclac_2023")
    rows = [r for r in res.table.to_pylist() if r["status"] == "ok"]
    assert {r["quality"] for r in rows if r["population"] != "gap"} <= {"reliable", "weakly_reliable", "non_reliable"}
    # gaps are judged by their interval, not by a CV rule
    assert {r["quality"] for r in rows if r["population"] == "gap"} <= {"significant", "not_significant", None}
    assert {r["quality_scheme"] for r in res.table.to_pylist()} == {"eclac_2023"}


def test_eclac_counts_cases_with_the_characteristic(synthetic) -> None:
    """ECLAC's unweighted count of a proportion is the number of sample cases having it (calidad's
    get_unweighted), counted here directly on the microdata."""
    res = compute_survey(synthetic, "COL", "CHL", indicators=[get("uninsured_share")], disaggregations=(), scheme="eclac_2023")
    row = next(r for r in res.table.to_pylist() if r["population"] == "corridor")
    direct = synthetic.relation.filter("migrant_status = 'migrant' AND country_origin = 'COL' AND health_insurance = 'none'")
    assert row["unweighted"] == direct.aggregate("count(*)").fetchall()[0][0]
    assert row["unweighted"] < row["n"]


def test_suppressed_rows_keep_nothing_computed_from_the_hidden_values() -> None:
    """A suppressed cell says only that it is suppressed and why. Its quality label and the criteria
    behind it are computed from the hidden estimate (CV, p's side of 0.5, the SE rule; for a gap, its
    significance and direction), so they go with it. Real data: ENUSC 2020, Venezuelan nationals, whose
    Antofagasta cells (fewer than 30 sampled) and their gaps with Chileans are suppressed."""
    src = load_survey("enusc_2020")
    inds = [get(i) for i in ("labour_force_participation_rate", "employment_to_population_ratio", "unemployment_rate")]
    rows = compute_survey(src, "VEN", "CHL", indicators=inds, disaggregations=("region",)).table.to_pylist()
    hidden = [r for r in rows if r["status"] == "ok" and r["suppressed"]]
    anto = [r for r in hidden if r["disaggregation_value"] == "CL-AN"]
    assert {r["population"] for r in anto} == {"corridor", "gap"} and len(anto) == 6
    derived = ("estimate", "se", "ci_low", "ci_high", "cv", "df", "deff", "n", "unweighted", "quality", "quality_reason",
               "quality_n", "quality_df", "quality_cv", "quality_p_side", "quality_se_bound", "quality_se",
               "quality_deff", "quality_ess", "quality_log_cv", "quality_ci", "quality_components")
    for r in hidden:
        assert r["suppression_reason"] in ("primary_min_n", "secondary") and r["quality_scheme"] == "chile", r
        assert [k for k in derived if r[k] is not None] == [], r
    # cells that are shown keep their label and criteria
    shown = [r for r in rows if r["status"] == "ok" and not r["suppressed"] and r["population"] != "gap"]
    assert shown and all(r["quality"] and r["quality_n"] and r["df"] for r in shown)
