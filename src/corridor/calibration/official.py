"""Population totals from the official tables shipped with corridor (Chile).

* :func:`population`: INE population projections (2017 census base) by region,
  sex and five-year age group, 2015-2025, crossed as one term
  (``region:sex:age_group``) or any part of it.
* :func:`nationality`: INE/SERMIG estimate of foreign residents at 31 December
  (2018-2022) by country of nationality: one level per country the survey names
  (ISO 3166-1 alpha-3), ``ZZO`` for the other and unknown countries, and
  ``CHL`` for Chileans: the projected population minus all foreign residents.
  Both sources count the same population (everyone resident in Chile), so the
  two terms add up to the same size.
* :func:`ine` joins them; :func:`totals` reads the command line's ``ine:...``.

Columns follow corridor's concepts (``docs/concepts.md``): ``region`` ISO 3166-2
(``CL-AN``), ``sex`` ``female``/``male``, ``age_group`` ``0-4`` ... ``80+``,
``country_citizenship`` ISO alpha-3. A survey whose universe is narrower (ages
15 and over, say) takes ``min_age``; the unknown-age foreign residents are then
left out (INE/SERMIG publishes them apart), which the returned source says.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from corridor.calibration.messages import t
from corridor.calibration.totals import Totals, read_totals
from corridor.errors import InputError

_DATASETS = Path(__file__).resolve().parents[1] / "datasets"
_PROJECTIONS = _DATASETS / "ine_population_projections_regions" / "ine_population_projections_regions.yaml"
AGES = ("0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50-54", "55-59",
        "60-64", "65-69", "70-74", "75-79", "80+")
BY = ("region", "sex", "age_group")
OTHER = "ZZO"  # ISO user-assigned code corridor uses for another country


def _low(age_group: str) -> int:
    return int(age_group.rstrip("+").split("-")[0])


@lru_cache(maxsize=4)
def _projections() -> tuple[tuple[int, str, str, str, float], ...]:
    from corridor.harmonize import harmonize

    rel = harmonize(None, str(_PROJECTIONS)).relation
    return tuple(rel.aggregate("year, region, sex, age_group, sum(count)", "year, region, sex, age_group").fetchall())


@lru_cache(maxsize=4)
def _foreign() -> tuple[tuple[int, str | None, str | None, str | None, str | None, float], ...]:
    from corridor.harmonize import harmonize

    rel = harmonize(None, "ine_sermig_foreign_residents").relation
    return tuple(rel.aggregate("year, region, sex, age_group, country_citizenship, sum(count)",
                               "year, region, sex, age_group, country_citizenship").fetchall())


def _years(rows: Sequence[tuple], what: str) -> list[int]:
    return sorted({r[0] for r in rows})


def _check_year(year: int, rows: Sequence[tuple], what: str) -> None:
    years = _years(rows, what)
    if year not in years:
        raise InputError(t("official.year", year=year, what=what, first=years[0], last=years[-1]),
                         hint=t("official.year.hint"))


def population(year: int = 2022, by: Sequence[str] = BY, *, min_age: int | None = None) -> list[dict]:
    """INE projected population of ``year`` as one term crossing ``by`` (a subset of region, sex, age_group)."""
    rows = _projections()
    _check_year(year, rows, t("official.projections"))
    by = tuple(by)
    bad = [b for b in by if b not in BY]
    if bad or not by:
        raise InputError(t("official.by", by=", ".join(by) or "-"), hint=t("official.by.hint"))
    cells: dict[tuple[str, ...], float] = defaultdict(float)
    for y, region, sex, age, n in rows:
        if y != year or (min_age is not None and _low(age) < min_age):
            continue
        values = {"region": region, "sex": sex, "age_group": age}
        cells[tuple(values[b] for b in by)] += n
    term = ":".join(by)
    return [{"term": term, "level": ":".join(k), "total": v} for k, v in sorted(cells.items())]


def nationality(year: int = 2022, countries: Sequence[str] | None = None, *, column: str = "country_citizenship",
                min_age: int | None = None) -> list[dict]:
    """Residents by nationality in ``year``: the listed countries (default: every country INE/SERMIG
    names), ``ZZO`` for the rest and the unknown, ``CHL`` for the projected population minus them all."""
    foreign = _foreign()
    _check_year(year, foreign, t("official.sermig"))
    named = {c for *_, c, _n in foreign if c and len(c) == 3 and not c.startswith("ZZ")}
    keep = set(countries) if countries is not None else named
    counts: dict[str, float] = defaultdict(float)
    for y, _region, _sex, age, country, n in foreign:
        if y != year:
            continue
        if min_age is not None and (age is None or _low(age) < min_age):
            continue
        counts[country if country in keep else OTHER] += n
    size = sum(r["total"] for r in population(year, ("sex",), min_age=min_age))
    chileans = size - sum(counts.values())
    rows = [{"term": column, "level": "CHL", "total": chileans}]
    rows += [{"term": column, "level": c, "total": counts[c]} for c in sorted(counts) if counts[c] > 0]
    return rows


def ine(year: int = 2022, by: Sequence[str] = BY, *, nationality_column: str | None = "country_citizenship",
        countries: Sequence[str] | None = None, min_age: int | None = None) -> Totals:
    """Totals for a Chilean household survey: INE projections by ``by`` (crossed) and, unless
    ``nationality_column`` is None, INE/SERMIG residents by nationality."""
    rows = population(year, by, min_age=min_age)
    what = t("official.source_projections", year=year)
    if nationality_column:
        rows += nationality(year, countries, column=nationality_column, min_age=min_age)
        what = t("official.source_both", year=year)
    if min_age is not None:
        what += t("official.min_age", age=min_age)
    return read_totals(rows, what=what)


def countries_in(data: object, column: str = "country_citizenship", engine: object = None) -> list[str]:
    """The nationalities a survey names (so that the others are counted together, as ``ZZO``)."""
    import narwhals as nw

    from corridor.engine import get_engine

    eng = get_engine(engine)  # type: ignore[arg-type]
    lf = eng.open(data)
    if column not in lf.collect_schema().names():
        return []
    tbl = eng.aggregate(lf, [column], [nw.len().alias("__n")])
    return sorted(v for v in tbl[column].to_pylist() if v)


def totals(spec: str, data: object = None, engine: object = None) -> Totals:
    """The command line's ``ine[:YEAR[:VARS[:nationality|:no-nationality[:MIN_AGE]]]]``, e.g.
    ``ine:2022:region,sex,age_group:nationality:15``; with ``data``, countries the survey does not
    name go with the other countries (``ZZO``)."""
    parts = spec.split(":")
    if parts[0] != "ine" or len(parts) > 5:
        raise InputError(t("official.spec", spec=spec), hint=t("official.spec.hint"))
    try:
        year = int(parts[1]) if len(parts) > 1 and parts[1] else 2022
        min_age = int(parts[4]) if len(parts) > 4 and parts[4] else None
    except ValueError as exc:
        raise InputError(t("official.spec", spec=spec), hint=t("official.spec.hint")) from exc
    by = tuple(parts[2].split(",")) if len(parts) > 2 and parts[2] else BY
    nat = parts[3] if len(parts) > 3 and parts[3] else "nationality"
    if nat not in ("nationality", "no-nationality"):
        raise InputError(t("official.spec", spec=spec), hint=t("official.spec.hint"))
    countries = None
    if nat == "nationality" and data is not None:
        countries = [c for c in countries_in(data, engine=engine) if c not in ("CHL", OTHER)] or None
    return ine(year, by, nationality_column="country_citizenship" if nat == "nationality" else None,
               countries=countries, min_age=min_age)


__all__ = ["AGES", "countries_in", "ine", "nationality", "population", "totals"]
