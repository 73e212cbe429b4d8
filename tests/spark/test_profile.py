"""``corridor profile --engine spark``: the whole profile on Spark, with the table DuckDB gives.

The survey sources are harmonized by DuckDB and handed to Spark as Parquet files (no row goes
through the driver); every estimate, count and quantile of the profile then runs on Spark.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from corridor.cli.profile import command
from corridor.engine.spark import SparkEngine
from corridor.errors import UnsupportedError
from corridor.indicators.survey import DEFAULT_SPEC, load_survey
from corridor.report import build_profile
from corridor.report.write import indicator_table
from spark.agree import QUIET_PANDAS3

pytestmark = [pytest.mark.spark, QUIET_PANDAS3]

RTOL = 1e-9
NUMBERS = ("estimate", "se", "ci_low", "ci_high", "cv", "df", "deff")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return abs(a - b) <= RTOL * max(abs(a), abs(b), 1e-300)
    return bool(a == b)


def test_profile_on_spark_equals_duckdb(spark_engine: SparkEngine, tmp_path: Path) -> None:
    """The shipped sources' profile (ENUSC 2019 and 2020, the SYNTHETIC sample): every row, estimate,
    standard error, interval, quality label and suppression as on DuckDB."""
    duck = indicator_table(build_profile("COL", "CHL"), "en")
    out = tmp_path / "spark"
    res = CliRunner().invoke(command, ["--origin", "COL", "--destination", "CHL", "--engine", "spark",
                                       "--spark-master", "local[2]", "--spark-handover", str(tmp_path / "handover"),
                                       "--no-pdf", "--quiet", "--out", str(out)])
    assert res.exit_code == 0, res.output
    spark = pq.read_table(out / "indicators.parquet")
    assert spark.column_names == duck.column_names
    assert spark.num_rows == duck.num_rows > 2000
    survey = [r for r in duck.to_pylist() if r["source_kind"] == "survey" and r["se"] is not None]
    assert len(survey) > 1000  # the comparison covers the design-based estimates, not only aggregates
    assert sum(r["suppressed"] for r in duck.to_pylist()) > 0
    for i, (rs, rd) in enumerate(zip(spark.to_pylist(), duck.to_pylist(), strict=True)):
        for col in spark.column_names:
            a, b = rs[col], rd[col]
            if col == "se" and isinstance(a, float) and isinstance(b, float) and max(abs(a), abs(b)) <= 1e-13:
                continue  # both zero in exact arithmetic: sums in another order give other rounding noise
            assert (a is None and b is None) or (col not in NUMBERS and a == b) or _same(a, b), (
                f"row {i} ({rd['indicator']}, {rd['population']}, {rd['disaggregation_value']}) column {col}: "
                f"Spark {a!r} != DuckDB {b!r}")
    assert "profile.html" in res.output


def test_harmonized_survey_reaches_spark_as_parquet(spark_engine: SparkEngine, tmp_path: Path) -> None:
    """A harmonized survey (a DuckDB relation) is written by DuckDB into the hand-over folder and read
    by Spark from there: same rows and values, and no copy through the driver."""
    src = load_survey(DEFAULT_SPEC)
    eng = SparkEngine(session=spark_engine.session, handover=tmp_path)
    frame = eng.open(src.relation)
    files = frame.to_native().inputFiles()
    assert files and all(Path(f.removeprefix("file:")).parent.parent == tmp_path for f in files)
    assert pq.read_metadata(Path(files[0].removeprefix("file:"))).num_rows == 50_000
    cols = ["weight", "strata", "psu", "sex", "age", "migrant_status"]
    got = frame.select(*cols).collect("pyarrow").to_arrow().sort_by([("psu", "ascending"), ("weight", "ascending")])
    want = src.relation.select(*cols).to_arrow_table().sort_by([("psu", "ascending"), ("weight", "ascending")])
    assert got.equals(want.cast(got.schema))
    assert eng.open(src.relation).to_native() is frame.to_native()  # a relation given again is not written again
    assert len(list(tmp_path.glob("*/*.parquet"))) == 1


def test_types_spark_lacks_are_cast(spark_engine: SparkEngine, tmp_path: Path) -> None:
    con = duckdb.connect()
    rel = con.sql("SELECT 200::UTINYINT AS u8, 18446744073709551615::UBIGINT AS u64, 2::HUGEINT AS big, "
                  "'a'::ENUM('a', 'b') AS e, 'x' AS s")
    frame = SparkEngine(session=spark_engine.session, handover=tmp_path).open(rel)
    row = frame.collect("pyarrow").to_arrow()
    assert row.schema == pa.schema([("u8", pa.int64()), ("u64", pa.float64()), ("big", pa.float64()),
                                    ("e", pa.string()), ("s", pa.string())])
    assert row.to_pylist() == [{"u8": 200, "u64": 18446744073709551615.0, "big": 2.0, "e": "a", "s": "x"}]


class _ClusterSession:
    """What the engine asks of a session before handing data over: its master."""

    class conf:  # mirrors SparkSession.conf
        @staticmethod
        def get(key: str, default: str = "") -> str:
            return "spark://spark-master:7077" if key == "spark.master" else default


def test_a_cluster_needs_a_shared_handover_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a cluster the executors cannot read the driver's temporary folder: the engine says so
    instead of failing inside a Spark job with 'file not found'."""
    monkeypatch.delenv("CORRIDOR_SPARK_HANDOVER", raising=False)
    eng = SparkEngine(session=_ClusterSession())  # type: ignore[arg-type]
    rel = duckdb.connect().sql("SELECT 1 AS x")
    with pytest.raises(UnsupportedError, match="spark://spark-master:7077") as err:
        eng.open(rel)
    assert "--spark-handover" in str(err.value.hint)
