"""Benchmark: design-based estimates on census-size synthetic samples, against peers and a floor.

Each job is a whole process, reading the same file included, run one after the other in this
same run: corridor (DuckDB engine, default settings); one hand-written DuckDB grouped scan of the
same columns into an Arrow table (the floor); R `survey` (with data.table's fread); the Python
peer `svy`; and `samplics` (archived; Taylor designs up to 1M rows). Peers that are not
installed are reported as such. Prints time, peak memory (max RSS), ratios, and each peer's
largest relative difference from corridor's estimates and standard errors. With ``--repeat N``
corridor and the floor run N times, interleaved, and the fastest run of each counts (shared
machines are noisy; the slower peers run once).

Workloads:

- Taylor (default): a total and the domain means; ``--design project`` is 500 strata x 8 PSUs,
  ``--design cross`` 1,000 strata x 10 PSUs, every domain in most PSUs (domains cross PSUs).
  The floor groups by domain, stratum and PSU.
- ``--estimand median``: the Taylor workload's domain medians instead of means (quantiles read
  the data once more; the floor stays the one grouped scan).
- ``--replicates N``: the domain means (``--estimand proportion``: the share of ``y > 500``;
  ``--estimand ratio``: y / x) with
  N replicate weight columns of ``--rep-type`` (bootstrap, JK1, BRR, Fay) in the file. The floor
  is one grouped scan by domain computing every replicate sum.

``--svy-python`` names the interpreter of a separate environment with ``svy`` installed (it is a
peer, not a dependency of corridor). ``--before SRC`` times an earlier corridor too (the ``src``
folder of a checkout, e.g. ``git worktree add --detach /tmp/before main``), interleaved with the
current one: before and after in one run.

    python benchmarks/bench_estimate.py --rows 1000000 10000000 --domains 50 1000 --input parquet --repeat 3
    python benchmarks/bench_estimate.py --rows 10000000 --domains 50 1000 --design cross --input parquet
    python benchmarks/bench_estimate.py --rows 1000000 --domains 50 --replicates 80 --rep-type bootstrap --input parquet
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import duckdb
import numpy as np

CORRIDOR = """
import corridor as cr
d = cr.Design(weights="w", strata="stratum", ids="psu")
# the total and the domain means from one grouped scan (or the domain medians)
ests = [cr.Quantile("y", 0.5)] if ESTIMAND == "median" else [cr.Total("y"), cr.Mean("y")]
res = cr.estimate(PATH, d, ests, by=[["domain"]] if ESTIMAND == "median" else [[], ["domain"]])
t = res.table
groups = t["grouping"].to_pylist() if "grouping" in t.column_names else [["domain"]] * t.num_rows
keep = [i for i, (g, e) in enumerate(zip(groups, t["estimand"].to_pylist())) if e in ("mean", "quantile") and g]
OUT and __import__("json").dump({"domain": [t["domain"][i].as_py() for i in keep],
    "estimate": [t["estimate"][i].as_py() for i in keep], "se": [t["se"][i].as_py() for i in keep]}, open(OUT, "w"))
"""
CORRIDOR_REP = """
import corridor as cr
d = cr.ReplicateDesign(repweights="^rw[0-9]", weights="w", type=TYPE, rho=RHO, scale=SCALE)
e = {"mean": cr.Mean("y"), "proportion": cr.Proportion("c", level=1), "ratio": cr.Ratio("y", "x")}[ESTIMAND]
from corridor.engine.duckdb import DuckDBEngine
engine = "duckdb" if MEMORY is None else DuckDBEngine(memory_limit=MEMORY)
t = cr.estimate(PATH, d, e, by="domain", engine=engine).table
OUT and __import__("json").dump({"domain": t["domain"].to_pylist(), "estimate": t["estimate"].to_pylist(),
    "se": t["se"].to_pylist()}, open(OUT, "w"))
"""
FLOOR = """
import duckdb
duckdb.sql("SELECT domain, stratum, psu, sum(w*y), sum(w), count(*) FROM PATH GROUP BY ALL").to_arrow_table()
"""
FLOOR_REP = """
import duckdb
v, x = {"mean": ("y", None), "proportion": ("c", None), "ratio": ("y", "x")}[ESTIMAND]
den = f"*{x}" if x else ""
sums = ", ".join(f"sum(rw{r}*{v}), sum(rw{r}{den})" for r in range(1, REPS + 1))
duckdb.sql(f"SELECT domain, sum(w*{v}), sum(w{den}), count(*), {sums} FROM PATH GROUP BY domain").to_arrow_table()
"""
SVY = """
import json, polars as pl, svy
df = pl.read_parquet(PATH) if PATH.endswith(".parquet") else pl.read_csv(PATH)
s = svy.Sample(df, svy.Design(stratum="stratum", psu="psu", wgt="w"))
if ESTIMAND == "median":
    r = s.estimation.median("y", by="domain")
else:
    s.estimation.total("y"); r = s.estimation.mean("y", by="domain")
OUT and json.dump(r.to_polars().select(["domain", "est", "se"]).rename({"est": "estimate"}).to_dict(as_series=False), open(OUT, "w"))
"""
SVY_REP = """
import json, polars as pl, svy
df = pl.read_parquet(PATH) if PATH.endswith(".parquet") else pl.read_csv(PATH)
kinds = {"bootstrap": lambda: svy.BootstrapWgts(prefix="rw", n_reps=REPS, scale=SCALE),
         "JK1": lambda: svy.JackknifeWgts(prefix="rw", n_reps=REPS, kind="jk1", scale=SCALE),
         "BRR": lambda: svy.BrrWgts(prefix="rw", n_reps=REPS, scale=SCALE),
         "Fay": lambda: svy.BrrWgts(prefix="rw", n_reps=REPS, fay_coef=RHO, scale=SCALE)}
s = svy.Sample(df, svy.Design(wgt="w", rep_wgts=kinds[TYPE]()))
r = (s.estimation.ratio(y="y", x="x", by="domain", method="replication") if ESTIMAND == "ratio" else
     s.estimation.mean("y" if ESTIMAND == "mean" else "c", by="domain", method="replication"))
OUT and json.dump(r.to_polars().select(["domain", "est", "se"]).rename({"est": "estimate"}).to_dict(as_series=False), open(OUT, "w"))
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
suppressMessages({library(survey); library(data.table); library(jsonlite)})
df <- as.data.frame(fread(PATH))
d <- svydesign(ids=~psu, strata=~stratum, weights=~w, data=df)
if (ESTIMAND == "median") b <- svyby(~y, ~domain, d, svyquantile, quantiles=0.5, ci=TRUE) else {
  invisible(svytotal(~y, d)); b <- svyby(~y, ~domain, d, svymean) }
if (nchar(OUT)) write(toJSON(list(domain=b$domain, estimate=unname(coef(b)), se=unname(SE(b))), digits=NA), OUT)
"""
R_REP = """
suppressMessages({library(survey); library(data.table); library(jsonlite)})
df <- as.data.frame(fread(PATH))
d <- svrepdesign(repweights="^rw[0-9]", weights=~w, type=TYPE, rho=RHO, scale=SCALE, rscales=1, data=df,
                 combined.weights=TRUE, mse=FALSE)
b <- if (ESTIMAND == "ratio") svyby(~y, ~domain, d, svyratio, denominator=~x) else
  svyby(if (ESTIMAND == "mean") ~y else ~c, ~domain, d, svymean)
if (nchar(OUT)) write(toJSON(list(domain=b$domain, estimate=unname(coef(b)), se=unname(SE(b))), digits=NA), OUT)
"""
DESIGNS = {"project": (500, 4000), "cross": (1000, 10000)}


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


def replicate_factors(kind: str, reps: int, strata: int, psus: int, rho: float) -> np.ndarray:
    """Replicate weight multipliers per PSU (PSUs x replicates), seeded, of the kind's usual form."""
    rng = np.random.default_rng(7)
    stratum = np.arange(psus) % strata
    out = np.empty((psus, reps))
    if kind == "JK1":  # delete-a-group jackknife: PSUs in `reps` random groups
        group = rng.integers(0, reps, size=psus)
        out[:] = reps / (reps - 1.0)
        out[np.arange(psus), group] = 0.0
        return out
    if kind in ("BRR", "Fay"):  # half of each stratum's PSUs up, half down, in every replicate
        low, high = (0.0, 2.0) if kind == "BRR" else (rho, 2.0 - rho)
        for h in range(strata):
            members = np.flatnonzero(stratum == h)
            for r in range(reps):
                half = rng.permutation(members)[: len(members) // 2]
                out[members, r] = low
                out[half, r] = high
        return out
    for h in range(strata):  # Rao-Wu rescaled bootstrap: n_h - 1 draws with replacement
        members = np.flatnonzero(stratum == h)
        n = len(members)
        draws = rng.integers(0, n, size=(n - 1, reps))
        counts = np.stack([np.bincount(draws[:, r], minlength=n) for r in range(reps)], axis=1)
        out[members] = counts * n / (n - 1.0)
    return out


def add_replicates(path: Path, out: Path, factors: np.ndarray) -> None:
    """Copy ``path`` with replicate weights rw1..rwR = w * factor[psu], the indicator c = (y > 500) and x > 0."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    con = duckdb.connect()
    reader = con.sql(f"SELECT * FROM '{path}'").to_arrow_reader(250_000)
    writer = None
    for batch in reader:
        psu = np.asarray(batch.column("psu"))
        w = np.asarray(batch.column("w"))
        cols = {name: batch.column(name) for name in batch.schema.names}
        y = np.asarray(batch.column("y"))
        cols["c"] = pa.array((y > 500).astype(np.int64))
        cols["x"] = pa.array(1.0 + np.floor(y) % 17)  # a positive denominator for ratios
        for r in range(factors.shape[1]):
            cols[f"rw{r + 1}"] = pa.array(w * factors[psu, r])
        table = pa.table(cols)
        if out.suffix == ".parquet":
            writer = writer or pq.ParquetWriter(out, table.schema)
            writer.write_table(table)
        else:
            import pyarrow.csv as pacsv

            with open(out, "ab") as fh:
                pacsv.write_csv(table, fh, pacsv.WriteOptions(include_header=writer is None))
            writer = True
    if writer not in (None, True):
        writer.close()


def rep_scale(kind: str, reps: int, rho: float) -> float:
    """The variance scale of the replicate type (given explicitly to every tool, so that all use the same)."""
    return {"bootstrap": 1.0 / max(reps - 1, 1), "JK1": (reps - 1.0) / reps, "BRR": 1.0 / reps,
            "Fay": 1.0 / (reps * (1 - rho) ** 2)}[kind]


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
    proc = subprocess.run(wrapper, capture_output=True, text=True, check=False)
    if proc.returncode:
        return proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"
    sec, gib = proc.stdout.split()
    return float(sec), float(gib)


def fill(code: str, subs: dict[str, str]) -> str:
    code = textwrap.dedent(code)
    for key, value in subs.items():
        code = code.replace(key, value)
    return code


def py(code: str, subs: dict[str, str], python: str = sys.executable) -> list[str]:
    return [python, "-c", fill(code, subs)]


def max_rel(mine: dict, other: dict) -> str:
    """Largest relative difference of estimates and SEs, domain by domain."""
    a = {d: (e, s) for d, e, s in zip(mine["domain"], mine["estimate"], mine["se"], strict=True)}
    b = {d: (e, s) for d, e, s in zip(other["domain"], other["estimate"], other["se"], strict=True)}
    common = [d for d in a if d in b]
    if not common:
        return "no common domains"
    de = max(abs(a[d][0] - b[d][0]) / max(abs(a[d][0]), 1e-300) for d in common)
    ds = max(abs(a[d][1] - b[d][1]) / max(abs(a[d][1]), 1e-300) for d in common)
    return f"max rel. diff. estimate {de:.1e}, SE {ds:.1e} ({len(common)} domains)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--domains", type=int, nargs="+", default=[50])
    ap.add_argument("--design", choices=list(DESIGNS), default="project",
                    help="project: 500 strata x 8 PSUs; cross: 1,000 strata x 10 PSUs (strata/psus override)")
    ap.add_argument("--strata", type=int)
    ap.add_argument("--psus", type=int)
    ap.add_argument("--replicates", type=int, default=0, help="replicate weight columns (0: a Taylor design)")
    ap.add_argument("--memory-limit", default=None,
                    help="corridor's DuckDB working memory for the replicate workload (default: corridor's, 512MB); "
                    "200 JK1/BRR/Fay columns in row groups of 120,000 rows need about 1GB")
    ap.add_argument("--rep-type", choices=["bootstrap", "JK1", "BRR", "Fay"], default="bootstrap")
    ap.add_argument("--estimand", choices=["mean", "proportion", "ratio", "median"], default="mean",
                    help="domain estimand (median: Taylor workload only; proportion, ratio: replicate workload only)")
    ap.add_argument("--peers", nargs="*", default=["R", "svy", "samplics"], help="peers to time (R, svy, samplics)")
    ap.add_argument("--svy-python", default=sys.executable, help="python of an environment with svy installed")
    ap.add_argument("--input", choices=["csv", "parquet"], default="csv",
                    help="file corridor, the floor and svy read (R reads the same rows as CSV: it has no Parquet reader here)")
    ap.add_argument("--peer-timeout", type=float, default=900, help="seconds after which a peer is stopped")
    ap.add_argument("--before", metavar="SRC", help="src folder of an earlier corridor to time in the same run")
    ap.add_argument("--repeat", type=int, default=1, help="runs of corridor and the floor (the fastest counts)")
    args = ap.parse_args()
    if (args.estimand == "median") if args.replicates else args.estimand in ("proportion", "ratio"):
        ap.error("--estimand median goes with the Taylor workload; proportion and ratio with --replicates")
    strata, psus = DESIGNS[args.design]
    strata, psus = args.strata or strata, args.psus or psus
    work = Path(tempfile.mkdtemp(prefix="corridor-bench-"))
    rho = 0.5
    try:
        for rows in args.rows:
            for domains in args.domains:
                path = work / f"s_{rows}_{domains}.{args.input}"
                csv_path = work / f"s_{rows}_{domains}.csv"
                want_r = "R" in args.peers and shutil.which("Rscript")
                if args.replicates:
                    base = work / "base.parquet"
                    make_data(base, rows, strata, psus, domains)
                    factors = replicate_factors(args.rep_type, args.replicates, strata, psus, rho)
                    add_replicates(base, path, factors)
                    if want_r and path != csv_path:
                        add_replicates(base, csv_path, factors)
                    base.unlink()
                else:
                    make_data(path, rows, strata, psus, domains)
                    if want_r and path != csv_path:
                        make_data(csv_path, rows, strata, psus, domains)
                what = (f"{args.replicates} {args.rep_type} replicates, domain {args.estimand}s" if args.replicates
                        else "Taylor: the domain medians" if args.estimand == "median"
                        else "Taylor: a total and the domain means")
                print(f"\nrows={rows:,} strata={strata} psus={psus} domains={domains} ({args.input} input; {what})")
                out = {name: work / f"{name.replace(' ', '_')}.json" for name in ("corridor", "svy", "R survey")}
                subs = {"PATH": repr(str(path)), "REPS": str(args.replicates), "ESTIMAND": repr(args.estimand),
                        "TYPE": repr(args.rep_type), "RHO": repr(rho) if args.rep_type == "Fay" else "None"}
                scale = rep_scale(args.rep_type, args.replicates, rho) if args.replicates else 1.0
                subs["SCALE"] = repr(scale)
                subs["MEMORY"] = repr(args.memory_limit)
                rep = bool(args.replicates)
                jobs = {"duckdb floor": py(FLOOR_REP if rep else FLOOR, subs),
                        "corridor": py(CORRIDOR_REP if rep else CORRIDOR, {**subs, "OUT": repr(str(out["corridor"]))})}
                if args.before:
                    out["corridor before"] = work / "corridor_before.json"
                    jobs["corridor before"] = ["env", f"PYTHONPATH={args.before}", *py(
                        CORRIDOR_REP if rep else CORRIDOR, {**subs, "OUT": repr(str(out["corridor before"]))})]
                if "svy" in args.peers:
                    jobs["svy"] = py(SVY_REP if rep else SVY, {**subs, "OUT": repr(str(out["svy"]))}, args.svy_python)
                if "samplics" in args.peers and rows <= 1_000_000 and not rep and args.estimand == "mean":
                    jobs["samplics"] = py(SAMPLICS, subs)
                if want_r:
                    script = work / "bench.R"
                    rsubs = {**subs, "PATH": '"' + str(csv_path) + '"', "OUT": '"' + str(out["R survey"]) + '"',
                             "TYPE": '"' + args.rep_type + '"', "ESTIMAND": '"' + args.estimand + '"',
                             "RHO": str(rho) if args.rep_type == "Fay" else "NULL", "SCALE": repr(scale)}
                    script.write_text(fill(R_REP if rep else R, rsubs))
                    jobs["R survey"] = ["Rscript", str(script)]
                runs: dict[str, list[tuple[float, float] | str]] = {"duckdb floor": [], "corridor": []}
                if args.before:
                    runs["corridor before"] = []
                for _ in range(max(args.repeat, 1)):
                    for name, done in runs.items():
                        done.append(timed(jobs[name], args.peer_timeout))
                res = {name: min((r for r in done if isinstance(r, tuple)), default=done[0]) for name, done in runs.items()}
                res.update({name: timed(cmd, args.peer_timeout) for name, cmd in jobs.items() if name not in res})
                floor = res["duckdb floor"]
                mine = res["corridor"]
                ours = json.loads(out["corridor"].read_text()) if out["corridor"].exists() else None
                for name, r in res.items():
                    if isinstance(r, str):
                        print(f"  {name:13s} did not run: {r}")
                        continue
                    line = f"  {name:13s} {r[0]:8.2f} s  peak {r[1]:5.2f} GiB"
                    if isinstance(floor, tuple):
                        line += f"  {r[0] / floor[0]:6.2f}x floor"
                    if isinstance(mine, tuple) and name not in ("corridor", "duckdb floor"):
                        line += f"  corridor {r[0] / mine[0]:6.2f}x faster"
                    if ours is not None and name in out and name != "corridor" and out[name].exists():
                        line += "  " + max_rel(ours, json.loads(out[name].read_text()))
                    print(line, flush=True)
                for p in (path, csv_path, *out.values()):
                    p.unlink(missing_ok=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
