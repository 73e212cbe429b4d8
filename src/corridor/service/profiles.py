"""Stored profile runs: the tidy indicator table behind every page, filtered, published and charted.

A profile job writes ``<data>/profiles/<run id>/`` with ``indicators.parquet`` (the tidy table),
``meta.json`` and the full HTML page per language. Everything the service shows of a run goes
through :func:`published`, which applies corridor's one disclosure rule
(:func:`corridor.quality.disclosure.suppress_indicators`) again at the run's minimum: a suppressed
cell, or a survey cell from fewer than ``min_n`` sample cases, never leaves with a value.

The service's ``min_n`` is the publication minimum. A run made with a lower ``min_n`` is *not for
publication*: only roles holding ``profiles.unpublished`` (analysts, administrators) see it, and
every page, answer and download of it says so; to anyone else it does not exist.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from corridor.i18n import Message
from corridor.indicators.table import COLUMNS
from corridor.quality.disclosure import suppress_indicators
from corridor.service.errors import NotFound
from corridor.service.roles import can

RUN_ID = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{6}$")
POPULATIONS = ("corridor", "migrants", "natives", "gap")
DISAGGREGATIONS = ("total", "sex", "age_band", "age_group", "region")
PUBLIC_COLUMNS = tuple(c for c in COLUMNS)


def published(rows: list[dict[str, Any]], min_n: int) -> list[dict[str, Any]]:
    """Rows safe to publish at ``min_n``: corridor's disclosure rule, then JSON-safe values."""
    out = []
    for r in suppress_indicators(rows, min_n=min_n):
        for k, v in r.items():
            if isinstance(v, float) and not math.isfinite(v):
                r[k] = None  # JSON has no NaN; a missing value is what it means
        out.append({k: r.get(k) for k in PUBLIC_COLUMNS})
    return out


@dataclass
class Run:
    """One stored profile run."""

    id: str
    folder: Path
    meta: dict[str, Any]
    rows: list[dict[str, Any]] = field(repr=False)
    _options: dict[str, list] | None = field(default=None, repr=False, compare=False)
    _periods: dict[str, list[int]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def origin(self) -> str:
        return self.meta["origin"]

    @property
    def destination(self) -> str:
        return self.meta["destination"]

    @property
    def period(self) -> int | None:
        return self.meta.get("period")

    @property
    def for_publication(self) -> bool:
        """Whether the run's minimum reaches the service's publication minimum."""
        return bool(self.meta.get("for_publication", True))

    def options(self) -> dict[str, list]:
        """The values each filter can take (worked out once: a run never changes)."""
        if self._options is None:
            self._options = self._work_out_options()
        return {k: list(v) for k, v in self._options.items()}

    def periods_of(self, indicator: str) -> list[int]:
        """The years an indicator has in this run, oldest first (worked out once per indicator)."""
        own = self._periods.get(indicator)
        if own is None:
            own = sorted({r["period"] for r in self.rows if r["indicator"] == indicator and r["period"] is not None})
            self._periods[indicator] = own
        return own

    def _work_out_options(self) -> dict[str, list]:
        areas = sorted({r["area"] for r in self.rows}, key=lambda a: (len(a) > 3, a))
        periods = sorted({r["period"] for r in self.rows if r["period"] is not None}, reverse=True)
        inds = list(dict.fromkeys(r["indicator"] for r in self.rows))
        dis = [d for d in DISAGGREGATIONS if any(r["disaggregation"] == d for r in self.rows)]
        return {
            "area": areas,
            "period": periods,
            "population": list(POPULATIONS),
            "disaggregation": dis,
            "indicator": inds,
        }


def unpublished_notice(run: Run, lang: str) -> str | None:
    """The "not for publication" notice of a run below the publication minimum (None for the others)."""
    if run.for_publication:
        return None
    from corridor.service.i18n import UI

    return UI(lang).t("not_for_publication", run_min=run.meta["min_n"], min_n=run.meta["publication_min_n"])


def mark_unpublished(html: str, notice: str) -> str:
    """A profile's own page with the "not for publication" notice at the top of its body."""
    import html as html_lib
    import re

    banner = (
        '<p role="note" style="background:#7a0000;color:#fff;padding:.6em 1em;font-weight:bold;margin:0">'
        f"{html_lib.escape(notice)}</p>"
    )
    m = re.search(r"<body[^>]*>", html)
    return html[: m.end()] + banner + html[m.end() :] if m else banner + html


@dataclass(frozen=True)
class Filters:
    """What a profile page or download shows (all optional; ``None`` means every value)."""

    area: str | None = None
    period: int | None = None
    population: str | None = None
    disaggregation: str | None = "total"
    indicator: str | None = None

    def key(self) -> tuple:
        return (self.area, self.period, self.population, self.disaggregation, self.indicator)

    def query(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in zip(("area", "period", "population", "disaggregation", "indicator"), self.key())
            if v is not None
        }


@cache
def comuna_names() -> dict[str, str]:
    """Chile's comunas by their area code in profiles (``CL-2101`` -> ``Antofagasta``), from the shipped FONASA
    table (every comuna with its name); empty if it cannot be read."""
    try:
        from corridor.harmonize import harmonize

        rel = harmonize(None, "fonasa_beneficiaries").relation.project("area_code, area_name").distinct()
        return {f"CL-{code}": name for code, name in rel.fetchall() if code and name}
    except Exception:  # noqa: BLE001 - names are a help: codes alone if the table is missing
        return {}


def _shown(name: str, value: Any) -> str:
    """A value a filter accepts, as the reader knows it: areas by name (with the code to type), indicators by name."""
    from corridor.i18n import current
    from corridor.report.locale import country_name, extra_label, region_name

    text = str(value)
    if name == "area":
        named = country_name(text, current()) if len(text) == 3 else region_name(text)
        if named == text:
            named = comuna_names().get(text, text)
        return f"{named} ({text})" if named != text else text
    if name == "indicator":
        from corridor.indicators import catalogue as indicators

        try:
            return indicators.get(text).label(current())
        except Exception:  # noqa: BLE001 - a burden or flows indicator: the profile's own names
            return extra_label(text, current())
    return text


def resolve(
    run: Run,
    area: str | None,
    period: int | str | None,
    population: str | None,
    disaggregation: str | None,
    indicator: str | None,
) -> Filters:
    """Filters from query parameters: unknown values are refused with the values that exist."""
    from corridor.errors import InputError

    opts = run.options()

    def pick(name: str, value: Any, allowed: list, default: Any) -> Any:
        if value in (None, "", "all"):
            return default if value is None else None
        if value not in allowed:
            shown = ", ".join(_shown(name, a) for a in allowed[:20])
            raise InputError(Message("service.filter_not_in_profile", what=Message(f"service.filter_names.{name}"),
                                     value=repr(value)),
                             hint=Message("service.filter_use_one_of", values=shown))
        return value

    if period not in (None, "", "all"):
        try:
            period = int(period)
        except (TypeError, ValueError):
            raise InputError(Message("service.errors.period_year", period=repr(period)),
                             hint=Message("service.errors.period_year.hint")) from None
    a = pick("area", area, opts["area"], run.destination)
    default_period = run.period
    if indicator in opts["indicator"] and period is None:
        # an indicator whose source has other years (a survey's 2020 next to 2022 aggregates): its latest year
        own = run.periods_of(indicator)
        default_period = run.period if not own or run.period in own else own[-1]
    p = pick("period", period, opts["period"], default_period)
    d = pick("disaggregation", disaggregation, opts["disaggregation"], "total")
    if a and len(a) > 3 and d == "total":
        d = "region"  # a region's rows are the region cells of the table
    return Filters(
        area=a,
        period=p,
        population=pick("population", population, list(POPULATIONS), None),
        disaggregation=d,
        indicator=pick("indicator", indicator, opts["indicator"], None),
    )


def select(run: Run, f: Filters) -> list[dict[str, Any]]:
    """The run's rows that match ``f``."""
    out = []
    for r in run.rows:
        if f.area is not None and r["area"] != f.area:
            continue
        if f.period is not None and r["period"] != f.period:
            continue
        if f.population is not None and r["population"] != f.population:
            continue
        if f.disaggregation is not None and r["disaggregation"] != f.disaggregation:
            continue
        if f.indicator is not None and r["indicator"] != f.indicator:
            continue
        out.append(r)
    return out


class ProfileStore:
    """The profile runs under ``<data>/profiles``; tables are read once and kept (they never change).

    ``min_n`` is the publication minimum; ``who`` (a principal or a role) decides which runs exist for
    the asker: runs below the minimum only for roles holding ``profiles.unpublished``.
    """

    def __init__(self, root: Path, min_n: int) -> None:
        self.root = root
        self.min_n = min_n
        self._cache: dict[str, Run] = {}
        self._meta: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._reading = threading.Lock()  # held while a run's table is read
        self._listed: tuple[int, list[str], set[str]] | None = None  # folder's mtime, run folders, complete ones

    def ids(self) -> list[str]:
        """Run ids, newest first (only complete runs).

        Asked several times by every page: the folder is listed again only when it changed (a run
        arrives by a rename into it, or is removed), and a run folder without its ``meta.json`` yet (one
        being copied in) is looked at again until it has one."""
        try:
            stamp = self.root.stat().st_mtime_ns
        except FileNotFoundError:
            return []
        with self._lock:
            listed = self._listed
        # a change within the file system's timestamp resolution of the last listing could leave the stamp
        # as it was: a folder changed in the last second is listed again
        if listed is None or listed[0] != stamp or time.time_ns() - stamp < 1_000_000_000:
            names = sorted((p.name for p in self.root.iterdir() if RUN_ID.match(p.name)), reverse=True)
            listed = (stamp, names, set())
        complete = listed[2]
        for name in listed[1]:
            if name not in complete and (self.root / name / "meta.json").exists():
                complete.add(name)
        with self._lock:
            self._listed = (listed[0], listed[1], complete)
        return [n for n in listed[1] if n in complete]

    def meta(self, run_id: str) -> dict[str, Any]:
        """A run's metadata, with whether it is for publication (read once: runs never change)."""
        with self._lock:
            meta = self._meta.get(run_id)
        if meta is None:
            meta = json.loads((self.root / run_id / "meta.json").read_text(encoding="utf-8"))
            run_min = int(meta.get("min_n") or self.min_n)
            meta["min_n"] = run_min
            meta["for_publication"] = run_min >= self.min_n
            meta["publication_min_n"] = self.min_n
            with self._lock:
                self._meta[run_id] = meta
        return meta

    def visible(self, run_id: str, who: Any) -> bool:
        role = who if isinstance(who, str) or who is None else getattr(who, "role", None)
        return self.meta(run_id)["for_publication"] or can(role, "profiles.unpublished")

    def runs(self, who: Any) -> list[dict[str, Any]]:
        """The runs ``who`` may see, newest first."""
        out = []
        for rid in self.ids():
            if not self.visible(rid, who):
                continue
            meta = self.meta(rid)
            keys = (
                "origin",
                "destination",
                "region",
                "period",
                "scheme",
                "min_n",
                "created_at",
                "synthetic_survey",
                "rows",
                "for_publication",
            )
            out.append({"id": rid, **{k: meta.get(k) for k in keys}})
        return out

    def latest(self, who: Any, origin: str | None = None, destination: str | None = None) -> Run | None:
        for r in self.runs(who):
            if (origin is None or r["origin"] == origin) and (
                destination is None or r["destination"] == destination
            ):
                return self.get(r["id"], who)
        return None

    def get(self, run_id: str, who: Any) -> Run:
        """A run by id (checked before it touches the file system), if ``who`` may see it."""
        if not RUN_ID.match(run_id or "") or run_id not in self.ids() or not self.visible(run_id, who):
            raise NotFound(Message("service.errors.no_run", run=repr(run_id)), hint=Message("service.errors.no_run.hint"))
        return self.load(run_id)

    def load(self, run_id: str) -> Run:
        """A run known to exist, read once (whoever asks: the caller has checked who may see it)."""
        with self._lock:
            run = self._cache.get(run_id)
        if run is None:
            # read once: the requests that ask for a run not read yet wait for the one reading it
            with self._reading:
                with self._lock:
                    run = self._cache.get(run_id)
                if run is None:
                    folder = self.root / run_id
                    meta = self.meta(run_id)
                    rows = published(pq.read_table(folder / "indicators.parquet").to_pylist(), meta["min_n"])
                    run = Run(run_id, folder, meta, rows)
                    with self._lock:
                        run = self._cache.setdefault(run_id, run)
        return run

    def html_file(self, run_id: str, lang: str, who: Any) -> Path:
        run = self.get(run_id, who)
        path = run.folder / f"profile-{lang}.html"
        if not path.exists():
            raise NotFound(Message("service.errors.no_html", run=run_id, lang=lang), hint=Message("service.errors.no_html.hint"))
        return path

    def pdf_file(self, run_id: str, lang: str, who: Any) -> Path:
        run = self.get(run_id, who)
        path = run.folder / f"profile-{lang}.pdf"
        if not path.exists():
            raise NotFound(Message("service.errors.no_pdf", run=run_id, lang=lang), hint=Message("service.errors.no_pdf.hint"))
        return path
