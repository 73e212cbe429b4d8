"""Benchmark: a total plus domain means with Taylor SEs on a census-size synthetic sample.

Whole processes are timed, reading the Parquet file included, each in a fresh interpreter:
corridor (DuckDB engine) and, as the floor, one hand-written DuckDB grouped scan of the same
columns. R `survey` and the Python `svy` are timed too when installed (`Rscript` with the survey
package; `pip install svy`). Prints time, peak memory (max RSS of the process) and ratios.

    python benchmarks/bench_estimate.py --rows 1000000 --domains 50
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent


def make_data(path: Path, rows: int, strata: int, psus: int, domains: int) -> None:
    con = duckdb.connect()
    con.execute(f"""
        COPY (
          SELECT (i % {psus}) AS psu, ((i % {psus}) % {strata}) AS stratum,
                 (i * 7919) % {domains} AS domain,
                 1.0 + ((i * 104729) % 1000) / 100.0 AS w,
                 ((i * 15485863) % 100000) / 100.0 AS y
          FROM range({rows}) t(i)
        ) TO '{path}' (FORMAT parquet)""")


CORRIDOR = """
import corridor as cr
d = cr.Design(weights="w", strata="stratum", ids="psu")
cr.estimate(PATH, d, cr.Total("y"))
cr.estimate(PATH, d, cr.Mean("y"), by="domain")
"""

FLOOR = """
import duckdb
duckdb.sql("SELECT domain, stratum, psu, sum(w*y), sum(w), count(*) FROM read_parquet(PATH) GROUP BY ALL").fetchall()
"""

R_SCRIPT = """
suppressMessages(library(survey)); library(arrow, warn.conflicts=FALSE)
df <- as.data.frame(read_parquet(PATH))
d <- svydesign(ids=~psu, strata=~stratum, weights=~w, data=df)
invisible(svytotal(~y, d)); invisible(svyby(~y, ~domain, d, svymean))
"""


def run(cmd: list[str]) -> tuple[float, float]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2  # GiB of the largest child so far
    return elapsed, peak


def python_job(code: str, path: Path) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code).replace("PATH", repr(str(path)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--strata", type=int, default=500)
    ap.add_argument("--psus", type=int, default=4000)
    ap.add_argument("--domains", type=int, default=50)
    ap.add_argument("--with-r", action="store_true", help="also time R survey (slow)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="corridor-bench-"))
    path = work / "sample.parquet"
    make_data(path, args.rows, args.strata, args.psus, args.domains)
    print(f"rows={args.rows:,} strata={args.strata} psus={args.psus} domains={args.domains}")
    results: dict[str, tuple[float, float]] = {}
    # max RSS of children is cumulative-max; measure each job in its own wrapper process
    for name, cmd in [("duckdb floor", python_job(FLOOR, path)), ("corridor", python_job(CORRIDOR, path))]:
        results[name] = _isolated(cmd)
    if args.with_r and shutil.which("Rscript"):
        script = work / "bench.R"
        script.write_text(R_SCRIPT.replace("PATH", repr(str(path)).replace("'", '"')))
        try:
            results["R survey"] = _isolated(["Rscript", str(script)])
        except RuntimeError as exc:
            print(f"R survey not timed: {exc.args[0][-300:]}")
    floor = results["duckdb floor"][0]
    for name, (sec, gib) in results.items():
        print(f"{name:14s} {sec:8.2f} s  peak {gib:5.2f} GiB  x{sec / floor:6.2f} of floor")
    if "R survey" in results:
        print(f"corridor is {results['R survey'][0] / results['corridor'][0]:.1f}x faster than R survey")
    shutil.rmtree(work)


def _isolated(cmd: list[str]) -> tuple[float, float]:
    wrapper = [sys.executable, "-c", textwrap.dedent(f"""
        import resource, subprocess, sys, time
        t = time.perf_counter()
        p = subprocess.run({cmd!r}, capture_output=True, text=True)
        dt = time.perf_counter() - t
        if p.returncode: print(p.stderr[-2000:], file=sys.stderr); sys.exit(1)
        print(dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2)
    """)]
    proc = subprocess.run(wrapper, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(proc.stderr)
    sec, gib = proc.stdout.split()
    return float(sec), float(gib)


if __name__ == "__main__":
    main()
