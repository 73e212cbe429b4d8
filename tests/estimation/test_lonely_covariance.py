"""Covariances apply the lonely-PSU rules the variances apply: contrasts agree with the rows.

Reference: tests/reference/lonely_psu/expected.json, made by make_reference.R beside it with
R 4.2.2 / survey 4.1-1: svyby(..., covmat=TRUE) on designs with lonely strata (districts in
counties, schools in counties, two-stage apiclus2) under every lonely.psu rule, with and without
survey.adjust.domain.lonely. Where R's own row SEs and R's matrix disagree (the 'average' rule,
and adjust.domain.lonely), corridor keeps the rows and the reference matrix is the one whose
diagonal is R's squared row SEs (the script explains and checks it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference.survey_cases import DATA

import corridor as cr
from corridor.errors import EstimationError
from corridor.estimation.elements import within_moments

REF = json.loads((Path(__file__).resolve().parents[1] / "reference" / "lonely_psu" / "expected.json").read_text())
CASES = {c["id"]: c for c in REF["cases"]}
FILES = {"cluster": "apistrat.csv", "element": "apistrat.csv", "twostage": "apiclus2.csv"}


def _estimand(text: str) -> Any:
    kind, var = text.split(":")
    if kind == "ratio":
        return cr.Ratio(*var.split("/"))
    categorical = True if var == "awards" else None  # a Yes/No column: the shares of its levels
    return {"mean": cr.Mean, "total": cr.Total}[kind](var, categorical=categorical)


def _run(case: dict[str, Any], engine: str) -> cr.Estimates:
    design = cr.Design(**case["design"], lonely_psu=case["lonely_psu"], adjust_domain_lonely=case["adjust_domain_lonely"])
    data = DATA / FILES[case["id"].split("_")[0]]
    return cr.estimate(data, design, _estimand(case["estimand"]), by=case["by"], covariance=True, engine=engine)


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_domain_covariance_against_r(case_id: str, engine: str) -> None:
    case = CASES[case_id]
    res = _run(case, engine)
    rows = res.to_pylist()
    np.testing.assert_allclose([r["estimate"] for r in rows], case["estimate"], rtol=1e-10)
    se = np.array([r["se"] if r["se"] is not None else np.nan for r in rows])
    np.testing.assert_allclose(se, np.array(case["se"], dtype=float), rtol=1e-8, equal_nan=True)  # R's rows
    assert res.vcov is not None
    # the diagonal is the rows' variance: a contrast's SE agrees with the SEs it compares
    np.testing.assert_allclose(np.diag(res.vcov), se**2, rtol=1e-12, equal_nan=True)
    if "vcov" in case:
        ref = np.array(case["vcov"], dtype=float)
        scale = np.nanmax(np.abs(ref))
        np.testing.assert_allclose(res.vcov, ref, rtol=1e-8, atol=1e-12 * scale, equal_nan=True)
    if case["consistent"]:
        np.testing.assert_allclose(res.vcov, np.array(case["vcov_r"], dtype=float), rtol=1e-8,
                                   atol=1e-12 * np.nanmax(np.abs(case["vcov_r"])), equal_nan=True)


def test_contrast_as_svycontrast(engine: str) -> None:
    ref = REF["contrast"]
    design = cr.Design(ids="dnum", strata="cname", weights="pw", lonely_psu="adjust")
    res = cr.estimate(DATA / "apistrat.csv", design, cr.Mean("api00"), by="stype", covariance=True, engine=engine)
    gap = res.compare("stype", "E", "H").to_pylist()[0]
    assert gap["estimate"] == pytest.approx(ref["estimate"], rel=1e-10)
    assert gap["se"] == pytest.approx(ref["se"], rel=1e-8)


@pytest.mark.parametrize("rule", ["remove", "certainty", "adjust", "average"])
def test_gap_agrees_with_its_rows_under_every_rule(rule: str) -> None:
    """Domains in disjoint strata have zero covariance: the gap's variance is the sum of the rows'."""
    design = cr.Design(ids="dnum", strata="cname", weights="pw", lonely_psu=rule, adjust_domain_lonely=True)
    res = cr.estimate(DATA / "apistrat.csv", design, cr.Mean("api00"), by="cname", covariance=True)
    rows = {r["cname"]: r for r in res.to_pylist()}
    gap = res.compare("cname", "Los Angeles", "Alameda").to_pylist()[0]
    expected = np.hypot(rows["Los Angeles"]["se"], rows["Alameda"]["se"])
    assert gap["se"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("rule", ["remove", "certainty", "adjust", "average"])
def test_whole_design_vcov(rule: str, engine: str) -> None:
    ref = REF["whole"][rule]
    design = cr.Design(ids="dnum", strata="cname", weights="pw", lonely_psu=rule)
    res = cr.estimate(DATA / "apistrat.csv", design, [cr.Mean("api00"), cr.Mean("api99")], covariance=True,
                      engine=engine)
    np.testing.assert_allclose(res.vcov, ref["cluster_means"]["vcov"], rtol=1e-8)
    design = cr.Design(strata="cname", weights="pw", lonely_psu=rule)
    res = cr.estimate(DATA / "apistrat.csv", design, cr.Total("stype", categorical=True), covariance=True, engine=engine)
    assert [f"stype{r['level']}" for r in res.to_pylist()] == ref["element_totals"]["names"]
    np.testing.assert_allclose(res.vcov, ref["element_totals"]["vcov"], rtol=1e-8)


@pytest.mark.parametrize("ids", ["dnum", None])
def test_fail_rule_names_the_lonely_strata(ids: str | None) -> None:
    design = cr.Design(ids=ids or (), strata="cname", weights="pw")
    with pytest.raises(cr.errors.LonelyPSUError, match="only one PSU") as err:
        cr.estimate(DATA / "apistrat.csv", design, cr.Mean("api00"), by="stype", covariance=True)
    assert "lonely_psu=" in str(err.value)


@st.composite
def lonely_samples(draw: st.DrawFn) -> pa.Table:
    """Strata with one to four PSUs, domains crossing PSUs, some values missing."""
    rows = []
    psu_id = 0
    for h in range(draw(st.integers(2, 5))):
        for _ in range(draw(st.integers(1, 4))):
            psu_id += 1
            for _ in range(draw(st.integers(1, 4))):
                y = draw(st.one_of(st.none(), st.floats(-100, 100)))
                rows.append((h, psu_id, draw(st.floats(0.5, 50)), y, draw(st.sampled_from(["a", "b", "c"]))))
    h, psu, w, y, g = zip(*rows, strict=True)
    return pa.table({"h": h, "psu": psu, "w": w, "y": pa.array(y, pa.float64()), "g": g})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lonely_samples(), st.sampled_from(["remove", "certainty", "adjust", "average"]), st.booleans(), st.booleans())
def test_covariance_diagonal_is_the_variance(tbl: pa.Table, rule: str, adl: bool, clustered: bool) -> None:
    design = cr.Design(weights="w", strata="h", ids="psu" if clustered else (), lonely_psu=rule,
                       adjust_domain_lonely=adl)
    ests = [cr.Mean("y"), cr.Total("y"), cr.Proportion("g", level="a")]
    res = cr.estimate(tbl, design, ests, by="g", na="drop", covariance=True)
    se = np.array([r["se"] if r["se"] is not None else np.nan for r in res.to_pylist()])
    diag = np.diag(res.vcov)
    both = np.isfinite(se) & np.isfinite(diag)
    assert (np.isfinite(se) == np.isfinite(diag)).all()
    # with design effects the same standard errors come out
    other = np.array([r["se"] if r["se"] is not None else np.nan
                      for r in cr.estimate(tbl, design, ests, by="g", na="drop", deff=True).to_pylist()])
    np.testing.assert_allclose(other, se, rtol=1e-9, atol=1e-12, equal_nan=True)
    if not both.any():  # no cell has a finite standard error: there is no variance to compare
        return
    scale = max(1.0, float(diag[both].max()))
    np.testing.assert_allclose(diag[both], se[both] ** 2, rtol=1e-9, atol=1e-9 * scale)
    assert np.all(np.linalg.eigvalsh(np.nan_to_num(res.vcov[np.ix_(both, both)])) > -1e-9 * scale)


@pytest.mark.parametrize("ulps", [0.0, 1.0, -1.0, 3.0])
def test_a_variance_lost_in_cancellation_is_zero(ulps: float) -> None:
    """test_covariance_diagonal_is_the_variance failed once (and passed on rerun) on an element
    design whose domain 'a' has a proportion of 'a' of exactly 1: the SE came out 5.2e-9 in one of
    the two estimates and 0 in the other. Numerator and denominator values are equal on every row,
    so the within-group variance (Var(num) - 2 Cov + Var(den), times 1/N^2) cancels to the
    roundoff of DuckDB's parallel var_pop, whose sign followed the order of the threads' sums
    (negative: 0; positive: 5e-9). A remainder below the roundoff of its terms is now zero."""
    products = {(0, 0): 0, (1, 1): 1, (0, 1): 2}
    e = ulps * 2.0**-52
    prod = np.array([[2.5, 2.5 * (1 + e), 2.5 * (1 - e)], [2.5, 1.0, 0.5]])
    args = (prod, products, np.array([0, 1]), np.array([0, 0]), np.array([0]), np.array([1]),
            np.array([[1 / 150]]), np.array([[-1 / 150]]))
    var = within_moments(*args, full=False)
    cov = within_moments(*args, full=True)
    assert var[0, 0] == 0.0 and cov[0, 0, 0] == 0.0
    # a real within-group variance is kept: (2.5 + 1 - 2 * 0.5) / 150^2
    assert var[1, 0] == pytest.approx(2.5 / 150**2, rel=1e-15) and cov[1, 0, 0] == var[1, 0]



@pytest.mark.parametrize("case_id", sorted(c for c in CASES if not c.startswith("element")))
def test_covariance_across_one_variable_is_the_full_matrix_entries(case_id: str) -> None:
    """covariance=<by variable> computes the entries compare() reads across that variable's levels (each
    row with itself and with the rows of its output in the other levels) as the full matrix has them."""
    case = CASES[case_id]
    design = cr.Design(**case["design"], lonely_psu=case["lonely_psu"], adjust_domain_lonely=case["adjust_domain_lonely"])
    data = DATA / FILES[case["id"].split("_")[0]]
    by = case["by"] if isinstance(case["by"], str) else case["by"][0]
    full = cr.estimate(data, design, _estimand(case["estimand"]), by=case["by"], covariance=True)
    part = cr.estimate(data, design, _estimand(case["estimand"]), by=case["by"], covariance=by)
    assert full.vcov is not None and part.vcov is not None
    rows = part.to_pylist()
    alike = np.array([[all(a[c] == b[c] for c in ("estimand", "variable", "level")) for b in rows] for a in rows])
    np.testing.assert_allclose(part.vcov[alike], full.vcov[alike], rtol=1e-12, atol=1e-15, equal_nan=True)
    assert np.isnan(part.vcov[~alike]).all()


def test_covariance_across_one_variable_of_several_groupings() -> None:
    design = cr.Design(ids="dnum", strata="cname", weights="pw", lonely_psu="adjust")
    by = [["stype"], ["stype", "awards"], ["awards"]]
    ests = [cr.Mean("api00"), cr.Total("awards", categorical=True)]
    full = cr.estimate(DATA / "apistrat.csv", design, ests, by=by, covariance=True)
    part = cr.estimate(DATA / "apistrat.csv", design, ests, by=by, covariance="stype")
    a, b = full.compare("stype", "E", "H").to_pylist(), part.compare("stype", "E", "H").to_pylist()
    assert len(a) == len(b) == 9  # the mean and 2 levels of the total, overall and in each of the 2 awards levels
    for x, y in zip(a, b, strict=True):
        assert x["estimate"] == y["estimate"]
        np.testing.assert_allclose(y["se"], x["se"], rtol=1e-12)
    # the rows of the grouping without stype keep their variances
    assert part.vcov is not None
    np.testing.assert_allclose(np.diag(part.vcov), np.array([r["se"] for r in part.to_pylist()]) ** 2, rtol=1e-12)
    with pytest.raises(EstimationError, match="'stype' only"):
        part.compare("awards", "Yes", "No")
    with pytest.raises(EstimationError, match="'region' is not a domain variable"):
        cr.estimate(DATA / "apistrat.csv", design, ests, by=by, covariance="region")
