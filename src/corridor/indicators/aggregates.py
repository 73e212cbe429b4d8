"""Migration and demography indicators from official aggregate tables.

Sources (each harmonized by its spec, :func:`corridor.harmonize.harmonize`):

* INE/SERMIG, estimate of foreign residents at 31 December 2018-2022 by region, country, sex and
  five-year age group (``ine_sermig_foreign_residents``): corridor migrants (nationals of, or born
  in, the origin) and all foreign residents;
* INE population projections (2017 census base) by region, sex and age group, 2015-2025
  (``ine_population_projections_regions``): denominators; natives are the projected population
  minus the foreign residents of the same cell;
* UN DESA International Migrant Stock 2019, origin x destination, 1990-2019 (``undesa_ims_2019``).

These are administrative/demographic estimates without sampling error: their rows carry no SE,
no survey quality label and no suppression (the publishers released them as shown). Which of
them cover a corridor is asked of the coverage registry (:mod:`corridor.datasets.coverage`):
where INE/SERMIG covers the destination but does not identify the origin (a country inside
"other country"), all foreign residents and natives are given and the corridor's rows are
``unavailable``, never zero.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb

from corridor.datasets import cache, coverage
from corridor.indicators.catalogue import Indicator, load
from corridor.sources import default_connection

DATASETS = Path(__file__).resolve().parents[1] / "datasets"
PROJECTIONS_SPEC = DATASETS / "ine_population_projections_regions" / "ine_population_projections_regions.yaml"
SERMIG_TITLE = "INE/SERMIG, Estimación de personas extranjeras residentes habituales en Chile al 31 de diciembre de 2022"
PROJ_TITLE = "INE, Estimaciones y proyecciones de población 2002-2035 (base 2017)"
UNDESA_TITLE = "UN DESA, International Migrant Stock 2019 (POP/DB/MIG/Stock/Rev.2019)"
UNKNOWN = "_U"   # a cell's unknown region/sex/age, kept apart from the margins (None)
AGE_ORDER = ["0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50-54",
             "55-59", "60-64", "65-69", "70-74", "75-79", "80+"]


@dataclass
class AggregateInputs:
    """Cell counts read from the aggregate sources: ``{(population, year, region, sex, age_group): count}``."""

    cells: dict[tuple[str, int, str | None, str | None, str | None], float]
    undesa: dict[tuple[str, int], float]           # (population, year) -> stock in the destination
    destination: str
    origin: str
    years: list[int]
    undesa_years: list[int]
    sources: list[dict[str, str]] = field(default_factory=list)
    national_only: bool = False
    corridor_identified: bool = True   # the national source tells the origin apart (not "other country")


def load_aggregates(origin: str, destination: str, *, con: duckdb.DuckDBPyConnection | None = None) -> AggregateInputs:
    """Read the shipped aggregate sources for the corridor ``origin -> destination`` (ISO alpha-3).

    The shipped files do not change while a process runs, so the result is cached per corridor.
    """
    if con is None:
        return _cached(origin, destination)
    return _read(origin, destination, con)


@lru_cache(maxsize=8)
def _cached(origin: str, destination: str) -> AggregateInputs:
    # harmonizing the shipped tables is a fixed cost of every profile (about a second): the result is
    # kept on disk under a key of every file it is made from (datasets.cache), so a changed table,
    # spec or reading code is read again
    k = _cache_key(origin, destination)
    if k is not None:
        hit = _from_json(cache.load("aggregates", k))
        if hit is not None:
            return hit
    out = _read(origin, destination, default_connection())
    if k is not None:
        cache.store("aggregates", k, _to_json(out))
    return out


def _cache_key(origin: str, destination: str) -> str | None:
    """The disk cache's key of the corridor's aggregate inputs (None when the cache is off or a spec cannot be read)."""
    if cache.folder() is None:
        return None
    from corridor.harmonize import spec_files

    try:
        files = spec_files(str(coverage.get("ine_sermig").spec), str(PROJECTIONS_SPEC), str(coverage.get("undesa_ims").spec))
    except Exception:  # noqa: BLE001 - no cache then; reading fails with its own message
        return None
    return cache.key("aggregates", files, extra=(origin, destination))


def _to_json(inp: AggregateInputs) -> dict[str, Any]:
    return {"cells": [[list(k), v] for k, v in inp.cells.items()], "undesa": [[list(k), v] for k, v in inp.undesa.items()],
            "destination": inp.destination, "origin": inp.origin, "years": inp.years, "undesa_years": inp.undesa_years,
            "sources": inp.sources, "national_only": inp.national_only, "corridor_identified": inp.corridor_identified}


def _from_json(raw: Any) -> AggregateInputs | None:
    try:
        return AggregateInputs(cells={tuple(k): float(v) for k, v in raw["cells"]},  # type: ignore[misc]
                               undesa={(str(k[0]), int(k[1])): float(v) for k, v in raw["undesa"]},
                               destination=raw["destination"], origin=raw["origin"], years=list(raw["years"]),
                               undesa_years=list(raw["undesa_years"]), sources=list(raw["sources"]),
                               national_only=bool(raw["national_only"]), corridor_identified=bool(raw["corridor_identified"]))
    except (TypeError, KeyError, ValueError, IndexError):
        return None


def _read(origin: str, destination: str, con: duckdb.DuckDBPyConnection) -> AggregateInputs:
    from corridor.harmonize import harmonize

    cells: dict[tuple, float] = defaultdict(float)
    years: list[int] = []
    sources: list[dict[str, str]] = []
    sermig, projections = coverage.get("ine_sermig"), coverage.get("ine_projections")
    identified = True
    if sermig.covers_destination(destination) and projections.covers_destination(destination):
        identified = sermig.identifies(origin)
        s = harmonize(None, str(sermig.spec), con=con).relation
        q = s.aggregate(f"year, region, sex, age_group, country_origin = '{origin}' AS corridor, sum(count) AS n",
                        "year, region, sex, age_group, corridor").fetchall()
        for year, region, sex, ag, corr, n in q:
            region, sex, ag = region or UNKNOWN, sex or UNKNOWN, ag or UNKNOWN
            cells[("migrants", year, region, sex, ag)] += n
            if corr:
                cells[("corridor", year, region, sex, ag)] += n
        years = sorted({r[0] for r in q})
        p = harmonize(None, str(PROJECTIONS_SPEC), con=con).relation
        for year, region, sex, ag, n in p.filter(f"year BETWEEN {min(years)} AND {max(years)}").aggregate(
                "year, region, sex, age_group, sum(count)", "year, region, sex, age_group").fetchall():
            cells[("total", year, region or UNKNOWN, sex or UNKNOWN, ag or UNKNOWN)] += n
        sources += [
            {"id": "ine_sermig", "title": SERMIG_TITLE, "publisher": "INE, SERMIG", "date": "2023-12",
             "design": "administrative records (residence permits, border control, irregular entries) on the 2017 census; no sampling error",
             "covers": "2018-2022, region x country x sex x five-year age"},
            {"id": "ine_projections", "title": PROJ_TITLE, "publisher": "INE", "date": "2019",
             "design": "cohort-component projection from the 2017 census; no sampling error",
             "covers": "2015-2025, region x sex x five-year age"},
        ]
    undesa: dict[tuple[str, int], float] = defaultdict(float)
    u = harmonize(None, str(coverage.get("undesa_ims").spec), con=con).relation.filter(f"country_destination = '{destination}'")
    for year, o, n in u.aggregate("year, country_origin, sum(count)", "year, country_origin").fetchall():
        undesa[("migrants", year)] += n or 0.0
        if o == origin:
            undesa[("corridor", year)] += n or 0.0
    sources.append({"id": "undesa_ims", "title": UNDESA_TITLE, "publisher": "United Nations, DESA, Population Division",
                    "date": "2019-09", "design": "compilation of censuses, registers and surveys, interpolated; no sampling error",
                    "covers": "1990-2019, origin x destination"})
    return AggregateInputs(cells=dict(cells), undesa=dict(undesa), destination=destination, origin=origin, years=years,
                           undesa_years=sorted({y for _, y in undesa}), sources=sources, corridor_identified=identified)


def _index(inp: AggregateInputs) -> dict[tuple, float]:
    """Marginal sums for fast lookups: keys (pop, year, region|None, sex|None, age|None)."""
    idx: dict[tuple, float] = defaultdict(float)
    for (p, y, r, s, a), n in inp.cells.items():
        for rr in (r, None):
            for ss in (s, None):
                for aa in (a, None):
                    idx[(p, y, rr, ss, aa)] += n
    return idx


def compute_aggregates(inp: AggregateInputs, *, indicators: list[Indicator] | None = None, period: int | None = None) -> list[dict[str, Any]]:
    """Rows of the tidy table for the aggregate indicators (see module docstring); all years for stocks."""
    inds = {i.id: i for i in (indicators or load().values()) if i.source == "aggregate"}
    rows: list[dict[str, Any]] = []
    if not inp.years:
        for ind in inds.values():
            if ind.method != "stock":
                rows += _unavailable(ind, inp)
        if "migrant_stock" in inds:
            rows += _undesa_rows(inds["migrant_stock"], inp)
        return rows
    idx = _index(inp)
    year = period if period in inp.years else max(inp.years)
    regions = sorted({k[2] for k in inp.cells if k[2] not in (None, UNKNOWN)})

    def n(pop: str, y: int, region: str | None = None, sex: str | None = None, age: str | None = None) -> float:
        if pop == "natives":
            return max(idx.get(("total", y, region, sex, age), 0.0) - idx.get(("migrants", y, region, sex, age), 0.0), 0.0)
        return idx.get((pop, y, region, sex, age), 0.0)

    pops = ("corridor", "migrants", "natives")
    base = {"source": SERMIG_TITLE, "source_kind": "aggregate", "synthetic": False, "status": "ok",
            "quality_reason": "not a sample estimate", "suppressed": False}
    nat_note = "natives: INE projected population minus INE/SERMIG foreign residents"

    def row(ind: Indicator, pop: str, y: int, value: float | None, dis: str = "total", dv: str = "_T",
            level: str | None = None, area: str | None = None, estimand: str = "total", note: str | None = None) -> dict[str, Any]:
        src = base["source"] if pop != "natives" else f"{PROJ_TITLE}; {SERMIG_TITLE}"
        if ind.id == "population_share":
            src = f"{SERMIG_TITLE}; {PROJ_TITLE}"
        out = {**base, "source": src, "indicator": ind.id, "population": pop, "area": area or (dv if dis == "region" else inp.destination),
               "period": y, "disaggregation": dis, "disaggregation_value": dv, "level": level, "estimand": estimand,
               "estimate": value, "unit": ind.unit, "note": note or (nat_note if pop == "natives" else None)}
        if pop == "corridor" and not inp.corridor_identified:
            out.update(status="unavailable", estimate=None, quality_reason=None,
                       note=f"unavailable: INE/SERMIG does not identify {inp.origin} (counted under other countries)")
        return out

    if "migrant_stock" in inds:
        ind = inds["migrant_stock"]
        for pop in pops:
            for y in inp.years:
                rows.append(row(ind, pop, y, n(pop, y)))
            for sex in ("male", "female"):
                rows.append(row(ind, pop, year, n(pop, year, sex=sex), "sex", sex))
            for r in regions:
                rows.append(row(ind, pop, year, n(pop, year, region=r), "region", r))
        rows += _undesa_rows(ind, inp)
    if "population_share" in inds:
        ind = inds["population_share"]
        for pop in pops:
            for y in inp.years:
                rows.append(row(ind, pop, y, _pct(n(pop, y), n("total", y)), estimand="ratio"))
            for sex in ("male", "female"):
                rows.append(row(ind, pop, year, _pct(n(pop, year, sex=sex), n("total", year, sex=sex)), "sex", sex, estimand="ratio"))
            for r in regions:
                rows.append(row(ind, pop, year, _pct(n(pop, year, region=r), n("total", year, region=r)), "region", r, estimand="ratio"))
    if "sex_ratio" in inds:
        ind = inds["sex_ratio"]
        for pop in pops:
            rows.append(row(ind, pop, year, _ratio(n(pop, year, sex="male"), n(pop, year, sex="female")), estimand="ratio"))
            for r in regions:
                rows.append(row(ind, pop, year, _ratio(n(pop, year, r, "male"), n(pop, year, r, "female")), "region", r, estimand="ratio"))
        _gap(rows, ind.id, year)
    if "age_structure" in inds:
        ind = inds["age_structure"]
        for pop in pops:
            known = sum(n(pop, year, sex=s, age=a) for s in ("male", "female") for a in AGE_ORDER)
            for a in AGE_ORDER:
                for s in ("male", "female"):
                    rows.append(row(ind, pop, year, _pct(n(pop, year, sex=s, age=a), known), "age_group", a, level=s, estimand="ratio"))
    if "median_age" in inds:
        ind = inds["median_age"]
        for pop in pops:
            rows.append(row(ind, pop, year, grouped_median([n(pop, year, age=a) for a in AGE_ORDER]), estimand="quantile"))
            for s in ("male", "female"):
                rows.append(row(ind, pop, year, grouped_median([n(pop, year, sex=s, age=a) for a in AGE_ORDER]), "sex", s, estimand="quantile"))
        _gap(rows, ind.id, year)
    if "regional_distribution" in inds:
        ind = inds["regional_distribution"]
        for pop in pops:
            # over the whole group, the people whose region is not recorded included: the regions' shares
            # add up to less than 100 by exactly their share, and the profile shows them as a row
            for r in regions:
                rows.append(row(ind, pop, year, _pct(n(pop, year, region=r), n(pop, year)), "region", r, estimand="ratio"))
    return rows


def _undesa_rows(ind: Indicator, inp: AggregateInputs) -> list[dict[str, Any]]:
    out = []
    for pop in ("corridor", "migrants"):
        for y in inp.undesa_years:
            out.append({"indicator": ind.id, "population": pop, "area": inp.destination, "period": y, "disaggregation": "total",
                        "disaggregation_value": "_T", "level": None, "estimand": "total", "estimate": inp.undesa.get((pop, y), 0.0),
                        "unit": ind.unit, "status": "ok", "source": UNDESA_TITLE, "source_kind": "aggregate", "synthetic": False,
                        "quality_reason": "not a sample estimate", "suppressed": False,
                        "note": "foreign-born (or foreign citizens where birthplace is not recorded), as reported by the destination"})
    return out


def _unavailable(ind: Indicator, inp: AggregateInputs) -> list[dict[str, Any]]:
    return [{"indicator": ind.id, "population": p, "area": inp.destination, "period": None, "disaggregation": "total",
             "disaggregation_value": "_T", "unit": ind.unit, "status": "unavailable", "source": "", "source_kind": "aggregate",
             "synthetic": False, "suppressed": False, "note": f"unavailable: no shipped aggregate source for destination {inp.destination}"}
            for p in ind.populations]


def _gap(rows: list[dict[str, Any]], ind_id: str, year: int) -> None:
    cells = {(r["population"], r["disaggregation"], r["disaggregation_value"]): r for r in rows
             if r["indicator"] == ind_id and r["period"] == year}
    for (pop, dis, dv), a in list(cells.items()):
        b = cells.get(("natives", dis, dv))
        if pop == "corridor" and b is not None and a["estimate"] is not None and b["estimate"] is not None:
            rows.append({**a, "population": "gap", "estimand": "difference", "estimate": a["estimate"] - b["estimate"],
                         "note": "corridor migrants minus natives; aggregate figures, no sampling error"})


def _pct(a: float, b: float) -> float | None:
    return 100.0 * a / b if b else None


def _ratio(m: float, f: float) -> float | None:
    return 100.0 * m / f if f else None


def grouped_median(counts: list[float], width: float = 5.0) -> float | None:
    """Median age from counts in five-year groups 0-4 ... 80+, by linear interpolation within the median group.

    Method: ``L + (N/2 - F) / f * w`` with L the lower bound of the group holding the N/2-th
    person, F the count below it, f its count and w its width (UN Demographic Yearbook,
    technical notes). The open group 80+ is given width 5.
    """
    total = sum(counts)
    if total <= 0:
        return None
    half, below = total / 2.0, 0.0
    for k, f in enumerate(counts):
        if below + f >= half and f > 0:
            return k * width + (half - below) / f * width
        below += f
    return None
