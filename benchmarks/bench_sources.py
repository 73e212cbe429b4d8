"""Benchmark: reading a file through a harmonization spec into DuckDB vs a plain DuckDB read.

Data are SYNTHETIC (random codes, generated here). Each measurement runs in a fresh Python
process so that peak memory (max RSS) belongs to that run alone.

    PYTHONPATH=src python benchmarks/bench_sources.py [--rows 20000000] [--stata-rows 1000000]

corridor: ``harmonize(file, spec)`` (read, map 8 columns, count the ledger in one scan, check
unknown codes), then the harmonized relation materialized as a DuckDB table.
baseline: Parquet, ``CREATE TABLE AS SELECT * FROM read_parquet(file)``; Stata, DuckDB has
no Stata reader, so the baseline is pyreadstat reading the whole file into pandas and DuckDB
copying that frame into a table.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEC = {
    "name": "bench",
    "country": "CHL",
    "unknown": "error",
    "filters": [{"rule": "age 0-120", "where": "edad BETWEEN 0 AND 120"}],
    "columns": {
        "sex": {"from": "sexo", "codes": {1: "male", 2: "female"}},
        "age": "edad",
        "region": {"from": "region", "table": "cl_region"},
        "labour_status": {"from": "activ", "codes": {1: "employed", 2: "unemployed", 3: "outside"}},
        "country_citizenship": {"from": "r1a", "codes": {1: "CHL", 2: "CHL", 3: "COL"}},
        "household_income": {"from": "ingreso", "type": "double"},
    },
    "derive": {"migrant_status": {}},
    "design": {"weight": "expr", "strata": "estrato", "psu": "upm"},
}

GEN = """
SELECT (random() < 0.5)::INT + 1 AS sexo, floor(random() * 100)::INT AS edad, 1 + floor(random() * 16)::INT AS region,
       CASE WHEN i % 7 = 0 THEN NULL ELSE 1 + floor(random() * 3)::INT END AS activ, 1 + floor(random() * 3)::INT AS r1a,
       random() * 2e6 AS ingreso, 10 + random() * 300 AS expr, (i % 1500)::INT AS estrato, i // 8 AS upm
FROM range({n}) t(i)
"""


def _run_child(kind: str, path: str) -> dict:
    import duckdb
    import pyreadstat

    from corridor.harmonize import harmonize

    t0 = time.perf_counter()  # imports excluded from both timings
    con = duckdb.connect()
    if kind == "corridor":
        h = harmonize(path, SPEC, con=con)
        h.relation.create("harmonized")
        n = con.sql("SELECT count(*) FROM harmonized").fetchall()[0][0]
        extra = {"ledger_read": h.ledger.read, "ledger_kept": h.ledger.kept}
    elif path.endswith(".parquet"):
        con.execute(f"CREATE TABLE plain AS SELECT * FROM read_parquet('{path}')")
        n = con.sql("SELECT count(*) FROM plain").fetchall()[0][0]
        extra = {}
    else:
        df, _ = pyreadstat.read_dta(path)
        con.register("df", df)
        con.execute("CREATE TABLE plain AS SELECT * FROM df")
        n = con.sql("SELECT count(*) FROM plain").fetchall()[0][0]
        extra = {}
    seconds = time.perf_counter() - t0
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"kind": kind, "rows": int(n), "seconds": seconds, "peak_mib": peak_mib, **extra}


def _measure(kind: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(path)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _report(label: str, path: Path) -> None:
    base = _measure("baseline", path)
    cor = _measure("corridor", path)
    size = path.stat().st_size / 2**20
    print(f"\n{label}: {path.name} ({size:,.0f} MiB, {base['rows']:,} rows; SYNTHETIC)")
    print(f"  {'':<10} {'seconds':>9} {'peak MiB':>10}")
    for r in (base, cor):
        print(f"  {r['kind']:<10} {r['seconds']:>9.2f} {r['peak_mib']:>10.0f}")
    print(f"  ratio corridor/baseline: time {cor['seconds'] / base['seconds']:.2f}x, peak memory {cor['peak_mib'] / base['peak_mib']:.2f}x")
    print(f"  ledger: read {cor['ledger_read']:,}, kept {cor['ledger_kept']:,}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000_000)
    ap.add_argument("--stata-rows", type=int, default=1_000_000)
    ap.add_argument("--child", nargs=2)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_run_child(*args.child)))
        return
    import duckdb

    with tempfile.TemporaryDirectory(prefix="corridor_bench_") as tmp:
        pq = Path(tmp) / "synthetic.parquet"
        duckdb.sql(f"COPY ({GEN.format(n=args.rows)}) TO '{pq}' (FORMAT parquet)")
        _report("Parquet", pq)
        if args.stata_rows:
            import pyreadstat

            dta = Path(tmp) / "synthetic.dta"
            df = duckdb.sql(GEN.format(n=args.stata_rows)).df()
            pyreadstat.write_dta(df, str(dta))
            del df
            _report("Stata", dta)


if __name__ == "__main__":
    main()
