"""Stock figures equal the INE/SERMIG and UN DESA published tables.

Published values (see ../shared/data/SOURCES.md): INE/SERMIG, "Estimación de personas extranjeras
residentes habituales en Chile al 31 de diciembre de 2022", Cuadros estadísticos, Tabla 4
("Regiones-País"); UN DESA International Migrant Stock 2019, table of stocks by destination and
origin (Chile, Colombia, 2019: 120,626).
"""

from __future__ import annotations

import pytest

from corridor.indicators import compute_aggregates, load_aggregates
from corridor.indicators.aggregates import UNKNOWN

COLOMBIA = {2018: 153_076, 2019: 167_534, 2020: 170_304, 2021: 184_127, 2022: 189_524}
COLOMBIA_ANTOFAGASTA = {2022: 32_842}
ALL_FOREIGN = {2018: 1_300_005, 2019: 1_474_730, 2020: 1_501_995, 2021: 1_564_160, 2022: 1_625_074}
ANTOFAGASTA_ALL = {2022: 109_439}


@pytest.fixture(scope="module")
def rows():
    return compute_aggregates(load_aggregates("COL", "CHL"))


def _stock(rows, pop, year, region=None, source="INE"):
    hits = [r for r in rows if r["indicator"] == "migrant_stock" and r["population"] == pop and r["period"] == year
            and r["source"].startswith(source)
            and (r["disaggregation"] == "total" if region is None else r["disaggregation_value"] == region)]
    assert len(hits) == 1
    return hits[0]["estimate"]


@pytest.mark.parametrize("year", sorted(COLOMBIA))
def test_colombians_in_chile(rows, year: int) -> None:
    assert _stock(rows, "corridor", year) == COLOMBIA[year]
    assert _stock(rows, "migrants", year) == ALL_FOREIGN[year]


def test_antofagasta_2022(rows) -> None:
    assert _stock(rows, "corridor", 2022, "CL-AN") == 32_842
    assert _stock(rows, "migrants", 2022, "CL-AN") == 109_439


def test_undesa_2019(rows) -> None:
    assert _stock(rows, "corridor", 2019, source="UN DESA") == 120_626


def test_regions_add_up_to_the_country_less_unknown_region(rows) -> None:
    by_region = [r["estimate"] for r in rows if r["indicator"] == "migrant_stock" and r["population"] == "corridor"
                 and r["disaggregation"] == "region"]
    assert len(by_region) == 16
    inp = load_aggregates("COL", "CHL")
    unknown = sum(n for (p, y, reg, _s, _a), n in inp.cells.items() if p == "corridor" and y == 2022 and reg == UNKNOWN)
    assert unknown > 0   # INE/SERMIG's "REGIÓN IGNORADA"
    assert sum(by_region) + unknown == 189_524


def test_population_share_uses_ine_projection(rows) -> None:
    """0.956% = 189,524 / 19,828,563 (INE projection for 2022, all comunas)."""
    share = next(r for r in rows if r["indicator"] == "population_share" and r["population"] == "corridor"
             and r["disaggregation"] == "total" and r["period"] == 2022)
    assert share["estimate"] == pytest.approx(100 * 189_524 / 19_828_563, rel=1e-12)
