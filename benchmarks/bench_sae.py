"""Simulation: coverage of the 95% intervals and bias of the MSE estimates of corridor.fay_herriot.

A model-based simulation with known truth (the design of Datta, Rao and Smith 2005, at 200 areas):
x_d ~ U(0, 1) and the sampling variances are fixed; each replication draws new area effects and
sampling errors, ``theta_d = 1 + 2 x_d + u_d`` with ``u_d ~ N(0, A = 1)`` and
``y_d = theta_d + e_d`` with ``e_d ~ N(0, psi_d)``, ``psi_d`` in five groups of 40 areas
(0.7, 0.6, 0.5, 0.4, 0.3; Datta et al.'s pattern). Every replication goes through the public
``corridor.fay_herriot`` (per-area table in, per-area table out), so the whole path is measured.

Reported per scenario, over areas:

* coverage: the share of (area, replication) pairs whose interval ``estimate +/- 1.96 rmse``
  holds the true value (target 93-97%);
* relative bias of the MSE estimate: ``(mean_r mse_hat_d - MSE_d) / MSE_d`` with the empirical
  MSE ``MSE_d = mean_r (estimate_d - theta_d)^2``; the mean over areas and the mean of its
  absolute value;
* the relative root MSE of the estimates against the direct estimates' (the gain).

Scenarios: REML + analytic (Prasad-Rao/Datta-Lahiri) MSE, REML + parametric bootstrap, ML and
FH methods with their analytic MSE, and a proportions scenario: binomial samples (n_d from 20 to
200) of ``p_d = sin^2(theta_d)``, fitted with the arcsin transformation, design-effect smoothed
variances and the bootstrap MSE.

Run: ``PYTHONPATH=src python benchmarks/bench_sae.py [--reps 500] [--boot 100] [--areas 200]``.
This is not a test: it takes minutes (about 10 on one core at the defaults).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

import corridor as cr


def scenario_normal(m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, m)
    psi = np.repeat([0.7, 0.6, 0.5, 0.4, 0.3], m // 5)
    return x, psi


def run(name: str, reps: int, draw: Callable[[np.random.Generator], tuple[pa.Table, np.ndarray, np.ndarray]],
        fit: Callable[[pa.Table, int], Any], seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    fit(draw(np.random.default_rng(seed - 1))[0], -1)  # warm-up: imports and caches are not the fit's time
    est, mse, cover, direct_err = [], [], [], []
    truths = []
    start = time.perf_counter()
    for r in range(reps):
        table, truth, direct = draw(rng)
        res = fit(table, r)
        e = res.areas.column("estimate").to_numpy()
        lo, hi = res.areas.column("ci_low").to_numpy(), res.areas.column("ci_high").to_numpy()
        est.append(e)
        mse.append(res.areas.column("mse").to_numpy())
        cover.append((lo <= truth) & (truth <= hi))
        truths.append(truth)
        direct_err.append((direct - truth) ** 2)
    seconds = time.perf_counter() - start
    est_a, mse_a, truth_a = np.array(est), np.array(mse), np.array(truths)
    true_mse = np.mean((est_a - truth_a) ** 2, axis=0)
    rb = (mse_a.mean(axis=0) - true_mse) / true_mse
    return {
        "scenario": name,
        "coverage": float(np.mean(cover)),
        "coverage_min_area": float(np.min(np.mean(cover, axis=0))),
        "mse_rel_bias_mean": float(np.mean(rb)),
        "mse_rel_bias_abs": float(np.mean(np.abs(rb))),
        "rrmse_vs_direct": float(np.mean(np.sqrt(true_mse) / np.sqrt(np.mean(direct_err, axis=0)))),
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=500, help="Monte Carlo replications (default 500).")
    parser.add_argument("--boot", type=int, default=100, help="Bootstrap replicates per fit (default 100).")
    parser.add_argument("--areas", type=int, default=200, help="Areas (a multiple of 5; default 200).")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    m = args.areas
    x, psi = scenario_normal(m, args.seed)
    names = [f"a{i}" for i in range(m)]

    def draw_normal(rng: np.random.Generator) -> tuple[pa.Table, np.ndarray, np.ndarray]:
        theta = 1 + 2 * x + rng.standard_normal(m)
        y = theta + np.sqrt(psi) * rng.standard_normal(m)
        return pa.table({"area": names, "estimate": y, "var": psi, "x": x}), theta, y

    def normal_fit(method: str, mse: str) -> Callable[[pa.Table, int], Any]:
        def fit(table: pa.Table, r: int) -> Any:
            return cr.fay_herriot(table, se=None, vardir="var", n=None, covariates=["x"], method=method, mse=mse,
                                  reps=args.boot, seed=r + 1)
        return fit

    sizes = np.round(np.linspace(20, 200, m)).astype(float)
    x_p = np.random.default_rng(args.seed + 1).uniform(0, 1, m)

    def draw_prop(rng: np.random.Generator) -> tuple[pa.Table, np.ndarray, np.ndarray]:
        theta = 0.25 + 0.45 * x_p + 0.12 * rng.standard_normal(m)
        p = np.sin(np.clip(theta, 0, np.pi / 2)) ** 2
        phat = rng.binomial(sizes.astype(int), p) / sizes
        table = pa.table({"area": names, "estimand": ["proportion"] * m, "estimate": phat,
                          "se": np.sqrt(phat * (1 - phat) / sizes), "n": sizes, "deff": np.ones(m), "x": x_p})
        return table, p, phat

    def prop_fit(table: pa.Table, r: int) -> Any:
        return cr.fay_herriot(table, covariates=["x"], transform="arcsin", mse="bootstrap", reps=args.boot, seed=r + 1,
                              smoothing="deff")

    scenarios = [
        ("REML, analytic MSE", draw_normal, normal_fit("REML", "analytic")),
        ("ML, analytic MSE", draw_normal, normal_fit("ML", "analytic")),
        ("FH moments, analytic MSE", draw_normal, normal_fit("FH", "analytic")),
        (f"REML, bootstrap MSE ({args.boot} reps)", draw_normal, normal_fit("REML", "bootstrap")),
        (f"arcsin proportions, bootstrap MSE ({args.boot} reps)", draw_prop, prop_fit),
    ]
    print(f"{m} areas, {args.reps} replications, seed {args.seed}")
    print(f"{'scenario':<46} {'coverage':>8} {'worst area':>10} {'RB(MSE)':>8} {'|RB|':>7} {'RRMSE/dir':>9} {'s/fit':>7}")
    rows = []
    for i, (name, draw, fit) in enumerate(scenarios):
        row = run(name, args.reps, draw, fit, args.seed + 10 * i)
        rows.append(row)
        print(f"{row['scenario']:<46} {row['coverage']:8.3f} {row['coverage_min_area']:10.3f} "
              f"{row['mse_rel_bias_mean']:+8.3f} {row['mse_rel_bias_abs']:7.3f} {row['rrmse_vs_direct']:9.3f} "
              f"{row['seconds'] / args.reps:7.4f}")
    base = rows[0]["seconds"]
    print("time relative to REML analytic: " + ", ".join(f"{r['scenario'].split(',')[0]}"
                                                          f"{'/' + r['scenario'].split(',')[1].strip()} "
                                                          f"x{r['seconds'] / base:.1f}" for r in rows[1:]))


if __name__ == "__main__":
    main()
