"""Domain contrasts with covariance, design effects and replicate-design intervals against R.

Reference: tests/reference/r_extra/expected.json, made by make_reference.R beside it with
R 4.2.2 / survey 4.1-1 (svyby(..., covmat=TRUE) + svycontrast; deff=TRUE; svyquantile and
svyciprop on as.svrepdesign(dclus1, "JK1")).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from reference.survey_cases import DATA

import corridor as cr

REF = json.loads((Path(__file__).resolve().parents[1] / "reference" / "r_extra" / "expected.json").read_text())
DCLUS1 = cr.Design(ids="dnum", weights="pw", fpc="fpc")
DSTRAT = cr.Design(strata="stype", weights="pw", fpc="fpc")


def test_difference_and_ratio_between_domains_clustered(engine: str) -> None:
    ref = REF["clus1_contrast"]
    res = cr.estimate(DATA / "apiclus1.csv", DCLUS1, cr.Mean("api00"), by="stype", covariance=True, engine=engine)
    np.testing.assert_allclose(res.vcov, np.array(ref["vcov"]), rtol=1e-8)
    diff = res.compare("stype", "E", "H").to_pylist()[0]
    assert diff["estimate"] == pytest.approx(ref["diff"], rel=1e-10)
    assert diff["se"] == pytest.approx(ref["diff_se"], rel=1e-8)
    ratio = res.compare("stype", "E", "H", kind="ratio").to_pylist()[0]
    assert ratio["estimate"] == pytest.approx(ref["ratio"], rel=1e-10)
    assert ratio["se"] == pytest.approx(ref["ratio_se"], rel=1e-8)


def test_difference_between_domains_element_sampling(engine: str) -> None:
    ref = REF["strat_contrast"]
    res = cr.estimate(DATA / "apistrat.csv", DSTRAT, cr.Mean("api00"), by="awards", covariance=True, engine=engine)
    np.testing.assert_allclose(res.vcov, np.array(ref["vcov"]), rtol=1e-7, atol=1e-9)
    diff = res.compare("awards", "Yes", "No").to_pylist()[0]
    assert diff["estimate"] == pytest.approx(ref["diff"], rel=1e-10)
    assert diff["se"] == pytest.approx(ref["diff_se"], rel=1e-8)


def test_design_effects(engine: str) -> None:
    ref = REF["deff"]
    m = cr.estimate(DATA / "apistrat.csv", DSTRAT, cr.Mean("api00"), deff=True, engine=engine).to_pylist()[0]
    assert m["deff"] == pytest.approx(ref["strat_mean"], rel=1e-8)
    t = cr.estimate(DATA / "apiclus1.csv", DCLUS1, cr.Total("enroll"), deff=True, engine=engine).to_pylist()[0]
    assert t["deff"] == pytest.approx(ref["clus1_total"], rel=1e-8)
    by = {r["stype"]: r["deff"] for r in
          cr.estimate(DATA / "apiclus1.csv", DCLUS1, cr.Mean("api00"), by="stype", deff=True, engine=engine).to_pylist()}
    for level, value in zip(ref["by_levels"], ref["clus1_mean_by_stype"], strict=True):
        assert by[level] == pytest.approx(value, rel=1e-8)


def test_quantile_and_proportion_on_a_replicate_design(engine: str) -> None:
    jk1 = cr.ReplicateDesign(repweights="^jk1_", weights="pw", type="JK1", scale=0.9148392778511668)
    q = cr.estimate(DATA / "apiclus1_jk1.csv", jk1, cr.Quantile("api00", probs=(0.5,)), engine=engine).to_pylist()[0]
    ref = REF["jk1_quantile"]
    assert q["estimate"] == pytest.approx(ref["estimate"])
    assert (q["ci_low"], q["ci_high"]) == pytest.approx(tuple(ref["ci"]))
    assert q["se"] == pytest.approx(ref["se"], rel=1e-8)
    p = cr.estimate(DATA / "apiclus1_jk1.csv", jk1, cr.Proportion("sch.wide", level="Yes"), engine=engine).to_pylist()[0]
    ref = REF["jk1_prop"]
    assert p["estimate"] == pytest.approx(ref["estimate"], rel=1e-8)
    assert p["se"] == pytest.approx(ref["se"], rel=1e-8)
    assert p["df"] == ref["df"]
    assert (p["ci_low"], p["ci_high"]) == pytest.approx(tuple(ref["ci"]), rel=1e-8)


def test_compare_needs_covariance() -> None:
    res = cr.estimate(DATA / "apiclus1.csv", DCLUS1, cr.Mean("api00"), by="stype")
    with pytest.raises(cr.errors.EstimationError, match="covariance=True"):
        res.compare("stype", "E", "H")


def test_a_ratio_over_a_zero_estimate_is_flagged_not_infinite(tmp_path: Path) -> None:
    """The ratio of two domains whose second estimate is zero has no value: NaN estimate and SE,
    flagged ``zero_denominator`` as a ratio estimand's zero denominator is; the reverse ratio is 0."""
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    t = pacsv.read_csv(DATA / "apiclus1.csv")
    z = pc.if_else(pc.equal(t["stype"], "H"), 0.0, pc.cast(t["api00"], "float64"))
    path = tmp_path / "zero.csv"
    pacsv.write_csv(t.append_column("z", z), path)
    res = cr.estimate(path, DCLUS1, cr.Mean("z"), by="stype", covariance=True)
    over_zero = res.compare("stype", "E", "H", kind="ratio").to_pylist()[0]
    assert over_zero["flag"] == "zero_denominator"
    assert np.isnan(over_zero["estimate"]) and np.isnan(over_zero["se"]) and np.isnan(over_zero["ci_low"])
    # a denominator so small that the ratio overflows is no better than 0
    tiny = pc.if_else(pc.equal(t["stype"], "H"), 1e-310, pc.cast(t["api00"], "float64"))
    pacsv.write_csv(t.append_column("z", tiny), path)
    res_tiny = cr.estimate(path, DCLUS1, cr.Mean("z"), by="stype", covariance=True)
    over_tiny = res_tiny.compare("stype", "E", "H", kind="ratio").to_pylist()[0]
    assert over_tiny["flag"] == "zero_denominator" and np.isnan(over_tiny["estimate"]), over_tiny
    zero_over = res.compare("stype", "H", "E", kind="ratio").to_pylist()[0]
    assert zero_over["estimate"] == 0.0 and zero_over["flag"] is None and np.isfinite(zero_over["se"])
    diff = res.compare("stype", "E", "H").to_pylist()[0]
    assert diff["flag"] is None and np.isfinite(diff["estimate"])
