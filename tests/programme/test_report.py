"""The programme report renders in es, fr and en, as HTML and PDF."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest

from corridor.errors import SpecError
from corridor.programme import db as dbm
from corridor.programme.report import messages, render_html, write_report

from .conftest import programme

NOW = dt.datetime(2026, 1, 2, 3, 4, 5)
SIGNED = {"es": "9 de julio de 2015", "fr": "9 juillet 2015", "en": "July 9, 2015"}
HEADINGS = {"es": ("Marco lógico", "Aún no demostrada", "Compromisos"),
            "fr": ("Cadre logique", "Pas encore démontrée", "Engagements"),
            "en": ("Logical framework", "Not yet demonstrated", "Commitments")}
UNINSURED = {"es": "15,0\u00a0%", "fr": "15,0\u00a0%", "en": "15.0%"}


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


@pytest.fixture
def prog_html(demo_sqlite):
    with dbm.session_scope(demo_sqlite) as s:
        p = programme(s)
        yield {lang: render_html(p, lang, by_sdg=True, now=NOW) for lang in ("es", "fr", "en")}


@pytest.mark.parametrize("lang", ["es", "fr", "en"])
def test_html_in_each_language(prog_html, lang):
    html = prog_html[lang]
    assert f'<html lang="{lang}">' in html
    for text in (*HEADINGS[lang], SIGNED[lang], messages()[lang]["synthetic_banner"].split(":")[0]):
        assert text in html, text
    assert UNINSURED[lang] in html
    assert "Antofagasta" in html and "3.8.1" in html
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
    assert 3 <= f.pages <= 12


def test_unknown_language(demo_sqlite):
    with dbm.session_scope(demo_sqlite) as s, pytest.raises(SpecError, match="'de' is not supported"):
        render_html(programme(s), "de")


def test_every_language_has_every_text():
    msgs = messages()
    assert set(msgs) == {"es", "fr", "en"}

    def keys(d, prefix=""):
        return {prefix + k for k in d} | {x for k, v in d.items() if isinstance(v, dict) for x in keys(v, k + ".")}

    assert keys(msgs["es"]) == keys(msgs["en"]) == keys(msgs["fr"])
