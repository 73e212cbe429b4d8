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
_FORMAT = 1  # of a parsed catalogue kept on disk


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
    """The entries of a catalogue file, kept on disk under a hash of its content and Babel's version
    (parsing the template costs 0.15 s in every process that renders a message)."""
    import hashlib
    import json
    import os
    import tempfile

    import babel

    from corridor._deps import cache_folder

    data = path.read_bytes()
    base = cache_folder()
    target = None
    if base is not None:
        digest = hashlib.sha256(f"{_FORMAT}\0{babel.__version__}\0".encode() + data).hexdigest()
        target = base / "messages" / f"{digest}.json"
        try:
            kept = json.loads(target.read_text(encoding="utf-8"))
            return {k: Entry(k, s, t, frozenset(f), tuple(n)) for k, s, t, f, n in kept}
        except (OSError, ValueError, TypeError):
            pass
    out = _parse(path, data)
    if target is not None:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump([[e.key, e.source, e.text, sorted(e.flags), list(e.notes)] for e in out.values()], f)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            pass  # a cache that cannot be written is skipped
    return out


def _parse(path: Path, data: bytes) -> dict[str, Entry]:
    import io

    from babel.messages.pofile import read_po

    cat = read_po(io.BytesIO(data), abort_invalid=True)
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
