"""Reading the message catalogue (gettext template and translations, through Babel).

``locale/corridor.pot`` is the English catalogue: one entry per message, the id in ``msgctxt``,
the English text in ``msgid``. ``locale/<lang>/LC_MESSAGES/corridor.po`` translates it. An entry
flagged ``proper-title`` is a name kept in its own language everywhere (the tests accept it
untranslated); ``fuzzy`` entries (a translation of an older English text) are not used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PSEUDO = "qps"
DOMAIN = "corridor"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
PROPER = "proper-title"


def po_path(lang: str) -> Path:
    """The translation file of ``lang``."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@dataclass(frozen=True)
class Entry:
    """One message: its id, English text, translation (None when missing or fuzzy), flags, notes."""

    key: str
    source: str
    text: str | None
    flags: frozenset[str]
    notes: tuple[str, ...]

    @property
    def proper(self) -> bool:
        return PROPER in self.flags


def _read(path: Path) -> dict[str, Entry]:
    from babel.messages.pofile import read_po

    with path.open("rb") as fh:
        cat = read_po(fh, abort_invalid=True)
    out: dict[str, Entry] = {}
    for m in cat:
        if not m.id:
            continue  # the header
        if not m.context:
            raise ValueError(f"{path}: message {m.id!r} has no msgctxt (every message needs its id there)")
        if m.context in out:
            raise ValueError(f"{path}: message id {m.context!r} appears twice")
        text = m.string if isinstance(m.string, str) and m.string and not m.fuzzy else None
        out[m.context] = Entry(m.context, m.id, text, frozenset(m.flags), tuple(m.auto_comments))
    return out


@cache
def entries(lang: str = "en") -> dict[str, Entry]:
    """Every entry of the template (``en``) or of a translation file, by id."""
    return _read(TEMPLATE if lang == "en" else po_path(lang))


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Every message of ``lang`` by id; a message the translation lacks reads in English
    (as gettext does; the tests hold every translation complete)."""
    template = entries("en")
    if lang == "en":
        return {k: e.source for k, e in template.items()}
    if lang == PSEUDO:
        return {k: e.source if e.proper else pseudo(e.source) for k, e in template.items()}
    translated = entries(lang)
    out = {}
    for key, e in template.items():
        tr = translated.get(key)
        # a translation of another English text is stale: gettext would have marked it fuzzy
        out[key] = tr.text if tr is not None and tr.text is not None and tr.source == e.source else e.source
    return out


_ACCENTS = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "áƀçđéƒĝĥíĵķļɱñóþʠŕšţúṽŵẋýžÁƁÇĐÉƑĜĤÍĴĶĻṀÑÓÞǪŔŠŢÚṼŴẊÝŽ",
)
_FIELD = re.compile(r"(\{[^{}]*\}|<[^<>]*>|&[a-z]+;)")


def pseudo(text: str) -> str:
    """``text`` accented and bracketed, placeholders, markup and entities kept as they are."""
    parts = _FIELD.split(text)
    return "⟦" + "".join(p if i % 2 else p.translate(_ACCENTS) for i, p in enumerate(parts)) + "⟧"


@cache
def _plural_rule(locale: str):
    from babel import Locale

    return Locale.parse(locale).plural_form


def plural_category(n: float, locale: str) -> str:
    """CLDR's plural category of ``n`` in ``locale`` (``one``, ``many``, ``other``...)."""
    return _plural_rule(locale)(abs(n))
