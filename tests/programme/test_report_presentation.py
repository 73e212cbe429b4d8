"""How the programme report reads in Spanish and French: labels in the language, words instead of codes,
counts in the singular or plural, signed percentages with the typographic minus, section numbers that
match the contents, progress charts wide enough to read with an axis, headers that do not collide."""

from __future__ import annotations

import datetime as dt
import html
import re
import subprocess

import pytest

from corridor.programme import db as dbm
from corridor.programme.iati import export_iati
from corridor.programme.report import MINUS, Fmt, _chart, _ticks, render_html, write_report

from .conftest import programme
from .test_report_browser import _chromium

NOW = dt.datetime(2026, 12, 4, 10, 0, 0)


@pytest.fixture(scope="module")
def pages(demo_module):
    with dbm.session_scope(demo_module) as s:
        return {lang: render_html(programme(s), lang, now=NOW, today=NOW.date(), by_sdg=True)
                for lang in ("es", "fr", "en")}


@pytest.mark.parametrize(("lang", "label"), [("es", "SINTÉTICO"), ("fr", "SYNTHÉTIQUE"), ("en", "SYNTHETIC")])
def test_running_header_and_labels_of_simulated_data_are_in_the_language(pages, lang, label):
    page = pages[lang]
    assert f'@top-center {{ content: "{label}"' in page
    assert f'<span class="syn">{label}</span>' in page
    if lang != "en":
        # the English label is left only inside file names (values_SYNTHETIC.csv) and the banner's reference to them
        bare = re.sub(r"\w*_SYNTHETIC\.\w+|\(SYNTHETIC\)", "", page)
        assert ">SYNTHETIC<" not in bare and '"SYNTHETIC"' not in bare


@pytest.mark.parametrize(("lang", "source", "area"), [
    ("es", "muestra SINTÉTICA de encuesta de hogares", "Antofagasta"),
    ("fr", "échantillon SYNTHÉTIQUE d'enquête auprès des ménages", "Antofagasta"),
])
def test_evidence_names_its_series_population_area_and_source_in_the_language(pages, lang, source, area):
    table = html.unescape(pages[lang].split('id="evidence-table"')[1].split("</table>")[0])
    assert source in table and "household-survey sample" not in table
    assert f"<td>{area}</td>" in table and "<td>CL-AN</td>" not in table and "<td>corridor</td>" not in table
    # the series by its name, its id kept as code beside it
    assert re.search(r"<td>[^<]+<br><code class=\"code small\">uninsured_\u200bshare</code></td>", table)


def test_codes_read_as_words(pages):
    es, fr = html.unescape(pages["es"]), html.unescape(pages["fr"])
    assert "(Región: Antofagasta): ≥ 120 personas" in es and "Región: CL-AN" not in es
    assert "Técnico/a en enfermería" in es and ">nursing_technician<" not in es
    assert "Aide-soignant/e" in fr and "Nationalité\u00a0: Colombie" in fr
    assert "COL → CHL" not in es and "Colombia → Chile" in es


@pytest.mark.parametrize(("lang", "one", "many"), [("es", "1 persona", "2 personas"), ("fr", "1 personne", "2 personnes"),
                                                    ("en", "1 person", "2 persons")])
def test_counts_take_the_singular_or_plural(lang, one, many):
    f = Fmt(lang)
    assert f.value(1, "persons") == one and f.value(2, "persons") == many
    assert f.value(1, "sessions") != f.value(2, "sessions").replace("2", "1")


@pytest.mark.parametrize(("lang", "text"), [("es", "67% (de −23% a 156%)"),
                                            ("fr", "67\u00a0% (de −23\u00a0% à 156\u00a0%)"),
                                            ("en", "67% (−23% to 156%)")])
def test_progress_interval_uses_the_minus_sign_and_the_locales_percent(lang, text):
    from corridor.i18n import t

    f = Fmt(lang)
    assert f.pct(-0.23).startswith(MINUS) and "-" not in f.pct(-0.23)
    assert t("programme.progress_range", lang, value=f.pct(0.67), low=f.pct(-0.23), high=f.pct(1.56)) == text
    assert f.number(-2.5, "points") == f"{MINUS}2,5" if lang != "en" else f"{MINUS}2.5"


def test_headings_carry_the_numbers_of_the_contents(pages):
    for page in pages.values():
        toc = re.findall(r'<li value="(\d+)"><a href="#([a-z_]+)">([^<]+)</a>', page)
        assert len(toc) >= 12
        for number, anchor, title in toc:
            section = page.split(f'<section id="{anchor}">', 1)[1]
            heading = re.search(r"<h2>([^<]+)", section).group(1)
            assert heading.startswith(f"{number}. {title}"), (anchor, heading)


def test_progress_charts_are_wide_with_a_labelled_axis(pages):
    charts = re.findall(r'<svg class="progress-chart" width="(\d+)".*?</svg>', pages["es"], flags=re.DOTALL)
    assert charts and all(int(w) >= 140 for w in charts)
    svg = re.search(r'<svg class="progress-chart".*?</svg>', pages["es"], flags=re.DOTALL).group(0)
    labels = re.findall(r"<text[^>]*>([^<]+)</text>", svg)
    assert len(labels) >= 2 and "escala de" in svg


def test_axis_ticks_are_round_and_inside_the_range():
    for lo, hi in ((0, 3400), (-0.3, 1.7), (7.1, 11.9), (95, 96)):
        ticks = _ticks(lo, hi)
        assert 2 <= len(ticks) <= 3 and all(lo <= x <= hi for x in ticks)


def test_chart_without_a_formatter_still_has_ticks():
    from corridor.programme.progress import Progress

    fields = {f: None for f in Progress.__dataclass_fields__}
    p = Progress(**{**fields, "indicator": "X", "actual": 5.0, "ci_low": 4.0, "ci_high": 6.0, "target": 8.0,
                    "baseline": 0.0, "status": "met", "unit": "points"})
    assert _chart(p)["ticks"]


def test_progress_table_has_no_separate_interval_column(pages):
    head = pages["fr"].split('id="progress-table"')[1].split("</thead>")[0]
    assert head.count("<th ") == 9


@pytest.mark.browser
def test_progress_headers_do_not_overflow_their_cells(demo_sqlite, tmp_path):
    """In Chromium at A4 landscape width, no header of the progress table is wider than its cell."""
    exe = _chromium()
    probe = ("<script>document.addEventListener('DOMContentLoaded', () => {"
             "const bad = [...document.querySelectorAll('#progress-table th, #progress-table td')]"
             ".filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.textContent.trim().slice(0, 40));"
             "document.body.setAttribute('data-overflow', JSON.stringify(bad));});</script></body>")
    with dbm.session_scope(demo_sqlite) as s:
        for lang in ("es", "fr"):
            f = write_report(programme(s), tmp_path, lang, pdf=False)
            f.html.write_text(f.html.read_text(encoding="utf-8").replace("</body>", probe), encoding="utf-8")
            run = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1123,794",
                                  "--dump-dom", f.html.as_uri()], capture_output=True, text=True, timeout=120, check=False)
            found = re.search(r'data-overflow="([^"]*)"', run.stdout)
            assert found, run.stderr[-1000:]
            assert found.group(1).replace("&quot;", '"') == "[]", (lang, found.group(1))


@pytest.mark.parametrize("lang", ["es", "fr"])
def test_iati_comments_read_in_the_exports_language(demo_sqlite, lang):
    with dbm.session_scope(demo_sqlite) as s:
        xml = export_iati(programme(s), lang=lang, now=NOW).decode("utf-8")
    first = re.findall(r"<comment>\s*<narrative>([^<]+)</narrative>", xml)
    assert first
    for text in first:
        assert "household-survey" not in text and "partner entries" not in text and "SYNTHETIC" not in text
    assert any(re.search(r"\d,\d", text) for text in first)  # decimal commas in es and fr


def test_a_source_that_says_synthetic_gets_no_second_label(pages):
    table = pages["es"].split('id="evidence-table"')[1].split("</table>")[0]
    assert "SINTÉTICO</span> muestra SINTÉTICA" not in table and "muestra SINTÉTICA" in table


@pytest.mark.parametrize("lang", ["es", "fr", "en"])
def test_report_and_profile_write_numbers_and_dates_alike(lang):
    """One mapping of languages to CLDR locales (es_CL, fr_FR, en_GB) for every output: the programme report's
    percentages, counts, decimals and dates read as the profile's (the report used es/fr/en: "18,1 %" beside the
    profile's "18,1%" in Spanish, "July 9, 2015" beside "9 July 2015" in English)."""
    import datetime as dt

    from corridor.report.locale import Locale

    f, loc = Fmt(lang), Locale(lang)
    assert f.number(18.1, "percent") == loc.pct(18.1)
    assert f.number(1234567, "persons") == loc.num(1234567)
    assert f.number(2.5, "points") == loc.num(2.5, 1)
    assert f.date(dt.date(2015, 7, 9)) == loc.today(dt.date(2015, 7, 9))
