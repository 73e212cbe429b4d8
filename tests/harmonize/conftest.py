from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


@pytest.fixture(scope="session")
def shared() -> Path:
    """The shared data folder next to the repository (CI has ../shared beside the clone)."""
    return ROOT / ".." / "shared" / "data"


@pytest.fixture(scope="session")
def datasets() -> Path:
    return ROOT / "src" / "corridor" / "datasets"


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return ROOT / "tests" / "harmonize" / "fixtures"
