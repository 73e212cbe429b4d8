"""The criteria behind a label, as one line of text in Spanish, French or English.

A profile or a web page shows a label ("weakly reliable") with, on demand,
what decided it: each criterion of the scheme with the cell's value and the
threshold, e.g. ``n = 842 ≥ 60 · df = 125 ≥ 9 · SE = 0.0111 ≤ 0.0217 (p^(2/3)/9)``.
The text is built from a row of an assessed table: its values (``n``,
``df``, ``cv``, ``se``...), the criterion columns :func:`corridor.quality.assess`
added (in either naming) and the scheme's thresholds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from corridor.quality.criteria import quadratic
from corridor.quality.schemes import SCHEMES

_TERMS: dict[str, dict[str, str]] = {
    "df": {"es": "gl", "fr": "dl", "en": "df"},
    "se": {"es": "EE", "fr": "ET", "en": "SE"},
    "cv": {"es": "CV", "fr": "CV", "en": "CV"},
    "ess": {"es": "n efectivo", "fr": "n effectif", "en": "ESS"},
    "cases": {"es": "casos", "fr": "cas", "en": "cases"},
    "deff": {"es": "efecto de diseño", "fr": "effet de plan", "en": "deff"},
    "log_cv": {"es": "CV logarítmico", "fr": "CV logarithmique", "en": "log-CV"},
    "compliance": {"es": "n / n objetivo", "fr": "n / n visé", "en": "n / target n"},
    "ci": {"es": "IC", "fr": "IC", "en": "CI"},
    "includes": {"es": "incluye", "fr": "inclut", "en": "includes"},
    "excludes": {"es": "excluye", "fr": "exclut", "en": "excludes"},
    "missing": {"es": "sin dato", "fr": "non disponible", "en": "missing"},
}
# calidad's criterion columns under either naming
_ALIASES = {
    "n": ("eval_n", "quality_n"), "df": ("eval_df", "quality_df"), "cv": ("eval_cv", "quality_cv"),
    "se": ("eval_se", "quality_se"), "bound": ("quadratic", "quality_se_bound"),
    "ess": ("eval_ess", "quality_ess"), "unweighted": ("eval_unweighted", "quality_unweighted"),
    "log_cv": ("eval_log_cv", "quality_log_cv"), "deff": ("eval_deff", "quality_deff"),
    "compliance": ("eval_compliance_rate", "quality_compliance"), "ci": ("eval_ci", "quality_ci"),
}


def explain(row: Mapping[str, Any], lang: str = "en", scheme: str | None = None) -> str:
    """One line with every criterion of the row's label, its value and its threshold ("" when none).

    ``row`` is a row of a table assessed by :func:`corridor.quality.assess`
    (either naming of the criteria); ``scheme`` defaults to its ``quality_scheme``.
    """
    key = str(lang).strip().lower()[:2]
    if key not in ("es", "fr", "en"):
        key = "en"
    name = scheme or row.get("quality_scheme")
    if name not in SCHEMES:
        return ""
    params = SCHEMES[name].params
    parts: list[str] = []

    def crit(which: str) -> str | None:
        for column in _ALIASES[which]:
            if row.get(column) is not None:
                return str(row[column])
        return None

    def term(t: str) -> str:
        return _TERMS[t][key]

    def num(x: Any, digits: int = 3) -> str:
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return term("missing")
        if float(x).is_integer() and abs(float(x)) < 1e6:
            # whole numbers as the language groups them (n = 1 115, not n = 1115, beside the page's n = 1 115)
            from babel.numbers import format_decimal

            from corridor.i18n import LOCALES

            text = format_decimal(int(x), format="#,##0", locale=LOCALES[key])
        else:
            text = f"{float(x):.{digits}g}"
            text = text.replace(".", ",") if key in ("es", "fr") else text
        return text.replace("-", "\u2212")  # the typographic minus, as the page's own intervals

    def check(label: str, value: Any, threshold: float | None, at_least: bool = True) -> None:
        # the comparison of the value itself (calidad's ECLAC 2023 columns chain the gates: an "eval_df" of
        # "non-reliable" may mean an earlier gate failed)
        if value is None or threshold is None or (isinstance(value, float) and math.isnan(value)):
            parts.append(f"{label} = {num(value)}")
            return
        passed = value >= threshold if at_least else value <= threshold
        op = ("≥" if passed else "<") if at_least else ("≤" if passed else ">")
        parts.append(f"{label} = {num(value)} {op} {num(threshold)}")

    gap = crit("ci")
    if gap is not None:
        lo, hi = row.get("ci_low"), row.get("ci_high")
        zero = "1" if gap.endswith("1") else "0"
        verb = term("excludes") if "excludes" in gap else term("includes")
        interval = f" [{num(lo)}; {num(hi)}]" if lo is not None and hi is not None else ""
        return f"{term('ci')}{interval} {verb} {zero}"
    for which, label in (("n", "n"), ("df", term("df"))):
        if crit(which) is not None:
            check(label, row.get(which), params[which])
    if crit("compliance") is not None:
        check(term("compliance"), row.get("compliance_rate", row.get("quality_compliance_rate")), 1.0)
    if crit("deff") is not None:
        check(term("deff"), row.get("deff"), 1.0)
    if crit("ess") is not None:
        ess = row.get("ess")
        if ess is None and row.get("n") is not None and row.get("deff"):
            ess = row["n"] / row["deff"]
        check(term("ess"), ess, params["ess"])
    if crit("unweighted") is not None or (name == "eclac_2023" and row.get("unweighted") is not None):
        check(term("cases"), row.get("unweighted"), params.get("unweighted", params.get("CCNP_b")))
    c = crit("se")
    if c is not None:
        bound = row.get("quadratic", row.get("quality_se_bound"))
        estimate = row.get("estimate", row.get("stat"))
        if bound is None and estimate is not None:
            bound = float(quadratic(float(estimate)))
        se = row.get("se")
        if row.get("unit") == "percent" and estimate is not None:
            # a table in percent (the profile's) holds the estimate and its SE x 100; the bound was
            # computed on the proportion: compare and show both in percentage points
            estimate = float(estimate) / 100
            bound = None if bound is None else 100 * float(bound)
        form = "p^(2/3)/9" if estimate is None or float(estimate) <= 0.5 else "(1-p)^(2/3)/9"
        check(term("se"), se, bound, at_least=False)
        parts[-1] += f" ({form})"
    if crit("log_cv") is not None:
        check(term("log_cv"), _log_cv(row), params.get("cvlog_max", params.get("log_cv")), at_least=False)
    c = crit("cv")
    if c is not None:
        cv = row.get("cv")
        parts.append(f"{term('cv')} = {num(None if cv is None else 100 * cv)} % ({_band(c, key)})")
    return " · ".join(parts)


_REASON = re.compile(r"^(se|n|df|cv|deff|ess|log_cv)\s*(<=|>=|<|>|=)\s*(.+)$")
_OPS = {"<=": "≤", ">=": "≥", "<": "<", ">": ">", "=": "="}


def reason_text(reason: str | None, lang: str = "en") -> str:
    """A label's deciding rule as calidad codes it (``se>p^(2/3)/9``, ``n<60``) written for readers:
    the criterion in the language (ET, EE, dl...), spaced comparison signs, decimal commas in es/fr.
    Reasons of another form are returned as given."""
    if not reason:
        return ""
    key = lang if lang in ("es", "fr") else "en"
    m = _REASON.match(reason.strip())
    if not m:
        return reason
    name, op, rhs = m.groups()
    label = "n" if name == "n" else _TERMS[name][key] if name in _TERMS else name
    if key in ("es", "fr"):
        rhs = re.sub(r"(?<=\d)\.(?=\d)", ",", rhs)
    return f"{label} {_OPS[op]} {rhs}"


def _log_cv(row: Mapping[str, Any]) -> float | None:
    if row.get("log_cv") is not None:
        return float(row["log_cv"])
    p, cv = row.get("estimate", row.get("stat")), row.get("cv")
    if p is None or cv is None or not 0 < p < 1:
        return None
    return cv / -math.log(p) if p < 0.5 else cv / -math.log1p(-p)


def _band(text: str, lang: str) -> str:
    """calidad's CV criterion ("cv between 0.15 and 0.3", "adequate cv"...) in the language."""
    between = {"es": "entre", "fr": "entre", "en": "between"}[lang]
    words = {"adequate cv": {"es": "adecuado", "fr": "adéquat", "en": "adequate"},
             "non adequate cv": {"es": "no adecuado", "fr": "non adéquat", "en": "not adequate"}}
    if text in words:
        return words[text][lang]
    out = text.replace("cv ", "").replace("between", between).replace(" and ", " – ")
    return out.replace(".", ",") if lang in ("es", "fr") else out
