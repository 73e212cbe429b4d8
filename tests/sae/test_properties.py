"""Invariants of the Fay-Herriot estimator (hypothesis): the limits of the model, and benchmarking."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import corridor as cr
from corridor.sae import model
from corridor.sae.benchmark import benchmark

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _data(seed: int, m: int, p: int, sd_u: float, psi_scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(m), rng.normal(size=(m, p - 1))])
    beta = rng.normal(size=p)
    psi = psi_scale * rng.uniform(0.2, 2.0, size=m)
    theta = X @ beta + sd_u * rng.standard_normal(m)
    y = theta + np.sqrt(psi) * rng.standard_normal(m)
    return X, beta, psi, y


def _table(y: np.ndarray, psi: np.ndarray, X: np.ndarray) -> pa.Table:
    cols = {"area": [f"a{i}" for i in range(len(y))], "estimate": y, "var": psi}
    cols.update({f"x{j}": X[:, j] for j in range(1, X.shape[1])})
    return pa.table(cols)


def _fit(table: pa.Table, p: int, **kw: object) -> cr.SmallAreaEstimates:
    return cr.fay_herriot(table, area="area", se=None, vardir="var", n=None,
                          covariates=[f"x{j}" for j in range(1, p)], **kw)


@SETTINGS
@given(seed=st.integers(0, 2**31), m=st.integers(8, 60), p=st.integers(1, 3), method=st.sampled_from(model.METHODS))
def test_zero_sampling_variances_give_the_direct_estimates(seed: int, m: int, p: int, method: str) -> None:
    X, _, psi, y = _data(seed, m, p, 1.0, 0.5)
    psi[: m // 2] = 0.0  # half the areas are measured without error
    res = _fit(_table(y, psi, X), p, method=method, zero_variance="keep")
    rows = res.to_pylist()
    if res.fit["refvar"] > 0:
        for r, v in zip(rows[: m // 2], y[: m // 2], strict=True):
            assert r["eblup"] == pytest.approx(v, rel=1e-12, abs=1e-12)
            assert r["shrinkage"] == 0.0
            assert r["g1"] == 0.0
    # every area measured without error: the EBLUP is the direct estimate everywhere
    all_zero = _fit(_table(y, np.zeros(m), X), p, method=method, zero_variance="keep")
    assert all_zero.fit["refvar"] > 0
    np.testing.assert_allclose(all_zero.areas.column("eblup").to_numpy(), y, rtol=1e-12, atol=1e-12)


@SETTINGS
@given(seed=st.integers(0, 2**31), m=st.integers(8, 60), p=st.integers(1, 3), method=st.sampled_from(model.METHODS))
@example(seed=1377, m=9, p=3, method="ML")  # ML on 9 areas: A well below 1e8, residuals ~6,000
def test_huge_random_effect_variance_tends_to_the_direct_estimate(seed: int, m: int, p: int, method: str) -> None:
    X, _, psi, y = _data(seed, m, p, 1e4, 1.0)
    res = _fit(_table(y, psi, X), p, method=method)
    eblup = res.areas.column("eblup").to_numpy()
    synthetic = res.areas.column("synthetic").to_numpy()
    # the EBLUP moves away from y by B_d (y - x'beta), B_d = psi / (A + psi): relative to the
    # residual (thousands here) the move is below 1e-5, whatever the scale of y
    assert res.fit["refvar"] > 1e6
    assert np.max(np.abs(eblup - y) / np.abs(y - synthetic)) < 1e-5
    shrink = res.areas.column("shrinkage").to_numpy()
    assert np.all(shrink < 1e-5)
    np.testing.assert_allclose(res.areas.column("mse").to_numpy(), psi, rtol=1e-3)


@SETTINGS
@given(seed=st.integers(0, 2**31), m=st.integers(8, 60), p=st.integers(1, 3), method=st.sampled_from(model.METHODS))
def test_zero_random_effect_variance_gives_the_synthetic_regression(seed: int, m: int, p: int, method: str) -> None:
    X, beta, psi, _ = _data(seed, m, p, 0.0, 1.0)
    rng = np.random.default_rng(seed + 1)
    y = X @ beta + 1e-4 * rng.standard_normal(m)  # residuals far below their sampling error
    res = _fit(_table(y, psi, X), p, method=method)
    assert res.fit["refvar"] == 0.0 and res.fit["boundary"] and res.fit["converged"]
    # weighted least squares with weights 1/psi, solved independently
    w = 1 / np.sqrt(psi)
    wls, *_ = np.linalg.lstsq(X * w[:, None], y * w, rcond=None)
    synthetic = X @ wls
    np.testing.assert_allclose(res.areas.column("eblup").to_numpy(), synthetic, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(res.areas.column("synthetic").to_numpy(), synthetic, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(res.coefficients.column("beta").to_numpy(), wls, rtol=1e-8, atol=1e-12)
    assert all("refvar_zero" in r["flag"] for r in res.to_pylist())


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(st.floats(0.01, 1e6), min_size=2, max_size=40),
    weights=st.lists(st.floats(0.5, 1e5), min_size=40, max_size=40),
    target=st.floats(0.01, 1e7),
    kind=st.sampled_from(["raking", "ratio"]),
    total=st.booleans(),
)
def test_benchmarking_holds_the_aggregate_exactly(values: list[float], weights: list[float], target: float,
                                                   kind: str, total: bool) -> None:
    est = np.array(values)
    w = np.array(weights[: len(values)])
    out = benchmark(kind, est, w, target, total=total)
    aggregate = out.sum() if total else np.sum(w / w.sum() * out)
    # exact up to rounding at the scale of the numbers added
    assert abs(aggregate - target) <= 1e-13 * max(target, est.max())


@SETTINGS
@given(seed=st.integers(0, 2**31), kind=st.sampled_from(["raking", "ratio"]), drop=st.integers(0, 5))
def test_benchmarked_model_estimates_add_up(seed: int, kind: str, drop: int) -> None:
    """Through fay_herriot: sampled and synthetic areas together hold the larger area's estimate."""
    X, _, psi, y = _data(seed, 30, 2, 0.5, 0.3)
    y = np.abs(y) + 1
    rng = np.random.default_rng(seed)
    population = rng.integers(100, 100000, size=30).astype(float)
    aux = _table(y, psi, X).drop(["estimate", "var"]).append_column("population", pa.array(population))
    direct = _table(y, psi, X).slice(drop)
    target = float(np.sum(population * y) / population.sum()) * 1.05
    res = cr.fay_herriot(direct, aux, area="area", se=None, vardir="var", n=None, covariates=["x1"],
                         benchmark=kind, benchmark_value=target, benchmark_weights="population")
    est = res.areas.column("estimate").to_numpy()
    assert np.sum(population / population.sum() * est) == pytest.approx(target, rel=1e-12)
    assert res.benchmark["aggregate_after"] == pytest.approx(target, rel=1e-12)
    assert res.fit["areas_out_of_sample"] == drop
    adj = res.areas.column("benchmark_adjustment").to_numpy()
    mse_plain = cr.fay_herriot(direct, aux, area="area", se=None, vardir="var", n=None,
                               covariates=["x1"]).areas.column("mse").to_numpy()
    np.testing.assert_allclose(res.areas.column("mse").to_numpy(), mse_plain + adj**2, rtol=1e-12)


def _objective(method: str, a: float, y: np.ndarray, X: np.ndarray, psi: np.ndarray) -> float:
    """REML/ML log-likelihood (or the FH moment equation) written with the full m x m matrices."""
    V = np.diag(a + psi)
    Vi = np.linalg.inv(V)
    xvx = X.T @ Vi @ X
    beta = np.linalg.solve(xvx, X.T @ Vi @ y)
    r = y - X @ beta
    if method == "FH":
        return float(r @ Vi @ r) - (len(y) - X.shape[1])
    ll = -0.5 * (np.linalg.slogdet(V)[1] + r @ Vi @ r)
    if method == "REML":
        ll -= 0.5 * np.linalg.slogdet(xvx)[1]
    return float(ll)


@SETTINGS
@given(seed=st.integers(0, 2**31), m=st.integers(10, 50), sd_u=st.sampled_from([0.0, 0.2, 0.5, 1.0, 3.0]),
       method=st.sampled_from(model.METHODS))
def test_strict_fit_finds_the_optimum(seed: int, m: int, sd_u: float, method: str) -> None:
    """Against an independent search: the REML/ML maximum on [0, inf), the FH equation's root."""
    from scipy.optimize import brentq, minimize_scalar

    X, _, psi, y = _data(seed, m, 2, sd_u, 1.0)
    fitted = model.fit(y, X, psi, method)
    assert fitted.converged
    top = 10 * (np.var(y) + psi.max())
    if method == "FH":
        if _objective("FH", 0.0, y, X, psi) <= 0:
            assert fitted.refvar == 0.0
        else:
            root = brentq(lambda a: _objective("FH", a, y, X, psi), 0.0, top, xtol=1e-14, rtol=1e-13)
            assert fitted.refvar == pytest.approx(root, rel=1e-8)
        return
    grid = np.concatenate([[0.0], np.geomspace(1e-6, top, 400)])
    values = [_objective(method, a, y, X, psi) for a in grid]
    i = int(np.argmax(values))
    if i == 0:
        assert fitted.refvar == 0.0 or _objective(method, fitted.refvar, y, X, psi) >= values[0] - 1e-10
        return
    res = minimize_scalar(lambda a: -_objective(method, a, y, X, psi), bounds=(grid[i - 1], grid[min(i + 1, 400)]),
                          method="bounded", options={"xatol": 1e-12})
    assert _objective(method, fitted.refvar, y, X, psi) >= -res.fun - 1e-9
    assert fitted.refvar == pytest.approx(res.x, rel=1e-4, abs=1e-9)
