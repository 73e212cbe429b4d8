"""The profile reads in one language: no English left in es/fr, no internal codes, nothing hard-coded.

Three checks on the rendered page (text and tooltips, charts included; proper titles cited in their
own language, ``<cite lang=...>``, excepted):

- es and fr: no text of the English catalogue (corridor's messages, indicator names, definitions and
  standards, quality labels, concept names) whose translation differs;
- es and fr: no raw code: snake_case identifiers, ISO 3166-2 codes (``CL-AN``), the corridor's
  ISO 3166-1 codes, the table's ``_T``/``_U`` markers;
- the pseudo-language ``qps`` (every catalogue text accented and bracketed): no plain English word
  outside the brackets, except names (countries, regions, comunas, sources, publishers).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from corridor.datasets import coverage
from corridor.i18n.catalogue import PSEUDO, entries
from corridor.quality.labels import render_label, render_suppression
from corridor.report.locale import country_name, messages, region_name
from corridor.report.render import render_html

# snake_case words that are names, not codes left over (each with what it names)
NAMES = {
    "casen_relacionador": "the R package that computed CASEN's comuna shares (a proper name)",
    "make_synthetic_notifications": "the script that generated the synthetic notifications (a file name)",
    "ffs_diff": "migest's function for stock differencing (a function name cited in the method)",
    "fact_pers": "ENUSC 2019's weight variable, named as the survey names it",
}
SNAKE = re.compile(r"(?<![\w/.-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-])")
ISO_REGION = re.compile(r"\b[A-Z]{2}-[A-Z0-9]{1,3}\b")
MARKERS = re.compile(r"(?<!\w)_[TU](?!\w)")


class _Text(HTMLParser):
    """Visible text of a page: text nodes and ``title`` tooltips, each with whether it is a cited title."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[tuple[str, bool]] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("br", "meta", "link", "img", "input", "hr"):
            self._stack.append(tag)
        title = dict(attrs).get("title")
        if title and tag not in ("style", "script"):
            self.parts.append((title, False))

    def handle_endtag(self, tag: str) -> None:
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if data.strip() and not {"style", "script"} & set(self._stack):
            self.parts.append((data, "cite" in self._stack or "code" in self._stack))


def visible(html: str, *, cited: bool = False) -> str:
    """The page's visible text, one part per line (``cited``: with the cited titles)."""
    p = _Text()
    p.feed(html)
    # ordinary white space folded; no-break spaces kept (they are part of how numbers are written)
    return "\n".join(re.sub(r"[ \t\r\n]+", " ", text).strip() for text, in_cite in p.parts if cited or not in_cite)


@pytest.fixture(scope="module")
def pages(profile) -> dict[str, str]:
    return {lang: render_html(profile, lang) for lang in ("es", "fr", "en", PSEUDO)}


def _english_texts(profile, lang: str) -> list[str]:
    """Fragments of English texts a page in ``lang`` must not show: the parts between placeholders,
    of at least two words of four letters, of every message whose translation differs."""
    texts: list[str] = []
    template, tr = entries("en"), entries(lang)
    texts += [e.source for k, e in template.items() if not e.proper and k in tr and tr[k].text != e.source]
    for ind in profile.catalogue.values():
        texts += [ind.label("en"), ind.describe("en"), ind.standard]
    texts += [render_label(c, "en") for c in ("reliable", "weakly_reliable", "non_reliable", "significant",
                                              "not_significant")]
    texts += [render_suppression(r, "en") for r in ("primary_min_n", "secondary")]
    out = set()
    for text in texts:
        for frag in re.split(r"\{[^{}]*\}", text):
            frag = frag.strip(" .,:;()")
            if len(re.findall(r"[A-Za-z]{4,}", frag)) >= 2 and frag:
                out.add(frag)
    same = set(messages(lang)["source_names"].values())  # names shared by the languages are not English
    return sorted(f for f in out if f not in same)


@pytest.mark.parametrize("lang", ["es", "fr"])
def test_no_english_catalogue_text_left(profile, pages, lang: str) -> None:
    text = visible(pages[lang])
    left = [frag for frag in _english_texts(profile, lang) if frag in text]
    assert not left, f"{lang}: English left on the page: {left[:15]}"


@pytest.mark.parametrize("lang", ["es", "fr", "en"])
def test_no_raw_codes(profile, pages, lang: str) -> None:
    text = visible(pages[lang])
    snake = sorted({w for w in SNAKE.findall(text) if w not in NAMES})
    iso = sorted(set(ISO_REGION.findall(text)))
    iso3 = sorted({c for c in (profile.origin, profile.destination) if re.search(rf"(?<![\w/-]){c}(?![\w/-])", text)})
    assert not snake, f"{lang}: identifiers shown as words: {snake}"
    assert not iso, f"{lang}: region codes shown without their name: {iso}"
    assert not iso3, f"{lang}: country codes shown without their name: {iso3}"
    assert not MARKERS.findall(text), f"{lang}: table markers shown"


def _names(profile) -> set[str]:
    """Words of names a page shows as they are: countries, regions, comunas, source titles and publishers."""
    names = [country_name(profile.origin, "en"), country_name(profile.destination, "en")]
    names += [region_name(r["disaggregation_value"]) for r in profile.rows(disaggregation="region")]
    names += list(profile.extra.get("comuna_names", {}).values())
    for e in coverage.registry():
        names += [e.title or "", e.publisher or ""]
    names += [s.get("publisher") or "" for s in profile.sources + profile.extra.get("section_sources", [])]
    return {w for n in names for w in re.findall(r"[A-Za-z]{3,}", n)}


def test_pseudo_locale_shows_no_hard_coded_english(profile, pages) -> None:
    text = visible(pages[PSEUDO])
    while "⟦" in text:
        stripped = re.sub(r"⟦[^⟦⟧]*⟧", " ", text)
        if stripped == text:
            break
        text = stripped
    allowed = _names(profile)
    words = re.findall(r"(?<![\w./<-])[A-Za-z]{3,}(?![\w/.>-])", text)
    leaks = sorted({w for w in words if w not in allowed and not w.isupper()})
    assert not leaks, f"text outside the catalogue: {leaks}"


def test_checks_catch_what_they_look_for(profile) -> None:
    """The checks themselves: English, a code and a hard-coded word are found."""
    page = "<p>la source ne couvre pas la région CL-AN</p><p>uninsured_share</p><p><cite>Proper Title Kept</cite></p>"
    text = visible(page)
    assert "Proper Title Kept" not in text and "Proper Title Kept" in visible(page, cited=True)
    assert ISO_REGION.findall(text) == ["CL-AN"] and SNAKE.findall(text) == ["uninsured_share"]
    english = _english_texts(profile, "fr")
    assert "Population without health insurance" in english or any("health insurance" in f for f in english)
