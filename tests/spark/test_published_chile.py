"""INE/MDS published Chilean figures (ENUSC 2023, CASEN 2020, ENE 2020) reproduce on Spark.

The checks and their provenance are tests/estimation/test_published_chile.py (R 4.2.2 / survey
4.1.1 and the published tables), called with the Spark engine; ``agreeing`` also compares every
estimate with DuckDB's at 1e-8. ENUSC is read by Spark from the gzipped CSV; CASEN and ENE are
DuckDB relations that the Spark engine copies into the session.
"""

from __future__ import annotations

import pytest

from spark.agree import QUIET_PANDAS3
from spark.reuse import load_test_module

pytestmark = [pytest.mark.spark, QUIET_PANDAS3]
published = load_test_module("estimation/test_published_chile.py")


@pytest.mark.parametrize(
    "check",
    [
        published.test_enusc_2023_victimisation_by_region_with_logit_intervals,
        published.test_casen_2020_poverty_rate_national_and_by_region,
        published.test_ene_2020_unemployment_rate_as_a_ratio,
    ],
    ids=["enusc_2023", "casen_2020", "ene_2020"],
)
def test_published_figure_on_spark(check: object, engine: object, agreeing: list[str]) -> None:
    check(engine)  # type: ignore[operator]
    assert agreeing
