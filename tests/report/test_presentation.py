"""Figures that read right at first sight, and words a Spanish or French reader would write."""

from __future__ import annotations

import re

import pytest

from corridor.i18n.catalogue import entries
from corridor.report.locale import Locale, country_forms, region_of
from corridor.report.render import render_html

from .test_languages import visible

NBSP = "\u00a0"


@pytest.fixture(scope="module")
def pages(profile) -> dict[str, str]:
    return {lang: render_html(profile, lang) for lang in ("es", "fr", "en")}


def _rows(html: str, table_id: str) -> list[list[str]]:
    body = re.search(rf'<table[^>]*id="{table_id}".*?<tbody>(.*?)</tbody>', html, re.DOTALL).group(1)
    return [[re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.DOTALL)]
            for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.DOTALL)]


@pytest.mark.parametrize("lang", ["es", "fr", "en"])
def test_regional_shares_add_up_to_the_headline(profile, pages, lang: str) -> None:
    """The people whose region is not recorded are a row: stocks add up to the headline, shares to 100."""
    html = pages[lang]
    headline = next(r["estimate"] for r in profile.rows(indicator="migrant_stock", population="corridor",
                                                        disaggregation="total", period=profile.period))
    rows = _rows(html, "table-regions")
    loc = Locale(lang)
    stocks = [float(re.sub(r"\D", "", r[1])) for r in rows[:-1]]  # whole persons: the digits are the number
    assert sum(stocks) == pytest.approx(headline)
    assert rows[-1][1] == loc.num(headline) and rows[-2][1] == loc.num(5951)  # the unknown region of 2022
    # each share is over the headline, the unknown region's too, and the total row says 100
    assert [r[3] for r in rows[:-1]] == [loc.pct(100 * s / headline, 1) for s in stocks]
    assert rows[-1][3] == loc.pct(100, 1)
    assert 'id="regions-unknown-note"' in html and loc.num(5951) in html


@pytest.mark.parametrize("lang", ["es", "fr", "en"])
def test_trend_table_by_year_with_what_each_series_counts(profile, pages, lang: str) -> None:
    rows = _rows(pages[lang], "table-trend")
    years = [int(r[0]) for r in rows]
    assert years == sorted(years) and years.index(2018) < years.index(2019)
    note = visible(pages[lang])
    birth, nationality = {"es": ("nacidas en Colombia", "nacionalidad de Colombia"),
                          "fr": ("nées en Colombie", "ressortissants de Colombie"),
                          "en": ("born in Colombia", "Colombian nationals")}[lang]
    assert 'id="trend-basis-note"' in pages[lang]
    legend = re.search(r'data-chart="trend".*?</svg>', pages[lang], re.DOTALL).group(0)
    assert birth in legend and nationality in legend.replace(NBSP, " "), "the legend names what each series counts"
    assert "International Migrant Stock" not in legend
    assert birth in note


def test_percentages_in_one_style_per_language(pages) -> None:
    """76,5 % and CV 10,6 % alike in French (no-break space), 76,5% and CV 10,6% alike in Chilean Spanish."""
    fr, es = visible(pages["fr"]), visible(pages["es"])
    assert re.findall(r"\d%", fr) == [] and re.findall(r"\d %", fr) == []
    assert f"CV 10,6{NBSP}%" in fr and f"76,5{NBSP}%" in fr
    assert re.findall(r"\d[ \u00a0]%", es) == [] and "CV 10,6%" in es and "76,5%" in es
    assert re.findall(r"\w :", fr) == [], "French colons take a no-break space"


def test_wording_of_places_and_people(pages) -> None:
    fr, es, en = (visible(pages[k]).replace(NBSP, " ") for k in ("fr", "es", "en"))
    assert "nées en Colombie vivant au Chili" in fr and "vers le Chili" in fr
    assert "dans la région d'Antofagasta" in fr and "région Antofagasta" not in fr
    assert "Colombian migrants" in en and "Colombia migrants" not in en and "Colombia nationals" not in en
    assert "Migrantes de Colombia" in es and "hacia Chile" in es
    n = {k: Locale(k).num(1000).replace(NBSP, " ") for k in ("es", "fr")}
    assert f"{n['es']} remuestreos" in es and f"{n['fr']} rééchantillonnages" in fr


def test_country_and_region_forms() -> None:
    assert country_forms("PER", "fr")["in"] == "au Pérou" and country_forms("COL", "fr")["in"] == "en Colombie"
    assert country_forms("ECU", "fr")["to"] == "vers l'Équateur" and country_forms("USA", "fr")["of"] == "des États-Unis"
    assert country_forms("HTI", "fr")["in"] == "à Haïti" and country_forms("MEX", "fr")["in"] == "au Mexique"
    assert country_forms("VEN", "es")["people"] == "de Venezuela" and country_forms("VEN", "en")["people"] == "Venezuelan"
    assert country_forms("USA", "en")["in"] == "in the United States"
    assert region_of("Antofagasta", "fr") == "d'Antofagasta" and region_of("Maule", "fr") == "du Maule"
    assert Locale("fr").pct(76.54) == f"76,5{NBSP}%" and Locale("es").pct(76.54) == "76,5%"


@pytest.mark.parametrize("lang", ["es", "fr"])
def test_standards_translated(profile, pages, lang: str) -> None:
    """The definitions table's standard column reads in the page's language."""
    rows = _rows(pages[lang], "table-definitions")
    standards = {r[1] for r in rows}
    assert not standards & {i.standard for i in profile.catalogue.values()}
    assert any(("OIT" in s) for s in standards)


def test_catalogue_standards_follow_the_definitions(profile) -> None:
    """An indicator's standard in the catalogue is its definition's: a changed standard needs its translation again."""
    template = entries("en")
    for ind in profile.catalogue.values():
        assert template[f"profile.standards.{ind.id}"].source == ind.standard, ind.id


@pytest.mark.parametrize("lang", ["es", "fr"])
def test_unavailable_concepts_named_in_words(pages, lang: str) -> None:
    text = visible(pages[lang])
    assert "years_since_arrival" not in text and "labour_income" not in text
    assert {"es": "años desde la llegada", "fr": "années depuis l'arrivée"}[lang] in text.replace(NBSP, " ")
    # what the source lacks is a list of variables, not a noun without its article ("ne contient pas années")
    assert {"es": "(variables que la fuente no tiene: ", "fr": "(variables absentes de la source : "}[lang] in text.replace(NBSP, " ")
    assert "ne contient pas années" not in text and "no tiene años" not in text


def test_permits_source_in_the_page_language(pages) -> None:
    assert "residence permits 2023, open data" not in visible(pages["es"])
    assert "residence permits 2023, open data" not in visible(pages["fr"])


@pytest.mark.parametrize(("lang", "label"), [("es", "Ingreso laboral mensual mediano (CLP)"),
                                             ("fr", "Revenu mensuel médian du travail (CLP)"),
                                             ("en", "Median monthly labour income (CLP)")])
def test_money_rows_name_the_currency_once_and_the_period_once(lang: str, label: str) -> None:
    """'Ingreso laboral mensual mediano (CLP, al mes)' said 'monthly' twice."""
    from corridor.indicators import catalogue
    from corridor.report.survey_sections import row_label

    ind = catalogue.get("median_labour_income")
    assert ind.unit == "currency_month"
    assert row_label(ind, Locale(lang), None, "CLP") == label
