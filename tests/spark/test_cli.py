"""``corridor estimate --engine spark --spark-master ...`` gives the same table as the default engine."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from corridor.cli.estimate import command
from corridor.engine.spark import SparkEngine
from corridor.errors import ColumnNotFoundError
from spark.agree import QUIET_PANDAS3, assert_same_table

pytestmark = [pytest.mark.spark, QUIET_PANDAS3]

APICLUS1 = Path(__file__).resolve().parents[1] / "data" / "r_survey" / "apiclus1.csv"


def test_cli_on_spark_matches_duckdb(spark_engine: SparkEngine, tmp_path: Path) -> None:
    args = [str(APICLUS1), "--weights", "pw", "--ids", "dnum", "--fpc", "fpc", "-e", "mean:api00",
            "-e", "proportion:awards", "--by", "stype", "--where", "enroll > 100"]
    outs = {}
    for engine in ("duckdb", "spark"):
        extra = ["--engine", engine] + (["--spark-master", "local[2]"] if engine == "spark" else [])
        out = tmp_path / f"{engine}.parquet"
        res = CliRunner().invoke(command, [*args, *extra, "-o", str(out)])
        assert res.exit_code == 0, res.output
        outs[engine] = pq.read_table(out)
    assert outs["spark"].num_rows == 3 * 3  # 3 school types x (mean, proportion Yes, proportion No)
    assert_same_table(outs["spark"], outs["duckdb"], what="corridor estimate")


def test_cli_user_mistake_on_spark_names_the_column(spark_engine: SparkEngine) -> None:
    res = CliRunner().invoke(command, [str(APICLUS1), "--weights", "pw", "-e", "mean:api0", "--engine", "spark"])
    assert isinstance(res.exception, ColumnNotFoundError)
    assert "'api0' not found" in str(res.exception) and "did you mean 'api00'" in str(res.exception)
