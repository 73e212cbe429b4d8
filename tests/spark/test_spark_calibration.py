"""R `survey` calibration cases (tests/reference/calibration) on Spark: calibrated on Spark,
estimated on Spark, each estimate also compared with DuckDB's (``agreeing``).

One case per path through the code (all 18 pass on Spark too, but take five minutes): regression
calibration with domains and a ratio (CAL04), raking by IPF (CAL09), a converted JK1 design
recalibrated replicate by replicate with bounds, trimming and a replicate that does not converge
(CAL11), element sampling with a variance column (CAL13), weights implied by a two-stage fpc (CAL15).
"""

from __future__ import annotations

import pytest

from spark.agree import QUIET_PANDAS3
from spark.reuse import load_test_module

pytestmark = [pytest.mark.spark, QUIET_PANDAS3]
reference = load_test_module("calibration/test_calibration_reference.py")


@pytest.mark.parametrize("case", ["CAL04", "CAL09", "CAL11", "CAL13", "CAL15"])
def test_calibration_case_on_spark(case: str, engine: object, agreeing: list[str]) -> None:
    reference.run_case(case, engine)
    assert agreeing, "no estimate was compared with DuckDB"
