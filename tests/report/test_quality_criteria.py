"""The profile shows the criteria behind every label: columns in the tidy table, a tooltip in the HTML.

Gaps carry their own judgement (significance with the interval) and the labels of the two cells.
"""

from __future__ import annotations

import html
import re

import pyarrow.parquet as pq

from corridor.quality import explain


def _survey(profile) -> list[dict]:
    return [r for r in profile.table.to_pylist() if r["source_kind"] == "survey" and r["status"] == "ok"]


def test_tidy_table_has_the_criteria_of_every_label(profile, outputs) -> None:
    columns = pq.read_table(outputs["en"]["parquet"]).column_names
    for c in ("quality_n", "quality_df", "quality_cv", "quality_se", "quality_se_bound", "quality_ci",
              "quality_components"):
        assert c in columns
    cells = [r for r in _survey(profile) if r["population"] != "gap" and not r["suppressed"]]
    assert cells
    for r in cells:
        assert r["quality_n"] in ("sufficient sample size", "insufficient sample size")
        assert r["quality_df"] in ("sufficient df", "insufficient df")
        if r["estimand"] == "proportion" and r["quality_n"] == "sufficient sample size":
            assert r["quality_se"] in ("admissible SE", "high SE")
            assert r["quality_se_bound"] is not None
    assert all(r["quality_se_bound"] is None for r in _survey(profile) if r["suppressed"])


def test_gaps_are_judged_by_their_interval_with_the_cells_labels(profile) -> None:
    gaps = [r for r in _survey(profile) if r["population"] == "gap" and not r["suppressed"] and r["se"] is not None]
    assert gaps
    for r in gaps:
        assert r["quality"] in ("significant", "not_significant")
        assert r["quality_ci"] in ("ci excludes 0", "ci includes 0")
        excludes = r["ci_low"] > 0 or r["ci_high"] < 0
        assert (r["quality"] == "significant") == excludes
        assert re.fullmatch(r"corridor=[a-z_]*;natives=[a-z_]*", r["quality_components"])


def test_html_labels_carry_their_criteria_as_a_tooltip(profile, outputs) -> None:
    for lang, df in (("es", "gl"), ("fr", "dl"), ("en", "df")):
        page = outputs[lang]["html"].read_text(encoding="utf-8")
        titles = [html.unescape(t) for t in re.findall(r'<span class="ql" title="([^"]+)"', page)]
        assert titles, lang
        assert any(f"{df} = " in t and "n = " in t for t in titles), lang
    row = next(r for r in _survey(profile) if r["population"] == "corridor" and not r["suppressed"])
    assert explain(row, "es") in html.unescape(outputs["es"]["html"].read_text(encoding="utf-8"))
