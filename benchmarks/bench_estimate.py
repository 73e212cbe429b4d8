"""Benchmark: a total plus domain means with Taylor SEs on a census-size synthetic sample.

Each job is a whole process, reading the same file included, run one after the other in this
same run: corridor (DuckDB engine, default settings); one hand-written DuckDB grouped scan of the
same columns into an Arrow table (the floor); R `survey` (with data.table's fread); the Python
peer `svy`; and `samplics` (archived; only up to 1M rows). Peers that are not installed are
reported as such. Prints time, peak memory (max RSS) and ratios. With ``--repeat N`` corridor and
the floor run N times, interleaved, and the fastest run of each counts (shared machines are noisy;
the slower peers run once).

    python benchmarks/bench_estimate.py --rows 1000000 10000000 --domains 50 1000 --input parquet --repeat 3
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import duckdb

CORRIDOR = """
import corridor as cr
d = cr.Design(weights="w", strata="stratum", ids="psu")
# the total and the domain means from one grouped scan
cr.estimate(PATH, d, [cr.Total("y"), cr.Mean("y")], by=[[], ["domain"]])
"""
FLOOR = """
import duckdb
duckdb.sql("SELECT domain, stratum, psu, sum(w*y), sum(w), count(*) FROM PATH GROUP BY ALL").to_arrow_table()
"""
SVY = """
import polars as pl, svy
df = pl.read_parquet(PATH) if PATH.endswith(".parquet") else pl.read_csv(PATH)
s = svy.Sample(df, svy.Design(stratum="stratum", psu="psu", wgt="w"))
s.estimation.total("y"); s.estimation.mean("y", by="domain")
"""
SAMPLICS = """
import pandas as pd
from samplics.estimation import TaylorEstimator
from samplics.utils.types import PopParam
df = pd.read_parquet(PATH) if PATH.endswith(".parquet") else pd.read_csv(PATH)
TaylorEstimator(PopParam.total).estimate(df["y"], df["w"], stratum=df["stratum"], psu=df["psu"])
TaylorEstimator(PopParam.mean).estimate(df["y"], df["w"], stratum=df["stratum"], psu=df["psu"], domain=df["domain"])
"""
R = """
suppressMessages({library(survey); library(data.table)})
df <- as.data.frame(fread(PATH))
d <- svydesign(ids=~psu, strata=~stratum, weights=~w, data=df)
invisible(svytotal(~y, d)); invisible(svyby(~y, ~domain, d, svymean))
"""


def make_data(path: Path, rows: int, strata: int, psus: int, domains: int) -> None:
    """Random (seeded) values, so that files compress like real survey columns, not like a pattern."""
    fmt = "parquet" if path.suffix == ".parquet" else "csv"
    con = duckdb.connect()
    con.execute("SELECT setseed(0.42)")
    con.execute(f"""
        COPY (SELECT psu, psu % {strata} AS stratum, CAST(floor(random() * {domains}) AS INTEGER) AS domain,
                     1.0 + random() * 9.0 AS w, round(random() * 1000.0, 2) AS y
              FROM (SELECT CAST(floor(random() * {psus}) AS INTEGER) AS psu FROM range({rows})))
        TO '{path}' (FORMAT {fmt})""")


def timed(cmd: list[str], limit: float) -> tuple[float, float] | str:
    """Run cmd in a wrapper process; (seconds, peak GiB) or the reason it could not run."""
    wrapper = [sys.executable, "-c", textwrap.dedent(f"""
        import resource, subprocess, sys, time
        t = time.perf_counter()
        try:
            p = subprocess.run({cmd!r}, capture_output=True, text=True, timeout={limit})
        except subprocess.TimeoutExpired:
            print("stopped after {limit:.0f} s", file=sys.stderr); sys.exit(1)
        dt = time.perf_counter() - t
        if p.returncode < 0: print(f"killed by signal {{-p.returncode}} (out of memory?)", file=sys.stderr); sys.exit(1)
        if p.returncode: print(p.stderr[-600:], file=sys.stderr); sys.exit(1)
        print(dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2)
    """)]
    proc = subprocess.run(wrapper, capture_output=True, text=True)
    if proc.returncode:
        return proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"
    sec, gib = proc.stdout.split()
    return float(sec), float(gib)


def py(code: str, path: Path) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code).replace("PATH", repr(str(path)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--domains", type=int, nargs="+", default=[50])
    ap.add_argument("--strata", type=int, default=500)
    ap.add_argument("--psus", type=int, default=4000)
    ap.add_argument("--peers", nargs="*", default=["R", "svy", "samplics"], help="peers to time (R, svy, samplics)")
    ap.add_argument("--input", choices=["csv", "parquet"], default="csv",
                    help="file corridor, the floor and svy read (R reads the same rows as CSV: it has no Parquet reader here)")
    ap.add_argument("--peer-timeout", type=float, default=900, help="seconds after which a peer is stopped")
    ap.add_argument("--repeat", type=int, default=1, help="runs of corridor and the floor (the fastest counts)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="corridor-bench-"))
    try:
        for rows in args.rows:
            for domains in args.domains:
                path = work / f"s_{rows}_{domains}.{args.input}"
                csv_path = work / f"s_{rows}_{domains}.csv"
                make_data(path, rows, args.strata, args.psus, domains)
                if path != csv_path and "R" in args.peers:
                    make_data(csv_path, rows, args.strata, args.psus, domains)
                print(f"\nrows={rows:,} strata={args.strata} psus={args.psus} domains={domains} ({args.input} input)")
                jobs = {"duckdb floor": py(FLOOR, path), "corridor": py(CORRIDOR, path)}
                if "svy" in args.peers:
                    jobs["svy"] = py(SVY, path)
                if "samplics" in args.peers and rows <= 1_000_000:
                    jobs["samplics"] = py(SAMPLICS, path)
                if "R" in args.peers and shutil.which("Rscript"):
                    script = work / "bench.R"
                    script.write_text(R.replace("PATH", '"' + str(csv_path) + '"'))
                    jobs["R survey"] = ["Rscript", str(script)]
                runs: dict[str, list[tuple[float, float] | str]] = {"duckdb floor": [], "corridor": []}
                for _ in range(max(args.repeat, 1)):
                    for name, done in runs.items():
                        done.append(timed(jobs[name], args.peer_timeout))
                res = {name: min((r for r in done if isinstance(r, tuple)), default=done[0]) for name, done in runs.items()}
                res.update({name: timed(cmd, args.peer_timeout) for name, cmd in jobs.items() if name not in res})
                floor = res["duckdb floor"]
                mine = res["corridor"]
                for name, r in res.items():
                    if isinstance(r, str):
                        print(f"  {name:13s} did not run: {r}")
                        continue
                    line = f"  {name:13s} {r[0]:8.2f} s  peak {r[1]:5.2f} GiB"
                    if isinstance(floor, tuple):
                        line += f"  {r[0] / floor[0]:6.2f}x floor"
                    if isinstance(mine, tuple) and name not in ("corridor", "duckdb floor"):
                        line += f"  corridor {r[0] / mine[0]:6.1f}x faster"
                    print(line, flush=True)
                path.unlink()
                csv_path.unlink(missing_ok=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
