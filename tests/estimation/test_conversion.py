"""Taylor designs converted to replicate weights reproduce R's as.svrepdesign() (deterministic types).

P21: svymean(~api00, as.svrepdesign(dclus1, type="JK1")) = 644.17, SE 26.329 (R 4.2.2 / survey 4.1-1).
P22: svytotal(~enroll, as.svrepdesign(dstrat, type="JKn")) = 3687178, SE 114641.716.
"""

from __future__ import annotations

import numpy as np
import pytest
from reference.survey_cases import DATA, load

import corridor as cr


def test_jk1_from_one_stage_cluster_design_matches_r(engine: str) -> None:
    _, expected = load("P21")
    design = cr.Design(ids="dnum", weights="pw", fpc="fpc").replicates("JK1")
    row = cr.estimate(DATA / "apiclus1.csv", design, cr.Mean("api00"), engine=engine).to_pylist()[0]
    ref = expected["results"][0]
    assert row["estimate"] == pytest.approx(ref["estimate"], rel=1e-10)
    assert row["se"] == pytest.approx(ref["se"], rel=1e-8)


def test_jkn_from_stratified_design_matches_r(engine: str) -> None:
    _, expected = load("P22")
    design = cr.Design(strata="stype", weights="pw", fpc="fpc", ids="snum").replicates("JKn")
    row = cr.estimate(DATA / "apistrat.csv", design, cr.Total("enroll"), engine=engine).to_pylist()[0]
    ref = expected["results"][0]
    assert row["estimate"] == pytest.approx(ref["estimate"], rel=1e-10)
    assert row["se"] == pytest.approx(ref["se"], rel=1e-8)


def test_bootstrap_is_reproducible_with_a_seed_and_close_to_taylor(engine: str) -> None:
    base = cr.Design(ids="dnum", weights="pw", fpc="fpc")
    a = cr.estimate(DATA / "apiclus1.csv", base.replicates("bootstrap", replicates=400, seed=7), cr.Mean("api00"))
    b = cr.estimate(DATA / "apiclus1.csv", base.replicates("bootstrap", replicates=400, seed=7), cr.Mean("api00"))
    taylor = cr.estimate(DATA / "apiclus1.csv", base, cr.Mean("api00"))
    assert a.to_pylist()[0]["se"] == b.to_pylist()[0]["se"]
    # Rao-Wu bootstrap approximates the with-replacement variance: same order as Taylor's.
    assert 0.7 < a.to_pylist()[0]["se"] / taylor.to_pylist()[0]["se"] < 1.5


def test_jk1_refuses_a_stratified_design() -> None:
    design = cr.Design(strata="stype", weights="pw", ids="snum").replicates("JK1")
    with pytest.raises(cr.errors.DesignError, match="JKn"):
        cr.estimate(DATA / "apistrat.csv", design, cr.Total("enroll"))


def test_bootstrap_does_not_depend_on_the_order_of_rows() -> None:
    import pyarrow.csv as pacsv

    tbl = pacsv.read_csv(DATA / "apiclus1.csv")
    shuffled = tbl.take(np.random.default_rng(3).permutation(tbl.num_rows))
    design = cr.Design(ids="dnum", weights="pw", fpc="fpc").replicates("bootstrap", replicates=50, seed=11)
    a = cr.estimate(tbl, design, cr.Mean("api00")).to_pylist()[0]["se"]
    b = cr.estimate(shuffled, design, cr.Mean("api00")).to_pylist()[0]["se"]
    assert a == pytest.approx(b, rel=1e-12)


def test_dotted_column_names_as_domains_and_levels() -> None:
    design = cr.Design(ids="dnum", weights="pw", fpc="fpc")
    rows = cr.estimate(DATA / "apiclus1.csv", design, cr.Proportion("sch.wide"), by="yr.rnd").to_pylist()
    assert {(r["yr.rnd"], r["level"]) for r in rows} == {("No", "No"), ("No", "Yes"), ("Yes", "No"), ("Yes", "Yes")}
