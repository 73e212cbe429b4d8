"""Median of grouped ages (linear interpolation within the median group)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from corridor.indicators.aggregates import grouped_median


def test_hand_computed() -> None:
    # 17 groups; 100 persons in 0-4, 100 in 5-9: half = 100 falls at the top of 0-4 -> 5.0
    counts = [100, 100] + [0] * 15
    assert grouped_median(counts) == 5.0
    # 10, 30, 60: N/2 = 50 lies in 10-14 (F = 40, f = 60): 10 + (50 - 40) / 60 * 5 = 10.8333
    assert abs(grouped_median([10, 30, 60] + [0] * 14) - (10 + 10 / 60 * 5)) < 1e-12


def test_empty() -> None:
    assert grouped_median([0] * 17) is None


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=17, max_size=17).filter(lambda c: sum(c) > 0))
def test_median_lies_in_the_group_holding_half(counts: list[float]) -> None:
    m = grouped_median(counts)
    assert m is not None and 0 <= m <= 85
    k = min(int(m // 5), 16)
    below = sum(counts[:k])
    assert below <= sum(counts) / 2 + 1e-6 * sum(counts)
