"""Replicate designs: each domain's degrees of freedom, and quantile intervals from replicate quantiles.

Reference: tests/reference/replicates/expected.json, made by make_reference.R beside it with
R 4.2.2 / survey 4.1-1: svyby on replicate designs (each domain a subset whose degf is the rank of
its rows' replicate weights minus one) with svyciprop and svymean, and svyquantile(...,
interval.type="quantile") on bootstrap, JK1 and converted designs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from reference.survey_cases import DATA

import corridor as cr

REF = json.loads((Path(__file__).resolve().parents[1] / "reference" / "replicates" / "expected.json").read_text())
JK1 = cr.ReplicateDesign(repweights="^jk1_", weights="pw", type="JK1", scale=0.9148392778511668)
BOOT = cr.ReplicateDesign(repweights="^bs_", weights="pw", type="bootstrap", scale=0.021865889212827987)


def _by(res: cr.Estimates, key: str) -> dict[Any, dict[str, Any]]:
    return {r[key]: r for r in res.to_pylist()}


def _check(rows: dict[Any, dict[str, Any]], ref: dict[str, Any], *, ci: bool = True, ci_rel: float = 1e-8) -> None:
    for i, level in enumerate(ref["levels"]):
        row = rows[level]
        assert row["estimate"] == pytest.approx(ref["estimate"][i], rel=min(1e-9 * ci_rel / 1e-8, 1e-7))
        assert row["se"] == pytest.approx(ref["se"][i], rel=1e-8)
        assert row["df"] == ref["df"][i]
        if ci:
            assert (row["ci_low"], row["ci_high"]) == pytest.approx((ref["ci_low"][i], ref["ci_high"][i]), rel=ci_rel)


def test_proportions_by_domain_use_each_domain_df(engine: str) -> None:
    ref = REF["jk1_prop_by"]
    res = cr.estimate(DATA / "apiclus1_jk1.csv", JK1, cr.Proportion("sch.wide", level="Yes"), by="stype", engine=engine)
    _check(_by(res, "stype"), ref)


def test_domain_df_means_the_same_on_replicate_designs(engine: str) -> None:
    ref = REF["boot_mean_by"]
    res = cr.estimate(DATA / "apiclus1_boot.csv", BOOT, cr.Mean("api00"), by="stype", df="domain", engine=engine)
    _check(_by(res, "stype"), ref, ci=False)
    default = cr.estimate(DATA / "apiclus1_boot.csv", BOOT, cr.Mean("api00"), by="stype", engine=engine)
    assert {r["df"] for r in default.to_pylist()} == {ref["design_df"]}  # means: the design's, as before


def test_domain_df_in_a_subpopulation(engine: str) -> None:
    ref = REF["boot_prop_sub"]
    res = cr.estimate(DATA / "apiclus1_boot.csv", BOOT, cr.Proportion("sch.wide", level="Yes", method="beta"),
                      by="stype", where="`yr.rnd` == 'No'", engine=engine)
    _check(_by(res, "stype"), ref)


def test_converted_designs_take_each_domain_rank(engine: str) -> None:
    ref = REF["jkn_strat_prop_by"]
    design = cr.Design(ids="snum", strata="stype", weights="pw", fpc="fpc").replicates("JKn")
    res = cr.estimate(DATA / "apistrat.csv", design, cr.Proportion("sch.wide", level="Yes"), by="yr.rnd", engine=engine)
    # R's logit interval starts from a glm fit stopped at a deviance tolerance (docs/design.md)
    _check(_by(res, "yr.rnd"), ref, ci_rel=1e-7)
    ref = REF["jkn_prop_by"]
    design = cr.Design(ids="SDMVPSU", strata="SDMVSTRA", weights="WTMEC2YR", nest=True).replicates("JKn")
    res = cr.estimate(DATA / "nhanes.csv", design, cr.Proportion("HI_CHOL", level=1), by="race", na="drop",
                      engine=engine)
    _check(_by(res, "race"), ref, ci_rel=1e-7)


def test_quantile_interval_from_replicate_quantiles(engine: str) -> None:
    ref = REF["boot_quantile"]
    res = cr.estimate(DATA / "apiclus1_boot.csv", BOOT, cr.Quantile("api00", probs=(0.25, 0.5, 0.75), interval="quantile"),
                      engine=engine).to_pylist()
    for i, row in enumerate(res):
        assert row["estimate"] == ref["estimate"][i]
        assert row["se"] == pytest.approx(ref["se"][i], rel=1e-8)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((ref["ci_low"][i], ref["ci_high"][i]), rel=1e-8)
        assert row["df"] == ref["df"]
    ref = REF["jk1_quantile"]
    row = cr.estimate(DATA / "apiclus1_jk1.csv", JK1, cr.Quantile("api00", interval="quantile"),
                      engine=engine).to_pylist()[0]
    assert row["se"] == pytest.approx(ref["se"], rel=1e-8)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ref["ci_low"], ref["ci_high"]), rel=1e-8)


def test_replicate_quantiles_by_domain(engine: str) -> None:
    ref = REF["boot_quantile_by"]
    res = cr.estimate(DATA / "apiclus1_boot.csv", BOOT, cr.Quantile("api00", qrule="hf7", interval="quantile"),
                      by="stype", engine=engine)
    _check(_by(res, "stype"), ref)
    ref = REF["jk1_converted_quantile_by"]
    design = cr.Design(ids="dnum", weights="pw", fpc="fpc").replicates("JK1")
    rows = cr.estimate(DATA / "apiclus1.csv", design, cr.Quantile("api00", probs=(0.25, 0.5), interval="quantile"),
                       by="stype", engine=engine).to_pylist()
    rows.sort(key=lambda r: (r["stype"], r["prob"]))
    for i, row in enumerate(rows):
        assert row["estimate"] == ref["estimate"][i]
        assert row["se"] == pytest.approx(ref["se"][i], rel=1e-8)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((ref["ci_low"][i], ref["ci_high"][i]), rel=1e-8)
        assert row["df"] == ref["df"][i // 2]


def test_quantile_interval_needs_replicates() -> None:
    design = cr.Design(ids="dnum", weights="pw", fpc="fpc")
    with pytest.raises(cr.errors.UnsupportedError, match="replicate design"):
        cr.estimate(DATA / "apiclus1.csv", design, cr.Quantile("api00", interval="quantile"))


def test_rank_of_many_rows_in_many_psus() -> None:
    """Bootstrap weights of 200,000 rows in 1,000 PSUs: every domain's rank is the number of replicates."""
    rng = np.random.default_rng(1)
    R, n_psu, n = 30, 1_000, 200_000
    factors = rng.poisson(1.0, size=(n_psu, R)).astype(float)
    psu = rng.integers(0, n_psu, size=n)
    w = rng.uniform(1, 3, size=n)
    cols = {f"rw{r}": w * factors[psu, r] for r in range(R)}
    tbl = pa.table({"w": w, "y": rng.normal(size=n), "g": rng.integers(0, 5, size=n), **cols})
    design = cr.ReplicateDesign(repweights="^rw", weights="w", type="bootstrap")
    res = cr.estimate(tbl, design, cr.Mean("y"), by="g", df="domain")
    assert {r["df"] for r in res.to_pylist()} == {R - 1}
    # a domain inside three PSUs has rank 3, whatever its rows
    few = pa.table({"w": w[:300], "y": rng.normal(size=300), "g": np.zeros(300, dtype=np.int64),
                    **{f"rw{r}": w[:300] * factors[np.arange(300) % 3, r] for r in range(R)}})
    assert cr.estimate(few, design, cr.Mean("y"), by="g", df="domain").to_pylist()[0]["df"] == 2


def test_rank_reads_further_when_the_first_rows_are_not_enough() -> None:
    """Rows sorted by PSU: the first thousands come from one PSU, the rank shows only further on."""
    rng = np.random.default_rng(2)
    R, n = 12, 120_000
    factors = rng.poisson(1.0, size=(60, R)).astype(float)
    psu = np.sort(rng.integers(0, 60, size=n))
    w = rng.uniform(1, 3, size=n)
    tbl = pa.table({"w": w, "y": rng.normal(size=n), **{f"rw{r}": w * factors[psu, r] for r in range(R)}})
    design = cr.ReplicateDesign(repweights="^rw", weights="w", type="bootstrap")
    assert cr.estimate(tbl, design, cr.Mean("y")).to_pylist()[0]["df"] == R - 1
    # the same rows in PSUs 0-5 only: rank 6, found by reading every row
    few = tbl.filter(pa.array(psu < 6))
    assert cr.estimate(few, design, cr.Mean("y")).to_pylist()[0]["df"] == 5
