"""Large row reads on Spark (a quantile's rows): the executors write them as Parquet into the hand-over
folder and the driver reads the files, so no row is gathered in the driver's JVM heap (``collect``
did that: a 20M-row profile ran out of a 4 GB driver). Same rows, order and types as ``collect``, and
quantiles equal to DuckDB's, also with text strata and PSU ids and a subpopulation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import narwhals as nw
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from pyspark.sql.pandas.conversion import PandasConversionMixin

import corridor as cr
from corridor.engine import spark as spark_module
from corridor.engine.spark import SparkEngine
from corridor.errors import UnsupportedError
from corridor.i18n import Message
from spark.agree import QUIET_PANDAS3

pytestmark = [pytest.mark.spark, QUIET_PANDAS3]

DATA = Path(__file__).resolve().parents[1] / "data" / "r_survey"


@pytest.fixture
def through_to_arrow(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of rows of every result that reaches Python through Spark's single-shot Arrow collect."""
    seen: list[int] = []
    real = PandasConversionMixin.toArrow  # what a (classic) DataFrame's toArrow runs

    def spy(self: Any) -> Any:
        table = real(self)
        seen.append(table.num_rows)
        return table

    monkeypatch.setattr(PandasConversionMixin, "toArrow", spy)
    return seen


@pytest.fixture
def engine_here(spark_engine: SparkEngine, tmp_path: Path) -> SparkEngine:
    """An engine on the test session whose hand-over folder is the test's own."""
    return SparkEngine(session=spark_engine.session, handover=tmp_path / "handover")


def _frame(eng: SparkEngine) -> nw.LazyFrame[Any]:
    """Four partitions of rows in a shuffled order, with names Parquet refuses and types it stores otherwise."""
    df = eng.session.range(20_000).selectExpr(
        "id", "id * 0.5 AS `x.half`", "CAST(id % 7 AS TINYINT) AS `code 0`",
        "IF(id % 11 = 0, NULL, concat('stratum-', CAST(id % 13 AS STRING))) AS `psu,id`",
        "timestamp_seconds(id) AS ts", "CAST(id AS DECIMAL(10, 2)) AS dec",
    ).repartition(4)
    return eng.open(df)


def test_collect_rows_gives_collect_table_without_collecting_rows(engine_here: SparkEngine,
                                                                   through_to_arrow: list[int]) -> None:
    lf = _frame(engine_here)
    want = engine_here.collect(lf)
    assert through_to_arrow == [20_000]
    before = engine_here.scans
    got = engine_here.collect_rows(lf)
    assert got.equals(want)  # same rows in the same order, same names and types (int8, text, UTC timestamps)
    assert got.schema.field("code 0").type == pa.int8()
    assert engine_here.scans == before + 1
    assert through_to_arrow[1:] and not any(through_to_arrow[1:])  # only the schema (0 rows) came through
    assert list(engine_here._folder().iterdir()) == []  # the rows' files are gone once read


def test_collect_rows_keeps_partition_order_over_several_files_each(engine_here: SparkEngine,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A session that caps rows per file writes several files per partition (``c000``, ``c001``...):
    read back by partition, then by file, the rows keep ``collect``'s order."""
    lf = _frame(engine_here)
    want = engine_here.collect(lf)
    files: list[list[str]] = []
    real = spark_module._part_files

    def spy(folder: Path) -> list[Path]:
        found = real(folder)
        files.append([p.name for p in found])
        return found

    monkeypatch.setattr(spark_module, "_part_files", spy)
    conf = engine_here.session.conf
    conf.set("spark.sql.files.maxRecordsPerFile", "1500")
    try:
        got = engine_here.collect_rows(lf)
    finally:
        conf.unset("spark.sql.files.maxRecordsPerFile")
    assert got.equals(want)
    names = files[0]
    assert len(names) >= 4 * 3 and any("-c003" in n for n in names)
    assert got["id"].to_pylist() != sorted(got["id"].to_pylist())  # the order kept is collect's, not sorted


def test_collect_rows_of_no_rows_and_without_a_shared_folder(engine_here: SparkEngine,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    lf = _frame(engine_here)
    empty = engine_here.collect_rows(lf.filter(nw.col("id") < 0))
    assert empty.num_rows == 0 and empty.schema == engine_here.collect(lf.head(0)).schema

    # a cluster session without a hand-over folder: the rows stream through the driver, a partition at a time
    def refuse() -> Path:
        raise UnsupportedError(Message("engine.spark.handover_needed", master="spark://cluster:7077"))

    monkeypatch.setattr(engine_here, "_folder", refuse)
    streamed: list[int] = []
    real = SparkEngine.iter_batches

    def spy(self: SparkEngine, frame: Any, batch_size: int = 1_000_000) -> Any:
        streamed.append(1)
        return real(self, frame, batch_size)

    monkeypatch.setattr(SparkEngine, "iter_batches", spy)
    assert engine_here.collect_rows(lf).equals(engine_here.collect(lf))
    assert streamed == [1]


def _nhanes_text_design() -> pa.Table:
    """NHANES with text strata and PSU ids, a variable missing on a third of the rows, a text by column
    and one of 80 text values (more than the engine codes itself: read as text and matched)."""
    t = pacsv.read_csv(DATA / "nhanes.csv")
    strata = pa.array([f"stratum {s}" for s in t["SDMVSTRA"].to_pylist()])
    psu = pa.array([f"psu-{s}-{p}" for s, p in zip(t["SDMVSTRA"].to_pylist(), t["SDMVPSU"].to_pylist(), strict=True)])
    y = [None if (i % 3 == 0 or c is None) else w / 1000.0
         for i, (w, c) in enumerate(zip(t["WTMEC2YR"].to_pylist(), t["HI_CHOL"].to_pylist(), strict=True))]
    grp = ["a" if i % 2 else "b" for i in range(t.num_rows)]
    many = [f"value {i % 80:02d}" for i in range(t.num_rows)]
    return (t.append_column("stratum", strata).append_column("psu", psu).append_column("y", pa.array(y, pa.float64()))
            .append_column("grp", pa.array(grp)).append_column("many", pa.array(many)))


TEXT_DESIGN = cr.Design(weights="WTMEC2YR", strata="stratum", ids="psu")
JK1 = cr.ReplicateDesign(repweights="^jk1_", weights="pw", type="JK1", scale=0.9148392778511668)
CASES = [
    ("text strata and psu, subpopulation", "nhanes", TEXT_DESIGN, [cr.Quantile("y", probs=(0.25, 0.5))],
     ["grp", "race"], "RIAGENDR == 2"),
    ("text by column of 80 values", "nhanes", TEXT_DESIGN, [cr.Quantile("y", interval="beta")], ["many"], None),
    ("text strata and psu, converted to JKn", "nhanes", TEXT_DESIGN.replicates("JKn"),
     [cr.Quantile("y", interval="quantile")], ["race"], "agecat != '(0,19]'"),
    ("replicate weights: every row read", "apiclus1_jk1", JK1, [cr.Quantile("api00", probs=(0.5,))], ["stype"],
     "enroll > 300"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_quantiles_read_their_rows_from_files_and_equal_duckdb(case: tuple[Any, ...], engine_here: SparkEngine,
                                                              tmp_path: Path, through_to_arrow: list[int],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _name, data, design, ests, by, where = case
    path = tmp_path / f"{data}.parquet"
    pq.write_table(_nhanes_text_design() if data == "nhanes" else pacsv.read_csv(DATA / f"{data}.csv"), path)
    reads: list[pa.Table] = []
    real = SparkEngine.collect_rows

    def spy(self: SparkEngine, frame: Any, dictionary: Any = ()) -> pa.Table:
        table = real(self, frame, dictionary)
        reads.append(table)
        return table

    monkeypatch.setattr(SparkEngine, "collect_rows", spy)
    spark = cr.estimate(str(path), design, ests, by=by, where=where, na="drop", engine=engine_here)
    duck = cr.estimate(str(path), design, ests, by=by, where=where, na="drop", engine="duckdb")
    assert spark.table.equals(duck.table)  # the same numbers, bit for bit
    assert spark.design_df == duck.design_df and spark.n_rows == duck.n_rows
    assert len(reads) == 1 and reads[0].num_rows > 100  # the rows, read once
    assert max(through_to_arrow) < reads[0].num_rows  # only grouped scans' results came through collect
    text = [f.name for f in reads[0].schema if pa.types.is_dictionary(f.type)]
    if data == "nhanes":  # compact rows: the text PSU ids (and a by column of many values) as dictionaries;
        # the PSU ids tell their stratum, so the strata (__u0) are not read
        assert sorted(text) == (["__d0"] if by == ["many"] else []) + ["__u1"]
        assert "__u0" not in reads[0].column_names
    else:
        assert text == []
