"""The interface's languages: messages (es, fr, en), numbers, dates and country names.

Numbers and dates are formatted by Babel (CLDR), country and region names come from pycountry,
both through :mod:`corridor.report.locale` so that pages and profiles agree.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from babel.dates import format_datetime

from corridor.report.locale import LOCALES, Locale, country_name, region_name

LANGS = ("es", "fr", "en")
LANG_NAMES = {"es": "Español", "fr": "Français", "en": "English"}
_DIR = Path(__file__).resolve().parent / "messages"


@cache
def messages(lang: str) -> dict[str, str]:
    return yaml.safe_load((_DIR / f"{lang}.yaml").read_text(encoding="utf-8"))


def pick_lang(query: str | None, cookie: str | None, accept: str | None, default: str) -> str:
    """The language from the query, else the cookie, else the browser's Accept-Language, else the default."""
    for cand in (query, cookie):
        if cand and cand[:2].lower() in LANGS:
            return cand[:2].lower()
    for part in (accept or "").split(","):
        code = part.split(";")[0].strip()[:2].lower()
        if code in LANGS:
            return code
    return default if default in LANGS else "en"


class UI:
    """Translation and formatting bound to one language (used in templates as ``ui``)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.loc = Locale(lang)
        self._msg = messages(lang)

    def t(self, key: str, **kw: Any) -> str:
        text = self._msg.get(key, key)
        return text.format(**kw) if kw else text

    def num(self, x: float | None, digits: int = 0) -> str:
        return self.loc.num(x, digits)

    def value(self, x: float | None, unit: str | None) -> str:
        digits = {"persons": 0, "currency_month": 0, "count": 0}.get(unit or "", 1)
        s = self.loc.num(x, digits)
        return s + ("%" if unit == "percent" and x is not None else "")

    def country(self, iso3: str) -> str:
        return country_name(iso3, self.lang)

    def area(self, code: str) -> str:
        return country_name(code, self.lang) if len(code) == 3 else region_name(code)

    def when(self, d: Any) -> str:
        if d is None:
            return "—"
        return format_datetime(d, format="medium", locale=LOCALES[self.lang])

    def dvalue(self, disaggregation: str, value: str | None) -> str:
        """A disaggregation cell in the language: sexes and regions by name, age bands as written."""
        if value in (None, "", "_T"):
            return ""
        if disaggregation == "sex" and value in ("male", "female"):
            return self.loc.t(value)
        if disaggregation == "region":
            return region_name(value)
        return value

    def level(self, code: str | None) -> str:
        """A category of a distribution in the language (the profile's level names)."""
        if not code:
            return ""
        from corridor.report.locale import messages as report_messages

        return report_messages(self.lang).get("levels", {}).get(code, code)

    def quality(self, code: str | None) -> str:
        return self.loc.quality(code)

    def criteria(self, row: dict[str, Any]) -> str:
        """The criteria behind a row's label (shown as the label's tooltip)."""
        return self.loc.criteria(row)

    def suppression(self, reason: str | None) -> str:
        return self.loc.suppression(reason)
