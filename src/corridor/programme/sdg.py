"""2030 Agenda tags, checked against the UN list of SDG goals, targets and indicators.

The list (``reference/sdg_framework.csv``, see PROVENANCE.md there) is the UN Statistics
Division's global indicator framework with its official titles in English, Spanish and French.
A programme may tag a goal (``3``), a target (``3.8``) or an indicator (``3.8.1``); a code that is
not in the list is an error. Disaggregation by migratory status is what target 17.18 asks for;
indicator 17.18.1 is the statistical-capacity indicator and is not a tag for migrant data.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from difflib import get_close_matches
from functools import cache
from pathlib import Path
from typing import TypeVar

from corridor.errors import SpecError
from corridor.i18n import Message

T = TypeVar("T")
FRAMEWORK = Path(__file__).resolve().parent / "reference" / "sdg_framework.csv"
VERSION = "UN global indicator framework after the 2023 refinement"

# catalogue indicator -> the SDG codes it serves (targets where the indicator is related to, not
# the same as, an SDG indicator: an uninsured share is not the 3.8.1 service-coverage index)
CATALOGUE_TAGS: dict[str, tuple[str, ...]] = {
    "uninsured_share": ("3.8",),
    "health_insurance_coverage": ("3.8",),
    "unmet_health_need": ("3.8",),
    "health_care_use": ("3.8",),
    "unemployment_rate": ("8.5.2",),
    "informality_rate": ("8.3.1",),
    "income_poverty_rate": ("1.2.1",),
    "extreme_poverty_rate": ("1.2",),
}
_DISEASE = re.compile(r"^notification_(count|rate|dsr|rate_ratio|dsr_ratio)_")
# a disease's notification rate per 100,000 (crude or age-standardised) that measures an SDG
# indicator; counts and rate ratios serve the target (3.3) only. HIV notifications are diagnoses,
# not the new infections per 1,000 uninfected of 3.3.1, and syphilis has no SDG indicator.
_DISEASE_RATE_INDICATOR = {"tuberculosis": "3.3.2"}  # tuberculosis incidence per 100,000 population
_DISEASE_RATE = re.compile(r"^notification_(rate|dsr)_(?!ratio_)(?P<disease>[a-z_]+)$")
MIGRATORY_STATUS_TARGET = "17.18"


@dataclass(frozen=True)
class Code:
    code: str
    kind: str  # goal, target, indicator
    titles: dict[str, str]


@cache
def framework() -> dict[str, Code]:
    """Every goal, target and indicator of the UN list, by code."""
    with FRAMEWORK.open(encoding="utf-8", newline="") as fh:
        return {r["code"]: Code(r["code"], r["kind"], {k: r[f"title_{k}"] for k in ("en", "es", "fr") if r[f"title_{k}"]})
                for r in csv.DictReader(fh)}


def check_code(code: object) -> str:
    """Return ``code`` if it is a goal, target or indicator of the UN list; raise SpecError otherwise."""
    text = str(code).strip()
    known = framework()
    if text in known:
        return text
    parent = text.rsplit(".", 1)[0] if text.count(".") == 2 else None
    siblings = sorted((c for c in known if parent and c.startswith(parent + ".") and c.count(".") == 2), key=sort_key)
    close = siblings or get_close_matches(text, list(known), n=3)
    raise SpecError(Message("programme.errors.sdg.unknown", code=repr(text)),
                    hint=Message("programme.errors.sdg.unknown.near_hint", codes=", ".join(close)) if close
                    else Message("programme.errors.sdg.unknown.hint"))


def kind(code: str) -> str:
    """``goal``, ``target`` or ``indicator``."""
    return framework()[code].kind


def title(code: str, lang: str = "en") -> str:
    """The official title of the code in ``lang`` (English where no translation is published)."""
    entry = framework().get(code)
    if entry is None:
        return code
    return entry.titles.get(lang) or entry.titles["en"]


def goal(code: str) -> str:
    """The goal of a code (``3.8.1`` -> ``3``)."""
    return code.split(".")[0]


def target(code: str) -> str | None:
    """The target of a target or indicator code (``3.8.1`` -> ``3.8``); None for a goal."""
    parts = code.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else None


def tags_for(indicator: str, population: str | None = None) -> list[str]:
    """SDG codes of a catalogue indicator; target 17.18 too when its population is defined by migratory status."""
    tags = list(CATALOGUE_TAGS.get(indicator, ()))
    if _DISEASE.match(indicator):
        rate = _DISEASE_RATE.match(indicator)
        tags.append(_DISEASE_RATE_INDICATOR.get(rate["disease"], "3.3") if rate else "3.3")
    if population in ("corridor", "migrants", "natives", "gap"):
        tags.append(MIGRATORY_STATUS_TARGET)
    return tags


def sort_key(code: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 100 + ord(p) for p in code.split("."))


def group_by_sdg(items: Iterable[T], codes: Callable[[T], Iterable[str]]) -> dict[str, list[T]]:
    """Group items by SDG code (an item with several tags appears under each); codes in order."""
    groups: dict[str, list[T]] = {}
    for item in items:
        for code in codes(item):
            groups.setdefault(code, []).append(item)
    return {k: groups[k] for k in sorted(groups, key=sort_key)}
