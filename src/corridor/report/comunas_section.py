"""The profile's comuna context: published aggregates by comuna of the highlighted region.

* Census 2017 (INE; comuna tabulation shipped in ``datasets/census2017_comunas``): persons born
  in the origin (where the table identifies the country) and all persons born abroad, as counts
  and as percentages of the comuna's enumerated population.
* CASEN 2022 comuna shares (``datasets/casen2022_comunas``): foreign nationals, FONASA (public)
  and ISAPRE (private) health insurance, income poverty, each over the comuna's whole population.

Comuna names come from FONASA's beneficiaries table (shipped, every comuna). These are point
values without sampling errors, shown as published (no quality label, no
suppression); which of them cover a corridor is asked of the coverage registry. Rows use
``disaggregation = "comuna"``, ``disaggregation_value`` the comuna's CUT code and ``area``
``CL-`` followed by that code (ISO 3166-2 stops at regions).
"""

from __future__ import annotations

from typing import Any

from corridor.datasets import cache
from corridor.datasets.coverage import Coverage
from corridor.harmonize import harmonize, spec_files

CASEN_ID, CENSUS_ID = "casen2022_comunas", "census2017_comunas"
FONASA_SPEC = "fonasa_beneficiaries"  # the comunas' names
CASEN_SOURCE = ("Casen 2022 (Ministerio de Desarrollo Social y Familia): comuna shares computed with the communal "
                "weight by B. Olea (casen_relacionador); no standard errors")
CENSUS_SOURCE = "Censo 2017 (INE): comuna tabulation by place of birth (Make Health Latam 2023 datathon)"
# CASEN characteristic -> (indicator, population, level)
CASEN_ROWS = {
    "foreign_nationals": ("population_share", "migrants", None),
    "public_health_insurance": ("health_insurance_coverage", "total", "public"),
    "private_health_insurance": ("health_insurance_coverage", "total", "private"),
    "income_poverty": ("income_poverty_rate", "total", None),
}
CASEN_NOTES = {
    "foreign_nationals": "foreign nationals (r1a = 3) over the whole population",
    "public_health_insurance": "FONASA (s13 = 1) over the whole population, answers missing included",
    "private_health_insurance": "ISAPRE (s13 = 2) over the whole population, answers missing included",
    "income_poverty": "income poverty (extreme or not) over the whole population",
}


def area_of(code: str, destination: str) -> str:
    """The tidy table's ``area`` of a comuna: the country's alpha-2 code (``CL``), a hyphen and the CUT code."""
    import pycountry

    country = pycountry.countries.get(alpha_3=destination)
    return f"{country.alpha_2 if country else destination}-{code}"


def _row(indicator: str, population: str, code: str, period: int, estimate: float | None, unit: str, source: str,
         note: str, destination: str, *, level: str | None = None, estimand: str = "ratio") -> dict[str, Any]:
    return {"indicator": indicator, "population": population, "area": area_of(code, destination), "period": period,
            "disaggregation": "comuna", "disaggregation_value": code, "level": level, "estimand": estimand,
            "estimate": estimate, "unit": unit, "status": "ok", "quality_reason": "published aggregate; no standard error",
            "suppressed": False, "note": note, "source": source, "source_kind": "aggregate", "synthetic": False}


def comuna_rows(origin: str, destination: str, region: str | None,
                sources: list[Coverage]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Tidy rows for the comunas of ``region`` from the registry's comuna sources, and the comunas' names."""
    if region is None:
        return [], {}
    # harmonizing three shipped tables is a fixed cost of every profile (0.4 s): the result is kept on
    # disk under a key of every file it is made from (datasets.cache)
    wanted = [s for s in sources if s.id in (CASEN_ID, CENSUS_ID)]
    try:
        files = spec_files(FONASA_SPEC, *(str(s.spec) for s in wanted)) if cache.folder() is not None else []
    except Exception:  # noqa: BLE001 - no cache then; reading fails with its own message
        files = []
    if not files:
        return _comuna_rows(origin, destination, region, sources)
    extra = (origin, destination, region, *(f"{s.id}:{s.spec}:{s.periods[-1]}:{s.identifies(origin)}" for s in wanted))
    rows, names = cache.remember("comunas", files, extra, lambda: list(_comuna_rows(origin, destination, region, sources)))
    return rows, names


def _comuna_rows(origin: str, destination: str, region: str,
                 sources: list[Coverage]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    ids = {s.id: s for s in sources}
    rows: list[dict[str, Any]] = []
    names = dict(harmonize(None, FONASA_SPEC).relation.filter(f"region = '{region}'")
                 .project("area_code, area_name").distinct().fetchall())
    if CASEN_ID in ids:
        year = ids[CASEN_ID].periods[-1]
        rel = harmonize(None, str(ids[CASEN_ID].spec)).relation.filter(f"region = '{region}'")
        for code, name, char, share in rel.project("area_code, area_name, characteristic, share").fetchall():
            names.setdefault(code, name)
            if char in CASEN_ROWS:
                ind, pop, level = CASEN_ROWS[char]
                value = None if share is None else 100.0 * share
                rows.append(_row(ind, pop, code, year, value, "percent", CASEN_SOURCE, CASEN_NOTES[char], destination,
                                 level=level))
    if CENSUS_ID in ids:
        entry = ids[CENSUS_ID]
        year = entry.periods[-1]
        rel = harmonize(None, str(entry.spec)).relation.filter(f"region = '{region}'")
        totals: dict[str, dict[str, float]] = {}
        for code, birth, n in rel.aggregate("area_code, country_birth, sum(count)", "area_code, country_birth").fetchall():
            cell = totals.setdefault(code, {})
            cell[birth or "_missing"] = cell.get(birth or "_missing", 0.0) + float(n)
        for code, cell in sorted(totals.items()):
            persons = sum(cell.values())
            abroad = sum(v for k, v in cell.items() if k not in (destination, "_missing"))
            groups = [("migrants", abroad, f"born abroad (any country but {destination}); birthplace missing counts in the population")]
            if entry.identifies(origin):
                groups.insert(0, ("corridor", cell.get(origin, 0.0), f"born in {origin}"))
            for pop, n, note in groups:
                rows.append(_row("migrant_stock", pop, code, year, n, "persons", CENSUS_SOURCE, note, destination,
                                 estimand="total"))
                rows.append(_row("population_share", pop, code, year, 100.0 * n / persons if persons else None, "percent",
                                 CENSUS_SOURCE, note + f"; population {persons:.0f}", destination))
    return rows, names
