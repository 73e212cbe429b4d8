from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from hypothesis import settings
from pg_server import MISSING, PG_ENV, pg_bin, throwaway_server
from shared_data import SHARED, shared_file  # noqa: F401  (re-exported for test modules)

# CI runs the same hypothesis examples every time, so that a red build is reproducible and never
# depends on the draw; local runs keep exploring new examples (and replay the failures they find).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# messages in English whatever the machine's locale (tests of other languages ask for theirs)
os.environ["CORRIDOR_LANG"] = "en"
# results cached between runs go to a folder of this test run, not the user's cache
os.environ["CORRIDOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="corridor-test-cache-")


@pytest.fixture(autouse=True)
def _messages_language() -> Iterator[None]:
    """Each test starts from the environment's language: a command run with --lang sets the language of
    its context, which would otherwise carry over to the tests after it in the same process."""
    from corridor import i18n

    i18n.set_language(None)
    yield
    i18n.set_language(None)


@pytest.fixture(params=["duckdb"])
def engine(request: pytest.FixtureRequest) -> str:
    """The engine every engine-parametrised test runs on."""
    return request.param


ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh in-memory DuckDB connection."""
    c = duckdb.connect()
    yield c
    c.close()


@pytest.fixture(scope="session")
def shared() -> Path:
    """The shared real-data folder (``../shared/data`` beside the clone, or ``$CORRIDOR_SHARED/data``)."""
    return SHARED


@pytest.fixture(scope="session")
def datasets() -> Path:
    """The datasets shipped inside the package."""
    return ROOT / "src" / "corridor" / "datasets"


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """Small files written to follow public codebooks (see tests/harmonize/fixtures/README)."""
    return ROOT / "tests" / "harmonize" / "fixtures"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server for the postgres-marked tests: the configured one, or one started for the session."""
    url = os.environ.get(PG_ENV)
    if url:
        yield url
        return
    bindir = pg_bin()
    if bindir is None:
        pytest.fail(MISSING)
    with throwaway_server(bindir) as started:
        yield started
