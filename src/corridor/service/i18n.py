"""The interface's languages: messages (es, fr, en), numbers, dates and country names.

Numbers and dates are formatted by Babel (CLDR), country and region names come from pycountry,
both through :mod:`corridor.report.locale` so that pages and profiles agree.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from babel.dates import format_datetime

from corridor.i18n import catalogue, moment, translate_known
from corridor.report.locale import LOCALES, Locale, country_name, extra_label, region_name

LANGS = ("es", "fr", "en")
LANG_NAMES = {"es": "Español", "fr": "Français", "en": "English"}


@cache
def messages(lang: str) -> dict[str, str]:
    """The service's texts in ``lang`` (ids ``service.*`` of corridor's message catalogue, without the prefix)."""
    return {k.removeprefix("service."): v for k, v in catalogue(lang).items() if k.startswith("service.")}


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

    def role(self, code: str | None) -> str:
        """A role's name in the language (``admin`` -> ``administrador``)."""
        return self._msg.get(f"roles.{code}", code or "") if code else ""

    def action(self, code: str | None) -> str:
        """An audit action in words (``token.create`` -> ``API token created``)."""
        return self._msg.get(f"audit_actions.{code}", code or "") if code else ""

    def job_text(self, text: str | None) -> str:
        """A job's progress message or error in the language, when it is one the service writes."""
        if not text:
            return ""
        m = re.fullmatch(r"(HTML page|PDF) \((es|fr|en)\)", text)
        if m:
            key = "job_messages.html_page" if m.group(1) == "HTML page" else "job_messages.pdf"
            return self.t(key, lang=LANG_NAMES[m.group(2)])
        for key, english in messages("en").items():  # the service's own job messages first
            if key.startswith("job_messages.") and english == text:
                return self._msg[key]
        return translate_known(text, self.lang)

    def indicator(self, code: str) -> str:
        """An indicator the shipped catalogue lacks (disease burden, flows) by its name."""
        return extra_label(code, self.lang)

    def day(self, iso: Any) -> str:
        """A date or an ISO date string (``2026-12-05``, ``2026-12-05T08:27:56Z``) as the language writes dates."""
        if not iso:
            return "—"
        import datetime as dt

        from babel.dates import format_date

        d = iso
        if isinstance(iso, str):
            try:
                d = dt.datetime.fromisoformat(iso.removesuffix("Z"))
            except ValueError:
                return iso
        if isinstance(d, dt.datetime):
            d = d.date()
        return format_date(d, format="long", locale=LOCALES[self.lang])

    def unit(self, code: str | None) -> str:
        """A unit of measure by its name (the programme report's names)."""
        if not code:
            return ""
        return catalogue(self.lang).get(f"programme.units.{code}", code)

    def known(self, text: str | None) -> str:
        """Text stored in English (a survey's title, a source) in the language when the catalogue has it."""
        return "; ".join(translate_known(part, self.lang) for part in (text or "").split("; "))

    def note(self, note: Any) -> str:
        """A row ledger's note as stored (text, or a catalogue id with parameters) in the language."""
        from corridor.sources.ledger import note_text

        return note_text(note, self.lang)

    def country(self, iso3: str) -> str:
        return country_name(iso3, self.lang)

    def area(self, code: str) -> str:
        return country_name(code, self.lang) if len(code) == 3 else region_name(code)

    def when(self, d: Any) -> str:
        """A moment (a datetime or an ISO string) as the language writes it."""
        if d is None or d == "":
            return "—"
        d = moment(d)
        if isinstance(d, str):
            return d
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
