"""The Spark engine's aggregates as SQL text (corridor.engine.sparksql) build Narwhals' plan.

Every grouped scan the R reference cases and the profile's indicators make on Spark is built both
ways, as SQL text and through Narwhals' columns: Spark's optimized plans must be the same (so every
number is), and the SQL text must cover them all (else the scan falls back to the slow build).
"""

from __future__ import annotations

from typing import Any

import narwhals as nw
import pyarrow as pa
import pytest
from reference.survey_cases import CASES, load, run

import corridor as cr
from corridor import datasets
from corridor.engine import sparksql
from corridor.engine.spark import SparkEngine, _sum_booleans_as_integers
from spark.agree import QUIET_PANDAS3

pytestmark = [pytest.mark.spark, QUIET_PANDAS3]

W = nw.col("w").cast(nw.Float64)


def test_the_estimators_operations_read_as_spark_sql() -> None:
    one_hot = nw.when(nw.col("a") == "x").then(nw.lit(1.0)).otherwise(nw.when(~nw.col("a").is_null()).then(0.0))
    texts, columns = sparksql.aggregate_sql([
        nw.len().alias("__rows"),
        (W * one_hot).sum().alias("__s1"),
        (W * nw.col("api.stu")).fill_null(0.0).var(ddof=0).alias("__p0"),
        nw.when(nw.col("w").cast(nw.Float64) == 0).then(nw.lit(1)).count().alias("__w_zero"),
        nw.col("a").is_in(["x", "y", None]).cast(nw.Int64).sum().alias("n`in"),
        (nw.col("w") * 1e-05 + -3).min().alias("m"),
    ]) or ([], set())
    assert texts == [
        "count(1) AS `__rows`",
        ("coalesce(sum((CAST(`w` AS DOUBLE) * CASE WHEN (`a` = 'x') THEN 1.0D ELSE CASE WHEN (NOT isnull(`a`)) "
         "THEN 0.0D END END)), 0) AS `__s1`"),
        "var_pop(ifnull((CAST(`w` AS DOUBLE) * `api.stu`), 0.0D)) AS `__p0`",
        "count(CASE WHEN (CAST(`w` AS DOUBLE) = 0) THEN 1 END) AS `__w_zero`",
        "coalesce(sum(CAST(CASE WHEN isnull(`a`) THEN NULL ELSE (`a` IN ('x', 'y')) END AS BIGINT)), 0) AS `n``in`",
        "min(((`w` * 1E-05D) + -3)) AS `m`",
    ]
    assert columns == {"w", "a", "api.stu"}


@pytest.mark.parametrize("expr", [
    (nw.col("w") / nw.col("x")).sum().alias("ratio"),              # a division: Narwhals' own null/inf rules
    nw.col("a").is_in(["it's"]).sum().alias("quote"),              # a quote reads differently per setting
    nw.col("w").sum(),                                            # no name
    nw.col("w").cum_sum().sum().alias("window"),
])
def test_what_is_not_written_as_sql_is_left_to_narwhals(expr: nw.Expr) -> None:
    assert sparksql.aggregate_sql([nw.len().alias("n"), expr]) is None


class Recorder:
    """The aggregate calls of a Spark engine: the frame, keys and aggregates of each."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[Any, list[str], list[nw.Expr]]] = []
        real = SparkEngine.aggregate

        def aggregate(engine: SparkEngine, frame: Any, keys: Any, aggs: Any) -> pa.Table:
            self.calls.append((frame, list(keys), list(aggs)))
            return real(engine, frame, keys, aggs)

        monkeypatch.setattr(SparkEngine, "aggregate", aggregate)


def same_plans(frame: Any, keys: list[str], aggs: list[nw.Expr]) -> None:
    schema = frame.collect_schema()
    aggs = [_sum_booleans_as_integers(a, schema) for a in aggs]
    sql = sparksql.aggregate_sql(aggs)
    assert sql is not None, f"not written as SQL: {aggs}"
    by_sql = SparkEngine._sql_aggregate(frame, keys, sql[0]).to_native()
    by_narwhals = (frame.group_by(*keys).agg(*aggs) if keys else frame.select(*aggs)).to_native()
    assert by_sql.columns == by_narwhals.columns
    a, b = by_sql._jdf.queryExecution().optimizedPlan(), by_narwhals._jdf.queryExecution().optimizedPlan()
    assert a.sameResult(b), f"{sql[0]}\n{a.toString()}\n{b.toString()}"


def test_every_reference_case_scan_is_narwhals_plan(spark_engine: SparkEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    rec = Recorder(monkeypatch)
    for case in CASES:
        run(load(case)[0], spark_engine)  # type: ignore[arg-type]
    assert len(rec.calls) >= len(CASES)
    for frame, keys, aggs in rec.calls:
        same_plans(frame, keys, aggs)


def test_the_profile_scans_are_narwhals_plan(spark_engine: SparkEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The indicators' one-hot categories, covariances and design effects (the widest scan there is)."""
    from corridor.report import build_profile

    rec = Recorder(monkeypatch)
    build_profile("COL", "CHL", data=datasets.resolve("demo:synthetic_corridor_sample"), engine=spark_engine)
    assert max(len(aggs) for _, _, aggs in rec.calls) > 50
    for frame, keys, aggs in rec.calls:
        same_plans(frame, keys, aggs)


def test_a_subpopulation_and_a_ratio_too(spark_engine: SparkEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    rec = Recorder(monkeypatch)
    data = datasets.resolve("demo:casen_2020")
    design = cr.Design(weights="expr", strata="estrato", ids="cod_upm", lonely_psu="certainty")
    cr.estimate(data, design, [cr.Proportion("pobreza"), cr.Mean("ing_aut_hog"), cr.Ratio("ing_aut_hog", "edad")],
                by="region", where="edad >= 18", na="drop", engine=spark_engine)
    for frame, keys, aggs in rec.calls:
        same_plans(frame, keys, aggs)
