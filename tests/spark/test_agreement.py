"""The same estimate() on DuckDB and on Spark gives the same table (1e-8 relative).

A generated two-stage sample (6 strata, 5 PSUs each, 600 rows) with two domain variables, a
subpopulation, missing values, a text and a boolean categorical variable, a ratio, quantiles,
covariances for contrasts, a Taylor design converted to JKn replicates and user-supplied JKn
replicate weights. DuckDB reads the Arrow table, Spark a Spark DataFrame made from it, so
this also covers a Spark DataFrame as input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

import corridor as cr
from corridor.engine.spark import SparkEngine
from spark.agree import QUIET_PANDAS3, assert_same_table

pytestmark = [pytest.mark.spark, QUIET_PANDAS3]

STRATA, PSUS, ROWS = 6, 5, 20  # PSUs per stratum, rows per PSU
DESIGN = cr.Design(weights="w", strata="h", ids="psu", fpc="fpc")


def sample() -> pa.Table:
    """Random data in the shape of a two-stage household survey (not real data)."""
    rng = np.random.default_rng(20261128)
    n = STRATA * PSUS * ROWS
    h = np.repeat(np.arange(STRATA), PSUS * ROWS)
    psu = np.repeat(np.arange(STRATA * PSUS), ROWS)
    w = rng.uniform(5, 50, n).round(3)
    y = rng.gamma(2.0, 300.0, n) + 40 * h
    y[rng.random(n) < 0.05] = np.nan
    status = rng.choice(np.array(["employed", "unemployed", "inactive"]), n, p=[0.6, 0.1, 0.3]).astype(object)
    status[rng.random(n) < 0.04] = None
    cols: dict[str, Any] = {
        "h": h, "psu": psu, "w": w, "fpc": np.full(n, 40.0),
        "region": rng.choice(np.array(["north", "centre", "south"]), n),
        "sex": rng.integers(1, 3, n), "age": rng.integers(0, 90, n),
        "y": pa.array(y, from_pandas=True), "x": rng.uniform(1, 10, n),
        "status": pa.array(status, pa.string()), "employed": rng.random(n) < 0.55,
    }
    # JKn replicate weights: drop one PSU, reweight the rest of its stratum by n_h / (n_h - 1).
    for r in range(STRATA * PSUS):
        stratum = r // PSUS
        factor = np.where(h == stratum, np.where(psu == r, 0.0, PSUS / (PSUS - 1)), 1.0)
        cols[f"rep_{r:02d}"] = w * factor
    return pa.table(cols)


@pytest.fixture(scope="module")
def data(spark_engine: SparkEngine) -> tuple[pa.Table, Any]:
    table = sample()
    return table, spark_engine.session.createDataFrame(table)


def both(
    data: tuple[pa.Table, Any], spark_engine: SparkEngine, design: Any, ests: Any, **kw: Any
) -> tuple[cr.Estimates, cr.Estimates]:
    """The estimate on DuckDB (Arrow input) and on Spark (Spark DataFrame input), checked equal."""
    duck = cr.estimate(data[0], design, ests, engine="duckdb", **kw)
    spark = cr.estimate(data[1], design, ests, engine=spark_engine, **kw)
    assert_same_table(spark.table, duck.table, what=repr(ests))
    assert spark.design_df == duck.design_df
    assert spark.engine == "spark" and duck.engine == "duckdb"
    return spark, duck


def test_linear_estimands_by_domains_in_a_subpopulation_with_contrasts(data: Any, spark_engine: SparkEngine) -> None:
    ests = [cr.Total("y"), cr.Mean("y"), cr.Proportion("status"), cr.Proportion("employed"), cr.Ratio("y", "x")]
    spark, duck = both(data, spark_engine, DESIGN, ests, by=["region", "sex"], where="age >= 15 and region != 'x'",
                       na="drop", deff=True, covariance=True)
    assert spark.table.num_rows == 6 * (2 + 3 + 2 + 1)
    assert np.allclose(spark.vcov, duck.vcov, rtol=1e-8, atol=1e-12 * np.abs(duck.vcov).max())
    gap_s, gap_d = spark.compare("sex", 1, 2), duck.compare("sex", 1, 2)
    assert_same_table(gap_s.table, gap_d.table, what="contrast sex 1 - 2")


def test_quantiles_by_domain_in_a_subpopulation(data: Any, spark_engine: SparkEngine) -> None:
    q = cr.Quantile("y", probs=(0.25, 0.5, 0.9), qrule="hf7", interval="beta")
    spark, _ = both(data, spark_engine, DESIGN, q, by="region", where="employed", na="drop")
    assert spark.table.num_rows == 9 and all(v is not None for v in spark.table["se"].to_pylist())


def test_user_replicate_weights(data: Any, spark_engine: SparkEngine) -> None:
    rscales = tuple([(PSUS - 1) / PSUS] * (STRATA * PSUS))
    rep = cr.ReplicateDesign(repweights="^rep_", weights="w", type="JKn", rscales=rscales)
    ests = [cr.Mean("y"), cr.Proportion("status", level="employed"), cr.Quantile("x", probs=(0.5,))]
    spark, _ = both(data, spark_engine, rep, ests, by="sex", where="age >= 15", na="drop")
    # rank of the replicate weights minus one (R's degf): PSUs minus strata for JKn
    assert spark.design_df == STRATA * PSUS - STRATA


def test_taylor_design_converted_to_replicates(data: Any, spark_engine: SparkEngine) -> None:
    jkn = cr.Design(weights="w", strata="h", ids="psu", fpc="fpc").replicates("JKn")
    both(data, spark_engine, jkn, [cr.Total("x"), cr.Mean("y"), cr.Proportion("status")], by="region",
         where="age >= 15", na="drop", covariance=True)


def test_seeded_bootstrap_does_not_depend_on_partitioning(data: Any, spark_engine: SparkEngine) -> None:
    """Bootstrap replicates draw PSUs in the order of the scan's groups, which Spark sorts."""
    boot = cr.Design(weights="w", strata="h", ids="psu").replicates("bootstrap", replicates=20, seed=7)
    ests = [cr.Total("x"), cr.Mean("y")]
    one = cr.estimate(data[1], boot, ests, by="region", na="drop", engine=spark_engine)
    shuffled = data[1].repartition(3, "y")
    other = cr.estimate(shuffled, boot, ests, by="region", na="drop", engine=spark_engine)
    assert_same_table(other.table, one.table, what="bootstrap on 3 partitions")
    assert all(se > 0 for se in one.table["se"].to_pylist())


def test_dotted_column_names_as_domains_and_categories(spark_engine: SparkEngine) -> None:
    """R's api data name columns sch.wide, yr.rnd; Spark reads a dot as a struct field unless quoted."""
    path = Path(__file__).resolve().parents[1] / "data" / "r_survey" / "apiclus1.csv"
    design = cr.Design(weights="pw", ids="dnum", fpc="fpc")
    spark = cr.estimate(path, design, [cr.Proportion("sch.wide"), cr.Ratio("api.stu", "enroll")], by="yr.rnd",
                        engine=spark_engine)
    plain = pa_csv.read_csv(path)
    plain = plain.rename_columns([c.replace(".", "_") for c in plain.column_names])
    duck = cr.estimate(plain, design, [cr.Proportion("sch_wide"), cr.Ratio("api_stu", "enroll")], by="yr_rnd",
                       engine="duckdb")
    renamed = duck.table.rename_columns(["yr.rnd", *duck.table.column_names[1:]])
    renamed = renamed.set_column(2, "variable", pa.array([v.replace("_", ".") for v in renamed["variable"].to_pylist()]))
    assert_same_table(spark.table, renamed, what="dotted names")
