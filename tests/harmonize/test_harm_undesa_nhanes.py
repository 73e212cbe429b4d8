"""UN DESA migrant stock (published values) and NHANES DEMO_J (foreign-born inputs)."""

from __future__ import annotations

import pytest

from corridor.design import design_from_dict
from corridor.harmonize import harmonize


def test_undesa_colombia_to_chile(shared):
    """UN DESA International Migrant Stock 2019: destination Chile, origin Colombia (SOURCES.md)."""
    h = harmonize(shared / "undesa_ims" / "un_migrant_stock_origin_destination_2019_wide.csv", "undesa_ims_2019")
    rows = dict(h.relation.filter("country_destination = 'CHL' AND country_origin = 'COL'").project("year, count").fetchall())
    assert rows == {1990: 1554, 1995: 2734, 2000: 3913, 2005: 9159, 2010: 14401, 2015: 73601, 2019: 120_626}
    led = h.ledger
    assert led.read == 1659 * 232 and led.unknown == []
    assert led.filtered[0].count == 5 * 7 * 232  # five regional aggregate destinations x seven years
    assert led.read == led.kept + led.n_filtered + led.n_rejected


@pytest.fixture(scope="module")
def nhanes():
    return harmonize(None, "nhanes_2017_2018_demo")


def test_nhanes_counts(nhanes):
    # DMDBORN4: 1 = 7,303 US-born; 2 = 1,948 born elsewhere; 77/99 = 3 missing (NCHS DEMO_J file).
    counts = dict(nhanes.relation.aggregate("migrant_status, count(*)", "migrant_status").fetchall())
    assert counts == {"native": 7303, "migrant": 1948, None: 3}
    assert nhanes.ledger.read == 9254 == nhanes.ledger.kept


def test_nhanes_weighted_share_and_total(nhanes):
    """Point estimates of R survey 4.1.1 (R 4.2.2), svydesign(ids=~SDMVPSU, strata=~SDMVSTRA,
    weights=~WTINT2YR, nest=TRUE): foreign-born share 0.15618577788064, total 50,100,915.0279
    (shared/data/nhanes_2017_2018/reference_estimates_R_survey.csv). The SE needs the engine."""
    share, total = nhanes.relation.filter("migrant_status IS NOT NULL").aggregate(
        "sum(weight * (migrant_status = 'migrant')::INT) / sum(weight), sum(weight * (migrant_status = 'migrant')::INT)"
    ).fetchall()[0]
    assert share == pytest.approx(0.15618577788064, abs=1e-12)
    assert total == pytest.approx(50_100_915.0279083, rel=1e-12)
    assert nhanes.design == {"type": "taylor", "weights": "weight", "strata": "strata", "ids": "psu", "fpc": None,
                             "nest": True, "lonely_psu": "certainty"}
    design = design_from_dict(nhanes.design)  # the estimation engine takes the mapping as it is
    assert (design.weights, design.strata, design.ids, design.nest) == ("weight", ("strata",), ("psu",), True)
