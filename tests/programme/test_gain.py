"""Mean pre/post score gain with a paired Student-t interval."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from corridor.programme.activities import paired_gain

# R's datasets::sleep (Student 1908): extra hours of sleep of 10 patients under drug 1 and drug 2.
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def test_matches_r_t_test_paired_on_sleep():
    """Reference: R 4.x, ``with(sleep, t.test(extra[group == 2], extra[group == 1], paired = TRUE))``:
    mean difference 1.58, 95 percent confidence interval 0.7001142 2.4598858 (t = 4.0621, df = 9)."""
    g = paired_gain(SLEEP_1, SLEEP_2, 0.95)
    assert g.estimate == pytest.approx(1.58)
    assert (g.ci_low, g.ci_high) == pytest.approx((0.7001142, 2.4598858), abs=5e-7)
    assert g.estimate / g.se == pytest.approx(4.0621, abs=5e-5)
    assert g.n == 10


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 100), st.integers(0, 100)), min_size=2, max_size=60),
       st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_agrees_with_scipy_ttest_rel(pairs, conf):
    pre = [float(a) for a, _ in pairs]
    post = [float(b) for _, b in pairs]
    g = paired_gain(pre, post, conf)
    diffs = [b - a for a, b in zip(pre, post)]
    if max(diffs) == min(diffs):  # no spread: the interval collapses to the mean
        assert g.ci_low == pytest.approx(g.ci_high)
        return
    ref = stats.ttest_rel(post, pre).confidence_interval(conf)
    assert (g.ci_low, g.ci_high) == pytest.approx((ref.low, ref.high), rel=1e-9, abs=1e-9)
    assert g.ci_low <= g.estimate <= g.ci_high


def test_degenerate_sizes():
    assert paired_gain([], [], 0.95).estimate is None
    one = paired_gain([50.0], [60.0], 0.95)
    assert one.estimate == 10 and one.ci_low is None
