"""The shipped UN DESA tables and the country-code mapping.

Published values (UN DESA International Migrant Stock 2019 and 2020, as quoted in
../shared/data/SOURCES.md, section undesa_ims): Colombian-born in Chile 1,554 (1990), 3,913
(2000), 14,401 (2010), 73,601 (2015), 120,626 (2019); international migrants in Chile 1,645,015
and in Colombia 1,905,393 in 2020 (both sexes).
"""

from __future__ import annotations

import numpy as np
import pytest

from corridor.errors import InputError
from corridor.flows.countries import iso3_from_m49, iso3_from_un_name, normalise_iso3
from corridor.flows.undesa import load_bilateral_2019, load_totals_2020


@pytest.fixture(scope="module")
def bilateral():
    return load_bilateral_2019()


def test_bilateral_table(bilateral) -> None:
    assert bilateral.stocks.shape == (7, 232, 232)
    assert bilateral.years == [1990, 1995, 2000, 2005, 2010, 2015, 2019]
    col, chl = bilateral.index("COL"), bilateral.index("chl")
    np.testing.assert_array_equal(bilateral.stocks[[0, 2, 4, 5, 6], col, chl], [1554, 3913, 14401, 73601, 120626])
    assert len(set(bilateral.iso3)) == 232
    assert np.all(np.diagonal(bilateral.stocks, axis1=1, axis2=2) == 0)
    assert bilateral.n_not_available == 341
    with pytest.raises(InputError):
        bilateral.index("ZZZ")


def test_totals_2020() -> None:
    rows = {(r.iso3, r.year, r.sex): r.migrant_stock for r in load_totals_2020()}
    assert rows[("CHL", 2020, "both")] == 1_645_015
    assert rows[("COL", 2020, "both")] == 1_905_393


def test_country_names() -> None:
    assert iso3_from_un_name("Republic of Korea") == "KOR"
    assert iso3_from_un_name("Dem. People's Republic of Korea") == "PRK"
    assert iso3_from_un_name("Venezuela (Bolivarian Republic of)") == "VEN"
    assert iso3_from_un_name("Colombia") == "COL"
    assert iso3_from_un_name("Channel Islands") == "XCI"
    assert iso3_from_m49(152) == "CHL" and iso3_from_m49(830) == "XCI" and iso3_from_m49(900) is None
    assert normalise_iso3("col") == "COL"
    with pytest.raises(InputError, match="alpha-3"):
        normalise_iso3("XXX")
    with pytest.raises(InputError):
        iso3_from_un_name("Atlantis")


def test_corridor_flows(bilateral) -> None:
    from corridor.flows.undesa import corridor_flows

    rows = corridor_flows("COL", "CHL", rel_error=0.0, n_resamples=5, data=bilateral)
    assert [r["flow"] for r in rows] == [1180, 1179, 5246, 5242, 59200, 47025]
    assert all(r["lower"] == r["flow"] == r["upper"] for r in rows)
    ret = corridor_flows("CHL", "COL", method="diff-return", rel_error=0.0, n_resamples=5, data=bilateral)
    st = bilateral.stocks
    c, h = bilateral.index("COL"), bilateral.index("CHL")
    expect = np.maximum(st[1:, h, c] - st[:-1, h, c], 0) + np.maximum(st[:-1, c, h] - st[1:, c, h], 0)
    np.testing.assert_array_equal([r["flow"] for r in ret], expect)
    den = corridor_flows("COL", "CHL", method="dennett", rel_error=0.0, n_resamples=5, data=bilateral)
    m = np.abs(st[1:].sum(axis=1) - st[:-1].sum(axis=1)).sum(axis=1)
    np.testing.assert_allclose([r["flow"] for r in den], m * st[:-1, c, h] / st[:-1].sum(axis=(1, 2)))
    with pytest.raises(InputError, match="births and deaths"):
        corridor_flows("COL", "CHL", method="rogers-von-rabenau", data=bilateral)
    with pytest.raises(InputError, match="same country"):
        corridor_flows("COL", "col", data=bilateral)
