"""The grouped scan takes shortcuts when the engine knows its columns' statistics (Parquet, memory).

The same request must give the same numbers and the same errors whether the input is a CSV file
(no statistics: checks inside the scan), a Parquet file (statistics) or an Arrow table (memory).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import corridor as cr
from corridor import errors
from corridor.engine.columns import owned_table
from corridor.engine.duckdb import DuckDBEngine

DESIGN = cr.Design(weights="w", strata="h", ids="psu")
KINDS = ["csv", "parquet", "arrow"]


def base(**over: list) -> pa.Table:
    n = 12
    cols = {"h": [i // 6 for i in range(n)], "psu": [i // 2 for i in range(n)],
            "w": [1.0 + (i % 5) for i in range(n)], "y": [float(i * i % 7) for i in range(n)],
            "x": [1.0 + i % 3 for i in range(n)], "g": ["a", "b", "c"] * 4}
    cols.update(over)
    return pa.table(cols)


def as_input(tbl: pa.Table, kind: str, tmp_path):
    if kind == "csv":
        pacsv.write_csv(tbl, tmp_path / "d.csv")
        return str(tmp_path / "d.csv")
    if kind == "parquet":
        pq.write_table(tbl, tmp_path / "d.parquet")
        return str(tmp_path / "d.parquet")
    return tbl


@pytest.mark.parametrize("kind", KINDS)
def test_weight_errors_on_every_path(kind: str, tmp_path) -> None:
    at = "first at lines 3" if kind == "csv" else "first at rows 2"  # a CSV's header is line 1
    with pytest.raises(errors.InputError, match=rf"'w'.* has 1 missing values \({at}\)"):
        cr.estimate(as_input(base(w=[1.0, None] + [1.0] * 10), kind, tmp_path), DESIGN, cr.Mean("y"))
    with pytest.raises(errors.InputError, match=rf"negative values \(minimum -1; {at}\)"):
        cr.estimate(as_input(base(w=[1.0, -1.0] + [1.0] * 10), kind, tmp_path), DESIGN, cr.Mean("y"))


@pytest.mark.parametrize("kind", KINDS)
def test_zero_weights_are_a_subpopulation_on_every_path(kind: str, tmp_path) -> None:
    """Weights of 0 leave their rows out of the sample and keep the design: as where="w > 0" on the full rows."""
    w = [0.0, 2.0, 3.0, 0.0, 5.0, 1.0, 2.0, 0.0, 4.0, 5.0, 1.0, 2.0]
    ests = [cr.Total("y"), cr.Mean("y"), cr.Ratio("y", "x"), cr.Proportion("g"), cr.Quantile("y")]
    zero = cr.estimate(as_input(base(w=w), kind, tmp_path), DESIGN, ests, by=[[], ["g"]])
    ones = [v if v > 0 else 1.0 for v in w]  # the excluded rows' weights do not matter once they are outside
    sub = cr.estimate(base(w=ones, wpos=w), DESIGN, ests, by=[[], ["g"]], where="wpos > 0")
    assert zero.meta["zero_weight_rows"] == 3 and sub.meta["zero_weight_rows"] == 0
    for a, b in zip(zero.to_pylist(), sub.to_pylist(), strict=True):
        for k in ("estimate", "se", "df", "n", "sum_w"):
            assert a[k] == (b[k] if b[k] is None else pytest.approx(b[k], rel=1e-12)), (k, a, b)


@pytest.mark.parametrize("kind", KINDS)
def test_missing_values_on_every_path(kind: str, tmp_path) -> None:
    y = [None, None] + [float(i) for i in range(10)]
    g = ["a", None, "b", "c"] * 3
    data = as_input(base(y=y, g=g), kind, tmp_path)
    with pytest.raises(errors.MissingValueError, match=r"column 'y'.*2 missing values"):
        cr.estimate(data, DESIGN, cr.Mean("y"))
    with pytest.raises(errors.MissingValueError, match=r"column 'g'.*3 missing values"):
        cr.estimate(data, DESIGN, cr.Proportion("g"))


def test_every_path_gives_the_same_numbers(tmp_path) -> None:
    """Complete columns (the shortcut) and columns with missing values (the full plan), on every input."""
    tbl = base(y=[None] + [float(i % 4) for i in range(11)])
    ests = [cr.Total("x"), cr.Mean("x"), cr.Mean("y"), cr.Ratio("y", "x"), cr.Ratio("x", "w"), cr.Proportion("g"),
            cr.Total("g", categorical=True)]
    tables = []
    for kind in KINDS:
        res = cr.estimate(as_input(tbl, kind, tmp_path), DESIGN, ests, by=[[], ["g"]], na="drop", where="x > 1")
        tables.append(res.table)
    for other in tables[1:]:
        for col in ("estimate", "se", "df", "n", "n_cases", "sum_w"):
            np.testing.assert_allclose(np.array(tables[0][col].to_pylist(), float),
                                       np.array(other[col].to_pylist(), float), rtol=1e-12)


def test_the_profile_is_read_from_parquet_statistics(tmp_path) -> None:
    pq.write_table(base(y=[None] + [1.0] * 11), tmp_path / "d.parquet")
    eng = DuckDBEngine()
    frame = eng.open(str(tmp_path / "d.parquet"))
    prof = eng.profile(frame, ["y", "w"], ["w"])
    assert prof == {"rows": 12.0, "count:y": 11.0, "count:w": 12.0, "min:w": 1.0}
    assert eng.scans == 0
    pacsv.write_csv(base(), tmp_path / "d.csv")
    assert eng.profile(eng.open(str(tmp_path / "d.csv")), ["y"], []) is None  # a CSV needs a pass: checked in the scan


def test_memory_limit_is_set_and_bad_values_are_explained() -> None:
    eng = DuckDBEngine(memory_limit="300MB")
    limit = eng.connection.sql("SELECT current_setting('memory_limit')").fetchall()[0][0]
    assert limit.replace(" ", "") in ("286.1MiB", "300.0MB", "300MB")
    with pytest.raises(errors.InputError, match="memory limit 'lots' is not understood"):
        DuckDBEngine(memory_limit="lots")
    con = duckdb.connect()
    before = con.sql("SELECT current_setting('memory_limit')").fetchall()[0][0]
    DuckDBEngine(connection=con, memory_limit="300MB")
    assert con.sql("SELECT current_setting('memory_limit')").fetchall()[0][0] == before  # a given connection is kept


def _limit(con: duckdb.DuckDBPyConnection) -> str:
    return str(con.sql("SELECT current_setting('memory_limit')").fetchall()[0][0]).replace(" ", "")


def test_readers_default_connection_has_the_engines_memory_limit() -> None:
    """Sources, harmonization and indicators read on one shared connection, set up as the engine's
    (512MB), not on a bare DuckDB connection (DuckDB's default is 80% of the machine)."""
    from corridor.engine.duckdb import connect, shared_connection
    from corridor.indicators.aggregates import load_aggregates
    from corridor.sources import default_connection

    bare = _limit(duckdb.connect())
    assert _limit(default_connection()) in ("488.2MiB", "512.0MB", "512MB") != bare
    assert default_connection() is shared_connection()
    assert _limit(connect("300MB")) in ("286.1MiB", "300.0MB", "300MB")
    # the official aggregates are read there (their views are on the shared connection)
    load_aggregates("COL", "CHL")
    views = {r[0] for r in shared_connection().sql("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert any(v.startswith("corridor_") for v in views), views


def test_the_profile_reads_its_survey_on_the_engines_connection() -> None:
    """build_profile's survey scans run under the memory limit of the engine it is given."""
    from corridor.report.profile import build_profile

    eng = DuckDBEngine(memory_limit="300MB")
    before = {r[0] for r in eng.connection.sql("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    profile = build_profile(engine=eng)
    after = {r[0] for r in eng.connection.sql("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert not before and after, "the survey was not read on the engine's connection"
    assert eng.scans == profile.scans > 0


def test_owned_table_keeps_types_nulls_and_text() -> None:
    src = pa.table({"k": pa.array([1, 2, 3, 4], pa.int32()), "s": ["a", None, "c", "d"],
                    "v": pa.array([1.5, None, float("nan"), 4.0]), "z": pa.array([1.0, 2.0, float("nan"), 4.0])})
    out = owned_table(src.to_batches(max_chunksize=3), src.schema)
    assert out.schema == src.schema
    assert out.to_pydict()["s"] == ["a", None, "c", "d"]
    assert out["v"].null_count == 1 and out["z"].null_count == 0  # NaN stays a number, not a null
    assert out.to_pydict()["k"] == [1, 2, 3, 4]
    empty = owned_table([], src.schema)
    assert empty.num_rows == 0 and empty.schema == src.schema


def test_the_memory_example_in_the_engines_guide_runs() -> None:
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "engines.md").read_text(encoding="utf-8")
    section = doc.split("## DuckDB's memory", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    scope: dict = {}
    exec(compile(block, "docs/engines.md", "exec"), scope)  # noqa: S102 - the project's own documentation
    assert scope["res"].table.num_rows == 16 * 3


def test_the_large_scan_steps_give_the_same_numbers(monkeypatch) -> None:
    """Scans into many groups hand DuckDB's pages and freed heap back and sum deviations in chunks:
    forced on a small design (domains crossing PSUs, a lonely-PSU rule), the numbers stay the same."""
    import importlib

    from corridor.engine import duckdb as duck
    from corridor.estimation import taylor

    est_mod = importlib.import_module("corridor.estimation.estimate")
    rng = np.random.default_rng(3)
    n = 3000
    psu = rng.integers(0, 61, n)
    tbl = pa.table({"psu": psu, "h": np.where(psu == 60, 20, psu % 20), "w": rng.uniform(1, 9, n), "y": rng.normal(50, 10, n),
                    "d": rng.integers(0, 25, n)})
    design = cr.Design(weights="w", strata="h", ids="psu", lonely_psu="adjust")
    ests = [cr.Total("y"), cr.Mean("y")]
    plain = cr.estimate(tbl, design, ests, by=[[], ["d"]]).table
    monkeypatch.setattr(est_mod, "_LARGE_SCAN", 1)
    monkeypatch.setattr(duck, "_TRIM_ROWS", 1)
    monkeypatch.setattr(taylor, "_CHUNK", 7)
    eng = DuckDBEngine()
    limit = eng.connection.sql("SELECT current_setting('memory_limit')").fetchall()[0][0]
    forced = cr.estimate(tbl, design, ests, by=[[], ["d"]], engine=eng).table
    assert eng.connection.sql("SELECT current_setting('memory_limit')").fetchall()[0][0] == limit  # restored
    for col in ("estimate", "se", "df"):
        np.testing.assert_allclose(forced[col].to_numpy(), plain[col].to_numpy(), rtol=1e-12)
