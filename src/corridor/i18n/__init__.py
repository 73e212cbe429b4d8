"""corridor's one message catalogue: every text a user reads, in Spanish, French and English.

The catalogue is gettext's: ``locale/corridor.pot`` holds every message once, keyed by a stable
id (``msgctxt``, e.g. ``cli.error``) with its English text (``msgid``); ``locale/es`` and
``locale/fr`` hold the translations (``msgstr``). Texts are Python format strings
(``{name}`` placeholders). The ordinary gettext tools work on these files (``pybabel update``
merges a changed template and marks changed messages fuzzy; Poedit and web platforms edit them).

The language of messages is, in order: the one set for a block of work with :func:`language`
(the command line's ``--lang``, the web request's language), else the ``CORRIDOR_LANG``
environment variable, else English. The command line also follows the system locale
(:func:`from_environment`).

A :class:`Message` is a message id with its parameters, rendered when it is read, in the
language of the reader: errors carry one (see :mod:`corridor.errors`), so the same error reads
in Spanish on the command line and in French in the web service.

Besides es, fr and en, the pseudo-language ``qps`` renders every catalogue text accented and
bracketed (``⟦Ŝýñţĥéţîç⟧``): text that shows without brackets in a ``qps`` rendering does not
come from the catalogue (the tests use it to find hard-coded English).
"""

from __future__ import annotations

import numbers
import os
import string
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any

from corridor.i18n.catalogue import PSEUDO, catalogue, entries, plural_category

LANGS = ("es", "fr", "en")
LANG_NAMES = {"es": "Español", "fr": "Français", "en": "English"}
# CLDR locales for numbers and dates (the pseudo-language formats as English)
LOCALES = {"es": "es_CL", "fr": "fr_FR", "en": "en_GB", PSEUDO: "en_GB"}

_LANG: ContextVar[str | None] = ContextVar("corridor_lang", default=None)


def is_lang(lang: object) -> bool:
    """Whether ``lang`` is a language corridor speaks (the pseudo-language included)."""
    return lang in LANGS or lang == PSEUDO


def check_lang(lang: str) -> str:
    """``lang`` if corridor speaks it, else an InputError naming the languages."""
    if is_lang(lang):
        return lang
    from corridor.errors import InputError

    raise InputError(Message("i18n.unsupported_language", lang=lang), hint=Message("i18n.unsupported_language.hint"))


def parse_langs(values: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """Languages from ``es,fr`` or repeated values, checked, in the order given, without repeats."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for value in values:
        for part in str(value).split(","):
            part = part.strip().lower()
            if part and part not in out:
                out.append(check_lang(part))
    return out


def _from_tag(tag: str | None) -> str | None:
    """The language of a locale tag (``es_CL.UTF-8``, ``fr-FR``, ``en``); None if corridor lacks it."""
    if not tag:
        return None
    code = tag.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return code if is_lang(code) else None


def from_environment(*, system_locale: bool = False) -> str | None:
    """The language the environment asks for: ``CORRIDOR_LANG``, then (``system_locale``) the POSIX
    locale variables LC_ALL, LC_MESSAGES, LANG as gettext reads them; None if none names es/fr/en."""
    lang = _from_tag(os.environ.get("CORRIDOR_LANG"))
    if lang or not system_locale:
        return lang
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            # the first variable set decides, as in gettext ("C" and "POSIX" mean English)
            return _from_tag(value) or "en"
    return None


def current() -> str:
    """The language of messages now."""
    return _LANG.get() or from_environment() or "en"


@contextmanager
def language(lang: str | None) -> Iterator[str]:
    """Messages in ``lang`` inside the block (None keeps the current language)."""
    if lang is None:
        yield current()
        return
    token = _LANG.set(check_lang(lang))
    try:
        yield lang
    finally:
        _LANG.reset(token)


def set_language(lang: str | None) -> None:
    """Messages in ``lang`` from now on in this context (the command line's choice); None: back to the default."""
    _LANG.set(check_lang(lang) if lang is not None else None)


def has(key: str) -> bool:
    """Whether the catalogue has the message ``key``."""
    return key in catalogue("en")


def text(key: str, lang: str | None = None, *, count: int | None = None) -> str:
    """The unformatted text of ``key`` in ``lang`` (with ``count``: the plural form ``key.one``/``key.other``...)."""
    lang = lang or current()
    msgs = catalogue(lang)
    if count is not None:
        form = f"{key}.{plural_category(count, LOCALES[lang])}"
        # a message without plural forms takes its count as any other field
        key = form if form in msgs else f"{key}.other" if f"{key}.other" in msgs else key
    try:
        return msgs[key]
    except KeyError:
        raise KeyError(f"no message {key!r} in corridor's catalogue") from None


def t(key: str, lang: str | None = None, /, *, count: int | None = None, **params: Any) -> str:
    """The message ``key`` in ``lang`` (default: the current language), formatted with ``params``.

    Parameters that are :class:`Message` objects are rendered in the same language."""
    lang = lang or current()
    raw = text(key, lang, count=count)
    if count is not None:
        params.setdefault("count", count)
    if not params:
        return raw
    values = {k: render(v, lang) if isinstance(v, Message) else v for k, v in params.items()}
    if lang in _SEPARATORS and any(_is_number(v) for v in values.values()):
        return _LocaleFormatter(lang).vformat(raw, (), values)
    return raw.format(**values)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class _LocaleFormatter(string.Formatter):
    """str.format whose number fields with a format (``{n:,}``, ``{gap:.3g}``) write the language's
    separators: 1.234 and 0,5 in Spanish, 1 234 and 0,5 in French. A bare field (``{year}``,
    ``{code}``) stays as Python writes it: codes, years and values to be typed back are not numbers
    to read."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        out = format(value, format_spec)
        return localize_number(out, self.lang) if format_spec and _is_number(value) else out


def get(key: str, lang: str | None = None, default: str | None = None, **params: Any) -> str | None:
    """Like :func:`t`, but ``default`` when the catalogue has no ``key`` (codes with an optional label)."""
    return t(key, lang, **params) if has(key) else default


class Message:
    """A message id and its parameters, rendered in a language when it is read.

    ``str(m)`` renders in the current language; ``m.render("fr")`` in French. Parameters may be
    Messages, strings, numbers or lists of those (lists are rendered item by item)."""

    __slots__ = ("count", "key", "params")

    def __init__(self, key: str, /, *, count: int | None = None, **params: Any) -> None:
        self.key = key
        self.count = count
        self.params = params

    def render(self, lang: str | None = None) -> str:
        lang = lang or current()
        params = {k: _render_param(v, lang) for k, v in self.params.items()}
        try:
            return t(self.key, lang, count=self.count, **params)
        except (KeyError, IndexError, ValueError):
            # an unknown key or a broken text must not hide the error being reported
            # (tests/i18n checks every key used in the code and every placeholder)
            return f"{self.key} {params}"

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Message({self.key!r}, {self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and (self.key, self.count, self.params) == (other.key, other.count, other.params)

    def __hash__(self) -> int:
        return hash(self.key)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.key, self.count, self.params))

    def to_dict(self) -> dict[str, Any]:
        """The message as JSON-able data (a stored job error is rendered later in the reader's language)."""
        out: dict[str, Any] = {"key": self.key, "params": {k: _param_to_data(v) for k, v in self.params.items()}}
        if self.count is not None:
            out["count"] = self.count
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        params = {k: _param_from_data(v) for k, v in dict(data.get("params") or {}).items()}
        return cls(str(data["key"]), count=data.get("count"), **params)


def _rebuild(key: str, count: int | None, params: dict[str, Any]) -> Message:
    return Message(key, count=count, **params)


class Lines(list):  # type: ignore[type-arg]
    """A parameter shown one item per line, each on a new indented line: the problems of a file
    under the error that names it. Items are Messages or text, rendered in the reader's language."""


def _message_list(value: Any) -> bool:
    """A list holding Messages (other lists and tuples are parameters as they are: ``{cells}`` shows a tuple)."""
    return isinstance(value, list) and any(isinstance(v, Message) for v in value)


def _render_param(value: Any, lang: str) -> Any:
    if isinstance(value, Lines):
        return "".join(f"\n  {_render_param(v, lang)}" for v in value)
    if isinstance(value, Message):
        return value.render(lang)
    if isinstance(value, Proper):
        return value.text
    if _message_list(value):  # names and messages, item by item, comma-separated
        return ", ".join(str(_render_param(v, lang)) for v in value)
    return value


def _param_to_data(value: Any) -> Any:
    if isinstance(value, Lines):
        return {"$lines": [_param_to_data(v) for v in value]}
    if isinstance(value, Message):
        return {"$message": value.to_dict()}
    if _message_list(value):
        return {"$list": [_param_to_data(v) for v in value]}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _param_from_data(value: Any) -> Any:
    if isinstance(value, dict) and "$message" in value:
        return Message.from_dict(value["$message"])
    if isinstance(value, dict) and "$lines" in value:
        return Lines(_param_from_data(v) for v in value["$lines"])
    if isinstance(value, dict) and "$list" in value:
        return [_param_from_data(v) for v in value["$list"]]
    return value


def render(value: Any, lang: str | None = None) -> str:
    """A Message in ``lang``; anything else as its text (a plain string stays as written)."""
    if isinstance(value, Message):
        return value.render(lang)
    return "" if value is None else str(value)


class Proper:
    """A proper title kept in its own language in every rendering (a survey's or a law's name).

    ``lang`` is the title's language, for the page's ``lang`` attribute and for screen readers."""

    __slots__ = ("lang", "text")

    def __init__(self, text: str, lang: str) -> None:
        self.text = text
        self.lang = lang

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Proper({self.text!r}, {self.lang!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Proper) and (self.text, self.lang) == (other.text, other.lang)

    def __hash__(self) -> int:
        return hash(self.text)


@cache
def _by_english(lang: str) -> dict[str, str]:
    """English texts without placeholders -> their ``lang`` text (the first id in order wins)."""
    en, tr = catalogue("en"), catalogue(lang)
    out: dict[str, str] = {}
    for key in sorted(en):
        if "{" not in en[key]:
            out.setdefault(en[key], tr[key])
    return out


def translate_known(text: str, lang: str | None = None) -> str:
    """``text`` in ``lang`` when it is, word for word, the English of a catalogue message; else as given.

    For text stored in English by an earlier step (a source line written into a data file, a label
    kept in a database): what the catalogue has reads in the reader's language, anything else stays."""
    if not text:
        return text
    return _by_english(lang or current()).get(text, text)


def join(items: list[str], lang: str | None = None, *, style: str = "standard") -> str:
    """Items joined as the language writes lists (``a, b y c``; ``a, b et c``; ``a, b and c``)."""
    from babel.lists import format_list

    lang = lang or current()
    items = [render(i, lang) for i in items]
    if not items:
        return ""
    joined = format_list(items, style=style, locale=LOCALES[lang])
    if lang == PSEUDO and len(items) > 1:
        # the connector ("and", "or") is text too: accented like the rest of the pseudo-language
        from corridor.i18n.catalogue import pseudo

        head, _, tail = joined.rpartition(items[-1])
        before = head[len(", ".join(items[:-1])):]
        joined = ", ".join(items[:-1]) + pseudo(before) + items[-1] + tail
    return joined


def moment(value: Any) -> Any:
    """An ISO date or time string (as pages and the API carry them, ``Z`` for UTC) as a datetime to
    format; anything else, or a string that is not ISO, as it is."""
    if isinstance(value, str):
        import datetime as dt

        try:
            return dt.datetime.fromisoformat(value.removesuffix("Z"))
        except ValueError:
            return value
    return value


__all__ = [
    "LANGS",
    "LANG_NAMES",
    "LOCALES",
    "PSEUDO",
    "Lines",
    "Message",
    "Proper",
    "catalogue",
    "check_lang",
    "country_name",
    "current",
    "entries",
    "from_environment",
    "get",
    "has",
    "is_lang",
    "join",
    "language",
    "localize_number",
    "moment",
    "parse_langs",
    "place_name",
    "render",
    "set_language",
    "t",
    "text",
    "translate_known",
]


@cache
def country_name(iso3: str, lang: str) -> str:
    """A country's common name in ``lang``; the code itself if unknown."""
    import gettext

    import pycountry

    c = pycountry.countries.get(alpha_3=iso3.upper())
    if c is None:
        return iso3
    if iso3.upper() in _SHORT_COUNTRIES.get(lang, {}):
        return _SHORT_COUNTRIES[lang][iso3.upper()]
    name = getattr(c, "common_name", None) or c.name
    if lang == "en":
        return name
    try:
        tr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
    except OSError:
        return name
    return tr.gettext(name) if tr.gettext(name) != name else tr.gettext(c.name)


# ISO's long forms ("Venezuela, República Bolivariana de") replaced by the names in common use
_SHORT_COUNTRIES = {"es": {"VEN": "Venezuela", "BOL": "Bolivia"}, "fr": {"VEN": "Venezuela"}}


def place_name(place: str | None, lang: str | None = None) -> str | None:
    """A place written "Town, Country" (the country by its English name or ISO alpha-3 code) with the
    country named in ``lang``: "Antofagasta, Chile" reads "Antofagasta, Chili" in French. Anything
    else is shown as written."""
    if not place:
        return place
    head, sep, tail = place.rpartition(",")
    code = _country_code(tail.strip())
    if not sep or not head.strip() or code is None:
        return place
    return f"{head.strip()}, {country_name(code, lang or current())}"


@cache
def _country_code(name: str) -> str | None:
    import pycountry

    try:
        return str(pycountry.countries.lookup(name).alpha_3)
    except LookupError:
        return None


_SEPARATORS = {"es": (".", ","), "fr": ("\u202f", ",")}  # (thousands, decimal) where they differ from English


def localize_number(text: str, lang: str) -> str:
    """A number written with English separators (``1,234.5``) as ``lang`` writes it (``1.234,5``, ``1 234,5``)."""
    if lang not in _SEPARATORS:
        return text
    thousands, decimal = _SEPARATORS[lang]
    return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)
