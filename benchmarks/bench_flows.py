"""Benchmark: demographic-accounting flows for the UN DESA 232 x 232 system with intervals.

Inputs: the shipped UN DESA International Migrant Stock 2019 bilateral tables (7 dates,
1990-2019, so 6 periods). Native-born stocks, births and deaths are SYNTHETIC (no table of
them by country ships with corridor), generated here with a fixed seed:

* SYNTHETIC native-born in 1990 = foreign-born residents x U(5, 30), at least 200,000;
  growing by a factor U(0.98, 1.10) per period;
* SYNTHETIC deaths = 4% of the residents at the start of the period;
* SYNTHETIC births = (birthplace total at the end - 96% of it at the start) x U(0.98, 1.02),
  at least 0.5% of the end total and at most half of the native-born at the end.

corridor: ``ffs_demo_intervals`` (defaults of migest's ffs_demo, Newton rescaling) with 1,000
gamma resamples of every foreign-born stock (relative error 10%), all six periods, full
232 x 232 interval matrices. Baseline (same run): the straightforward computation, one period
at a time with migest's own IPF iterations (mipfp stopping rule), for the point estimate only
(one draw); its time for 1,000 draws is that time x 1,000.

Run: ``PYTHONPATH=src python benchmarks/bench_flows.py [--resamples 1000]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import tracemalloc

import numpy as np

from corridor.flows.demographic import ffs_demo
from corridor.flows.uncertainty import ffs_demo_intervals
from corridor.flows.undesa import load_bilateral_2019


def synthetic_system(seed: int = 2026) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """UN DESA bilateral stocks plus SYNTHETIC native-born, births and deaths (see module docstring)."""
    data = load_bilateral_2019()
    s = data.stocks.copy()
    t, n = s.shape[:2]
    idx = np.arange(n)
    rng = np.random.default_rng(seed)
    fb = s.sum(axis=1)
    nb0 = np.maximum(fb[0] * rng.uniform(5, 30, n), 2e5)
    growth = rng.uniform(0.98, 1.10, n)
    s[:, idx, idx] = np.array([nb0 * growth**k for k in range(t)])
    rows = s.sum(axis=2)
    deaths = 0.04 * s[:-1].sum(axis=1)
    births = np.maximum(rows[1:] - 0.96 * rows[:-1], 0.005 * rows[1:]) * rng.uniform(0.98, 1.02, (t - 1, n))
    births = np.minimum(births, 0.5 * s[1:, idx, idx])
    return s, births, deaths, data.iso3


def measure(fn):
    """Wall time, CPU time (the machine may be shared) and peak traced memory of ``fn()``."""
    tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, (elapsed, cpu), peak / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resamples", type=int, default=1000)
    args = ap.parse_args()
    s, births, deaths, iso = synthetic_system()
    t, n = s.shape[:2]
    rel = np.full((n, n), 0.10)
    rel[np.arange(n), np.arange(n)] = 0.0
    print(f"system: {n} x {n} regions, {t - 1} periods (UN DESA 2019 stocks; SYNTHETIC native-born, births, deaths)")

    def baseline():
        return [ffs_demo(s[p], s[p + 1], births[p], deaths[p], solver="ipf").od for p in range(t - 1)]

    def point():
        return ffs_demo(s[:-1], s[1:], births, deaths, solver="newton").od

    def corridor():
        return ffs_demo_intervals(s, births, deaths, rel_error=rel, n_resamples=args.resamples, random_state=1,
                                  solver="newton")

    base, tb, mb = measure(baseline)
    pt, tp, mp = measure(point)
    res, tc, mc = measure(corridor)
    diff = max(np.abs(np.array(base) - pt).max(), 0.0)
    col, chl = iso.index("COL"), iso.index("CHL")
    print(f"baseline  (migest-style IPF, one period at a time, 1 draw): {tb[0]:8.2f} s wall, {tb[1]:8.2f} s CPU, "
          f"peak {mb:7.1f} MiB")
    print(f"corridor  point estimate, all periods in one call (1 draw):  {tp[0]:8.2f} s wall, {tp[1]:8.2f} s CPU, "
          f"peak {mp:7.1f} MiB")
    print(f"corridor  {args.resamples} resamples x {t - 1} periods with intervals:     {tc[0]:8.2f} s wall, "
          f"{tc[1]:8.2f} s CPU, peak {mc:7.1f} MiB")
    tb, tp, tc = tb[1], tp[1], tc[1]  # ratios on CPU time
    print(f"max |difference| baseline vs corridor point flows: {diff:.3g} persons "
          f"(total flow {float(np.sum(pt)):,.0f}; migest's IPF stops at a cell change < 1e-3)")
    print(f"speed-up per draw (CPU), baseline / corridor point: {tb / tp:8.1f}x")
    print(f"baseline projected to {args.resamples} draws: {tb * args.resamples:,.0f} s CPU; "
          f"ratio projected baseline / corridor (CPU): {tb * args.resamples / tc:,.1f}x")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    print("COL -> CHL (SYNTHETIC demography): "
          + "; ".join(f"{res.point[p, col, chl]:,.0f} [{res.lower[p, col, chl]:,.0f}, {res.upper[p, col, chl]:,.0f}]"
                      for p in range(t - 1)))


if __name__ == "__main__":
    main()
