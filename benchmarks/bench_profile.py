"""Benchmark: the corridor profile on 1M and 20M rows of SYNTHETIC microdata.

For each size it reports, each in a fresh process (so peak memory is the process's own):

* ``profile``: ``build_profile`` on the file (aggregate sources + every survey indicator for three
  populations, overall and by sex, age band and region, gaps, quality, suppression) and the HTML
  page (no PDF): wall time, peak RSS, scans of the microdata, and per section its time and the
  peak memory so far (the shipped aggregates and the page's charts of published tables come from
  the disk cache after the first run; set ``CORRIDOR_CACHE_DIR=off`` to time them harmonized and
  drawn each run);
The files keep CASEN 2020's design structure (588 strata, 11,490 PSUs) and put more persons in each
PSU, as census-size microdata on a survey's design would be. With ``--census`` the same runs on a
census-like file (``scripts/make_census_like_sample.py``): every person of Chile's 2017 census
(17,562,400 rows: region, comuna, sex, age, country of birth; SYNTHETIC persons drawn from INE's
published counts), weight 1, no strata or PSUs, so the profile computes what a census has
(population shares, median age) and its design is every person as a unit.

* ``floor``: the engine's single-scan floor, one hand-written DuckDB ``GROUP BY`` over the same
  file computing the weighted sums of every indicator column at the finest level needed
  (population x sex x age band x region x stratum x PSU): the least any design-based profile
  must read. The profile's ratio to it is printed as "vs one scan".

* ``its own 3 scans``: the three queries the profile issues on DuckDB, hand-written in SQL and fetched
  into Arrow with no Python work: the linear grouped scan (the profile's keys, which add migrant or
  not to the floor's, and besides the weighted sums the counts of rows with a value and with each
  level, which quality and suppression read), the medians' grouped scan (rows and weights per
  stratum, PSU and domain) and the medians' row read (weight, value, domain codes, stratum and PSU of
  each row with a value; the PSU alone when each PSU id is in one stratum, as the profile reads them).
  The profile's ratio to it is printed as "vs its own 3 scans": what the profile costs beyond reading
  what it reads. Neither floor does Python work on the data: the only Python between the queries
  reads the domain variables' levels (a few dozen values) and whether the PSU ids tell their stratum
  from scan 2's result for scan 3, as the profile does.

* ``languages`` (with ``--languages``): the profile in es, fr and en computed once and rendered
  three times (``corridor profile --lang es --lang fr --lang en``) against three separate runs, one
  per language (the baseline, in the same run).

* ``spark`` (with ``--engine spark``): the same profile on a Spark session (``--master``, default
  ``local[2]``; ``--driver-memory``), right after DuckDB's on the same file: the survey is harmonized
  by DuckDB and handed to Spark as Parquet (section ``handover``), every estimate runs on Spark.
  Its time excludes starting the session (printed apart); its peak memory is the whole process tree's
  (Python plus Spark's JVM, sampled every 0.2 s), DuckDB's is the Python process's.

* ``before`` (with ``--before SRC``): the same profile from an earlier corridor (the ``src`` folder of a
  checkout, e.g. ``git worktree add --detach /tmp/before main``), run right after the current one on
  the same file: before and after in one run (with ``--engine spark``, on Spark too).

On Spark it also counts the driver's calls into the JVM (py4j): in all, in the grouped scans, and in
the widest one (an estimate's plan built column by column costs one call per function and operator).

``--repeat N`` runs the floor, the profile (and ``--before``) N times each, interleaved, and keeps the
fastest run of each (the machine's load moves all of them alike); ``--keep DIR`` keeps the generated
files in DIR and reuses them in later runs (generating 10M rows takes minutes).

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/bench_profile.py [--sizes 1000000 20000000] [--census] [--repeat 3] [--keep DIR] [--languages] [--before SRC]
[--engine spark [--master local[2]] [--driver-memory 4g]]``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# the profile's sections, timed where they are called (module, function, label); a name an earlier
# corridor lacks is skipped
SECTIONS = [("corridor.report.profile", "load_aggregates", "aggregates"),
            ("corridor.report.profile", "_survey_runs", "survey open"),
            ("corridor.indicators.compute", "_linear", "survey linear"),
            ("corridor.indicators.compute", "_medians", "survey medians"),
            ("corridor.indicators.compute", "finish", "quality+suppression"),
            ("corridor.report.profile", "_burden_and_flows", "burden+flows"),
            ("corridor.report.comunas_section", "comuna_rows", "comunas")]


def _timed(times: dict, label: str, f):
    def run(*args, **kwargs):
        t = time.perf_counter()
        try:
            return f(*args, **kwargs)
        finally:
            sec, peak = times.get(label, (0.0, 0.0))
            times[label] = (sec + time.perf_counter() - t, max(peak, _peak_mb()))
    return run


def child_profile(path: str, engine: str = "duckdb", master: str = "local[2]", driver_memory: str = "2g") -> dict:
    import importlib

    from corridor.engine import get_engine
    from corridor.report import build_profile
    from corridor.report.render import render_html

    times: dict = {}
    for mod, name, label in SECTIONS:
        m = importlib.import_module(mod)
        if hasattr(m, name):
            setattr(m, name, _timed(times, label, getattr(m, name)))
    tree = _TreePeak() if engine == "spark" else None
    started = 0.0
    if engine == "spark":
        from corridor.engine.spark import SparkEngine

        if hasattr(SparkEngine, "_from_duckdb"):
            SparkEngine._from_duckdb = _timed(times, "handover", SparkEngine._from_duckdb)
        eng = get_engine("spark", master=master, config={"spark.driver.memory": driver_memory})
        t = time.perf_counter()
        eng.session  # noqa: B018 - the JVM starts here, outside the profile's time
        started = time.perf_counter() - t
        calls = _count_py4j(times, SparkEngine)
    else:
        eng = get_engine()
    t = time.perf_counter()
    p = build_profile("COL", "CHL", data=path, engine=eng)
    t_html = time.perf_counter()
    html = render_html(p, "en")
    done = time.perf_counter()
    times["html (en)"] = (done - t_html, _peak_mb())
    peak = tree.stop() if tree else _peak_mb()
    return {"seconds": done - t, "peak_mb": peak, "scans": p.scans, "rows": p.table.num_rows,
            "html_kb": len(html) // 1024, "sections": times, "session_seconds": started,
            "py4j_calls": calls if engine == "spark" else {}, "table": _digest(p.table)}


def _count_py4j(times: dict, engine_class) -> dict:
    """Count the driver's calls into Spark's JVM: in all, and building and running the grouped scans."""
    import py4j.clientserver as cs

    calls = {"all": 0, "aggregate": 0, "widest aggregate": 0}
    send = cs.ClientServerConnection.send_command

    def counted(self, *args, **kwargs):
        calls["all"] += 1
        return send(self, *args, **kwargs)

    cs.ClientServerConnection.send_command = counted
    aggregate = engine_class.aggregate

    def aggregate_counted(self, frame, keys, aggs):
        before = calls["all"]
        try:
            return aggregate(self, frame, keys, aggs)
        finally:
            calls["aggregate"] += calls["all"] - before
            calls["widest aggregate"] = max(calls["widest aggregate"], calls["all"] - before)

    engine_class.aggregate = aggregate_counted
    return calls


class _TreePeak:
    """Peak resident memory of this process and its children (Spark's JVM), sampled every 0.2 s."""

    def __init__(self) -> None:
        import threading

        from bench_spark import _tree_rss

        self.peak = 0
        self._stop = threading.Event()

        def sample() -> None:
            while not self._stop.is_set():
                self.peak = max(self.peak, _tree_rss(os.getpid()))
                self._stop.wait(0.2)

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak / 2**20


def _digest(table) -> list:
    """The survey rows' estimates and SEs, to compare engines in the parent."""
    rows = [r for r in table.to_pylist() if r["source_kind"] == "survey"]
    return [[r["estimate"], r["se"], r["quality"], r["suppressed"]] for r in rows]


def _agree(a: list, b: list) -> str:
    if len(a) != len(b):
        return f"different tables ({len(a)} and {len(b)} survey rows)"
    worst = 0.0
    for x, y in zip(a, b):
        if x[2:] != y[2:]:
            return "different quality labels or suppression"
        for u, v in zip(x[:2], y[:2]):
            if u is not None and v is not None and max(abs(u), abs(v)) > 1e-13:
                worst = max(worst, abs(u - v) / max(abs(u), abs(v)))
            elif (u is None) != (v is None):
                return "a value on one engine is missing on the other"
    return f"same {len(a):,} survey rows, estimates and SEs within {worst:.1e} relative"


def _sections(r: dict) -> str:
    return "; ".join(f"{k} {sec:.2f} s ({peak:.0f} MiB)" for k, (sec, peak) in r.get("sections", {}).items())


def _calls(r: dict) -> str:
    return "; ".join(f"{k} {v:,}" for k, v in r.get("py4j_calls", {}).items())


def child_languages(path: str, together: str) -> dict:
    from corridor.engine import get_engine
    from corridor.report import build_profile
    from corridor.report.render import render_html

    t = time.perf_counter()
    scans = 0
    built = None
    for lang in ("es", "fr", "en"):
        if built is None or together == "0":
            eng = get_engine()
            built = build_profile("COL", "CHL", data=path, engine=eng)
            scans += built.scans
        render_html(built, lang)
    return {"seconds": time.perf_counter() - t, "peak_mb": _peak_mb(), "scans": scans}


def child_floor(path: str) -> dict:
    import duckdb

    from corridor.indicators import load
    from corridor.indicators.compute import _AGE_BAND_SQL

    con = duckdb.connect()
    have = set(con.sql(f"SELECT * FROM read_parquet('{path}') LIMIT 0").columns)
    inds = [i for i in load().values() if i.source == "survey" and not i.missing_concepts(have)]
    cols = []
    for i in inds:
        u = i.universe_sql({"age"})   # the file has single years of age
        if i.type in ("share", "rate"):
            v = f"CASE WHEN {u} THEN CASE WHEN {i.numerator} THEN 1 ELSE 0 END END"
            cols += [f"sum(weight * ({v})) AS s_{i.id}", f"sum(weight * (({v}) IS NOT NULL)::INT) AS d_{i.id}"]
        elif i.type in ("mean", "median"):
            v = f"CASE WHEN {u} THEN CAST({i.variable} AS DOUBLE) END"
            cols += [f"sum(weight * ({v})) AS s_{i.id}", f"sum(weight * (({v}) IS NOT NULL)::INT) AS d_{i.id}"]
        else:
            for lv in i.levels:
                cols.append(f"sum(weight * (CASE WHEN {u} THEN ({i.categories['expr']}) = '{lv}' END)::INT) AS s_{i.id}_{lv}")
    pop = ("CASE WHEN migrant_status = 'migrant' AND country_birth = 'COL' THEN 'corridor' "
           "WHEN migrant_status = 'migrant' THEN 'other' ELSE 'native' END")
    design = ", ".join(c for c in ("strata", "psu") if c in have)  # a census has neither
    sql = (f"SELECT {pop} AS pop, sex, {_AGE_BAND_SQL} AS age_band, region, {design + ', ' if design else ''}"
           f"count(*) AS n, sum(weight) AS w, {', '.join(cols)} FROM read_parquet('{path}') GROUP BY ALL")
    t = time.perf_counter()
    out = con.sql(sql).fetch_arrow_table()
    return {"seconds": time.perf_counter() - t, "peak_mb": _peak_mb(), "scans": 1, "groups": out.num_rows}


def child_floor3(path: str) -> dict:
    """The profile's own three queries, hand-written in DuckDB SQL, each fetched into Arrow (no Python work).

    1. the linear grouped scan: the profile's keys (population, sex, age band, region, migrant or not,
       stratum, PSU), rows, the weight's minimum and count, and per indicator what the profile reads:
       weighted sums (with the squares of a mean's variable), the weight of the rows with a value, and
       the counts of rows with a value and with each level;
    2. the medians' grouped scan: the same keys with rows, the weight's minimum, count and zero count;
    3. the medians' row read: weight, value, each domain variable as a small integer code, stratum
       and PSU of every row with a value (the codes' levels come from scan 2, as the profile's do).
    """
    import duckdb

    from corridor.indicators import load
    from corridor.indicators.compute import _AGE_BAND_SQL

    con = duckdb.connect()
    src = f"read_parquet('{path}')"
    have = set(con.sql(f"SELECT * FROM {src} LIMIT 0").columns)
    inds = [i for i in load().values() if i.source == "survey" and not i.missing_concepts(have)]
    pop = ("CASE WHEN migrant_status = 'migrant' AND country_birth = 'COL' THEN 'corridor' "
           "WHEN migrant_status = 'migrant' THEN 'other_migrant' WHEN migrant_status = 'native' THEN 'native' ELSE 'unknown' END")
    keys = [("pop", pop), ("migrant_split", "coalesce(migrant_status, 'unknown')"), ("sex", "coalesce(CAST(sex AS VARCHAR), 'unknown')"),
            ("age_band", f"coalesce({_AGE_BAND_SQL}, 'unknown')"), ("region", "coalesce(CAST(region AS VARCHAR), 'unknown')")]
    design = [c for c in ("strata", "psu") if c in have]
    cols, values = [], []
    for i in inds:
        u = i.universe_sql({"age"})
        if i.type in ("share", "rate"):
            values.append(f"CASE WHEN {u} THEN CASE WHEN {i.numerator} THEN 1 ELSE 0 END END AS v_{i.id}")
            cols += [f"sum(weight * v_{i.id}) AS s_{i.id}", f"sum(CASE WHEN v_{i.id} IS NOT NULL THEN weight END) AS d_{i.id}",
                     f"count(v_{i.id}) AS n_{i.id}", f"sum(v_{i.id}) AS c_{i.id}"]
        elif i.type == "mean":
            values.append(f"CASE WHEN {u} THEN CAST({i.variable} AS DOUBLE) END AS v_{i.id}")
            cols += [f"sum(weight * v_{i.id}) AS s_{i.id}", f"sum(weight * v_{i.id} * v_{i.id}) AS q_{i.id}",
                     f"sum(CASE WHEN v_{i.id} IS NOT NULL THEN weight END) AS d_{i.id}", f"count(v_{i.id}) AS n_{i.id}"]
        elif i.type == "distribution":
            values.append(f"CASE WHEN {u} THEN CAST(({i.categories['expr']}) AS VARCHAR) END AS v_{i.id}")
            cols += [f"sum(CASE WHEN v_{i.id} IS NOT NULL THEN weight END) AS d_{i.id}", f"count(v_{i.id}) AS n_{i.id}"]
            for lv in i.levels:
                cols += [f"sum(weight * (v_{i.id} = '{lv}')::INT) AS s_{i.id}_{lv}", f"sum((v_{i.id} = '{lv}')::INT) AS c_{i.id}_{lv}"]
    medians = [i for i in inds if i.type == "median"]
    rows_from = (f"(SELECT weight, {', '.join(design + [f'{e} AS {k}' for k, e in keys] + values)} FROM {src})")
    group = ", ".join([k for k, _ in keys] + design)
    linear = f"SELECT {group}, count(*) AS n, min(weight) AS w_min, count(weight) AS w_n, sum(weight) AS w, {', '.join(cols)} FROM {rows_from} GROUP BY ALL"
    structure = (f"SELECT {group}, count(*) AS n, min(weight) AS w_min, count(weight) AS w_n, count_if(weight = 0) AS w_zero "
                 f"FROM (SELECT weight, {', '.join(design + [f'{e} AS {k}' for k, e in keys])} FROM {src}) GROUP BY ALL")
    t = time.perf_counter()
    out = [con.sql(linear).fetch_arrow_table()]
    if medians:
        grouped = con.sql(structure).fetch_arrow_table()
        out.append(grouped)
        codes = []
        for k, e in keys:
            levels = sorted(grouped[k].unique().to_pylist())
            codes.append(f"CAST(list_position([{', '.join(repr(v) for v in levels)}], {e}) - 1 AS TINYINT) AS {k}")
        # the profile reads the PSU ids alone when each is in one stratum (ids numbered across strata)
        alone = len(design) == 2 and grouped.group_by(design).aggregate([]).num_rows == len(grouped[design[1]].unique())
        read = design[1:] if alone else design
        for m in medians:
            u = m.universe_sql({"age"})
            out.append(con.sql(f"SELECT CAST(weight AS DOUBLE) AS w, CAST({m.variable} AS DOUBLE) AS x, {', '.join(codes + read)} "
                               f"FROM {src} WHERE {u} AND {m.variable} IS NOT NULL").fetch_arrow_table())
    return {"seconds": time.perf_counter() - t, "peak_mb": _peak_mb(), "scans": len(out),
            "groups": out[0].num_rows, "rows": sum(o.num_rows for o in out[2:])}


def child_gen(path: str, size: int) -> dict:
    t = time.perf_counter()
    if size:
        from make_synthetic_profile_sample import write

        rows = write(Path(path), size, seed=7, psus="casen")
    else:
        from make_census_like_sample import write as write_census

        rows = write_census(Path(path))
    return {"seconds": time.perf_counter() - t, "rows": rows}


def _run(kind: str, path: Path, *extra: str, src: str | None = None) -> dict:
    env = {**os.environ, "PYTHONPATH": src or str(ROOT / "src")}
    r = subprocess.run([sys.executable, __file__, "--child", kind, str(path), *extra], capture_output=True, text=True, env=env, check=False)
    if r.returncode != 0:
        raise SystemExit(r.stderr)
    return json.loads(r.stdout.strip().splitlines()[-1])


def _rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def _fastest(runs: list[dict]) -> dict:
    """The fastest run, with the highest peak memory of all runs (memory does not improve by luck)."""
    return {**min(runs, key=lambda r: r["seconds"]), "peak_mb": max(r["peak_mb"] for r in runs)} if runs else {}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[1_000_000, 20_000_000])
    ap.add_argument("--census", action="store_true",
                    help="also time the census-like file (17.5M persons, counts only; scripts/make_census_like_sample.py)")
    ap.add_argument("--child", nargs="+")
    ap.add_argument("--languages", action="store_true", help="also time es+fr+en from one computation vs three runs")
    ap.add_argument("--before", metavar="SRC", help="src folder of an earlier corridor to time in the same run")
    ap.add_argument("--repeat", type=int, default=1, help="runs of the floor and the profile, interleaved; the fastest counts")
    ap.add_argument("--keep", metavar="DIR", type=Path, help="keep the generated files here and reuse them")
    ap.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb",
                    help="spark: also run the profile on Spark after DuckDB's, on the same file")
    ap.add_argument("--master", default="local[2]", help="Spark master of --engine spark")
    ap.add_argument("--driver-memory", default="2g", help="Spark driver memory of --engine spark")
    a = ap.parse_args()
    if a.child:
        kind, path = a.child[:2]
        out = (child_gen(path, int(a.child[2])) if kind == "gen" else child_profile(path, *a.child[2:]) if kind == "profile"
               else child_languages(path, a.child[2]) if kind == "languages" else child_floor3(path) if kind == "floor3"
               else child_floor(path))
        print(json.dumps(out))
        return
    with tempfile.TemporaryDirectory() as tmp:
        for size in [*a.sizes, *([0] if a.census else [])]:
            name = f"synthetic_{size}" if size else "census_like"
            path = (a.keep or Path(tmp)) / f"{name}.parquet"
            if path.exists():
                rows, gen = _rows(path), float("nan")
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                g = _run("gen", path, str(size))   # in its own process: peak memory is not inherited by the others
                rows, gen = g["rows"], g["seconds"]
            runs: dict[str, list[dict]] = {"floor": [], "floor3": [], "profile": [], "before": [], "spark": [], "before spark": []}
            for _ in range(max(1, a.repeat)):
                runs["floor"].append(_run("floor", path))
                runs["floor3"].append(_run("floor3", path))
                runs["profile"].append(_run("profile", path))
                if a.engine == "spark":
                    runs["spark"].append(_run("profile", path, "spark", a.master, a.driver_memory))
                if a.before:
                    runs["before"].append(_run("profile", path, src=a.before))
                    if a.engine == "spark":
                        runs["before spark"].append(_run("profile", path, "spark", a.master, a.driver_memory, src=a.before))
            floor, prof, own = _fastest(runs["floor"]), _fastest(runs["profile"]), _fastest(runs["floor3"])
            print(f"{rows:>11,} rows ({'census-like, ' if not size else ''}SYNTHETIC, {'kept from an earlier run' if math.isnan(gen) else f'generated in {gen:.0f}s'}, {path.stat().st_size / 2**20:.0f} MiB Parquet); "
                  f"fastest of {max(1, a.repeat)} interleaved runs; load average {os.getloadavg()[0]:.1f}")
            print(f"  corridor profile : {prof['seconds']:8.2f} s  peak {prof['peak_mb']:7.0f} MiB  scans {prof['scans']:3d}"
                  f"  ({prof['rows']:,} indicator rows)")
            print(f"    sections (seconds, peak so far): {_sections(prof)}")
            print(f"  single-scan floor: {floor['seconds']:8.2f} s  peak {floor['peak_mb']:7.0f} MiB  scans   1"
                  f"  ({floor['groups']:,} groups)")
            print(f"  its own {own['scans']} scans : {own['seconds']:8.2f} s  peak {own['peak_mb']:7.0f} MiB  scans {own['scans']:3d}"
                  f"  ({own['groups']:,} groups, {own['rows']:,} median rows; the profile's queries hand-written)")
            print(f"  ratio vs one scan: {prof['seconds'] / floor['seconds']:8.1f} x time, "
                  f"{prof['peak_mb'] / floor['peak_mb']:.1f} x memory, {prof['scans']} x scans")
            print(f"  ratio vs its own {own['scans']} scans: {prof['seconds'] / own['seconds']:4.1f} x time, "
                  f"{prof['peak_mb'] / own['peak_mb']:.1f} x memory")
            if a.engine == "spark":
                sp = _fastest(runs["spark"])
                print(f"  on Spark {a.master:8s}: {sp['seconds']:8.2f} s  peak {sp['peak_mb']:7.0f} MiB (Python + JVM)"
                      f"  scans {sp['scans']:3d}  ({sp['seconds'] / prof['seconds']:.1f}x DuckDB's time; session start "
                      f"{sp['session_seconds']:.1f} s apart)")
                print(f"    sections (seconds, peak so far): {_sections(sp)}")
                print(f"    calls into the JVM (py4j): {_calls(sp)}")
                print(f"    tables: {_agree(sp['table'], prof['table'])}")
            if a.before:
                old = _fastest(runs["before"])
                print(f"  before ({a.before}): {old['seconds']:8.2f} s  peak {old['peak_mb']:7.0f} MiB  scans {old['scans']:3d}"
                      f"  ({old['seconds'] / floor['seconds']:.1f} x the floor; now {old['seconds'] / prof['seconds']:.1f}x faster)")
                print(f"    sections (seconds, peak so far): {_sections(old)}")
                if a.engine == "spark":
                    osp = _fastest(runs["before spark"])
                    print(f"  before on Spark  : {osp['seconds']:8.2f} s  peak {osp['peak_mb']:7.0f} MiB (Python + JVM)"
                          f"  scans {osp['scans']:3d}  (now {osp['seconds'] / sp['seconds']:.1f}x faster)")
                    print(f"    sections (seconds, peak so far): {_sections(osp)}")
                    print(f"    calls into the JVM (py4j): {_calls(osp)}")
                    print(f"    tables: {_agree(osp['table'], sp['table'])} (before and now)")
            if a.languages:
                apart, once = _run("languages", path, "0"), _run("languages", path, "1")
                print(f"  es+fr+en, 3 runs : {apart['seconds']:8.2f} s  peak {apart['peak_mb']:7.0f} MiB  scans {apart['scans']:3d}")
                print(f"  es+fr+en, 1 run  : {once['seconds']:8.2f} s  peak {once['peak_mb']:7.0f} MiB  scans {once['scans']:3d}"
                      f"  ({apart['seconds'] / once['seconds']:.1f}x faster)")


if __name__ == "__main__":
    main()
