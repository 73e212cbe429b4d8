"""The programme report renders in es, fr and en, as HTML and PDF."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest

from corridor.errors import SpecError
from corridor.programme import db as dbm
from corridor.programme.report import messages, render_html, write_report

from .conftest import programme

NOW = dt.datetime(2026, 12, 4, 10, 0, 0)
SIGNED = {"es": "9 de julio de 2015", "fr": "9 juillet 2015", "en": "9 July 2015"}
HEADINGS = {"es": ("Matriz de resultados", "Aún no demostrada", "Compromisos", "Desviada", "En camino", "vencido",
                   "Supuestos y riesgos", "Períodos de informe y aprobación", "cerrado", "Finanzas"),
            "fr": ("Matrice des résultats", "Pas encore démontrée", "Engagements", "En retard sur la trajectoire",
                   "En bonne voie", "en retard", "Hypothèses et risques", "verrouillé", "Finances"),
            "en": ("Results matrix", "Not yet demonstrated", "Commitments", "Off track", "On track", "overdue",
                   "Assumptions and risks", "Reporting periods and approval", "locked", "Finance")}
UNINSURED = {"es": "18,1%", "fr": "18,1\u00a0%", "en": "18.1%"}
SYPHILIS = {"es": "29,6 por 100.000", "fr": "29,6 pour 100\u202f000", "en": "29.6 per 100,000"}


class _Checker(HTMLParser):
    """Collects ids and checks that every element opened is closed (void elements aside)."""

    VOID = frozenset({"meta", "br", "col", "line", "circle", "link", "img", "hr"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.ids: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        if dict(attrs).get("id"):
            self.ids.append(dict(attrs)["id"])
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> (open: {self.stack[-3:]})")
            return
        self.stack.pop()


@pytest.fixture(scope="module")
def prog_html(demo_module):
    with dbm.session_scope(demo_module) as s:
        p = programme(s)
        return {lang: render_html(p, lang, by_sdg=True, now=NOW) for lang in ("es", "fr", "en")}


@pytest.mark.parametrize("lang", ["es", "fr", "en"])
def test_html_in_each_language(prog_html, lang):
    html = prog_html[lang]
    assert f'<html lang="{lang}">' in html
    for text in (*HEADINGS[lang], SIGNED[lang], messages()[lang]["synthetic_banner"].split(":")[0]):
        assert text in html, text
    assert UNINSURED[lang] in html and SYPHILIS[lang] in html
    assert "Antofagasta" in html and "17.18" in html and "17.18.1" not in html
    checker = _Checker()
    checker.feed(html)
    assert checker.errors == [] and checker.stack == []
    assert len(checker.ids) == len(set(checker.ids))


def test_pdf(demo_sqlite, tmp_path):
    """One language here; the no-argument CLI test prints the PDFs of all three."""
    with dbm.session_scope(demo_sqlite) as s:
        f = write_report(programme(s), tmp_path, "es", now=NOW)
    assert f.html.name == "programme-report-es.html"
    assert f.pdf.read_bytes()[:5] == b"%PDF-"
    assert 8 <= f.pages <= 30


def test_matrix_lines_of_work_and_overdue_commitment(prog_html):
    html = prog_html["en"]
    matrix = html[html.index('id="results-matrix"'):html.index('id="commitments"')]
    for text in ("Line of work LW1", "Line of work LW2", "Line of work LW3", "Whole programme", "Impact IM1",
                 "Activity A3.1", "Means of verification", "Collection:", "Frequency:", "Regional health authorities",
                 "Enrolment rules for migrants", "lower is better", "by: Sex"):
        assert text in matrix, text
    # LW2: disease-burden indicators with their intervals
    assert '<span class="value">2.04</span> (2022)' in matrix and "1.11 – 3.75" in matrix
    assert '<span class="value">not computed</span> (2022)' in matrix
    proposal = html[html.index('data-commitment="PROPOSAL-OCT"'):]
    assert 'class="overdue">overdue' in proposal[:600]
    assert 'data-commitment="TB-COURSE"' in html and "overdue" not in \
        html[html.index('data-commitment="TB-COURSE"'):][:500].split("</tr>")[0]


def test_unknown_language(demo_sqlite):
    with dbm.session_scope(demo_sqlite) as s, pytest.raises(SpecError, match="'de' is not supported"):
        render_html(programme(s), "de")


def test_every_language_has_every_text():
    msgs = messages()
    assert {"es", "fr", "en"} <= set(msgs)

    def keys(d, prefix=""):
        return {prefix + k for k in d} | {x for k, v in d.items() if isinstance(v, dict) for x in keys(v, k + ".")}

    assert keys(msgs["es"]) == keys(msgs["en"]) == keys(msgs["fr"])


def test_revision_log_names_the_partner_and_area_of_a_corrected_entry(demo_sqlite):
    """A correction or withdrawal of an entered value says whose value, for which area and cell; first
    entries are counted like first evidence values, not listed."""
    from corridor.programme.report import build_context
    from corridor.programme.values import delete_value, record_value

    with dbm.session_scope(demo_sqlite) as s:
        p = programme(s)
        before = build_context(p, "en", now=NOW, today=NOW.date())
        assert not [r for r in before["revisions"] if r["before"] == "–"]  # no first entry listed
        # the demo's 2026 entries are in draft: a partner corrects one cell and withdraws another
        record_value(s, p, indicator="OP1.1.1", organisation="CIVIL-SOCIETY", period="2026", area="CL-AN",
                     value=300, dimension={"sex": "F"}, by="luis", why="attendance sheet recounted", now=NOW)
        extra = record_value(s, p, indicator="OP1.1.1", organisation="LOCAL-HEALTH-AN", period="2026",
                             area="CL-TA", value=12, by="luis", now=NOW)
        delete_value(s, p, extra.id, by="luis", why="entered twice", now=NOW)
        ctx = build_context(p, "en", now=NOW, today=NOW.date())
        s.rollback()
    rows = [r for r in ctx["revisions"] if r not in before["revisions"]]
    assert [(r["what"], r["before"], r["after"], r["by"], r["why"]) for r in rows] == [
        ("Entered value OP1.1.1 · 2026 · Civil society organisations · Antofagasta · Sex: women", "307 persons", "300 persons", "luis",
         "attendance sheet recounted"),
        ("Entered value OP1.1.1 · 2026 · Local health authorities (Antofagasta) · Tarapacá", "12 persons", "–", "luis", "entered twice")]
    assert ctx["first_values"] == before["first_values"] + 1
