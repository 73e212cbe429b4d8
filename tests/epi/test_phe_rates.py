"""Crude rates against PHE's workbook testdata_Rate (sheets testdata_Rate, testdata_Rate_g).

Expected values from PHE's calculate_rate (PHEindicatormethods 2.1.0): exact limits below 10
events, Byar's from 10 ("method" column). Area12 has 250 events in a population of 220
(recurrent events), accepted with allow_count_above_population=True.
"""

from __future__ import annotations

import numpy as np
import pytest

from corridor.epi import crude_rate


@pytest.mark.parametrize("multiplier", [100, 100_000])
def test_rates_match_phe(phe, multiplier):
    ref = phe("testdata_Rate__testdata_Rate.csv")
    ref = ref[ref["multiplier"] == multiplier].reset_index(drop=True)
    out = crude_rate(
        ref[["Area", "Numerator", "Denominator"]],
        "Numerator",
        "Denominator",
        multiplier=multiplier,
        confidence=[0.95, 0.998],
        missing="keep",
        allow_count_above_population=True,
    )
    o95 = out[out["confidence"] == 0.95].reset_index(drop=True)
    o998 = out[out["confidence"] == 0.998].reset_index(drop=True)
    np.testing.assert_allclose(o95["value"], ref["value"], rtol=1e-9)
    np.testing.assert_allclose(o95["lowercl"], ref["lower95_0cl"], rtol=1e-9)
    np.testing.assert_allclose(o95["uppercl"], ref["upper95_0cl"], rtol=1e-9)
    np.testing.assert_allclose(o998["lowercl"], ref["lower99_8cl"], rtol=1e-9)
    np.testing.assert_allclose(o998["uppercl"], ref["upper99_8cl"], rtol=1e-9)
    known = ref["Numerator"].notna()
    assert list(o95.loc[known, "method"]) == list(ref.loc[known, "method"])
    assert set(o95["statistic"]) == {f"rate per {multiplier}"}


def test_grouped_rates_match_phe_rate_g(phe):
    """testdata_Rate_g: every complete area of testdata_Rate counted twice, summed by area."""
    ref = phe("testdata_Rate__testdata_Rate_g.csv").dropna(subset=["Numerator", "Denominator"])
    src = phe("testdata_Rate__testdata_Rate.csv")
    src = src[src["multiplier"] == 1e5].dropna(subset=["Numerator", "Denominator"])
    src = src[src["Area"] != "Area12"]  # Area12 is not doubled in the _g sheet
    doubled = src.loc[src.index.repeat(2), ["Area", "Numerator", "Denominator"]]
    out = crude_rate(doubled, "Numerator", "Denominator", by="Area")
    expected = ref[ref["Area"] != "Area12"].set_index("Area")
    out = out.set_index("Area").loc[expected.index]
    np.testing.assert_allclose(out["value"], expected["value"], rtol=1e-9)
    np.testing.assert_allclose(out["lowercl"], expected["lowercl"], rtol=1e-9)
    np.testing.assert_allclose(out["uppercl"], expected["uppercl"], rtol=1e-9)
    assert list(out["method"]) == list(expected["method"])
