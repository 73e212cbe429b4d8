"""The Spark engine's side of the engine contract: open, aggregate, collect, iter_batches, scans."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import narwhals as nw
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corridor.engine import get_engine
from corridor.engine.duckdb import DuckDBEngine
from corridor.engine.spark import SparkEngine
from spark.agree import QUIET_PANDAS3

pytestmark = [pytest.mark.spark, QUIET_PANDAS3]

SMALL = pa.table({"g": ["a", "b", "a", None], "api.stu": [1.5, 2.0, None, 4.0], "ok": [True, False, True, True]})


def survey_csv(path: Path) -> Path:
    """Integers with a 6e+05 far down, Yes/No and true/false answers, dates, blanks and a dotted name."""
    rows = ["id,expr,answer,flag,date,api.stu"]
    rows += [f"{i},{100 + i},{'Yes' if i % 2 else 'No'},{'true' if i % 3 else 'false'},2020-01-0{1 + i % 9},{i}"
             for i in range(3000)]
    rows.append("3000,6e+05,,,,")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_csv_is_typed_as_on_duckdb(tmp_path: Path, spark_engine: SparkEngine) -> None:
    path = survey_csv(tmp_path / "survey.csv")
    spark = spark_engine.open(path)
    schema = dict(spark.collect_schema())
    assert schema == dict(DuckDBEngine().open(path).collect_schema())
    assert schema["expr"] == nw.Float64 and schema["answer"] == nw.String and schema["flag"] == nw.String
    assert schema["date"] == nw.String and schema["api.stu"] == nw.Float64
    last = spark_engine.collect(spark.filter(nw.col("id") == 3000))
    assert last.to_pylist() == [{"id": 3000.0, "expr": 600000.0, "answer": None, "flag": None, "date": None,
                                 "api.stu": None}]


def test_gzipped_and_semicolon_csv(tmp_path: Path, spark_engine: SparkEngine) -> None:
    gz = tmp_path / "survey.csv.gz"
    with gzip.open(gz, "wt") as fh:
        fh.write("region;w\n1;2.5\n2;3.5\n")
    got = spark_engine.collect(spark_engine.open(gz))
    assert got.to_pylist() == [{"region": 1.0, "w": 2.5}, {"region": 2.0, "w": 3.5}]


@pytest.mark.parametrize("kind", ["spark", "parquet", "pandas", "polars", "arrow", "duckdb", "narwhals"])
def test_every_input_kind_opens_with_the_same_rows(kind: str, tmp_path: Path, spark_engine: SparkEngine) -> None:
    if kind == "spark":
        data = spark_engine.session.createDataFrame(SMALL)
    elif kind == "parquet":
        data = tmp_path / "small.parquet"
        pq.write_table(SMALL, data)
    elif kind == "pandas":
        data = SMALL.to_pandas()
    elif kind == "polars":
        import polars as pl

        data = pl.from_arrow(SMALL)
    elif kind == "duckdb":
        data = duckdb.connect().from_arrow(SMALL)
    elif kind == "narwhals":
        data = nw.from_native(SMALL)
    else:
        data = SMALL
    lf = spark_engine.open(data)
    assert isinstance(lf, nw.LazyFrame) and lf.implementation.is_pyspark()
    got = spark_engine.collect(lf)
    assert got.column_names == SMALL.column_names
    assert sorted(got.to_pylist(), key=repr) == sorted(SMALL.to_pylist(), key=repr)


def test_aggregate_groups_sorted_with_dotted_names_and_boolean_sums(spark_engine: SparkEngine) -> None:
    lf = spark_engine.open(SMALL)
    before = spark_engine.scans
    out = spark_engine.aggregate(
        lf, ["g"],
        [nw.len().alias("n"), nw.col("api.stu").sum().alias("s"), nw.col("api.stu").is_null().sum().alias("nulls"),
         nw.col("ok").sum().alias("oks"), (nw.col("api.stu") * 2).var(ddof=0).alias("v")],
    )
    assert spark_engine.scans == before + 1
    assert out.to_pylist() == [
        {"g": "a", "n": 2, "s": 1.5, "nulls": 1, "oks": 2, "v": 0.0},
        {"g": "b", "n": 1, "s": 2.0, "nulls": 0, "oks": 0, "v": 0.0},
        {"g": None, "n": 1, "s": 4.0, "nulls": 0, "oks": 1, "v": 0.0},
    ]
    whole = spark_engine.aggregate(lf, [], [nw.col("api.stu").sum().alias("s"), nw.len().alias("n")])
    assert whole.to_pylist() == [{"s": 7.5, "n": 4}]
    assert spark_engine.scans == before + 2


def test_iter_batches_streams_every_row_in_bounded_batches(spark_engine: SparkEngine) -> None:
    df = spark_engine.session.range(2500).selectExpr("id", "id * 0.5 AS `x.half`").repartition(3)
    lf = spark_engine.open(df)
    before = spark_engine.scans
    batches = list(spark_engine.iter_batches(lf, batch_size=1000))
    assert spark_engine.scans == before + 1
    assert all(0 < b.num_rows <= 1000 for b in batches)
    rows = pa.Table.from_batches(batches).sort_by("id")
    assert rows["id"].to_pylist() == list(range(2500))
    assert rows["x.half"].to_pylist() == [i * 0.5 for i in range(2500)]


def test_engines_by_name_share_the_session(spark_engine: SparkEngine) -> None:
    named = get_engine("spark", config={"spark.sql.shuffle.partitions": "1"})
    assert isinstance(named, SparkEngine) and named.name == "spark"
    assert named.session.sparkContext is spark_engine.session.sparkContext  # reused, not a second JVM
    given = get_engine("spark", session=spark_engine.session)
    assert given.session is spark_engine.session
