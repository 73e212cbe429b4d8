"""Calibration's messages (errors, warnings, summaries) in Spanish, French and English.

The texts are corridor's message catalogue's entries ``calibration.*`` (corridor.i18n); the
language is the catalogue's: the command line's ``--lang``, else ``CORRIDOR_LANG``, else English,
or one picked for a block of work with :func:`language`.
"""

from __future__ import annotations

from typing import Any

from corridor.i18n import catalogue as _catalogue
from corridor.i18n import current, language
from corridor.i18n import t as _t

LANGS = ("es", "fr", "en")
_PREFIX = "calibration."


def catalogue(lang: str) -> dict[str, str]:
    """Every calibration message of one language, by its key without the ``calibration.`` prefix."""
    return {k[len(_PREFIX):]: v for k, v in _catalogue(lang).items() if k.startswith(_PREFIX)}


def t(key: str, lang: str | None = None, **kw: Any) -> str:
    """The message ``key`` in ``lang`` (default: the current language), formatted with ``kw``."""
    return _t(_PREFIX + key, lang, **kw)


__all__ = ["LANGS", "catalogue", "current", "language", "t"]
