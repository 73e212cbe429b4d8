"""Score intervals of quantiles (Francisco and Fuller 1991) on Taylor designs, against R.

Reference: tests/reference/quantile_score/expected.json, made by make_reference.R beside it with
R 4.2.2 / survey 4.1-1 (svyquantile(..., interval.type="score")). With equal weights within the
domain corridor's interval is R's; with unequal weights R reads the interval at the unweighted
share of the sample below each root and corridor at the weighted share (the reference computes
that from R's own roots and quantile rule; docs/design.md, known differences from R).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from reference.survey_cases import DATA

import corridor as cr
from corridor.estimation import intervals

REF = json.loads((Path(__file__).resolve().parents[1] / "reference" / "quantile_score" / "expected.json").read_text())
DCLUS1 = cr.Design(ids="dnum", weights="pw", fpc="fpc")


def _listed(value: float | list[float]) -> list[float]:
    return value if isinstance(value, list) else [value]  # R's JSON writes one-element vectors as numbers


def test_score_intervals_with_equal_weights_are_r_s(engine: str) -> None:
    ref = REF["clus1"]
    rows = cr.estimate(DATA / "apiclus1.csv", DCLUS1, cr.Quantile("api00", probs=tuple(ref["probs"]), interval="score"),
                       engine=engine).to_pylist()
    for i, row in enumerate(rows):
        assert row["estimate"] == ref["estimate"][i]
        assert (row["ci_low"], row["ci_high"]) == (ref["ci_low"][i], ref["ci_high"][i])
        assert row["se"] == pytest.approx(ref["se"][i], rel=1e-10)
    ref = REF["clus1_by"]
    rows = {r["stype"]: r for r in cr.estimate(DATA / "apiclus1.csv", DCLUS1, cr.Quantile("api00", interval="score"),
                                               by="stype", engine=engine).to_pylist()}
    for i, level in enumerate(ref["levels"]):
        assert (rows[level]["ci_low"], rows[level]["ci_high"]) == (ref["ci_low"][i], ref["ci_high"][i])
        assert rows[level]["se"] == pytest.approx(ref["se"][i], rel=1e-10)


@pytest.mark.parametrize("case", ["strat", "nhanes_sub"])
def test_score_intervals_with_unequal_weights_use_the_weighted_share(case: str, engine: str) -> None:
    ref = REF[case]
    if case == "strat":
        design = cr.Design(strata="stype", weights="pw", fpc="fpc")
        q = cr.Quantile("enroll", probs=tuple(ref["probs"]), qrule="hf7", interval="score")
        rows = cr.estimate(DATA / "apistrat.csv", design, q, engine=engine).to_pylist()
    else:
        design = cr.Design(ids="SDMVPSU", strata="SDMVSTRA", weights="WTMEC2YR", nest=True)
        q = cr.Quantile("WTMEC2YR", probs=(0.5,), interval="score")
        rows = cr.estimate(DATA / "nhanes.csv", design, q, where="race == 2", engine=engine).to_pylist()
    for i, row in enumerate(rows):
        assert row["estimate"] == pytest.approx(_listed(ref["estimate"])[i], rel=1e-12)
        lo, hi = _listed(ref["ci_low_weighted"])[i], _listed(ref["ci_high_weighted"])[i]
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), rel=1e-10)
        assert row["ci_low"] <= row["estimate"] <= row["ci_high"]
        t = float(intervals.t_quantile(0.95, row["df"]))
        assert row["se"] == pytest.approx((hi - lo) / (2 * t), rel=1e-10)


def test_score_needs_a_taylor_design() -> None:
    design = cr.ReplicateDesign(repweights="^bs_", weights="pw", type="bootstrap")
    with pytest.raises(cr.errors.UnsupportedError, match="score"):
        cr.estimate(DATA / "apiclus1_boot.csv", design, cr.Quantile("api00", interval="score"))
