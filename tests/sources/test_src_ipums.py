"""IPUMS extracts: DDI codebook + fixed-width data via ipumspy, chunked into DuckDB."""

from __future__ import annotations

import warnings

from corridor.sources import read_source


def test_ipums_fixture(fixtures, con):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ipumspy's citation reminder
        src = read_source(fixtures / "ipumsi" / "ipumsi_fixture.xml", con=con, chunksize=3)
    assert src.format == "ipums" and src.ledger.read == 8
    assert src.value_labels["BPLCOUNTRY"][23050] == "Colombia"
    assert src.variable_labels["NATIVITY"] == "Nativity status"
    # PERWT has two implied decimals in the codebook: 1050 -> 10.5
    assert sorted({r[0] for r in src.relation.project("PERWT").fetchall()}) == [9.5, 10.0, 10.5]
