"""The service's profile table shows the criteria behind each quality label, and exports them."""

from __future__ import annotations

import html
import re


def test_labels_carry_their_criteria_and_the_api_exports_them(env):
    env.login("vic")
    page = env.client.get(f"/profiles/{env.run_id}?indicator=unemployment_rate&population=all&lang=es").text
    titles = [html.unescape(t) for t in re.findall(r'<span class="q q-[a-z-]+" title="([^"]*)"', page)]
    assert any(t.startswith("n = ") and "gl = " in t for t in titles)
    rows = env.client.get(
        "/api/v1/indicators",
        params={"indicator": "unemployment_rate", "population": "all", "disaggregation": "all", "limit": 500},
    ).json()["data"]
    survey = [
        r for r in rows if r["source_kind"] == "survey" and not r["suppressed"] and r["population"] != "gap"
    ]
    assert survey and all(r["quality_n"] and r["quality_df"] for r in survey)
    gaps = [r for r in rows if r["population"] == "gap" and not r["suppressed"] and r["se"] is not None]
    assert gaps and all(
        r["quality"] in ("significant", "not_significant") and r["quality_components"] for r in gaps
    )
