"""The R `survey` reference cases (tests/reference/survey: R 4.2.2, survey 4.1-1) on Spark.

The check is the suite's own (tests/estimation/test_reference_survey.py), called with the Spark
engine: every case reproduces R to 1e-8 relative, and (``agreeing``) gives the same table as DuckDB.
"""

from __future__ import annotations

import pytest
from reference.survey_cases import CASES

from spark.agree import QUIET_PANDAS3
from spark.reuse import load_test_module

pytestmark = [pytest.mark.spark, QUIET_PANDAS3]
reference = load_test_module("estimation/test_reference_survey.py")


@pytest.mark.parametrize("case", CASES)
def test_reference_case_on_spark(case: str, engine: object, agreeing: list[str]) -> None:
    reference.test_reference_case(case, engine)  # type: ignore[arg-type]
    assert agreeing, "the estimate was not compared with DuckDB"


lonely = load_test_module("estimation/test_lonely_covariance.py")


@pytest.mark.parametrize("case", ["cluster_shares_average_adl", "element_mean_adjust_adl", "element_total_average",
                                  "twostage_mean_adjust"])
def test_lonely_psu_covariance_on_spark(case: str, engine: object, agreeing: list[str]) -> None:
    lonely.test_domain_covariance_against_r(case, engine)  # type: ignore[arg-type]
    assert agreeing, "the estimate was not compared with DuckDB"
