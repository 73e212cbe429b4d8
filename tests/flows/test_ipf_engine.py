"""The vectorised IPF engine and the Newton solver (internal consistency)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.flows.demographic import ffs_demo
from corridor.flows.ipf import cm3, fit_margins, ipf2, ipf3
from corridor.flows.newton import fit_margins_newton


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 8))
def test_newton_reaches_the_ipf_fixed_point(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    m = rng.gamma(1.0, 10.0, (3, n, n)) + np.eye(n) * 500
    row = m.sum(axis=2) * rng.uniform(0.8, 1.2, (3, n))
    col = m.sum(axis=1)
    row *= (col.sum(axis=1) / row.sum(axis=1))[:, None]
    a = fit_margins(m, row, col, criterion="margins", tol=1e-10, maxit=100_000).mu
    b = fit_margins_newton(m, row, col, tol=1e-12).mu
    np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-7)


def test_infeasible_single_cell_column_matches_ipf_limit() -> None:
    # Column 2 has only its diagonal cell (no foreign-born), and its row target is too small.
    m = np.array([[500.0, 10, 0], [20, 400, 0], [3, 4, 300]])
    row = np.array([510.0, 420, 290])
    col = m.sum(axis=0)
    row *= col.sum() / row.sum()
    a = fit_margins(m, row, col, criterion="cells", tol=1e-12, maxit=200_000).mu
    b = fit_margins_newton(m, row, col, tol=1e-12).mu
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert b[2, 2] == col[2] and b[2, 0] == 0 and b[2, 1] == 0


def test_batch_equals_loop() -> None:
    rng = np.random.default_rng(0)
    m = rng.gamma(1.0, 5.0, (5, 4, 6))
    row = rng.uniform(10, 20, (5, 4))
    col = rng.uniform(10, 20, (5, 6))
    col *= (row.sum(axis=1) / col.sum(axis=1))[:, None]
    batch = fit_margins(m, row, col, criterion="cells", tol=1e-9)
    for i in range(5):
        one = fit_margins(m[i], row[i], col[i], criterion="cells", tol=1e-9)
        np.testing.assert_array_equal(batch.mu[i], one.mu)
        assert batch.iterations[i] == one.iterations
    many = ipf2(row, col, m)
    np.testing.assert_allclose(many.mu.sum(axis=2), row, rtol=1e-5)


def test_ipf3_offset_forms_agree_and_cm3_fits_margins() -> None:
    rng = np.random.default_rng(1)
    p1 = rng.uniform(10, 100, (3, 3))
    p2 = rng.uniform(10, 100, (3, 3))
    p2 *= (p1.sum(axis=1) / p2.sum(axis=1))[:, None]
    off = rng.uniform(1, 5, (3, 3))
    a = ipf3(p1.T, p2, off).mu
    b = ipf3(p1.T, p2, np.repeat(off[:, :, None], 3, axis=2)).mu
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a.sum(axis=1), p1.T, rtol=1e-4)
    m = rng.uniform(1, 9, (2, 2, 3))
    res = cm3([18 * 2, 20 * 2], [16 * 2, 22 * 2], m)
    np.testing.assert_allclose(res.n.sum(axis=(1, 2)), [36, 40], rtol=1e-4)
    np.testing.assert_allclose(res.n.sum(axis=(0, 2)), [32, 44], rtol=1e-4)


def test_independence_closed_form_equals_iterative_fit() -> None:
    rng = np.random.default_rng(2)
    s1 = rng.uniform(5, 50, (4, 4)) + np.eye(4) * 400
    s2 = rng.uniform(5, 50, (4, 4)) + np.eye(4) * 420
    closed = ffs_demo(s1, s2, [30, 20, 10, 5], [10, 10, 10, 10], stayer_assumption=False, by_birthplace=True, tol=1e-9)
    iterative = ffs_demo(s1, s2, [30, 20, 10, 5], [10, 10, 10, 10], stayer_assumption=False,
                         seed=np.ones((4, 4)), by_birthplace=True, tol=1e-9)
    np.testing.assert_allclose(closed.flows, iterative.flows, rtol=1e-6, atol=1e-6)
