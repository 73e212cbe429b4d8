"""The profile's model-based comuna section: rows, benchmark, labels, disclosure control, page context in es/fr/en."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from corridor import datasets
from corridor.report import small_areas_section as section
from corridor.report.locale import Locale

TRUTH = Path(datasets.root()) / "synthetic_comuna_sample" / "synthetic_comuna_truth_SYNTHETIC.csv"


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return section.comuna_rows()


def test_applies_only_where_the_data_are() -> None:
    assert section.applies("COL", "CHL", "CL-AN")
    assert not section.applies("VEN", "CHL", "CL-AN") and not section.applies("COL", "CHL", "CL-RM")


def test_rows_direct_and_model(rows: list[dict]) -> None:
    direct = [r for r in rows if r["source_kind"] == "survey"]
    model = [r for r in rows if r["source_kind"] == "model"]
    assert len(direct) == 7 and len(model) == 9  # Sierra Gorda and Ollagüe have no sample
    assert all(r["synthetic"] and r["indicator"] == "share_born_in_origin" and r["area"] == "CL-AN" for r in rows)
    by_code = {r["disaggregation_value"]: r for r in direct}
    # the profile's disclosure control: fewer than 30 cases, then the cell that would reveal it
    assert by_code["2302"]["suppressed"] and by_code["2302"]["suppression_reason"] == "primary_min_n"
    assert by_code["2101"]["quality"] == "reliable" and not by_code["2101"]["suppressed"]
    for r in model:
        assert r["quality_reason"].startswith("model_cv")
        assert 0 <= r["ci_low"] <= r["estimate"] <= r["ci_high"] <= 100
    assert {r["disaggregation_value"] for r in model if "synthetic" in r["note"]} == {"2103", "2202"}


def test_benchmark_holds_the_region(rows: list[dict]) -> None:
    result, region, _ = section.model()
    pops = {r["comuna"]: r["population"] for r in section.auxiliaries().to_pylist()}
    total = sum(pops.values())
    weighted = sum(pops[r["disaggregation_value"]] / total * r["estimate"] for r in rows if r["source_kind"] == "model")
    assert weighted == pytest.approx(100 * region.to_pylist()[0]["estimate"], rel=1e-12)
    assert result.fit["converged"] and result.fit["transform"] == "arcsin" and result.fit["reps"] == section.REPS


def test_model_intervals_against_the_synthetic_truth(rows: list[dict]) -> None:
    """The sample was drawn from known shares: the model's 95% intervals hold all 9 (seeded, fixed)."""
    with TRUTH.open(encoding="utf-8") as fh:
        truth = {r["comuna"]: 100 * float(r["born_colombia_share_true"]) for r in csv.DictReader(fh)}
    held = [r["ci_low"] <= truth[r["disaggregation_value"]] <= r["ci_high"] for r in rows if r["source_kind"] == "model"]
    assert all(held)


@pytest.mark.parametrize(("lang", "origin", "title", "legend"), [
    ("es", "Colombia", "Por comuna", "Estimación directa (encuesta)"),
    ("fr", "Colombie", "Par commune", "Estimation directe (enquête)"),
    ("en", "Colombia", "By comuna", "Direct estimate (survey)"),
])
def test_page_context_in_each_language(lang: str, origin: str, title: str, legend: str) -> None:
    ctx = section.comunas_context(Locale(lang), origin)
    assert ctx["title"].startswith(title) and len(ctx["rows"]) == 9
    assert legend in ctx["chart"] and "<title" in ctx["chart"]
    assert ctx["rows"][0]["name"] == "Antofagasta" and ctx["rows"][-1]["direct"] == "—"
    text = " ".join([ctx["text"], ctx["synthetic"], *ctx["method"], *ctx["columns"].values(),
                     *(v for r in ctx["rows"] for v in r.values())])
    if lang != "en":
        for english in ("Direct estimate", "Model estimate", "no sample", "suppressed", "reliable", "Benchmarked"):
            assert english not in text, english


@pytest.fixture(scope="module")
def profile_with_comunas():
    from corridor.report import build_profile

    return build_profile("COL", "CHL", disaggregations=("sex",), small_areas=True)


def test_profile_with_small_areas(profile_with_comunas) -> None:
    from corridor.report.render import render_html

    p = profile_with_comunas
    assert p.extra["small_areas"] is True
    model = p.rows(indicator="share_born_in_origin", source_kind="model")
    assert len(model) == 9 and all(r["synthetic"] for r in model)
    for lang, title in (("es", "Por comuna (estimaciones basadas en modelos)"), ("fr", "Par commune")):
        html = render_html(p, lang)
        sec = html[html.index('id="sec-small-areas"'):]
        sec = sec[: sec.index("</section>")]
        assert title in sec and 'id="fig-comunas-model"' in sec and sec.count("<tr>") == 10
        assert "SYNTHETIC" not in sec or lang == "en"


def test_profile_asked_where_no_data_cover_it(profile_with_comunas) -> None:
    from dataclasses import replace

    from corridor.report.render import render_html

    other = replace(profile_with_comunas, extra={**profile_with_comunas.extra, "small_areas": False})
    html = render_html(other, "fr")
    sec = html[html.index('id="sec-small-areas"'):]
    assert "Aucune enquête fournie avec corridor" in sec[: sec.index("</section>")]
    plain = replace(profile_with_comunas, extra={**profile_with_comunas.extra, "small_areas": None})
    assert 'id="sec-small-areas"' not in render_html(plain, "en")
