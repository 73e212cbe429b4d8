"""Stored profile runs: the tidy indicator table behind every page, filtered, published and charted.

A profile job writes ``<data>/profiles/<run id>/`` with ``indicators.parquet`` (the tidy table),
``meta.json`` and the full HTML page per language. Everything the service shows of a run goes
through :func:`published`, which re-applies disclosure control: a suppressed cell, or a survey
cell from fewer than ``min_n`` sample cases, never leaves with a value.
"""

from __future__ import annotations

import json
import math
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from corridor.indicators.table import COLUMNS
from corridor.service.errors import NotFound

RUN_ID = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{6}$")
VALUE_COLUMNS = ("estimate", "se", "ci_low", "ci_high", "cv", "deff", "df", "n", "quality_se_bound")  # the bound reveals p
POPULATIONS = ("corridor", "migrants", "natives", "gap")
DISAGGREGATIONS = ("total", "sex", "age_band", "age_group", "region")
PUBLIC_COLUMNS = tuple(c for c in COLUMNS)


def published(rows: list[dict[str, Any]], min_n: int) -> list[dict[str, Any]]:
    """Rows safe to publish: suppressed cells and survey cells below ``min_n`` cases carry no values."""
    out = []
    for r in rows:
        r = dict(r)
        small = (
            r.get("source_kind") == "survey"
            and r.get("status") == "ok"
            and r.get("n") is not None
            and r["n"] < min_n
            and r.get("population") != "gap"
        )
        if small and not r.get("suppressed"):
            r["suppressed"], r["suppression_reason"] = True, "primary_min_n"
        if r.get("suppressed"):
            for k in VALUE_COLUMNS:
                r[k] = None
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

    @property
    def origin(self) -> str:
        return self.meta["origin"]

    @property
    def destination(self) -> str:
        return self.meta["destination"]

    @property
    def period(self) -> int | None:
        return self.meta.get("period")

    def options(self) -> dict[str, list]:
        """The values each filter can take."""
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
            shown = ", ".join(str(a) for a in allowed[:20])
            raise InputError(f"{name} {value!r} is not in this profile", hint=f"use one of: {shown}")
        return value

    if period not in (None, "", "all"):
        try:
            period = int(period)
        except (TypeError, ValueError):
            raise InputError(f"period {period!r} is not a year", hint="e.g. period=2022") from None
    a = pick("area", area, opts["area"], run.destination)
    p = pick("period", period, opts["period"], run.period)
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
    """The profile runs under ``<data>/profiles``; tables are read once and kept (they never change)."""

    def __init__(self, root: Path, min_n: int) -> None:
        self.root = root
        self.min_n = min_n
        self._cache: dict[str, Run] = {}
        self._lock = threading.Lock()

    def ids(self) -> list[str]:
        """Run ids, newest first (only complete runs)."""
        if not self.root.exists():
            return []
        return sorted(
            (p.name for p in self.root.iterdir() if RUN_ID.match(p.name) and (p / "meta.json").exists()),
            reverse=True,
        )

    def runs(self) -> list[dict[str, Any]]:
        out = []
        for rid in self.ids():
            meta = json.loads((self.root / rid / "meta.json").read_text(encoding="utf-8"))
            out.append(
                {
                    "id": rid,
                    **{
                        k: meta.get(k)
                        for k in (
                            "origin",
                            "destination",
                            "region",
                            "period",
                            "scheme",
                            "min_n",
                            "created_at",
                            "synthetic_survey",
                            "rows",
                        )
                    },
                }
            )
        return out

    def latest(self, origin: str | None = None, destination: str | None = None) -> Run | None:
        for r in self.runs():
            if (origin is None or r["origin"] == origin) and (
                destination is None or r["destination"] == destination
            ):
                return self.get(r["id"])
        return None

    def get(self, run_id: str) -> Run:
        """A run by id (the id is checked before it touches the file system)."""
        if not RUN_ID.match(run_id or "") or run_id not in self.ids():
            raise NotFound(f"there is no profile run {run_id!r}", hint="see the list of profiles")
        with self._lock:
            run = self._cache.get(run_id)
            if run is None:
                folder = self.root / run_id
                meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
                rows = published(
                    pq.read_table(folder / "indicators.parquet").to_pylist(),
                    max(self.min_n, int(meta.get("min_n") or 0)),
                )
                run = self._cache[run_id] = Run(run_id, folder, meta, rows)
            return run

    def html_file(self, run_id: str, lang: str) -> Path:
        run = self.get(run_id)
        path = run.folder / f"profile-{lang}.html"
        if not path.exists():
            raise NotFound(f"profile run {run_id} has no HTML page in {lang}", hint="run the profile again")
        return path

    def pdf_file(self, run_id: str, lang: str) -> Path:
        run = self.get(run_id)
        path = run.folder / f"profile-{lang}.pdf"
        if not path.exists():
            raise NotFound(
                f"profile run {run_id} has no PDF in {lang}", hint="run the profile with the PDF option"
            )
        return path
