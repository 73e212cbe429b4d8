"""Shared fixtures: PHE's test workbooks (PHEindicatormethods 2.1.0, tests/testthat, as CSV).

Source: ukhsa-collaboration/PHEindicatormethods, commit 093fd28 (2024-12-13), exported one CSV
per workbook sheet; see the shared data's SOURCES.md, section 'pheindicatormethods'.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
from shared_data import SHARED

PHE = SHARED / "pheindicatormethods"


@pytest.fixture(scope="session")
def phe() -> Callable[[str], pd.DataFrame]:
    """Read one of PHE's test CSVs by file name."""
    assert PHE.is_dir(), f"PHE reference data not found at {PHE}"

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(PHE / name)

    return read
