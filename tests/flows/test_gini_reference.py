"""Gini indices against the R package migration.indices 0.3.0.

Reference: ../shared/data/migration_indices/migration_indices_reference.json (values from the
package's tests/test-gini.R and manual pages, which state they match Plane & Mulligan 1997 and
Bell et al. 2002), for the package's hypothetical 3 x 3 matrices migration.hyp and migration.hyp2.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.flows import gini

from .flows_refdata import GINI_JSON

REF = json.loads(GINI_JSON.read_text())
MATS = {k: np.array(v, dtype=float) for k, v in REF["matrices"].items()}
EXP = REF["expected"]

FUNCS = {
    "migration.gini.total(m, corrected=FALSE)": lambda m: gini.gini_total(m, corrected=False),
    "migration.gini.total(m) default corrected=TRUE (from man page example comments)": gini.gini_total,
    "migration.gini.row": gini.gini_row,
    "migration.gini.row.standardized": gini.gini_row_standardized,
    "migration.gini.col": gini.gini_col,
    "migration.gini.col.standardized": gini.gini_col_standardized,
    "migration.gini.exchange.standardized": gini.gini_exchange_standardized,
    "migration.gini.out(m) corrected": gini.gini_out,
    "migration.gini.out(m, FALSE)": lambda m: gini.gini_out(m, corrected=False),
    "migration.weighted.gini.out": gini.weighted_gini_out,
    "migration.gini.in(m) corrected": gini.gini_in,
    "migration.gini.in(m, FALSE)": lambda m: gini.gini_in(m, corrected=False),
    "migration.weighted.gini.in": gini.weighted_gini_in,
    "migration.weighted.gini.mean": gini.weighted_gini_mean,
}


def test_every_reference_value_is_checked() -> None:
    assert set(FUNCS) == set(EXP)


@pytest.mark.parametrize("name", sorted(EXP))
@pytest.mark.parametrize("matrix", sorted(MATS))
def test_gini_reference(name: str, matrix: str) -> None:
    np.testing.assert_allclose(FUNCS[name](MATS[matrix]), EXP[name][matrix], rtol=1e-6, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(scale=st.floats(min_value=1e-3, max_value=1e6))
def test_scale_independence(scale: float) -> None:
    for name, f in FUNCS.items():
        for m in MATS.values():
            np.testing.assert_allclose(f(m * scale), f(m), rtol=1e-9, atol=1e-12, err_msg=name)


def test_pairwise_sum_equals_brute_force() -> None:
    rng = np.random.default_rng(3)
    m = rng.gamma(1.0, 50.0, (7, 7))
    np.fill_diagonal(m, 0)
    vals = m[~np.eye(7, dtype=bool)]
    brute = np.abs(vals[:, None] - vals[None, :]).sum() / (2 * (7 * 6 - 1) * vals.sum())
    assert gini.gini_total(m) == pytest.approx(brute, rel=1e-12)
