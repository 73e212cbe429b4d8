"""Every option of ffs_demo runs and keeps its accounting (migest 2.0.5 option set)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from corridor.errors import EstimationError
from corridor.flows.demographic import ffs_demo, ffs_demo_series

from .flows_refdata import case

E5 = case("ffs_demo", "e5")["inputs"]


@pytest.mark.parametrize(
    "glob,birth,non_neg,death",
    list(itertools.product(["before-demo-adjust", "after-demo-adjust"], ["native", "proportion"], [True, False],
                           ["proportion", "accounting"])),
)
def test_option_grid(glob: str, birth: str, non_neg: bool, death: str) -> None:
    r = ffs_demo(E5["stock_start"], E5["stock_end"], E5["births"], E5["deaths"], match_global=glob,
                 birth_method=birth, birth_non_negative=non_neg, death_method=death, solver="newton")
    np.testing.assert_allclose(r.births.sum(axis=0), E5["births"], rtol=1e-9)
    np.testing.assert_allclose(r.deaths.sum(axis=0), E5["deaths"], rtol=1e-5)
    assert np.all(r.od >= 0) and r.total > 0
    if birth == "native" and not non_neg:
        np.testing.assert_array_equal(r.births, np.diag(E5["births"]))
    if death == "accounting":
        s1 = np.array(E5["stock_start"], dtype=float)
        assert r.deaths.shape == s1.shape


def test_birth_non_negative_moves_excess_births_to_foreign_born() -> None:
    e6 = case("ffs_demo", "e6")["inputs"]  # 'Too many births in region B' in migest
    on = ffs_demo(e6["stock_start"], e6["stock_end"], e6["births"], e6["deaths"])
    assert np.count_nonzero(on.births[:, 1]) > 1
    np.testing.assert_allclose(on.births[:, 1].sum(), 50)
    # Without the adjustment the native-born end stock of B goes negative; IPF cannot rescale
    # a table with negative cells (mipfp stops too), and the open method keeps the births native.
    with pytest.raises(EstimationError, match="negative cells"):
        ffs_demo(e6["stock_start"], e6["stock_end"], e6["births"], e6["deaths"], birth_non_negative=False)
    off = ffs_demo(e6["stock_start"], e6["stock_end"], e6["births"], e6["deaths"], birth_non_negative=False,
                   match_birthplace_tot_method="open")
    assert np.count_nonzero(off.births[:, 1]) == 1


def test_rescale_adjust_zero_fb() -> None:
    s1 = np.array([[1000.0, 30, 20, 5], [40, 800, 30, 6], [20, 10, 900, 4], [10, 5, 5, 300]])
    s2 = np.array([[1010.0, 35, 25, 8], [45, 790, 40, 4], [25, 15, 880, 6], [2, 2, 2, 360]])
    s1[:, 3] = [0, 0, 0, 300]  # region D has no foreign-born at the start, and its native-born
    # end stock exceeds the mid-point birthplace total, so plain rescaling cannot reach it
    r = ffs_demo(s1, s2, match_birthplace_tot_method="rescale-adjust-zero-fb", solver="ipf")
    plain = ffs_demo(s1, s2, solver="ipf")
    assert r.total > 0 and np.all(np.isfinite(r.od))
    assert not np.allclose(r.od, plain.od)


def test_series_has_a_period_axis() -> None:
    rng = np.random.default_rng(0)
    s = rng.uniform(1, 40, (5, 3, 3)) + np.eye(3) * 600
    r = ffs_demo_series(s, np.full((4, 3), 10.0), np.full((4, 3), 8.0))
    assert r.od.shape == (4, 3, 3) and r.total.shape == (4,)
    np.testing.assert_allclose(r.od[2], ffs_demo(s[2], s[3], [10.0] * 3, [8.0] * 3).od)
