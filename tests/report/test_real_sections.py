"""The profile's real-data sections: labour market and migration history from ENUSC 2019/2020, comunas.

COL -> CHL (the default profile, shipped data only): the labour section shows, for Chile and
Antofagasta and for 2019 and 2020 side by side, Colombian nationals, all foreign nationals,
Chilean nationals and the gap, each cell with its n, CV and INE quality label (or "—" and why);
it carries no synthetic banner; Antofagasta's Colombian cells are suppressed and the page says so
in a sentence. The synthetic banner stays on the health and poverty sections (and the disease
burden) and the page's banner names exactly those sections.
"""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from corridor.quality import render_label
from corridor.report.locale import messages


def _section(html: str, sid: str) -> str:
    m = re.search(rf'<section id="{sid}"(.*?)</section>', html, flags=re.DOTALL)
    assert m, sid
    return m.group(0)


@pytest.mark.parametrize("lang", ["es", "fr", "en"])
def test_labour_section_is_real_with_n_cv_labels(outputs, lang):
    html = outputs[lang]["html"].read_text(encoding="utf-8")
    msgs = messages(lang)
    labour = _section(html, "sec-labour")
    assert "is-real" in labour and "synthetic" not in labour.split("</h2>")[0] and "synthetic-banner" not in labour
    assert "Encuesta Nacional Urbana de Seguridad Ciudadana (ENUSC) 2020" in labour and 'lang="es"' in labour
    national = re.search(r'<table class="data indicators" id="table-labour">.*?</table>', labour, flags=re.DOTALL).group(0)
    assert re.search(r'<th class="num">2019</th><th class="num">2020</th>', national)
    corridor = re.findall(r'<tr data-indicator="employment_to_population_ratio" data-group="corridor">(.*?)</tr>',
                          national, flags=re.DOTALL)[0]
    cells = re.findall(r'<td class="num q-([a-z-]+)" data-period="(\d+)">(.*?)</td>', corridor, flags=re.DOTALL)
    assert [c[1] for c in cells] == ["2019", "2020"]
    for qclass, _, body in cells:      # estimate, interval, n and CV, quality label with its rule
        assert 'class="ci"' in body and "n = " in body and "CV" in body
        assert render_label(qclass.replace("-", "_"), lang) in body
    assert "n = 141" in cells[1][2] and "n = 127" in cells[0][2]     # ENUSC: 141 (2020) and 127 (2019) Colombian nationals
    assert str(escape(msgs["group_nationals"].format(country="Colombia" if lang != "fr" else "Colombie"))) in national
    region = re.search(r'<table class="data indicators" id="table-labour-region">.*?</table>\s*<p class="plain">(.*?)</p>',
                       labour, flags=re.DOTALL)
    assert region and "q-suppressed" in region.group(0)
    assert str(escape(msgs["plain_all_suppressed"].split("{group}")[1].split("{min_n}")[0].strip(" ."))) in region.group(1)


@pytest.mark.parametrize("lang", ["es", "fr", "en"])
def test_synthetic_banner_only_where_synthetic(outputs, lang):
    html = outputs[lang]["html"].read_text(encoding="utf-8")
    msgs = messages(lang)
    for sid in ("sec-health", "sec-poverty"):
        sec = _section(html, sid)
        assert "is-synthetic" in sec and str(escape(msgs["section_synthetic_banner"])) in sec
    for sid in ("sec-labour", "sec-migration", "sec-comunas", "stock", "regions", "who"):
        assert "synthetic-banner" not in _section(html, sid), sid
    banner = re.search(r'<p class="synthetic-banner" id="synthetic-banner"[^>]*>(.*?)</p>', html, flags=re.DOTALL).group(1)
    sections = ", ".join(msgs[k] for k in ("sec_health", "sec_poverty", "sec_burden"))
    assert str(escape(msgs["synthetic_banner"].format(sections=sections))) == banner
    assert msgs["sec_labour"] not in banner


def test_labour_rows_in_the_table(profile):
    rows = [r for r in profile.table.to_pylist() if r["indicator"] == "unemployment_rate" and r["disaggregation"] == "total"]
    assert {(r["period"], r["population"]) for r in rows} == {(y, p) for y in (2019, 2020)
                                                              for p in ("corridor", "migrants", "natives", "gap")}
    assert all(not r["synthetic"] and r["source_kind"] == "survey" and r["quality_scheme"] == "chile" for r in rows)


@pytest.mark.parametrize(("lang", "count"), [("es", "15.752"), ("fr", "15\u202f752"), ("en", "15,752")])
def test_comuna_context(outputs, lang, count):
    html = outputs[lang]["html"].read_text(encoding="utf-8")
    sec = _section(html, "sec-comunas")
    antofagasta = re.search(r'<tr data-comuna="2101"><td>Antofagasta</td>(.*?)</tr>', sec).group(1)
    assert f'<td class="num">{count}</td>' in antofagasta                       # census 2017, born in Colombia
    assert {"es": "11,6%", "fr": "11,6\u00a0%", "en": "11.6%"}[lang] in antofagasta  # CASEN 2022 foreign nationals
    assert 'data-comuna="2202"><td>Ollagüe</td>' in sec                           # name from FONASA's table
    assert "Censo de Población y Vivienda 2017" in sec and "Casen" in sec
