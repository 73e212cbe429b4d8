"""One local Spark session for the whole test session, and the engine fixture that selects it.

Tests here reuse the engine-parametrised tests of other areas by calling them with the ``engine``
fixture below; the ``agreeing`` fixture also runs every Spark estimate on DuckDB and checks that
the two engines give the same table.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import corridor as cr
from corridor.engine.spark import SparkEngine
from spark.agree import RTOL, assert_same_table

# A small test session: one shuffle partition (the test data are kilobytes to a few MB), no
# adaptive re-planning or whole-stage code generation (they cost more than they save here).
TEST_CONFIG = {
    "spark.sql.shuffle.partitions": "1",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.codegen.wholeStage": "false",
    "spark.driver.memory": "1g",
}


@pytest.fixture(scope="session")
def spark_engine() -> SparkEngine:
    """The Spark engine of the test session (local[2]); its session starts once."""
    eng = SparkEngine(master="local[2]", config=TEST_CONFIG)
    eng.session  # noqa: B018 - start the JVM here, once
    return eng


@pytest.fixture
def engine(spark_engine: SparkEngine) -> SparkEngine:
    """Overrides the suite-wide ``engine`` fixture: reused tests run on Spark."""
    return spark_engine


@pytest.fixture
def agreeing(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Make every ``corridor.estimate`` on Spark also run on DuckDB and compare the two results.

    Yields the list of estimates compared, so a test can assert that comparisons happened.
    """
    real = cr.estimate
    compared: list[str] = []

    def both(data: Any, design: Any, estimands: Any, **kwargs: Any) -> cr.Estimates:
        res = real(data, design, estimands, **kwargs)
        if isinstance(kwargs.get("engine"), SparkEngine):
            duck = real(data, design, estimands, **{**kwargs, "engine": "duckdb"})
            assert res.design_df == pytest.approx(duck.design_df, rel=RTOL, nan_ok=True)
            assert res.n_rows == duck.n_rows
            assert_same_table(res.table, duck.table, what=f"{estimands!r} by {kwargs.get('by')!r}")
            compared.append(repr(estimands))
        return res

    monkeypatch.setattr(cr, "estimate", both)
    yield compared
