"""Byar's and Wilson limits against PHE's workbook testdata_Byars_Wilson (sheet testdata_B_W).

Expected values from PHE's byars_lower/byars_upper and wilson_lower/wilson_upper
(PHEindicatormethods 2.1.0). A blank lower limit (x = 1 at 99.8%) is where Byar's
approximation goes negative: PHE and corridor both return a missing value.
"""

from __future__ import annotations

import numpy as np

from corridor.epi.intervals import byars_lower, byars_upper, wilson_lower, wilson_upper


def _confidence(text: str) -> float:
    return float(text.rstrip("%")) / 100


def test_byars_and_wilson_match_phe(phe):
    ref = phe("testdata_Byars_Wilson__testdata_B_W.csv")
    for row in ref.itertuples():
        level = _confidence(row.confidence)
        if row.method == "Byars":
            lower, upper = byars_lower(row.x, level), byars_upper(row.x, level)
        else:
            lower, upper = wilson_lower(row.x, row.n, level), wilson_upper(row.x, row.n, level)
        if np.isnan(row.lowercl):
            assert np.isnan(lower), row
        else:
            np.testing.assert_allclose(lower, row.lowercl, rtol=1e-9, err_msg=str(row))
        np.testing.assert_allclose(upper, row.uppercl, rtol=1e-9, err_msg=str(row))
