"""Messages and formatting of the profile in Spanish, French and English.

The profile's texts are the ``profile.*`` messages of corridor's one catalogue
(:mod:`corridor.i18n`): ``profile.title``, and tables of names as ``profile.levels.public``.
Numbers and dates through Babel (CLDR locales es_CL, fr_FR, en_GB), country names through
pycountry's ISO 3166-1 translations, region names from ISO 3166-2 (pycountry).
"""

from __future__ import annotations

import gettext
import math
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal

from corridor.datasets import coverage
from corridor.errors import InputError
from corridor.i18n.catalogue import PSEUDO, catalogue
from corridor.quality import explain, render_label, render_suppression

LANGS = ("es", "fr", "en")
LOCALES = {"es": "es_CL", "fr": "fr_FR", "en": "en_GB", PSEUDO: "en_GB"}
_PREFIX = "profile."
# tables of names: profile.<table>.<key>
TABLES = ("levels", "source_design", "source_covers", "diseases", "permit_levels", "indicator_names", "source_names")


@cache
def messages(lang: str) -> dict[str, Any]:
    """The profile's messages in ``lang`` (the catalogue's ``profile.*``), tables of names as dicts."""
    check_lang(lang)
    out: dict[str, Any] = {t: {} for t in TABLES}
    for key, text in catalogue(lang).items():
        if not key.startswith(_PREFIX):
            continue
        name = key[len(_PREFIX):]
        table, _, sub = name.partition(".")
        if sub and table in TABLES:
            out[table][sub] = text
        else:
            out[name] = text
    return out


def check_lang(lang: str) -> str:
    """``lang`` if supported (es, fr, en, or the pseudo-language of the tests), else an InputError."""
    if lang not in LANGS and lang != PSEUDO:
        raise InputError(f"language {lang!r} is not supported", hint="use --lang es, fr or en")
    return lang


@dataclass(frozen=True)
class Locale:
    """Formatting helpers bound to one language."""

    lang: str

    def t(self, key: str, **kw: Any) -> str:
        """A message, formatted with ``kw``."""
        text = messages(self.lang)[key]
        return text.format(**kw) if kw else text

    def num(self, x: float | None, digits: int = 0) -> str:
        """A number with the language's separators; ``—`` for missing."""
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return "—"
        fmt = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(x, format=fmt, locale=LOCALES[self.lang])

    def signed(self, x: float | None, digits: int = 1) -> str:
        """A number with an explicit sign (gaps)."""
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return "—"
        x = round(x, digits)
        s = self.num(abs(x), digits)
        return ("+" if x > 0 else "−" if x < 0 else "") + s

    def today(self, d: date | None = None) -> str:
        """A date in the language's long format."""
        return format_date(d or date.today(), format="long", locale=LOCALES[self.lang])

    def country(self, iso3: str) -> str:
        """A country's name in the language (ISO 3166-1 via pycountry)."""
        return country_name(iso3, self.lang)

    def region(self, code: str) -> str:
        """A region's name (ISO 3166-2 via pycountry)."""
        return region_name(code)

    def quality(self, code: str | None) -> str:
        """A quality label (corridor.quality's translations)."""
        return render_label(code, self.lang)

    def criteria(self, row: dict[str, Any]) -> str:
        """The criteria behind a row's quality label, with its values and thresholds (corridor.quality.explain)."""
        return explain(row, self.lang)

    def suppression(self, reason: str | None) -> str:
        """Why a cell is suppressed."""
        return render_suppression(reason, self.lang)


@cache
def country_name(iso3: str, lang: str) -> str:
    """A country's common name in ``lang``; the code itself if unknown."""
    import pycountry

    c = pycountry.countries.get(alpha_3=iso3.upper())
    if c is None:
        return iso3
    name = getattr(c, "common_name", None) or c.name
    if lang == "en":
        return name
    try:
        tr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
    except OSError:
        return name
    return tr.gettext(name) if tr.gettext(name) != name else tr.gettext(c.name)


_SHORT_REGIONS = {"CL-RM": "Metropolitana", "CL-LI": "O'Higgins", "CL-AI": "Aysén", "CL-MA": "Magallanes"}


@cache
def region_name(code: str) -> str:
    """A region's name (ISO 3166-2; short official forms for four long Chilean names)."""
    if code in _SHORT_REGIONS:
        return _SHORT_REGIONS[code]
    import pycountry

    s = pycountry.subdivisions.get(code=code)
    return s.name if s is not None else code


def extra_label(indicator: str, lang: str) -> str:
    """Name of a disease-burden or flows indicator (``notification_rate_hiv``...) in ``lang``; the id if unknown."""
    msgs = messages(lang)
    names, diseases = msgs.get("indicator_names", {}), msgs.get("diseases", {})
    for stem in sorted(names, key=len, reverse=True):
        if indicator == stem:
            return names[stem]
        if indicator.startswith(stem + "_") and indicator[len(stem) + 1:] in diseases:
            return f"{names[stem]}{msgs.get('label_sep', ': ')}{diseases[indicator[len(stem) + 1:]]}"
    return indicator


def cite(source_id: str, loc: Locale, *, title: str | None = None, publisher: str | None = None,
         synthetic: bool = False) -> dict[str, Any]:
    """How a source is named on the page: its proper title in its own language (cited as such), its
    publisher, and what it is in the page's language (the message catalogue's ``source_names``)."""
    names = messages(loc.lang).get("source_names", {})
    try:
        entry = coverage.get(source_id)
    except InputError:
        entry = None
    proper = entry.title if entry is not None else None
    return {"title": proper or ("" if source_id in names else title or source_id),
            "lang": entry.title_lang if entry is not None and proper else None,
            "publisher": entry.publisher if entry is not None else publisher or "", "name": names.get(source_id, ""),
            "synthetic": synthetic or bool(entry is not None and entry.synthetic)}
