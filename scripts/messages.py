"""Maintain corridor's message catalogue (src/corridor/i18n/locale).

    python scripts/messages.py add NEW.yaml      # add or replace messages given in es/fr/en
    python scripts/messages.py format            # rewrite the files sorted by id (stable diffs)
    python scripts/messages.py missing LANG      # ids LANG lacks or has fuzzy/stale
    python scripts/messages.py remove ID...      # drop messages the code no longer uses

NEW.yaml maps ids to texts::

    cli.error:
      en: "error: {message}"
      es: "error: {message}"
      fr: "erreur : {message}"
      note: shown before every error on the command line   # optional, for translators
      proper: false                                        # optional: a title kept as written

The files stay ordinary gettext files: ``pybabel update -i src/corridor/i18n/locale/corridor.pot
-d src/corridor/i18n/locale -D corridor --no-wrap`` merges a changed template as usual.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from corridor.i18n.catalogue import PROPER, TEMPLATE, po_path

TRANSLATED = ("es", "fr")
_FIELD = re.compile(r"\{[^{}]*\}")


def _load(path: Path) -> Catalog:
    if not path.exists():
        return Catalog(domain="corridor", project="corridor", charset="utf-8")
    with path.open("rb") as fh:
        return read_po(fh)


def _write(cat: Catalog, path: Path, locale: str | None) -> None:
    out = Catalog(locale=locale, domain="corridor", project="corridor", version="", charset="utf-8",
                  header_comment=f"# corridor's messages{' in ' + locale if locale else ' (English; the template)'}.\n"
                                 "# Ids in msgctxt; {name} placeholders are Python format fields.",
                  fuzzy=False)
    for m in sorted((m for m in cat if m.id), key=lambda m: m.context or ""):
        added = out.add(m.id, m.string if locale else "", context=m.context, auto_comments=m.auto_comments,
                        flags=[f for f in m.flags if f != "fuzzy" or locale], previous_id=m.previous_id)
        # Babel flags any text with '%' followed by a letter ("95% interval", "% of group") as a
        # printf-style python-format string; corridor's texts are str.format strings, where '%' is
        # literal, and `msgfmt -c` would check them as printf formats and fail
        added.flags.discard("python-format")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, out, width=0, omit_header=False, no_location=True)
    # Babel stamps creation dates into the header; drop them so that files change only with messages
    text = path.read_text(encoding="utf-8")
    text = re.sub(r'^"(POT-Creation-Date|PO-Revision-Date|Generated-By|Last-Translator|Language-Team|'
                  r'Report-Msgid-Bugs-To): .*\\n"\n', "", text, flags=re.MULTILINE)
    path.write_text(text, encoding="utf-8")


def _flags(en: str, proper: bool) -> list[str]:
    flags = ["python-brace-format"] if _FIELD.search(en) else []
    return flags + ([PROPER] if proper else [])


def add(new_path: Path) -> None:
    new = yaml.safe_load(new_path.read_text(encoding="utf-8")) or {}
    cats = {None: _load(TEMPLATE), **{lang: _load(po_path(lang)) for lang in TRANSLATED}}
    for key, texts in new.items():
        missing = [lang for lang in ("en", *TRANSLATED) if lang not in texts]
        if missing:
            raise SystemExit(f"{new_path}: {key}: no text in {', '.join(missing)}")
        note = [texts["note"]] if texts.get("note") else []
        flags = _flags(texts["en"], bool(texts.get("proper")))
        for lang, cat in cats.items():
            for old in [m for m in cat if m.context == key]:
                cat.delete(old.id, context=key)
            cat.add(str(texts["en"]), str(texts[lang]) if lang else "", context=key, auto_comments=note, flags=flags)
    for lang, cat in cats.items():
        _write(cat, TEMPLATE if lang is None else po_path(lang), lang)
    print(f"{len(new)} messages added or replaced")


def remove(keys: list[str]) -> None:
    cats = {None: _load(TEMPLATE), **{lang: _load(po_path(lang)) for lang in TRANSLATED}}
    unknown = [k for k in keys if not any(m.context == k for m in cats[None])]
    if unknown:
        raise SystemExit(f"no such message: {', '.join(unknown)}")
    for lang, cat in cats.items():
        for old in [m for m in cat if m.context in keys]:
            cat.delete(old.id, context=old.context)
        _write(cat, TEMPLATE if lang is None else po_path(lang), lang)
    print(f"{len(keys)} messages removed")


def fmt() -> None:
    _write(_load(TEMPLATE), TEMPLATE, None)
    for lang in TRANSLATED:
        _write(_load(po_path(lang)), po_path(lang), lang)


def missing(lang: str) -> None:
    template = {m.context: m.id for m in _load(TEMPLATE) if m.id}
    tr = {m.context: m for m in _load(po_path(lang)) if m.id}
    for key, en in template.items():
        m = tr.get(key)
        if m is None or not m.string or m.fuzzy or m.id != en:
            print(key)


if __name__ == "__main__":
    cmd, *args = sys.argv[1:] or ["help"]
    if cmd == "add":
        for a in args:
            add(Path(a))
    elif cmd == "remove":
        remove(args)
    elif cmd == "format":
        fmt()
    elif cmd == "missing":
        missing(args[0])
    else:
        print(__doc__)
