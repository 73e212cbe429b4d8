"""Indirectly standardised ratios and rates against PHE's workbook testdata_DSR_ISR
(sheet testresults_ISR), produced by PHE's calculate_ISRatio / calculate_ISRate
(PHEindicatormethods 2.1.0) with the reference data of sheet refdata.

Rows Area1/Area2 come from sheet testdata_err2, where Area1 has 25 events in a band of
population 0 (PHE accepts it: the band adds nothing to the expected count).
"""

from __future__ import annotations

import numpy as np
import pytest

from corridor.epi import isr

REF = {"reference_age": "Age Band", "reference_count": "refcount", "reference_population": "refpop"}


def _expected(phe, statistic):
    res = phe("testdata_DSR_ISR__testresults_ISR.csv")
    return res[res["statistic"] == statistic].set_index("area")


@pytest.mark.parametrize(
    "kind,multiplier,statistic",
    [
        ("rate", 100_000, "indirectly standardised rate per 100000"),
        ("rate", 1000, "indirectly standardised rate per 1000"),
        ("ratio", 1, "indirectly standardised ratio x 1"),
        ("ratio", 100, "indirectly standardised ratio x 100"),
    ],
)
def test_isr_multiarea_matches_phe(phe, kind, multiplier, statistic):
    data = phe("testdata_DSR_ISR__testdata_multiarea.csv")
    ref = phe("testdata_DSR_ISR__refdata.csv")
    out = isr(
        data,
        "count",
        "pop",
        "ageband",
        "area",
        reference=ref,
        kind=kind,
        multiplier=multiplier,
        confidence=[0.95, 0.998],
        missing="zero",
        **REF,
    )
    exp = _expected(phe, statistic).loc[["testdata_big", "testdata_small", "testdata_tiny"]]
    o95 = out[out["confidence"] == 0.95].set_index("area").loc[exp.index]
    o998 = out[out["confidence"] == 0.998].set_index("area").loc[exp.index]
    np.testing.assert_array_equal(o95["count"], exp["observed"])
    np.testing.assert_allclose(o95["expected"], exp["expected"], rtol=1e-9)
    np.testing.assert_allclose(o95["value"], exp["value"], rtol=1e-9)
    np.testing.assert_allclose(o95["lowercl"], exp["lower95_0cl"], rtol=1e-9)
    np.testing.assert_allclose(o95["uppercl"], exp["upper95_0cl"], rtol=1e-9)
    np.testing.assert_allclose(o998["lowercl"], exp["lower99_8cl"], rtol=1e-9)
    np.testing.assert_allclose(o998["uppercl"], exp["upper99_8cl"], rtol=1e-9)
    assert list(o95["method"]) == list(exp["method"])
    if kind == "rate":
        np.testing.assert_allclose(o95["reference_rate"], exp["ref_rate"], rtol=1e-9)


def test_isr_reference_in_data_columns(phe):
    """Reference counts and populations given as columns of the data (PHE's refpoptype='field')."""
    data = phe("testdata_DSR_ISR__testdata_multiarea_isr.csv")
    out = isr(
        data,
        "count",
        "pop",
        "ageband",
        "area",
        reference_count="refcount",
        reference_population="refpop",
        kind="rate",
        missing="zero",
    )
    exp = _expected(phe, "indirectly standardised rate per 100000").loc[out["area"]]
    np.testing.assert_allclose(out["value"], exp["value"], rtol=1e-9)
    np.testing.assert_allclose(out["lowercl"], exp["lower95_0cl"], rtol=1e-9)
    np.testing.assert_allclose(out["uppercl"], exp["upper95_0cl"], rtol=1e-9)


@pytest.mark.parametrize(
    "kind,multiplier,statistic",
    [
        ("rate", 100_000, "indirectly standardised rate per 100000"),
        ("ratio", 100, "indirectly standardised ratio x 100"),
    ],
)
def test_isr_zero_population_band(phe, kind, multiplier, statistic):
    data = phe("testdata_DSR_ISR__testdata_err2.csv")
    data["ageband"] = list(phe("testdata_DSR_ISR__refdata.csv")["Age Band"]) * 2
    ref = phe("testdata_DSR_ISR__refdata.csv")
    out = isr(
        data,
        "count",
        "pop",
        "ageband",
        "area",
        reference=ref,
        kind=kind,
        multiplier=multiplier,
        allow_count_above_population=True,
        **REF,
    ).set_index("area")
    exp = _expected(phe, statistic).loc[["Area1", "Area2"]]
    np.testing.assert_allclose(out["expected"], exp["expected"], rtol=1e-9)
    np.testing.assert_allclose(out["value"], exp["value"], rtol=1e-9)
    np.testing.assert_allclose(out["lowercl"], exp["lower95_0cl"], rtol=1e-9)
    np.testing.assert_allclose(out["uppercl"], exp["upper95_0cl"], rtol=1e-9)
