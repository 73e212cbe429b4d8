"""The coverage registry: which shipped source covers which corridor, area and period.

``coverage.yaml`` (next to this module) lists every source the corridor profile can use, with
the profile sections it feeds, the destination, the origins it identifies, its areas, periods and
whether it is synthetic. :func:`plan` answers, for one corridor, which sources feed each
section (real sources first; a synthetic source only where no real one feeds the section) and
:func:`gaps` what the sources lack for it, so that a profile renders what exists and states
what does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from corridor.errors import InputError, SpecError
from corridor.i18n import Message

# libyaml's loader when PyYAML was built with it (the same objects, about 10x faster)
_SAFE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

REGISTRY = Path(__file__).resolve().parent / "coverage.yaml"
KINDS = ("survey", "aggregate", "notifications")
AREAS = ("national", "regions", "comunas")
_KEYS = {"id", "title", "title_lang", "publisher", "kind", "spec", "sections", "destination", "origins", "basis",
         "areas", "periods", "synthetic", "calibrate"}
ANY = "*"


@dataclass(frozen=True)
class Coverage:
    """One source of the registry (see ``coverage.yaml`` for the meaning of each field)."""

    id: str
    kind: str
    sections: tuple[str, ...]
    destination: str
    origins: tuple[str, ...] | None          # None: every country
    areas: str | tuple[str, ...]
    periods: tuple[int, ...]
    publisher: str = ""
    title: str | None = None
    title_lang: str | None = None
    spec: str | None = None
    basis: str = "either"
    synthetic: bool = False
    calibrate: bool = True

    def covers_destination(self, destination: str) -> bool:
        return self.destination in (ANY, destination)

    def identifies(self, origin: str) -> bool:
        """Whether the source tells the origin's people apart (a named country, not "other")."""
        return self.origins is None or origin in self.origins

    def covers_area(self, area: str | None, destination: str) -> bool:
        """National figures (``area`` None or the destination) or a region / comuna the source resolves.

        A source restricted to listed regions gives no national figure.
        """
        if isinstance(self.areas, tuple):
            return area in self.areas
        if area is None or area == destination:
            return True
        return self.areas in ("regions", "comunas")

    def covers(self, origin: str, destination: str, *, section: str | None = None, area: str | None = None,
               period: int | None = None) -> bool:
        """Whether the source gives the corridor's figures for ``section``, ``area`` and ``period``."""
        return (self.covers_destination(destination) and self.identifies(origin)
                and (section is None or section in self.sections) and self.covers_area(area, destination)
                and (period is None or period in self.periods))


def _fail(problem: Message) -> SpecError:
    return SpecError(Message("datasets.coverage.in_registry", file=REGISTRY.name, problem=problem),
                     hint=Message("datasets.coverage.in_registry.hint"))


def _parse(raw: dict[str, Any], sections: tuple[str, ...]) -> Coverage:
    sid = raw.get("id")
    extra = set(raw) - _KEYS
    if not sid or extra:
        raise _fail(Message("datasets.coverage.unknown_keys", source=repr(sid), keys=", ".join(sorted(extra))) if extra
                    else Message("datasets.coverage.no_id"))
    if raw.get("kind") not in KINDS:
        raise _fail(Message("datasets.coverage.kind", source=repr(sid), kind=repr(raw.get("kind")), allowed=", ".join(KINDS)))
    bad = [s for s in raw.get("sections") or [] if s not in sections]
    if bad or not raw.get("sections"):
        raise _fail(Message("datasets.coverage.sections", source=repr(sid), sections=", ".join(map(repr, bad)) or "-"))
    origins = raw.get("origins")
    areas = raw.get("areas")
    if not (areas in AREAS or isinstance(areas, list)):
        raise _fail(Message("datasets.coverage.areas", source=repr(sid), allowed=", ".join(AREAS)))
    return Coverage(
        id=str(sid), kind=raw["kind"], sections=tuple(raw["sections"]), destination=str(raw.get("destination") or ANY),
        origins=None if origins in (None, ANY) else tuple(str(o) for o in origins),
        areas=tuple(areas) if isinstance(areas, list) else str(areas), periods=tuple(int(p) for p in raw.get("periods") or ()),
        publisher=str(raw.get("publisher") or ""), title=raw.get("title"), title_lang=raw.get("title_lang"),
        spec=raw.get("spec"), basis=str(raw.get("basis") or "either"), synthetic=bool(raw.get("synthetic", False)),
        calibrate=bool(raw.get("calibrate", True)),
    )


@cache
def _load() -> tuple[tuple[str, ...], dict[str, dict[str, Any]], tuple[Coverage, ...]]:
    raw = yaml.load(REGISTRY.read_text(encoding="utf-8"), Loader=_SAFE)
    sections = tuple(raw["sections"])
    entries = tuple(_parse(r, sections) for r in raw["sources"])
    ids = [e.id for e in entries]
    if len(set(ids)) != len(ids):
        raise _fail(Message("datasets.coverage.ids_unique"))
    return sections, dict(raw.get("destinations") or {}), entries


def sections() -> tuple[str, ...]:
    """The profile's sections, in page order."""
    return _load()[0]


def registry() -> tuple[Coverage, ...]:
    """Every source of the registry."""
    return _load()[2]


def get(source_id: str) -> Coverage:
    """One source by id."""
    for e in registry():
        if e.id == source_id:
            return e
    raise InputError(Message("datasets.coverage.no_source", source=repr(source_id)),
                     hint=Message("datasets.coverage.no_source.hint", known=", ".join(e.id for e in registry())))


def spec_path(entry: Coverage) -> str:
    """The entry's spec as :func:`corridor.harmonize.load_spec` takes it: a shipped name, or a shipped file's path."""
    spec = str(entry.spec or "")
    if spec.startswith("datasets/"):
        return str(Path(__file__).resolve().parent / spec.removeprefix("datasets/"))
    if "/" in spec:
        return str(Path(__file__).resolve().parents[1] / spec)
    return spec


def default_region(destination: str) -> str | None:
    """The region a profile of ``destination`` highlights when none is asked (e.g. CL-AN for Chile)."""
    return (_load()[1].get(destination) or {}).get("default_region")


def _feeds(e: Coverage, origin: str, destination: str, section: str, area: str | None) -> bool:
    return e.covers(origin, destination, section=section) or (
        area is not None and e.covers(origin, destination, section=section, area=area))


def plan(origin: str, destination: str, *, area: str | None = None) -> dict[str, list[Coverage]]:
    """For each section, the sources that feed it for this corridor (nationally or in ``area``, a region).

    Real sources first: a synthetic source feeds a section only when no real one does.
    """
    out: dict[str, list[Coverage]] = {}
    for section in sections():
        found = [e for e in registry() if _feeds(e, origin, destination, section, area)]
        real = [e for e in found if not e.synthetic]
        out[section] = real or found
    return out


def gaps(origin: str, destination: str, *, area: str | None = None) -> dict[str, list[Coverage]]:
    """For each section, the sources of the destination that do not identify the origin (or the area)."""
    out: dict[str, list[Coverage]] = {}
    for section in sections():
        out[section] = [e for e in registry() if section in e.sections and e.covers_destination(destination)
                        and e.destination != ANY and not _feeds(e, origin, destination, section, area)]
    return out


__all__ = ["ANY", "Coverage", "default_region", "gaps", "get", "plan", "registry", "sections", "spec_path"]
