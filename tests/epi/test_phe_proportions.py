"""Wilson proportions against PHE's workbook testdata_Proportion (sheets testdata_Prop, testdata_Prop_g).

Expected values: columns value/lower95_0cl/upper95_0cl/lower99_8cl/upper99_8cl, produced by PHE's
calculate_proportion (PHEindicatormethods 2.1.0). Rows with a missing numerator or denominator
give missing results with missing="keep", as in the workbook.
"""

from __future__ import annotations

import numpy as np
import pytest

from corridor.epi import proportion


@pytest.mark.parametrize("multiplier", [1, 100])
def test_wilson_matches_phe_prop(phe, multiplier):
    ref = phe("testdata_Proportion__testdata_Prop.csv")
    ref = ref[ref["multiplier"].fillna(1) == multiplier] if multiplier == 100 else ref[ref["multiplier"] == 1]
    out = proportion(
        ref[["Area", "Numerator", "Denominator"]],
        "Numerator",
        "Denominator",
        multiplier=multiplier,
        confidence=[0.95, 0.998],
        missing="keep",
    )
    o95 = out[out["confidence"] == 0.95].reset_index(drop=True)
    o998 = out[out["confidence"] == 0.998].reset_index(drop=True)
    np.testing.assert_allclose(o95["value"], ref["value"], rtol=1e-9)
    np.testing.assert_allclose(o95["lowercl"], ref["lower95_0cl"], rtol=1e-9)
    np.testing.assert_allclose(o95["uppercl"], ref["upper95_0cl"], rtol=1e-9)
    np.testing.assert_allclose(o998["lowercl"], ref["lower99_8cl"], rtol=1e-9)
    np.testing.assert_allclose(o998["uppercl"], ref["upper99_8cl"], rtol=1e-9)
    assert set(o95["statistic"]) == set(ref["statistic"])


def test_wilson_grouped_matches_phe_prop_g(phe):
    """testdata_Prop_g: each complete area of testdata_Prop counted twice and summed by area."""
    ref = phe("testdata_Proportion__testdata_Prop_g.csv").dropna(subset=["Numerator", "Denominator"])
    src = phe("testdata_Proportion__testdata_Prop.csv")
    src = src[src["multiplier"] == 1].dropna(subset=["Numerator", "Denominator"])
    doubled = src[["Area", "Numerator", "Denominator"]]
    doubled = doubled.loc[doubled.index.repeat(2)]
    out = proportion(doubled, "Numerator", "Denominator", by="Area")
    out = out.set_index("Area").loc[ref["Area"]]
    np.testing.assert_allclose(out["value"], ref["value"], rtol=1e-9)
    np.testing.assert_allclose(out["lowercl"], ref["lowercl"], rtol=1e-9)
    np.testing.assert_allclose(out["uppercl"], ref["uppercl"], rtol=1e-9)
