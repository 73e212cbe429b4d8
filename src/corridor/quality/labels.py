"""Quality and suppression labels in Spanish, French and English.

The Spanish labels are those INE Chile publishes (``fiable``, ``poco fiable``,
``no fiable``; ``calidad`` printed them up to 0.2.0); the English ones are
``calidad``'s since 0.3.0.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from corridor.errors import InputError
from corridor.i18n import Message
from corridor.quality._frames import ASSESSED_TABLE, require, set_column, to_arrow
from corridor.quality.schemes import Scheme, get_scheme

LANGUAGES = ("es", "fr", "en")

_LABELS: dict[str | None, dict[str, str]] = {
    "reliable": {"es": "fiable", "fr": "fiable", "en": "reliable"},
    "weakly_reliable": {"es": "poco fiable", "fr": "peu fiable", "en": "weakly reliable"},
    "non_reliable": {"es": "no fiable", "fr": "non fiable", "en": "non-reliable"},
    "publish": {"es": "publicar", "fr": "publier", "en": "publish"},
    "review": {"es": "revisar", "fr": "réviser", "en": "review"},
    "suppress": {"es": "suprimir", "fr": "supprimer", "en": "suppress"},
    "significant": {"es": "diferencia significativa", "fr": "différence significative", "en": "significant difference"},
    "not_significant": {
        "es": "diferencia no significativa",
        "fr": "différence non significative",
        "en": "no significant difference",
    },
    None: {"es": "no evaluada", "fr": "non évaluée", "en": "not assessed"},
}

_SUPPRESSION: dict[str | None, dict[str, str]] = {
    "primary_min_n": {
        "es": "suprimida: muy pocos casos en la muestra",
        "fr": "supprimée : trop peu de cas dans l'échantillon",
        "en": "suppressed: too few sample cases",
    },
    "primary_min_sum_w": {
        "es": "suprimida: población estimada muy pequeña",
        "fr": "supprimée : population estimée trop petite",
        "en": "suppressed: estimated population too small",
    },
    "primary_quality": {
        "es": "suprimida: calidad insuficiente",
        "fr": "supprimée : qualité insuffisante",
        "en": "suppressed: insufficient quality",
    },
    "primary_min_count": {
        "es": "suprimida: muy pocos casos notificados",
        "fr": "supprimée : trop peu de cas notifiés",
        "en": "suppressed: too few cases notified",
    },
    "secondary": {
        "es": "suprimida para proteger otra celda",
        "fr": "supprimée pour protéger une autre cellule",
        "en": "suppressed to protect another cell",
    },
    None: {"es": "", "fr": "", "en": ""},
}


def _lang(lang: str) -> str:
    key = str(lang).strip().lower()[:2]
    if key not in LANGUAGES:
        raise InputError(Message("quality.unsupported_language", lang=lang),
                         hint=Message("quality.use_one_of.hint", values=", ".join(LANGUAGES)))
    return key


def render_label(code: str | None, lang: str = "en") -> str:
    """The label of a quality code (``reliable``, ``review``, ...; None = not assessed) in es/fr/en."""
    if code not in _LABELS:
        raise InputError(Message("quality.unknown_code", code=code),
                         hint=Message("quality.unknown_code.hint", codes=", ".join(c for c in _LABELS if c)))
    return _LABELS[code][_lang(lang)]


def render_suppression(reason: str | None, lang: str = "en") -> str:
    """A sentence for a suppression reason (``primary_min_n``, ``secondary``, ...) in es/fr/en."""
    if reason not in _SUPPRESSION:
        raise InputError(Message("quality.unknown_reason", reason=reason),
                         hint=Message("quality.unknown_reason.hint", reasons=", ".join(r for r in _SUPPRESSION if r)))
    return _SUPPRESSION[reason][_lang(lang)]


def calidad_label(code: str | None, scheme: str | Scheme = "chile") -> str | None:
    """The exact string R's ``calidad`` 0.8.x prints for a code under ``scheme`` (None for none)."""
    if code is None:
        return None
    chosen = get_scheme(scheme)
    if code not in chosen.calidad_labels:
        raise InputError(Message("quality.code_not_in_scheme", code=code, scheme=chosen.name),
                         hint=Message("quality.code_not_in_scheme.hint", codes=", ".join(chosen.codes)))
    return chosen.calidad_labels[code]


def add_labels(table: Any, lang: str = "en", *, column: str = "quality_label") -> Any:
    """Add a column with the ``quality`` code of each row rendered in ``lang``."""
    arrow, back = to_arrow(table)
    require(arrow, ["quality"], where=ASSESSED_TABLE)
    key = _lang(lang)
    encoded = pc.dictionary_encode(arrow.column("quality"), null_encoding="encode").combine_chunks()
    codes = encoded.dictionary.to_pylist()
    unknown = [c for c in codes if c not in _LABELS]
    if unknown:
        raise InputError(Message("quality.unknown_codes_in_column", codes=", ".join(map(repr, sorted(unknown)))),
                         hint=Message("quality.unknown_codes_in_column.hint"))
    rendered = pa.array([_LABELS[c][key] for c in codes], pa.string())
    return back(set_column(arrow, column, pc.take(rendered, encoded.indices)))
