"""Benchmark: raking a census-size sample to three margins (region 16, sex x age 40, nationality 10).

Each job is a whole process, reading the same Parquet file, run one after the other in this same
run: corridor's ``rake`` (iterative proportional fitting) and ``calibrate(method="raking")``
(Newton), each also writing the calibrated file; the floor, one hand-written DuckDB grouped scan of
the margin variables (what one sweep of a row-level raking has to read); optionally R survey's
``rake`` on the same rows (``--peers R``). Prints time, peak memory (max RSS), the passes over the
data and the iterations, and the ratio of corridor's time to one floor scan per iteration (the goal:
within 3x).

    python benchmarks/bench_calibrate.py --rows 10000000 --repeat 3
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

MARGINS = """
import duckdb
def margin(col, tilt):
    rows = duckdb.sql(f"SELECT {col}, sum(w) FROM PATH GROUP BY {col} ORDER BY {col}").fetchall()
    return [(col, str(k), v * (1 + (k % tilt) / 20)) for k, v in rows]
m = {"region": margin("region", 3), "sexage": margin("sexage", 4), "nat": margin("nat", 5)}
n = sum(r[2] for r in m["region"])
TOTALS = [{"term": a, "level": b, "total": c * n / sum(r[2] for r in rows)} for rows in m.values() for a, b, c in rows]
"""
CORRIDOR = MARGINS + """
import corridor as cr, json, time
from corridor.engine import get_engine
eng = get_engine()
d = cr.Design(weights="w", strata="stratum", ids="psu")
t = time.perf_counter()
cal = cr.METHOD(PATH, d, TOTALS, engine=eng)
dt = time.perf_counter() - t
scans = eng.scans
dt_write = None
WRITE
print(json.dumps({"seconds": dt, "write": dt_write, "passes": scans, "iterations": cal.iterations, "gap": cal.gap}))
"""
WRITE = """
from corridor.calibration import output
t = time.perf_counter(); output.write(cal, PATH, OUT, engine=eng); dt_write = time.perf_counter() - t
"""
FLOOR = """
import duckdb, json, time
con = duckdb.connect()
t = time.perf_counter()
con.sql("SELECT region, sexage, nat, sum(w), count(*) FROM PATH GROUP BY ALL").to_arrow_table()
print(json.dumps({"seconds": time.perf_counter() - t, "passes": 1}))
"""
def make_data(path: Path, rows: int, psus: int) -> None:
    con = duckdb.connect()
    con.execute("SELECT setseed(0.2022)")
    con.execute(f"""
        COPY (SELECT CAST(floor(random() * {psus}) AS INTEGER) AS psu,
                     CAST(floor(random() * 16) AS INTEGER) + 1 AS region,
                     CAST(floor(random() * 40) AS INTEGER) AS sexage,
                     CAST(floor(pow(random(), 3) * 10) AS INTEGER) AS nat,
                     50.0 + random() * 950.0 AS w
              FROM range({rows}))
        TO '{path}' (FORMAT parquet)""")
    con.execute(f"COPY (SELECT *, psu % 200 AS stratum FROM '{path}') TO '{path}.tmp' (FORMAT parquet)")
    Path(f"{path}.tmp").replace(path)


def timed(code: str, limit: float = 3600) -> tuple[float, float, str] | str:
    """Run python code in a process of its own; (seconds, peak GiB, stdout) or why it did not run."""
    wrapper = [sys.executable, "-c", textwrap.dedent(f"""
        import resource, subprocess, sys, time
        t = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", {code!r}], capture_output=True, text=True, timeout={limit})
        dt = time.perf_counter() - t
        if p.returncode: print(p.stderr[-800:], file=sys.stderr); sys.exit(1)
        print(dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2)
        print(p.stdout.strip().splitlines()[-1] if p.stdout.strip() else "")
    """)]
    proc = subprocess.run(wrapper, capture_output=True, text=True, check=False)
    if proc.returncode:
        return proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"
    first, *rest = proc.stdout.splitlines()
    sec, gib = first.split()
    return float(sec), float(gib), rest[0] if rest else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--psus", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=1, help="runs of each job (the fastest counts)")
    ap.add_argument("--no-write", action="store_true", help="do not time writing the calibrated file")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="corridor-bench-cal-"))
    try:
        for rows in args.rows:
            path = work / f"s_{rows}.parquet"
            make_data(path, rows, args.psus)
            print(f"\nrows={rows:,}, margins: region 16, sex x age 40, nationality 10 (Parquet input)")
            jobs = {"duckdb floor (one grouped scan)": FLOOR}
            for method, call in (("rake (IPF)", "rake"), ("calibrate raking (Newton)", "calibrate")):
                code = CORRIDOR.replace("METHOD(PATH, d, TOTALS", f"{call}(PATH, d, TOTALS" +
                                        (", method='raking'" if call == "calibrate" else ""))
                jobs[f"corridor {method}"] = code.replace("WRITE", "")
                if not args.no_write:
                    w = WRITE.replace("OUT", repr(str(work / "out.parquet")))
                    jobs[f"corridor {method} + write"] = code.replace("WRITE", w)
            results: dict[str, tuple[float, float, str] | str] = {}
            for _ in range(args.repeat):
                for name, code in jobs.items():
                    res = timed(code.replace("PATH", repr(str(path))))
                    old = results.get(name)
                    if isinstance(res, str) or not isinstance(old, tuple) or res[0] < old[0]:
                        results[name] = res if not isinstance(old, tuple) or not isinstance(res, str) else old
            floor = results["duckdb floor (one grouped scan)"]
            scan = json.loads(floor[2])["seconds"] if isinstance(floor, tuple) else float("nan")
            print(f"{'job':36} {'process s':>9} {'calib. s':>9} {'write s':>8} {'peak GiB':>9} {'passes':>7} "
                  f"{'sweeps':>7} {'calib. / (scan x sweeps)':>25}")
            for name, res in results.items():
                if isinstance(res, str):
                    print(f"{name:36} {res}")
                    continue
                sec, gib, out = res
                info = json.loads(out)
                its = info.get("iterations")
                ratio = f"{info['seconds'] / (scan * its):.2f}" if its else ""
                write = f"{info['write']:.2f}" if info.get("write") is not None else ""
                print(f"{name:36} {sec:9.2f} {info['seconds']:9.2f} {write:>8} {gib:9.2f} "
                      f"{info['passes'] + (1 if write else 0):>7} {its or '':>7} {ratio:>25}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
