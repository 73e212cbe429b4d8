"""Benchmark: crude rates, DSRs and rate ratios over a large synthetic cell table.

Cells: diseases x comunas x years x sexes x 18 age groups (0-4 ... 80-84, 85+) x 3 population
groups (full size 20 x 350 x 20 x 2 x 18 x 3 = 15,120,000 cells). Counts and populations are
random (seeded); the table only exercises the code.

Measured for each step separately: the best wall time of two runs, then the peak of memory
allocated (``tracemalloc``, which sees numpy and pandas buffers) during a third run:

* corridor: ``crude_rate`` (by disease, comuna, year, sex, group), ``dsr`` (same groups, ESP 2013
  collapsed to 85+), ``rate_ratio`` crude (each migrant group vs natives, by disease, comuna, year,
  sex) and standardised (ratio of DSRs);
* floor: a plain pandas groupby of the same sums (counts and populations; weighted rates and
  squared weights for the DSR; the pivot of the two groups for the ratio) without validation or
  confidence limits.

Run: ``PYTHONPATH=src python benchmarks/bench_rates.py [--comunas N] [--years N] ...``. By default the
full size is used when the estimated memory (about 700 bytes per cell) fits in 60% of the
available memory; otherwise the number of comunas is reduced and the run says so.
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from corridor.epi import crude_rate, dsr, rate_ratio, standard_population
from corridor.epi.standards import match_bands

AGES = [f"{a}-{a + 4}" for a in range(0, 85, 5)] + ["85+"]
GROUPS = ["colombia", "other_foreign", "native"]
BYTES_PER_CELL = 700


def available_memory() -> int:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 8 * 1024**3


def make_cells(diseases: int, comunas: int, years: int, seed: int = 1) -> pd.DataFrame:
    """Synthetic cell table (random counts; not data)."""
    rng = np.random.default_rng(seed)
    shape = (diseases, comunas, years, 2, len(AGES), len(GROUPS))
    n = int(np.prod(shape))
    idx = np.indices(shape, dtype=np.int16).reshape(len(shape), n)
    base_pop = rng.integers(50, 5_000, size=shape[1:]).astype(np.int32)  # same for every disease
    pop = np.broadcast_to(base_pop, shape).reshape(n)
    counts = rng.poisson(pop * 2e-3).astype(np.int32)
    return pd.DataFrame(
        {
            "disease": idx[0].astype(np.int8),
            "comuna": idx[1],
            "year": (2005 + idx[2]).astype(np.int16),
            "sex": idx[3].astype(np.int8),
            "age": pd.Categorical.from_codes(idx[4], AGES),
            "group": pd.Categorical.from_codes(idx[5], GROUPS),
            "count": counts,
            "pop": pop,
        }
    )


REPEAT = 2


def measure(label: str, func: Callable[[], Any]) -> tuple[float, float, Any]:
    """Best wall time of ``REPEAT`` untraced runs, then the peak of allocated memory of a traced run."""
    elapsed = float("inf")
    for _ in range(REPEAT):
        gc.collect()
        t0 = time.perf_counter()
        result = func()
        elapsed = min(elapsed, time.perf_counter() - t0)
        del result
    gc.collect()
    tracemalloc.start()
    result = func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  {label:<38} {elapsed:8.2f} s  peak {peak / 2**20:9.1f} MiB  ({len(result):,} rows)")
    return elapsed, peak, result


KEYS = ["disease", "comuna", "year", "sex", "group"]


def floor_rates(cells: pd.DataFrame) -> pd.DataFrame:
    return cells.groupby(KEYS, observed=True)[["count", "pop"]].sum()


def floor_dsr(cells: pd.DataFrame, weights: np.ndarray) -> pd.DataFrame:
    w = weights[cells["age"].cat.codes.to_numpy()]
    x = cells["count"].to_numpy(dtype=float)
    n = cells["pop"].to_numpy(dtype=float)
    frame = cells[KEYS].assign(count=x, pop=n, wr=x * w / n, wsq=x * (w / n) ** 2)
    return frame.groupby(KEYS, observed=True)[["count", "pop", "wr", "wsq"]].sum()


def floor_dsr_ratio(cells: pd.DataFrame, weights: np.ndarray) -> pd.DataFrame:
    sums = floor_dsr(cells, weights)
    rates = (sums["wr"] / weights.sum()).unstack("group")
    return rates[["colombia", "other_foreign"]].div(rates["native"], axis=0)


def floor_ratio(cells: pd.DataFrame) -> pd.DataFrame:
    sums = cells.groupby(KEYS, observed=True)[["count", "pop"]].sum()
    rates = (sums["count"] / sums["pop"]).unstack("group")
    return rates[["colombia", "other_foreign"]].div(rates["native"], axis=0)


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark corridor.epi against a plain pandas groupby.")
    parser.add_argument("--diseases", type=int, default=20)
    parser.add_argument("--comunas", type=int, default=None, help="default: 350 if it fits in memory")
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=REPEAT, help="timed runs per step (best is kept)")
    args = parser.parse_args()
    globals()["REPEAT"] = max(1, args.repeat)
    per_comuna = args.diseases * args.years * 2 * len(AGES) * len(GROUPS)
    budget = 0.6 * available_memory()
    comunas = args.comunas
    if comunas is None:
        comunas = 350
        if comunas * per_comuna * BYTES_PER_CELL > budget:
            comunas = max(1, int(budget / (per_comuna * BYTES_PER_CELL)))
            print(f"full size does not fit in memory: using {comunas} comunas instead of 350")
    cells_n = comunas * per_comuna
    print(
        f"cells: {args.diseases} diseases x {comunas} comunas x {args.years} years x 2 sexes x "
        f"{len(AGES)} ages x {len(GROUPS)} groups = {cells_n:,}"
    )
    t0 = time.perf_counter()
    cells = make_cells(args.diseases, comunas, args.years)
    print(
        f"generated in {time.perf_counter() - t0:.1f} s, table {cells.memory_usage(deep=True).sum() / 2**20:.0f} MiB"
    )
    esp = standard_population("esp2013")
    weights = np.array([match_bands(AGES, esp)[a] for a in AGES])

    print("corridor.epi")
    c = [
        measure("crude_rate", lambda: crude_rate(cells, "count", "pop", KEYS)),
        measure("dsr (ESP 2013, 85+)", lambda: dsr(cells, "count", "pop", "age", KEYS)),
        measure(
            "rate_ratio crude (exact)",
            lambda: rate_ratio(cells, "count", "pop", "group", "native", by=KEYS[:-1]),
        ),
        measure(
            "rate_ratio standardised",
            lambda: rate_ratio(cells, "count", "pop", "group", "native", by=KEYS[:-1], age="age"),
        ),
    ]
    print("floor: plain pandas groupby of the same sums")
    f = [
        measure("groupby sums (rates)", lambda: floor_rates(cells)),
        measure("groupby sums (dsr)", lambda: floor_dsr(cells, weights)),
        measure("groupby + pivot (crude ratio)", lambda: floor_ratio(cells)),
        measure("groupby + pivot (dsr ratio)", lambda: floor_dsr_ratio(cells, weights)),
    ]
    tc, tf = sum(x[0] for x in c), sum(x[0] for x in f)
    pc, pf = max(x[1] for x in c), max(x[1] for x in f)
    print(f"total corridor {tc:.2f} s, floor {tf:.2f} s, ratio {tc / tf:.2f}x")
    print(f"peak memory corridor {pc / 2**20:.0f} MiB, floor {pf / 2**20:.0f} MiB, ratio {pc / pf:.2f}x")
    for (name, a), (_, b) in zip(
        [("rates", c[0]), ("dsr", c[1]), ("ratio", c[2]), ("dsr ratio", c[3])],
        [("rates", f[0]), ("dsr", f[1]), ("ratio", f[2]), ("dsr ratio", f[3])],
    ):
        print(f"  {name:<10} time x{a[0] / b[0]:.2f}  memory x{a[1] / b[1]:.2f}")


if __name__ == "__main__":
    main()
