from __future__ import annotations

import pytest

from shared_data import SHARED, shared_file  # noqa: F401  (re-exported for test modules)


@pytest.fixture(params=["duckdb"])
def engine(request: pytest.FixtureRequest) -> str:
    """The engine every engine-parametrised test runs on."""
    return request.param
