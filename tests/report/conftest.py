from __future__ import annotations

from pathlib import Path

import pytest

from corridor.report import build_profile, write_profile


@pytest.fixture(scope="session")
def profile():
    """The default profile (COL -> CHL, shipped data: real aggregates, SYNTHETIC survey sample).

    Survey disaggregations are limited to those the page shows (sex, region) to keep the suite fast;
    the age bands run through the same code path (tests/indicators)."""
    return build_profile("COL", "CHL", disaggregations=("sex", "region"))


@pytest.fixture(scope="session")
def outputs(profile, tmp_path_factory) -> dict[str, dict[str, Path]]:
    """The profile written in es (with the PDF), fr and en (HTML and tables)."""
    root = tmp_path_factory.mktemp("profile")
    return {lang: write_profile(profile, root / lang, lang, pdf=(lang == "es")) for lang in ("es", "fr", "en")}
