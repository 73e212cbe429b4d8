"""Intervals by parametric resampling of the stocks (corridor.flows.uncertainty).

Properties: with zero input error every draw equals the published inputs, so the interval
collapses to the point estimate; the point estimate is the estimator on the published inputs;
a date's table is drawn once, so two periods sharing it see the same draw; results are
reproducible from the seed; more input error gives wider intervals.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.errors import InputError
from corridor.flows.demographic import ffs_demo
from corridor.flows.stocks import ffs_diff
from corridor.flows.uncertainty import draw, ffs_demo_intervals, ffs_stock_intervals, propagate


def _series(seed: int, t: int = 3, n: int = 4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    s = rng.gamma(2.0, 40.0, (t, n, n))
    s[:, range(n), range(n)] = rng.uniform(1000, 2000, (t, n))
    return s


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), method=st.sampled_from(["diff-zero", "diff-return", "dennett", "rogers-von-rabenau"]))
def test_zero_error_collapses_stock_methods(seed: int, method: str) -> None:
    res = ffs_stock_intervals(_series(seed), method=method, rel_error=0.0, n_resamples=20, random_state=seed)
    np.testing.assert_array_equal(res.lower, res.point)
    np.testing.assert_array_equal(res.upper, res.point)
    assert np.all(res.se == 0)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), stayers=st.booleans())
def test_zero_error_collapses_demographic_accounting(seed: int, stayers: bool) -> None:
    s = _series(seed)
    rng = np.random.default_rng(seed)
    b, d = rng.uniform(0, 60, (2, 4)), rng.uniform(0, 60, (2, 4))
    res = ffs_demo_intervals(s, b, d, rel_error=0.0, n_resamples=10, random_state=1, stayer_assumption=stayers)
    np.testing.assert_array_equal(res.lower, res.point)
    np.testing.assert_array_equal(res.upper, res.point)
    assert np.all(res.se == 0)
    np.testing.assert_allclose(res.point, ffs_demo(s[:-1], s[1:], b, d, stayer_assumption=stayers).od)


def test_interval_contains_point_and_widens_with_error() -> None:
    s = _series(1)
    narrow = ffs_stock_intervals(s, method="diff-return", rel_error=0.02, n_resamples=400, random_state=3)
    wide = ffs_stock_intervals(s, method="diff-return", rel_error=0.2, n_resamples=400, random_state=3)
    off = ~np.eye(4, dtype=bool)
    assert np.all(narrow.lower <= narrow.point + 1e-9) and np.all(narrow.point <= narrow.upper + 1e-9)
    assert (wide.upper - wide.lower)[:, off].sum() > (narrow.upper - narrow.lower)[:, off].sum()


def test_shared_date_is_drawn_once() -> None:
    s = _series(2, t=4)
    sd = 0.1 * s
    _point, lo, hi, se = propagate(lambda a, b, *_: np.stack([a, b], axis=1), s, sd, n_resamples=50, random_state=9)
    np.testing.assert_array_equal(lo[:-1, 1], lo[1:, 0])
    np.testing.assert_array_equal(hi[:-1, 1], hi[1:, 0])
    np.testing.assert_array_equal(se[:-1, 1], se[1:, 0])


def test_reproducible_from_seed_and_independent_of_select() -> None:
    s = _series(4)
    a = ffs_stock_intervals(s, rel_error=0.1, n_resamples=100, random_state=11)
    b = ffs_stock_intervals(s, rel_error=0.1, n_resamples=100, random_state=11, select=lambda x: x[..., 0, 1])
    np.testing.assert_array_equal(a.lower[:, 0, 1], b.lower)
    np.testing.assert_array_equal(a.point[:, 0, 1], b.point)


@pytest.mark.parametrize("dist", ["gamma", "normal", "lognormal"])
def test_draws_have_the_stated_mean_and_sd(dist: str) -> None:
    mean = np.array([100.0, 1000.0, 0.0])
    sd = np.array([10.0, 300.0, 5.0])
    x = draw(mean, sd, 200_000, np.random.default_rng(0), dist)
    assert np.all(x >= 0)
    np.testing.assert_allclose(x[:, :2].mean(axis=0), mean[:2], rtol=0.01 if dist != "normal" else 0.02)
    if dist != "normal":  # the normal is truncated at zero
        np.testing.assert_allclose(x[:, :2].std(axis=0), sd[:2], rtol=0.03)
    assert np.all(x[:, 2] == 0)  # a zero stock stays zero


def test_absolute_ses_instead_of_relative_error() -> None:
    s = _series(6)
    se = np.zeros_like(s)
    se[:, 0, 1] = 5.0
    res = ffs_stock_intervals(s, stock_se=se, n_resamples=200, random_state=2)
    untouched = ffs_diff(s[:-1], s[1:], decrease="zero")
    mask = np.ones((4, 4), dtype=bool)
    mask[0, 1] = mask[1, 0] = False
    np.testing.assert_array_equal(res.lower[:, mask], untouched[:, mask])
    with pytest.raises(InputError, match="not both"):
        ffs_stock_intervals(s, stock_se=se, rel_error=0.1, n_resamples=10)
