"""Messages and formatting of the profile in Spanish, French and English.

The profile's texts are the ``profile.*`` messages of corridor's one catalogue
(:mod:`corridor.i18n`): ``profile.title``, and tables of names as ``profile.levels.public``.
Numbers and dates through Babel (CLDR locales es_CL, fr_FR, en_GB), country names through
pycountry's ISO 3166-1 translations, region names from ISO 3166-2 (pycountry).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from corridor.datasets import coverage
from corridor.errors import InputError
from corridor.i18n import LOCALES, Message, country_name
from corridor.i18n.catalogue import PSEUDO, catalogue, pseudo
from corridor.quality import explain, render_label, render_suppression

LANGS = ("es", "fr", "en")
# numbers and dates: corridor's one mapping of languages to CLDR locales (corridor.i18n.LOCALES), shared by
# the profile, the programme report, the IATI narratives and the service
_PREFIX = "profile."
# tables of names: profile.<table>.<key>
TABLES = ("levels", "source_design", "source_covers", "diseases", "permit_levels", "indicator_names", "source_names",
          "standards", "concepts")


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
            out[table][sub] = typeset(text, lang)
        else:
            out[name] = typeset(text, lang)
    return out


_FR_SPACE = re.compile(r"(?<=\S) ([:;!?%»])|(«) ")


def typeset(text: str, lang: str) -> str:
    """French: a no-break space before : ; ! ? % » and after «, as numbers are written (76,5 %), so
    that a colon or a percentage never starts a line and every one looks the same."""
    if lang != "fr":
        return text
    return _FR_SPACE.sub(lambda m: "\u00a0" + m.group(1) if m.group(1) else m.group(2) + "\u00a0", text)


def check_lang(lang: str) -> str:
    """``lang`` if supported (es, fr, en, or the pseudo-language of the tests), else an InputError."""
    if lang not in LANGS and lang != PSEUDO:
        raise InputError(Message("i18n.unsupported_language", lang=lang), hint=Message("i18n.unsupported_language.hint"))
    return lang


@dataclass(frozen=True)
class Locale:
    """Formatting helpers bound to one language."""

    lang: str

    def t(self, key: str, **kw: Any) -> str:
        """A message, formatted with ``kw``.

        Given ``origin``/``destination`` (country names in this language) or ``region`` (a region's
        name), the message may also use their grammatical forms: ``{origin_people}`` ("Colombian",
        "de Colombia", "de Colombie"), ``{origin_in}`` ("in Colombia", "en Colombie", "au Pérou"),
        ``{destination_in}``, ``{destination_to}`` ("vers le Chili"), ``{destination_of}`` ("du
        Chili"), ``{origin_of}`` and ``{region_of}`` ("d'Antofagasta", "du Maule")."""
        text = messages(self.lang)[key]
        if not kw:
            return text
        forms: dict[str, str] = {}
        for role in ("origin", "destination"):
            if isinstance(kw.get(role), str):
                forms.update({f"{role}_{k}": v for k, v in country_forms_by_name(kw[role], self.lang).items()})
        if isinstance(kw.get("region"), str):
            forms["region_of"] = region_of(kw["region"], self.lang)
        return text.format(**{**forms, **kw})

    def pct(self, x: float | None, digits: int = 1) -> str:
        """A percentage (``x`` in percent, 76.5) in the language's style: 76,5 % in French, 76,5% in
        Chilean Spanish, 76.5% in English (CLDR's percent pattern); ``—`` for missing."""
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return "—"
        from babel import Locale as CLDR

        pattern = CLDR.parse(LOCALES[self.lang]).percent_formats[None].pattern
        pattern = pattern.replace("#,##0", "#,##0" + ("." + "0" * digits if digits else ""), 1)
        return format_percent(x / 100, format=pattern, locale=LOCALES[self.lang])

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
        return pseudo(render_label(code, "en")) if self.lang == PSEUDO else typeset(render_label(code, self.lang), self.lang)

    def criteria(self, row: dict[str, Any]) -> str:
        """The criteria behind a row's quality label, with its values and thresholds (corridor.quality.explain)."""
        return pseudo(explain(row, "en")) if self.lang == PSEUDO else typeset(explain(row, self.lang), self.lang)

    def suppression(self, reason: str | None) -> str:
        """Why a cell is suppressed."""
        return pseudo(render_suppression(reason, "en")) if self.lang == PSEUDO else typeset(render_suppression(reason, self.lang), self.lang)


# English adjectives of nationality of the countries of the shipped corridors and their neighbours
_EN_PEOPLE = {"ARG": "Argentine", "BOL": "Bolivian", "BRA": "Brazilian", "CHL": "Chilean", "CHN": "Chinese",
              "COL": "Colombian", "CUB": "Cuban", "DOM": "Dominican", "ECU": "Ecuadorian", "ESP": "Spanish",
              "FRA": "French", "GTM": "Guatemalan", "HND": "Honduran", "HTI": "Haitian", "MEX": "Mexican",
              "NIC": "Nicaraguan", "PAN": "Panamanian", "PER": "Peruvian", "PRY": "Paraguayan", "SLV": "Salvadoran",
              "URY": "Uruguayan", "USA": "American", "VEN": "Venezuelan", "CRI": "Costa Rican", "ITA": "Italian",
              "DEU": "German", "GBR": "British", "CAN": "Canadian", "KOR": "South Korean", "JPN": "Japanese"}
_EN_THE = {"USA", "GBR", "NLD", "PHL", "DOM", "CZE", "ARE", "BHS", "GMB", "COD", "COG", "CAF", "MDV", "COM"}
# French: names ending in -e that are masculine, names used without article, plural names
_FR_MASCULINE_E = {"MEX", "KHM", "MOZ", "ZWE", "BLZ", "SUR"}
_FR_NO_ARTICLE = {"CUB", "HTI", "MDG", "SGP", "MLT", "BHR", "CYP", "ISR", "MUS", "TWN", "HKG", "MCO", "JAM", "TTO"}
_FR_PLURAL = {"USA", "NLD", "PHL", "ARE", "COM", "MDV", "SYC", "BHS"}
_VOWELS = tuple("AEIOUYÉÈÊÎÏÔÂÀÙÛÜŸH")


def country_forms(iso3: str, lang: str) -> dict[str, str]:
    """A country's name and the forms sentences need: ``people`` (before a noun: "Colombian" migrants,
    migrantes "de Colombia", migrants "du Pérou"), ``in``, ``to`` and ``of``."""
    iso3 = iso3.upper()
    name = country_name(iso3, lang)
    if lang == "es":
        return {"people": f"de {name}", "in": f"en {name}", "to": f"hacia {name}", "of": f"de {name}"}
    if lang == "fr":
        elided = name[:1].upper().startswith(_VOWELS)
        if iso3 in _FR_PLURAL:
            forms = {"in": f"aux {name}", "to": f"vers les {name}", "of": f"des {name}"}
        elif iso3 in _FR_NO_ARTICLE:
            forms = {"in": f"à {name}", "to": f"vers {name}", "of": f"d'{name}" if elided else f"de {name}"}
        elif elided:
            forms = {"in": f"en {name}", "to": f"vers l'{name}", "of": f"d'{name}"}
        elif name.endswith("e") and iso3 not in _FR_MASCULINE_E:
            forms = {"in": f"en {name}", "to": f"vers la {name}", "of": f"de {name}"}
        else:
            forms = {"in": f"au {name}", "to": f"vers le {name}", "of": f"du {name}"}
        return {"people": forms["of"], **forms}
    the = f"the {name}" if iso3 in _EN_THE else name
    return {"people": _EN_PEOPLE.get(iso3, name), "in": f"in {the}", "to": f"to {the}", "of": f"of {the}"}


@cache
def _iso3_by_name(lang: str) -> dict[str, str]:
    import pycountry

    return {country_name(c.alpha_3, lang): c.alpha_3 for c in pycountry.countries}


def country_forms_by_name(name: str, lang: str) -> dict[str, str]:
    """:func:`country_forms` of the country called ``name`` in ``lang``; plain forms if none is."""
    iso3 = _iso3_by_name(lang).get(name)
    if iso3 is not None:
        return country_forms(iso3, lang)
    prep = {"es": ("de", "en", "hacia"), "fr": ("de", "à", "vers")}.get(lang, ("of", "in", "to"))
    return {"people": name if lang not in ("es", "fr") else f"{prep[0]} {name}", "in": f"{prep[1]} {name}",
            "to": f"{prep[2]} {name}", "of": f"{prep[0]} {name}"}


# French: Chilean regions whose name takes the masculine article
_FR_REGION_DU = {"Maule", "Ñuble", "Biobío"}


def region_of(name: str, lang: str) -> str:
    """"of" a region: "of Antofagasta", "de Antofagasta", "d'Antofagasta", "du Maule"."""
    if lang == "fr":
        if name in _FR_REGION_DU:
            return f"du {name}"
        return f"d'{name}" if name[:1].upper().startswith(_VOWELS) else f"de {name}"
    return f"de {name}" if lang == "es" else f"of {name}"


_SHORT_REGIONS = {"CL-RM": "Metropolitana", "CL-LI": "O'Higgins", "CL-AI": "Aysén", "CL-MA": "Magallanes"}


@cache
def region_name(code: str) -> str:
    """A region's name (ISO 3166-2; short official forms for four long Chilean names)."""
    if code in _SHORT_REGIONS:
        return _SHORT_REGIONS[code]
    country, dash, _ = code.partition("-")
    if dash and len(country) == 2 and country.isascii() and country.isalpha():
        return _subdivision_names(country.lower()).get(code.lower(), code)
    import pycountry

    s = pycountry.subdivisions.get(code=code)
    return s.name if s is not None else code


@cache
def _subdivision_names(country: str) -> dict[str, str]:
    """The ISO 3166-2 names of a country's subdivisions by lower-case code (as pycountry looks codes up),
    kept in the disk cache (its key holds pycountry's version): pycountry builds its whole table of 5,000
    subdivisions (0.07 s) for the page's sixteen names."""
    from corridor.datasets import cache as disk

    def names() -> dict[str, str]:
        import pycountry

        return {s.code.lower(): s.name for s in pycountry.subdivisions.get(country_code=country) or ()}

    kept = disk.remember("subdivisions", (), (country,), names)
    return kept if isinstance(kept, dict) else names()


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
