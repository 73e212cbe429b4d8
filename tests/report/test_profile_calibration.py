"""`corridor profile --calibrate ine`: the survey raked to INE projections and INE/SERMIG nationality totals,
stated in the methods section in es/fr/en with the weights before and after."""

from __future__ import annotations

import re
from html import unescape

import pytest

import corridor as cr
from corridor.calibration import official
from corridor.indicators.survey import calibrated, load_survey
from corridor.report import build_profile
from corridor.report.render import render_html


@pytest.fixture(scope="module")
def profile():
    return build_profile("COL", "CHL", calibrate="ine", disaggregations=("sex",))


def test_methods_section_states_the_calibration_in_three_languages(profile) -> None:
    cal = profile.extra["calibration"]
    assert cal["method"] == "raking" and cal["converged"]
    assert cal["weights"]["after"]["sum"] == pytest.approx(19_828_563, rel=1e-9)  # INE projection, Chile 2022
    words = {"es": ("Pesos de la encuesta calibrados", "raking generalizado", "Pesos calibrados"),
             "fr": ("Poids d'enquête calés", "raking généralisé", "Poids calés"),
             "en": ("Calibrated survey weights", "generalised raking", "Calibrated weights")}
    for lang, (title, method, row) in words.items():
        html = unescape(render_html(profile, lang))
        assert title in html and method in html and row in html
        table = re.search(r'<table class="data" id="table-calibration">(.*?)</table>', html, re.DOTALL).group(1)
        assert table.count("<tr>") == 3  # header, before, after
        assert "INE/SERMIG" in html


def test_a_profile_without_calibration_says_nothing_of_it() -> None:
    p = build_profile("COL", "CHL", disaggregations=("sex",))
    assert p.extra["calibration"] is None
    assert "table-calibration" not in render_html(p, "en")


def test_the_calibrated_survey_meets_the_official_totals() -> None:
    survey, cal = calibrated(load_survey(None), "ine")
    res = cr.estimate(survey.relation, survey.design, cr.Total("country_citizenship", categorical=True))
    want = {r["level"]: r["total"] for r in official.nationality(2022, official.countries_in(survey.relation))}
    for row in res.to_pylist():
        assert row["estimate"] == pytest.approx(want[row["level"]], rel=1e-7)
    assert cal.weights["after"]["g_min"] > 0


def test_enusc_weights_are_kept_and_the_methods_say_so(profile) -> None:
    """ENUSC's weights expand to the urban population 15+: --calibrate ine leaves them as published
    (coverage registry: calibrate: false) and the methods paragraph names them; the synthetic
    sample feeding health and poverty is the survey calibrated."""
    assert profile.extra["calibration_sources"] == [s["title"].removesuffix(" — SYNTHETIC") for s in profile.sources
                                                    if s.get("synthetic") and s.get("sections")]
    kept = profile.extra["calibration_kept"]
    assert len(kept) == 2 and all("ENUSC" in k for k in kept)
    words = {"es": "No recalibradas", "fr": "Non recalées", "en": "Not recalibrated"}
    for lang, word in words.items():
        html = unescape(render_html(profile, lang))
        assert word in html and all(k in html for k in kept)
