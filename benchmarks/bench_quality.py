"""Benchmark: quality labels and cell suppression on 1M estimate rows.

Data: SYNTHETIC estimate rows (random, no real figures) in the engine's tidy
layout: 16 regions x 2 sexes x 20 age groups x ~1,560 variables, a third each
means, totals and proportions. Each method runs in a fresh process that first
builds the same table; the peak resident memory of a process that only builds
it is subtracted, so "extra peak" is what the method itself needs.

* corridor: ``assess(table, "chile")`` then ``suppress(min_n=30)`` (primary
  and secondary suppression over region, sex and age margins);
  corridor-primary: the same with ``totals=False`` (primary suppression only).
* baseline: a plain pandas/numpy threshold pass: INE's CV and SE rules with
  ``np.select`` and a ``n < 30`` flag (no rule reasons, no secondary suppression).

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/bench_quality.py [rows]``.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import sys
import time

import numpy as np
import pyarrow as pa

from corridor.quality import assess, suppress


def synthetic(rows: int, seed: int = 1) -> pa.Table:
    """SYNTHETIC estimate table of ``rows`` rows."""
    rng = np.random.default_rng(seed)
    cells = 16 * 2 * 20
    variables = -(-rows // cells)
    idx = np.arange(rows)
    estimand = np.array(["mean", "total", "proportion"])[(idx // cells) % 3]
    prop = estimand == "proportion"
    estimate = np.where(prop, rng.uniform(0.01, 0.99, rows), rng.lognormal(10, 1, rows))
    cv = rng.lognormal(-2.0, 0.8, rows)
    n = rng.negative_binomial(2, 0.02, rows).astype(np.int64)
    return pa.table(
        {
            "region": pa.array(idx % 16, pa.int8()),
            "sex": pa.array((idx // 16) % 2, pa.int8()),
            "age": pa.array((idx // 32) % 20, pa.int8()),
            "estimand": pa.array(estimand),
            "variable": pa.array((idx // cells) % variables, pa.int32()).cast(pa.string()),
            "level": pa.nulls(rows, pa.string()),
            "estimate": estimate,
            "se": estimate * cv,
            "cv": cv,
            "n": n,
            "df": rng.integers(0, 60, rows),
            "sum_w": n * 120.0,
        }
    )


def _corridor(table: pa.Table) -> int:
    out = suppress(assess(table, "chile"), min_n=30)
    return int(np.asarray(out.column("suppressed").to_numpy(zero_copy_only=False)).sum())


def _corridor_primary(table: pa.Table) -> int:
    out = suppress(assess(table, "chile"), min_n=30, totals=False)
    return int(np.asarray(out.column("suppressed").to_numpy(zero_copy_only=False)).sum())


def _baseline(table: pa.Table) -> int:
    df = table.to_pandas()
    est, se, cv = df["estimate"].to_numpy(), df["se"].to_numpy(), df["cv"].to_numpy()
    n, dof = df["n"].to_numpy(), df["df"].to_numpy()
    prop = (df["estimand"] == "proportion").to_numpy()
    with np.errstate(invalid="ignore"):
        bound = np.where(est <= 0.5, est, 1 - est) ** (2 / 3) / 9
    gate = (n < 60) | (dof < 9)
    df["quality"] = np.select(
        [gate, prop & (se <= bound), prop, cv <= 0.15, cv <= 0.30],
        ["non_reliable", "reliable", "weakly_reliable", "reliable", "weakly_reliable"],
        "non_reliable",
    )
    df["suppressed"] = n < 30
    return int(df["suppressed"].sum())


def _nothing(table: pa.Table) -> int:
    return table.num_rows


def _run(method: str, rows: int, queue: mp.Queue) -> None:
    table = synthetic(rows)
    fn = {
        "corridor": _corridor,
        "corridor-primary": _corridor_primary,
        "baseline": _baseline,
        "build-only": _nothing,
    }[method]
    start = time.perf_counter()
    result = fn(table)
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((seconds, peak_kib, result))


def measure(method: str, rows: int) -> tuple[float, float, int]:
    """(seconds, peak RSS MiB, suppressed count) of one method in a fresh process."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_run, args=(method, rows, queue))
    proc.start()
    seconds, peak_kib, result = queue.get()
    proc.join()
    return seconds, peak_kib / 1024, result


def main(rows: int = 1_000_000) -> None:
    _, floor, _ = measure("build-only", rows)
    print(f"SYNTHETIC estimate table: {rows:,} rows (process peak just building it: {floor:,.0f} MiB)")
    results = {}
    for method in ("corridor", "corridor-primary", "baseline"):
        best = min((measure(method, rows) for _ in range(3)), key=lambda r: r[0])
        results[method] = best
        seconds, peak, suppressed = best
        print(
            f"{method:>16}: {seconds:6.3f} s  extra peak {peak - floor:7.1f} MiB  suppressed {suppressed:,}"
        )
    base_t, base_m = results["baseline"][0], max(results["baseline"][1] - floor, 1e-9)
    for method in ("corridor", "corridor-primary"):
        ratio_t = results[method][0] / base_t
        ratio_m = (results[method][1] - floor) / base_m
        print(f"ratio {method}/baseline: time {ratio_t:.2f}x, extra peak memory {ratio_m:.2f}x")
    print("(corridor gives the deciding rule per row; 'corridor' adds secondary suppression over")
    print(" region, sex and age margins; the baseline has neither)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
