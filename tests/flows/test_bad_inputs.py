"""Bad inputs get corridor.errors.InputError (or EstimationError) with a message saying what and where."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from corridor.errors import EstimationError, InputError
from corridor.flows import gini
from corridor.flows.census import transition_table
from corridor.flows.demographic import ffs_demo, ffs_demo_series
from corridor.flows.indices import index_impact
from corridor.flows.ipf import cm2, ipf2, ipf3
from corridor.flows.stocks import ffs_diff, ffs_rates
from corridor.flows.uncertainty import ffs_demo_intervals

S1 = np.array([[1000.0, 100, 10], [55, 555, 50], [80, 40, 800]])
S2 = np.array([[950.0, 100, 60], [80, 505, 75], [90, 30, 800]])


def test_mismatched_dimensions() -> None:
    with pytest.raises(InputError, match="shape"):
        ffs_demo(S1, S2[:2, :2])
    with pytest.raises(InputError, match="square"):
        ffs_demo(S1[:2], S2[:2])
    with pytest.raises(InputError, match="births has 2 regions"):
        ffs_demo(S1, S2, births=[1, 2])
    with pytest.raises(InputError, match="shape"):
        ffs_diff(S1, S2[:2, :2])
    with pytest.raises(InputError, match="expected"):
        ffs_demo_intervals(np.stack([S1, S2]), births=np.zeros((2, 3)), n_resamples=5)


def test_mismatched_labels() -> None:
    a = pd.DataFrame(S1, index=["A", "B", "C"], columns=["A", "B", "C"])
    b = pd.DataFrame(S2, index=["A", "C", "B"], columns=["A", "C", "B"])
    with pytest.raises(InputError, match="do not match"):
        ffs_demo(a, b)
    c = pd.DataFrame(S2, index=["A", "B", "C"], columns=["A", "B", "D"])
    with pytest.raises(InputError, match="unexpected D"):
        ffs_demo(a, c)
    births = pd.Series([1.0, 2, 3], index=["A", "B", "X"])
    with pytest.raises(InputError, match="births"):
        ffs_demo(a, a.copy(), births=births)
    with pytest.raises(InputError, match="labels"):
        ffs_demo(S1, S2, labels=["A", "B"])
    with pytest.raises(InputError, match="repeated"):
        ffs_demo(S1, S2, labels=["A", "B", "A"])


def test_labelled_tables_are_accepted() -> None:
    a = pd.DataFrame(S1, index=list("ABC"), columns=list("ABC"))
    b = pd.DataFrame(S2, index=list("ABC"), columns=list("ABC"))
    res = ffs_demo(a, b, births=pd.Series([0.0, 0, 0], index=list("ABC")))
    assert res.labels == ["A", "B", "C"]
    np.testing.assert_allclose(res.od, ffs_demo(S1, S2).od)


def test_negative_stocks() -> None:
    bad = S1.copy()
    bad[1, 2] = -5
    with pytest.raises(InputError, match=r"negative value -5 at \('R2', 'R3'\)"):
        ffs_demo(bad, S2)
    with pytest.raises(InputError, match="negative"):
        ffs_diff(bad, S2)
    with pytest.raises(InputError, match="negative"):
        ffs_demo(S1, S2, deaths=[-1, 0, 0])


def test_births_and_deaths_that_do_not_fit() -> None:
    with pytest.raises(InputError, match=r"deaths in B \(9000\) exceed its population at the start"):
        ffs_demo(S1, S2, deaths=[0, 9000, 0], labels=list("ABC"))
    with pytest.raises(InputError, match=r"births in C .* exceed its population at the end"):
        ffs_demo(S1, S2, births=[0, 0, 5000], labels=list("ABC"))
    grown = S1.copy()
    grown[2, 2] += 100
    grown[0, 0] -= 100
    with pytest.raises(InputError, match="death_method='accounting' implies -"):
        ffs_demo(S1, grown, births=[0, 0, 0], deaths=[0, 0, 10], death_method="accounting")


def test_missing_values_and_unknown_options() -> None:
    bad = S1.copy()
    bad[0, 1] = np.nan
    with pytest.raises(InputError, match="missing"):
        ffs_demo(bad, S2)
    for kw in ({"match_global": "never"}, {"match_birthplace_tot_method": "x"}, {"birth_method": "x"},
               {"death_method": "x"}, {"solver": "x"}):
        with pytest.raises(InputError, match="not known"):
            ffs_demo(S1, S2, **kw)
    with pytest.raises(InputError, match="not known"):
        ffs_diff(S1, S2, decrease="x")
    with pytest.raises(InputError, match="not known"):
        ffs_rates(S1, S2, method="x")
    with pytest.raises(InputError, match="at least two"):
        ffs_demo_series(S1[None])


def test_ipf_inputs() -> None:
    with pytest.raises(InputError, match="same grand total"):
        ipf2([10, 20], [10, 10])
    with pytest.raises(InputError, match="offset"):
        ipf2([10, 20])
    with pytest.raises(InputError, match="rows"):
        ipf2([10, 20, 5], [20, 15], np.ones((2, 2)))
    with pytest.raises(InputError, match="types"):
        ipf3(S1.T, S2 * 2)
    with pytest.raises(InputError, match="same grand total"):
        cm2([10, 20], [10, 10])


def test_other_inputs() -> None:
    with pytest.raises(EstimationError, match="singular"):
        ffs_rates(np.ones((3, 3)), np.ones((3, 3)), method="rogers-von-rabenau")
    with pytest.raises(InputError, match="three regions"):
        gini.gini_total(np.ones((2, 2)))
    with pytest.raises(InputError, match="pop has 2 values"):
        index_impact(S1, [1, 2])
    with pytest.raises(InputError, match="appears twice"):
        transition_table([{"origin": "A", "destination": "B", "estimate": 1, "se": 1}] * 2)
    with pytest.raises(InputError, match="non-negative"):
        transition_table([{"origin": "A", "destination": "B", "estimate": -1, "se": 1}])
