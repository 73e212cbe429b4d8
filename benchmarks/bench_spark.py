"""Benchmark: the engine workload on Spark (local mode) and on DuckDB, in the same run.

The workload of bench_estimate.py: a total plus domain means with Taylor standard errors
(stratified cluster design, 4,000 PSUs in 500 strata, 50 domains), here read from one Parquet
file. Each engine runs in its own process, one after the other; the script prints wall time,
peak memory of the whole process tree (Python plus Spark's JVM, sampled from /proc every 0.2 s),
the Spark/DuckDB time ratio, and the passes over the data each engine made (``engine.scans``).

    python benchmarks/bench_spark.py --rows 20000000 100000000 --master 'local[2]' --driver-memory 4g
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import duckdb

JOB = """
import json, sys, time
import corridor as cr
ENGINE
d = cr.Design(weights="w", strata="stratum", ids="psu")
t = time.perf_counter()
total = cr.estimate(PATH, d, cr.Total("y"), engine=eng)
means = cr.estimate(PATH, d, cr.Mean("y"), by="domain", engine=eng)
print(json.dumps({"seconds": time.perf_counter() - t, "scans": eng.scans, "rows": total.n_rows,
                  "total": total.table["estimate"][0].as_py(), "total_se": total.table["se"][0].as_py(),
                  "first_mean": means.table["estimate"][0].as_py(), "domains": means.table.num_rows}))
"""
DUCKDB = "from corridor.engine.duckdb import DuckDBEngine\neng = DuckDBEngine()"
SPARK = """from corridor.engine.spark import SparkEngine
eng = SparkEngine(master=MASTER, config={"spark.driver.memory": MEMORY, "spark.sql.shuffle.partitions": "8"})
eng.session  # started before the clock: JVM start-up is reported separately"""


def make_data(path: Path, rows: int, strata: int, psus: int, domains: int) -> None:
    """The synthetic sample of bench_estimate.py (same formulas), written as Parquet."""
    duckdb.sql(f"""
        COPY (SELECT (i % {psus}) AS psu, ((i % {psus}) % {strata}) AS stratum,
                     (i * 7919) % {domains} AS domain, 1.0 + ((i * 104729) % 1000) / 100.0 AS w,
                     ((i * 15485863) % 100000) / 100.0 AS y
              FROM range({rows}) t(i)) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)""")


def _tree_rss(root: int) -> int:
    """Resident memory (bytes) of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


def run_job(code: str, timeout: float) -> dict[str, float] | str:
    """Run a job in a fresh interpreter; its JSON result plus wall time and peak tree memory, or why it failed."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return f"stopped after {timeout:.0f} s"
    finally:
        done.set()
        sampler.join()
    if proc.returncode:
        lines = [ln for ln in err.strip().splitlines() if ln.strip()]
        return lines[-1] if lines else f"exit status {proc.returncode}"
    result = json.loads(out.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - start
    result["peak_gib"] = peak / 1024**3
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[20_000_000, 100_000_000])
    ap.add_argument("--domains", type=int, default=50)
    ap.add_argument("--strata", type=int, default=500)
    ap.add_argument("--psus", type=int, default=4000)
    ap.add_argument("--master", default="local[2]", help="Spark master URL")
    ap.add_argument("--driver-memory", default="4g", help="Spark driver memory (local mode runs in the driver)")
    ap.add_argument("--timeout", type=float, default=3600, help="give up on a job after this many seconds")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="corridor-bench-spark-"))
    try:
        for rows in args.rows:
            path = work / f"sample_{rows}.parquet"
            t = time.perf_counter()
            make_data(path, rows, args.strata, args.psus, args.domains)
            size = path.stat().st_size / 1024**3
            print(f"\nrows={rows:,} strata={args.strata} psus={args.psus} domains={args.domains} "
                  f"(Parquet, {size:.2f} GiB, written in {time.perf_counter() - t:.0f} s)", flush=True)
            jobs = {
                "duckdb": JOB.replace("ENGINE", DUCKDB),
                f"spark {args.master}": JOB.replace("ENGINE", SPARK.replace("MASTER", repr(args.master))
                                                    .replace("MEMORY", repr(args.driver_memory))),
            }
            results = {}
            for name, code in jobs.items():
                res = run_job(textwrap.dedent(code).replace("PATH", repr(str(path))), args.timeout)
                results[name] = res
                if isinstance(res, str):
                    print(f"  {name:16s} did not finish: {res}", flush=True)
                    continue
                print(f"  {name:16s} {res['seconds']:8.2f} s estimating ({res['process_seconds']:6.1f} s with start-up)"
                      f"  peak {res['peak_gib']:5.2f} GiB  scans {res['scans']}", flush=True)
            duck, spark = results["duckdb"], results[f"spark {args.master}"]
            if isinstance(duck, dict) and isinstance(spark, dict):
                same = all(
                    abs(duck[k] - spark[k]) <= 1e-8 * max(abs(duck[k]), abs(spark[k]))
                    for k in ("total", "total_se", "first_mean")
                )
                print(f"  ratio spark/duckdb: {spark['seconds'] / duck['seconds']:.2f}x time, "
                      f"{spark['peak_gib'] / duck['peak_gib']:.2f}x peak memory; "
                      f"same estimates and SEs to 1e-8: {same}", flush=True)
            path.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
