from __future__ import annotations

from pathlib import Path

import pytest

from corridor.indicators import load_survey

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def synthetic():
    """The shipped SYNTHETIC survey sample (50,000 persons), harmonized by its spec."""
    return load_survey()
