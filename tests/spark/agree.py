"""Comparing the tables two engines give for the same request."""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa
import pytest

RTOL = 1e-8


def same_value(a: Any, b: Any, rtol: float = RTOL) -> bool:
    """Equal values; numbers to ``rtol`` relative (NaN equals NaN)."""
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        fa, fb = float(a), float(b)
        if math.isnan(fa) or math.isnan(fb):
            return math.isnan(fa) and math.isnan(fb)
        return abs(fa - fb) <= rtol * max(abs(fa), abs(fb), 1e-300)
    return a == b


def assert_same_table(spark: pa.Table, duck: pa.Table, what: str = "") -> None:
    """Both engines give the same columns and rows, in the same order, to 1e-8 in every number."""
    assert spark.column_names == duck.column_names, what
    assert spark.num_rows == duck.num_rows, what
    for i, (rs, rd) in enumerate(zip(spark.to_pylist(), duck.to_pylist(), strict=True)):
        for col in spark.column_names:
            assert same_value(rs[col], rd[col]), f"{what} row {i} column {col}: Spark {rs[col]!r} != DuckDB {rd[col]!r}"


# PySpark 4.x warns on every Arrow transfer that it is not yet tested with pandas 3.
QUIET_PANDAS3 = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
