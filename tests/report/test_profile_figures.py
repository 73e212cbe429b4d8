"""The profile shows INE/SERMIG's published stocks exactly, formatted for each language.

Published: INE/SERMIG, "Estimación de personas extranjeras residentes habituales en Chile al 31 de
diciembre de 2022", Tabla 4: Colombians in Chile 189,524 and in Antofagasta 32,842 (2022);
UN DESA International Migrant Stock 2019: Colombia -> Chile 120,626.
"""

from __future__ import annotations

import re

import pytest

FORMATTED = {
    "es": ("189.524", "32.842", "120.626"),
    "fr": ("189\u202f524", "32\u202f842", "120\u202f626"),
    "en": ("189,524", "32,842", "120,626"),
}


def _card(html: str, figure: str) -> str:
    m = re.search(rf'data-figure="{figure}"><span class="big">([^<]+)</span>', html)
    assert m, figure
    return m.group(1)


@pytest.mark.parametrize("lang", ["es", "fr", "en"])
def test_key_figures(outputs, lang: str) -> None:
    html = outputs[lang]["html"].read_text(encoding="utf-8")
    chile, antofagasta, undesa = FORMATTED[lang]
    assert _card(html, "stock") == chile
    assert _card(html, "stock-region") == antofagasta
    assert _card(html, "undesa") == undesa
    assert re.search(rf'data-region="CL-AN"><td>Antofagasta</td><td class="num">{antofagasta}</td>', html)


def test_table_holds_the_published_values(profile) -> None:
    stock = {(r["period"], r["disaggregation_value"]): r["estimate"]
             for r in profile.rows(indicator="migrant_stock", population="corridor") if r["source"].startswith("INE")}
    assert stock[(2022, "_T")] == 189_524
    assert stock[(2022, "CL-AN")] == 32_842
    assert stock[(2018, "_T")] == 153_076


@pytest.mark.parametrize("lang", ["es", "fr", "en"])
def test_every_chart_names_its_source(outputs, lang: str) -> None:
    html = outputs[lang]["html"].read_text(encoding="utf-8")
    figures = re.findall(r"<figure id=\"([^\"]+)\">(.*?)</figure>", html, flags=re.DOTALL)
    assert {f for f, _ in figures} >= {"fig-trend", "fig-regions", "fig-pyramid", "fig-gaps-labour"}
    for fid, body in figures:
        assert "<svg" in body, fid
        assert re.search(r'<figcaption class="source">(Fuente|Source)', body), fid


@pytest.mark.parametrize(("lang", "word"), [("es", "DATOS SINTÉTICOS"), ("fr", "DONNÉES SYNTHÉTIQUES"), ("en", "SYNTHETIC DATA")])
def test_synthetic_label_on_page(outputs, lang: str, word: str) -> None:
    html = outputs[lang]["html"].read_text(encoding="utf-8")
    assert word in html
    assert html.count('class="synthetic-tag"') >= 4   # on every survey section and in the sources


@pytest.mark.parametrize(("lang", "name"), [("es", "Colombia"), ("fr", "Colombie"), ("en", "Colombia")])
def test_country_names_in_language(outputs, lang: str, name: str) -> None:
    html = outputs[lang]["html"].read_text(encoding="utf-8")
    assert f"<html lang=\"{lang}\">" in html
    assert name in html


def test_self_contained(outputs) -> None:
    html = outputs["en"]["html"].read_text(encoding="utf-8")
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<link" not in html and "<script" not in html
