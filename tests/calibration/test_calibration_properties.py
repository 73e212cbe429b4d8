"""Invariants of calibration (hypothesis): the totals are met, the one-term cases reduce to the ratio
adjustment, raking is iterative proportional fitting, and Taylor and replicate SEs agree."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import corridor as cr
from corridor.flows.ipf import fit_margins

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def sample(seed: int, n: int, a_levels: int, b_levels: int) -> pa.Table:
    """A clustered sample: every level of a and b occurs, weights positive and unequal."""
    rng = np.random.default_rng(seed)
    a = np.concatenate([np.arange(a_levels), rng.integers(0, a_levels, n - a_levels)])
    b = np.concatenate([np.arange(b_levels) % b_levels, rng.integers(0, b_levels, n - b_levels)])
    return pa.table({
        "a": pa.array([f"a{v}" for v in a]), "b": pa.array(b.astype(np.int64)),
        "psu": pa.array(np.arange(n) // 3), "w": pa.array(rng.uniform(5, 50, n)),
        "x": pa.array(rng.uniform(1, 10, n)), "y": pa.array(rng.normal(100, 20, n)),
    })


def margin(table: pa.Table, col: str, factor: np.ndarray) -> dict[str, float]:
    """Population totals of a margin: the sample's weighted counts times a factor per level."""
    values = table[col].to_pylist()
    w = np.asarray(table["w"].to_pylist())
    levels = sorted(set(values), key=str)
    return {str(lev): float(w[[v == lev for v in values]].sum() * factor[i % len(factor)]) for i, lev in enumerate(levels)}


DESIGN = cr.Design(weights="w", ids="psu")


@SETTINGS
@given(seed=st.integers(0, 10_000), method=st.sampled_from(["linear", "raking", "logit", "rake"]),
       scale=st.lists(st.floats(0.8, 1.25), min_size=3, max_size=3))
def test_calibrated_totals_equal_the_totals(seed: int, method: str, scale: list[float]) -> None:
    data = sample(seed, 60, 3, 2)
    ta = margin(data, "a", np.array(scale))
    n = sum(ta.values())
    tb0 = margin(data, "b", np.ones(1))
    share = tb0["0"] / sum(tb0.values())
    totals = {"a": ta, "b": {"0": n * share, "1": n * (1 - share)}}
    if method == "rake":
        cal = cr.rake(data, DESIGN, totals)
    else:
        bounds = (0.2, 5.0) if method == "logit" else None
        cal = cr.calibrate(data, DESIGN, totals, method=method, bounds=bounds, epsilon=1e-10)
    res = cr.estimate(data, cal, [cr.Total("a", categorical=True), cr.Total("b", categorical=True)])
    for row in res.to_pylist():
        want = totals[row["variable"]][row["level"]]
        assert row["estimate"] == pytest.approx(want, rel=1e-8)
        # a calibrated total has no sampling error: its SE is rounding noise. rake's Taylor SEs back-fit
        # the margins' residuals in as many sweeps as the raking took (as R does), so a raked margin keeps
        # a remainder of that back-fitting: under 1e-8 of the total in 120 random cases, 3.6e-8 with
        # seed 1153 and equal margins; hence a looser bound for rake only
        assert row["se"] <= (1e-6 if method == "rake" else 1e-9) * want
    for row in cal.check.to_pylist():
        assert row["after"] == pytest.approx(row["total"], rel=1e-8)


@SETTINGS
@given(seed=st.integers(0, 10_000), n_pop=st.floats(1e3, 1e6))
def test_one_all_ones_term_is_the_ratio_adjustment(seed: int, n_pop: float) -> None:
    data = sample(seed, 45, 3, 2)
    w = np.asarray(data["w"].to_pylist())
    cal = cr.calibrate(data, DESIGN, {"(Intercept)": n_pop})
    assert cal.weights["after"]["g_min"] == pytest.approx(n_pop / w.sum(), rel=1e-12)
    assert cal.weights["after"]["g_max"] == pytest.approx(n_pop / w.sum(), rel=1e-12)
    total = cr.estimate(data, cal, cr.Total("y")).to_pylist()[0]
    mean = cr.estimate(data, DESIGN, cr.Mean("y")).to_pylist()[0]
    # the ratio estimator N * ybar: its linearised variance is N^2 var(ybar)
    assert total["estimate"] == pytest.approx(n_pop * mean["estimate"], rel=1e-10)
    assert total["se"] == pytest.approx(n_pop * mean["se"], rel=1e-9)
    # and a mean is unchanged, with the same SE
    cmean = cr.estimate(data, cal, cr.Mean("y")).to_pylist()[0]
    assert cmean["estimate"] == pytest.approx(mean["estimate"], rel=1e-12)
    assert cmean["se"] == pytest.approx(mean["se"], rel=1e-9)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), fa=st.lists(st.floats(0.7, 1.4), min_size=4, max_size=4),
       fb=st.lists(st.floats(0.7, 1.4), min_size=3, max_size=3))
def test_raking_is_iterative_proportional_fitting(seed: int, fa: list[float], fb: list[float]) -> None:
    data = sample(seed, 80, 4, 3)
    ta = margin(data, "a", np.array(fa))
    n = sum(ta.values())
    tb = margin(data, "b", np.array(fb))
    tb = {k: v * n / sum(tb.values()) for k, v in tb.items()}
    totals = {"a": ta, "b": tb}
    # the sample's weighted table, fitted to the margins by migest-style IPF (corridor.flows)
    a = data["a"].to_pylist()
    b = data["b"].to_pylist()
    w = np.asarray(data["w"].to_pylist())
    la, lb = sorted(set(a)), sorted(set(b))
    seed_table = np.zeros((len(la), len(lb)))
    np.add.at(seed_table, ([la.index(v) for v in a], [lb.index(v) for v in b]), w)
    fitted = fit_margins(seed_table, [ta[v] for v in la], [tb[str(v)] for v in lb], tol=1e-12, maxit=100_000).mu
    for cal in (cr.rake(data, DESIGN, totals), cr.calibrate(data, DESIGN, totals, method="raking", epsilon=1e-12)):
        got = cr.estimate(data, cal, cr.Total("y"), by=["a", "b"])  # any estimate: the weights are in sum_w
        for row in got.to_pylist():
            assert row["sum_w"] == pytest.approx(fitted[la.index(row["a"]), lb.index(row["b"])], rel=1e-8)


def test_taylor_and_recalibrated_replicate_ses_are_close() -> None:
    """On a large simulated sample (150 PSUs in 15 strata), the Taylor SE with calibration residuals and
    the SE from JKn replicates recalibrated one by one estimate the same variance."""
    rng = np.random.default_rng(20240607)
    n_psu, per = 150, 30
    psu = np.repeat(np.arange(n_psu), per)
    stratum = psu // 10
    u = rng.normal(0, 1, n_psu)[psu]
    region = rng.integers(0, 4, psu.size)
    sex = rng.integers(0, 2, psu.size)
    y = 50 + 5 * region + 3 * sex + 4 * u + rng.normal(0, 6, psu.size)
    w = rng.uniform(50, 150, psu.size)
    data = pa.table({"psu": psu, "stratum": stratum, "region": region, "sex": sex, "y": y, "w": w,
                     "poor": (y < 55).astype(np.int64)})
    totals = {"region": {str(r): 1.1 * w[region == r].sum() for r in range(4)},
              "sex": {str(s): 1.1 * w.sum() * (0.48 if s == 0 else 0.52) for s in range(2)}}
    design = cr.Design(weights="w", strata="stratum", ids="psu")
    ests = [cr.Total("y"), cr.Mean("y"), cr.Proportion("poor", level=1)]
    for method in ("linear", "raking"):
        taylor = cr.estimate(data, cr.calibrate(data, design, totals, method=method), ests, by="sex").to_pylist()
        reps = cr.estimate(data, cr.calibrate(data, design.replicates("JKn"), totals, method=method), ests,
                           by="sex").to_pylist()
        uncal = cr.estimate(data, design, ests, by="sex").to_pylist()
        for t, r, u0 in zip(taylor, reps, uncal, strict=True):
            assert t["estimate"] == pytest.approx(r["estimate"], rel=1e-12)
            assert t["se"] == pytest.approx(r["se"], rel=0.05), (method, t["estimand"], t["sex"])
            if t["estimand"] == "total":  # calibration on region removes most of a total's variance
                assert t["se"] < 0.8 * u0["se"]
