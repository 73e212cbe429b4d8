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


def test_the_se_rule_compares_like_with_like_and_reads_in_the_language(profile) -> None:
    """The profile's proportions are in percent: the SE rule's tooltip showed 'ET = 3,1 > 0,0533' for a
    reliable estimate (an SE in points against a bound on the proportion, with the sign of a failure)."""
    from corridor.quality.explain import reason_text

    rows = [r for r in _survey(profile) if r["unit"] == "percent" and r["quality_se"] in ("admissible SE", "high SE")
            and r["population"] != "gap" and not r["suppressed"]]
    assert rows
    for r in rows:
        text = explain(r, "fr")
        m = re.search(r"ET = ([\d,]+) ([≤>]) ([\d,]+)", text)
        assert m, text
        se, op, bound = (float(m.group(1).replace(",", ".")), m.group(2), float(m.group(3).replace(",", ".")))
        assert op == ("≤" if r["quality_se"] == "admissible SE" else ">"), text
        assert abs(bound - 100 * r["quality_se_bound"]) < 0.01 * bound + 0.01 and (se <= bound) == (op == "≤")
    assert reason_text("se>(1-p)^(2/3)/9", "fr") == "ET > (1-p)^(2/3)/9"
    assert reason_text("se<=p^(2/3)/9", "es") == "EE ≤ p^(2/3)/9" and reason_text("n<60", "fr") == "n < 60"
    assert explain({"quality_scheme": "chile", "n": 1115, "quality_n": "x"}, "fr").startswith("n = 1\u202f115")
    assert explain({"quality_scheme": "chile", "quality_ci": "ci_low<=0<=ci_high", "ci_low": -3.1, "ci_high": 29.1},
                   "es") == "IC [−3,1; 29,1] incluye 0"
