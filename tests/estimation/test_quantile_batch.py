"""A grouping's Woodruff intervals taken for every domain at once (one-stage clustered designs, the
profile's medians) read each domain in value order: its estimates, sums of weights and degrees of
freedom are those of the domain-by-domain code to the bit, and its intervals and standard errors
agree with it to rounding (the share below the estimate is the running sum of weights the estimate
was read from, and a PSU's total adds its rows in value order instead of row order). The rows'
sort by value is one sort of distinct integers, the same order as numpy's stable sort."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import corridor as cr
from corridor.estimation import quantiles

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_VALUES = [-0.0, 0.0, 1.0, -1.0, 2.5, 3.0, -7.25, 1e300, -1e300, math.inf, -math.inf, 2.0**52, 2.0**53 + 2, 1e-300]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_VALUES), st.integers(-10**6, 10**6).map(float),
                          st.floats(allow_nan=False)), max_size=300),
       st.booleans())
def test_stable_argsort_is_numpy_stable_sort(values: list[float], whole: bool) -> None:
    x = np.array(values, dtype=np.float64)
    if whole:  # the path of whole numbers (each its own rank)
        x = np.floor(np.clip(x, -1e12, 1e12))
    got = quantiles.stable_argsort(x)
    assert got.dtype == np.int64
    assert np.array_equal(got, np.argsort(x, kind="stable"))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-(2**53) + 1, 2**53 - 1), min_size=2, max_size=60))
def test_stable_argsort_of_whole_numbers_up_to_2_53_apart_on_both_sides(values: list[int]) -> None:
    """Whole numbers below 2**53 on both sides of 0 can be up to 2**54 apart: their distances to the
    least are not all exact floats there, and must not become equal keys."""
    x = np.array(values + [2**53 - 1, 2**53 - 2, -2], dtype=np.float64)
    assert np.array_equal(quantiles.stable_argsort(x), np.argsort(x, kind="stable"))


def test_the_median_of_whole_numbers_far_apart() -> None:
    x = [-2.0, 2.0**53 - 1, 2.0**53 - 2] * 2
    t = pa.table({"h": [1] * 6, "psu": [1, 1, 2, 2, 3, 3], "w": [1.0] * 6, "y": x})
    r = cr.estimate(t, cr.Design(strata="h", ids="psu", weights="w"), cr.Quantile("y")).to_pylist()[0]
    assert r["estimate"] == 2.0**53 - 2  # the weighted median of {-2, 2**53-2, 2**53-1}, two rows each
    # an end outside the data is missing, as R's NA; an end given brackets the estimate
    assert (r["ci_low"] is None or r["ci_low"] <= r["estimate"]) and (r["ci_high"] is None or r["estimate"] <= r["ci_high"])


def test_stable_argsort_of_many_ties() -> None:
    rng = np.random.default_rng(3)
    for x in (rng.integers(0, 50, 100_000).astype(float) * 1000, rng.integers(0, 50, 100_000) / 7.0,
              np.where(rng.random(100_000) < 0.5, -0.0, 0.0)):
        assert np.array_equal(quantiles.stable_argsort(x), np.argsort(x, kind="stable"))


@st.composite
def clustered(draw: st.DrawFn) -> pa.Table:
    """Strata of 2-4 PSUs, values with ties (a few whole and half values, some missing), weights with ties
    and some of 0, two by columns."""
    rows = []
    psu = 0
    equal_weights = draw(st.booleans())
    for h in range(draw(st.integers(1, 3))):
        for _ in range(draw(st.integers(2, 4))):
            psu += 1
            for _ in range(draw(st.integers(1, 6))):
                w = 1.0 if equal_weights else draw(st.one_of(st.sampled_from([0.0, 1.0, 2.5]), st.floats(0.1, 20)))
                y = draw(st.one_of(st.none(), st.sampled_from([1.0, 2.0, 2.5, 3.0, 10.0]), st.floats(-50, 50)))
                rows.append((h, psu, w, y, draw(st.sampled_from("ab")), draw(st.sampled_from("xyz"))))
    h, p, w, y, g, k = zip(*rows, strict=True)
    return pa.table({"h": h, "psu": p, "w": w, "y": pa.array(y, pa.float64()), "g": g, "k": k})


def _noise(tbl: pa.Table, by: list[str], row: dict) -> bool:
    """Whether the domain's distribution-function variance at its estimate is rounding noise (every PSU's
    total of influence values about 0: the domain in one PSU, or PSUs with the same share below), where
    the interval's ends read off ``m -/+ t se`` move with the last bits of ``se``."""
    d = tbl.to_pandas()
    d = d[d["y"].notna()]
    for col in by:
        d = d[d[col] == row[col]]
    w, below = d["w"].to_numpy(), (d["y"] <= row["estimate"]).to_numpy()
    if w.sum() == 0:
        return True
    m = (w * below).sum() / w.sum()
    z = (w * below - m * w) / w.sum()
    totals = d.assign(z=z).groupby("psu")["z"].sum().to_numpy()
    return bool(np.abs(totals).max() <= 1e-9 * max(np.abs(z).sum(), 1e-300))


@SETTINGS
@given(clustered(), st.sampled_from(["math", "school", "hf7"]), st.sampled_from(["mean", "beta", "asin"]),
       st.sampled_from([(0.5,), (0.25, 0.5, 0.9)]), st.sampled_from(["adjust", "certainty"]))
def test_every_domain_at_once_equals_domain_by_domain(tbl: pa.Table, qrule: str, interval: str,
                                                      probs: tuple[float, ...], lonely: str) -> None:
    design = cr.Design(weights="w", strata="h", ids="psu", lonely_psu=lonely)
    est = cr.Quantile("y", probs=probs, qrule=qrule, interval=interval)  # type: ignore[arg-type]
    mp = pytest.MonkeyPatch()
    for by in ([], ["g"], ["g", "k"]):
        batch = cr.estimate(tbl, design, est, by=by, na="drop").to_pylist()
        with mp.context() as m:
            m.setattr(quantiles, "batch_applies", lambda *a: False)
            one = cr.estimate(tbl, design, est, by=by, na="drop").to_pylist()
        assert len(batch) == len(one)
        for a, b in zip(batch, one, strict=True):
            for col in (*by, "prob", "estimate", "sum_w", "n", "df", "flag"):
                assert a[col] == b[col] or (_missing(a[col]) and _missing(b[col])), (col, a, b)
            if a["n"] and _noise(tbl, by, a):
                continue
            for col in ("se", "ci_low", "ci_high"):
                assert (_missing(a[col]) and _missing(b[col])) or a[col] == pytest.approx(b[col], rel=1e-12, abs=1e-300), \
                    (col, a, b)


def _missing(v: float | None) -> bool:
    return v is None or math.isnan(v)
