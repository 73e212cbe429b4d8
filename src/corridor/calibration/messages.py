"""Calibration's messages (errors, warnings, summaries) in Spanish, French and English.

The texts live in ``messages/{es,fr,en}.yaml``. The language is English unless
the ``CORRIDOR_LANG`` environment variable names another, or a caller picks
one for a block of work with :func:`language` (the command line's ``--lang``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

import yaml

LANGS = ("es", "fr", "en")
_DIR = Path(__file__).resolve().parent / "messages"
_LANG: ContextVar[str | None] = ContextVar("corridor_calibration_lang", default=None)


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Every message of one language."""
    return yaml.safe_load((_DIR / f"{lang}.yaml").read_text(encoding="utf-8"))


def current() -> str:
    lang = _LANG.get() or os.environ.get("CORRIDOR_LANG", "en")[:2].lower()
    return lang if lang in LANGS else "en"


@contextmanager
def language(lang: str | None) -> Iterator[None]:
    """Messages in ``lang`` inside the block (None keeps the current language)."""
    if lang is not None and lang not in LANGS:
        from corridor.errors import InputError

        raise InputError(f"language {lang!r} is not supported", hint="use es, fr or en")
    token = _LANG.set(lang) if lang is not None else None
    try:
        yield
    finally:
        if token is not None:
            _LANG.reset(token)


def t(key: str, lang: str | None = None, **kw: Any) -> str:
    """The message ``key`` in ``lang`` (default: the current language), formatted with ``kw``."""
    text = catalogue(lang or current())[key]
    return text.format(**kw) if kw else text


__all__ = ["LANGS", "catalogue", "current", "language", "t"]
