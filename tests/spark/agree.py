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
        if math.isinf(fa) or math.isinf(fb):  # e.g. df="normal"
            return fa == fb
        return abs(fa - fb) <= rtol * max(abs(fa), abs(fb), 1e-300)
    return a == b


def assert_same_table(spark: pa.Table, duck: pa.Table, what: str = "") -> None:
    """Both engines give the same columns and rows, in the same order, to 1e-8 in every number."""
    assert spark.column_names == duck.column_names, what
    assert spark.num_rows == duck.num_rows, what
    for i, (rs, rd) in enumerate(zip(spark.to_pylist(), duck.to_pylist(), strict=True)):
        for col in spark.column_names:
            a, b = rs[col], rd[col]
            if col in ("se", "cv") and _rounding(rs, rd):
                continue
            assert same_value(a, b), f"{what} row {i} column {col}: Spark {a!r} != DuckDB {b!r}"


def _rounding(rs: dict[str, Any], rd: dict[str, Any]) -> bool:
    """Both SEs are rounding noise of an estimate whose SE is 0 in exact arithmetic (e.g. a calibrated
    total): sums in another order give other noise."""
    est = rd.get("estimate")
    if not isinstance(est, float) or not isinstance(rs.get("se"), float) or not isinstance(rd.get("se"), float):
        return False
    return max(abs(rs["se"]), abs(rd["se"])) <= 1e-13 * max(abs(est), 1.0)


# PySpark 4.x warns on every Arrow transfer that it is not yet tested with pandas 3.
QUIET_PANDAS3 = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
