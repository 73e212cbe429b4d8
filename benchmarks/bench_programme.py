"""Benchmark: importing training records and computing progress (programme layer).

Builds a SYNTHETIC file of N participant rows (default 20,000 in 1,000 sessions) in a temporary
folder, then measures in the same run:

* corridor: ``import_trainings`` (every check + row ledger + ORM insert, one transaction) and
  ``refresh_observations`` + ``programme_progress`` on the demo framework;
* baseline: ``pandas.read_csv`` + ``DataFrame.to_sql`` of the same file into SQLite (no checks).

Prints wall time and peak Python memory (tracemalloc) of each, and the ratios.
Run: ``PYTHONPATH=src python benchmarks/bench_programme.py [N]``.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from corridor.programme import db
from corridor.programme.activities import import_trainings
from corridor.programme.load import load_programme
from corridor.programme.progress import programme_progress
from corridor.programme.refresh import refresh_observations

DEMO = Path(__file__).resolve().parents[1] / "src" / "corridor" / "datasets" / "programme_demo"
HEADER = ["session_id", "date", "region", "facility", "topic", "trainers", "line_of_work", "participant_id",
          "profession", "sex", "pre_score", "post_score"]


def make_file(path: Path, n: int, per_session: int = 20) -> None:
    rng = random.Random(1)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        fh.write("# SYNTHETIC benchmark records\n")
        w.writerow(HEADER)
        for i in range(n):
            s = i // per_session
            day = dt.date(2016, 1, 1) + dt.timedelta(days=s % 365)
            pre = rng.randint(20, 90)
            w.writerow([f"S{s:05d}", day.isoformat(), ["CL-AN", "CL-TA", "CL-RM"][s % 3], f"Facility {s} (synthetic)", "Culture and health",
                        "Team (synthetic)", "LW3", f"P{i:06d}",
                        rng.choice(["physician", "nurse", "midwife", "nursing_technician"]), rng.choice("FM"),
                        pre, min(100, pre + rng.randint(-5, 25))])


def measure(make_fn):
    """Wall time of one call without tracing, then peak traced memory of a second call on fresh state."""
    fn = make_fn()
    t0 = time.perf_counter()
    out = fn()
    secs = time.perf_counter() - t0
    fn = make_fn()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, secs, peak / 2**20


def main(n: int) -> None:
    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "trainings_SYNTHETIC.csv"
        make_file(data, n)
        counter = iter(range(1000))

        def fresh_db():
            engine = db.make_engine(f"sqlite:///{tmp / f'p{next(counter)}.sqlite'}")
            db.upgrade(engine)
            with db.session_scope(engine) as s:
                load_programme(s, DEMO / "programme.yaml")
            return engine

        def the_programme(s):
            from sqlalchemy import select

            from corridor.programme.models import Programme

            return s.scalars(select(Programme)).one()

        def corridor_import():
            engine = fresh_db()

            def run():
                with db.session_scope(engine) as s:
                    return import_trainings(s, the_programme(s), data, today=dt.date(2026, 1, 1))[1]
            return run

        ledger, t_c, m_c = measure(corridor_import)
        assert ledger.rows_imported == n
        engine = fresh_db()
        with db.session_scope(engine) as s:
            import_trainings(s, the_programme(s), data, today=dt.date(2026, 1, 1))

        def corridor_progress():
            def run():
                with db.session_scope(engine) as s:
                    p = the_programme(s)
                    refresh_observations(s, p)
                    return programme_progress(p)
            return run

        _, t_p, m_p = measure(corridor_progress)

        def baseline():
            target = tmp / f"base{next(counter)}.sqlite"

            def run():
                df = pd.read_csv(data, comment="#")
                with sqlite3.connect(target) as con:
                    df.to_sql("trainings", con, index=False)
                return len(df)
            return run

        rows, t_b, m_b = measure(baseline)
        assert rows == n
        print(f"rows: {n} participant rows in {ledger.sessions} sessions (SYNTHETIC)")
        print(f"corridor import_trainings (checked, ledger, insert): {t_c:8.3f} s  peak {m_c:8.1f} MiB")
        print(f"baseline pandas read_csv + to_sql (no checks):       {t_b:8.3f} s  peak {m_b:8.1f} MiB")
        print(f"ratio corridor / baseline:                           {t_c / t_b:8.2f} x  memory {m_c / m_b:6.2f} x")
        print(f"corridor refresh + progress on {n} rows:           {t_p:8.3f} s  peak {m_p:8.1f} MiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
