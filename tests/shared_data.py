"""Where the tests find the shared real-data folder (``../shared/data`` beside the repository)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CORRIDOR_SHARED", ROOT.parent / "shared")) / "data"


def shared_file(*parts: str) -> Path:
    """A file of the shared real-data folder; a clear failure (not a skip) when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"test data {path} not found: set CORRIDOR_SHARED to the folder holding data/")
    return path
