"""Gaps are judged by their interval at the table's level, never by a CV rule."""

from __future__ import annotations

import pyarrow as pa
import pytest

from corridor.quality import add_labels, assess

from .tables import table


def _gap(estimate: float, se: float, **extra) -> pa.Table:
    return table({"estimand": "difference:proportion", "estimate": estimate, "se": se, **extra}, n=400, df=40)


def test_a_gap_near_zero_with_a_tight_interval_is_not_called_non_reliable():
    # CV = 0.004 / 0.001 = 4: the CV rule would call it non-reliable; its interval is 1.2 points wide
    out = assess(_gap(0.001, 0.004), "chile").to_pylist()[0]
    assert (out["quality"], out["quality_reason"], out["eval_ci"]) == (
        "not_significant", "ci_low<=0<=ci_high", "ci includes 0"
    )
    assert out["label"] is None and out["eval_n"] is None  # calidad has no rule for a gap


@pytest.mark.parametrize("scheme", ["chile", "eclac_2023", "eclac_2020", "chile_economics"])
def test_a_gap_whose_interval_excludes_zero_is_significant_under_every_scheme(scheme):
    # t(40, 0.975) = 2.021: 0.02 - 2.021 * 0.009 = 0.0018 > 0, although CV = 0.45
    out = assess(_gap(-0.02, 0.009), scheme).to_pylist()[0]
    assert (out["quality"], out["quality_reason"]) == ("significant", "ci_high<0")
    assert (assess(_gap(-0.02, 0.0105), scheme).to_pylist()[0]["quality"]) == "not_significant"


def test_the_tables_interval_and_level_decide():
    t = _gap(0.05, 0.02, ci_low=-0.001, ci_high=0.1)  # the table's own (e.g. logit) interval includes 0
    assert assess(t, "chile").to_pylist()[0]["quality"] == "not_significant"
    at_90 = _gap(0.05, 0.029).append_column("ci_level", pa.array([0.90]))
    assert assess(at_90, "chile").to_pylist()[0]["quality"] == "significant"  # 0.05 - 1.684 * 0.029 > 0
    assert assess(_gap(0.05, 0.029), "chile").to_pylist()[0]["quality"] == "not_significant"  # at 95%
    assert assess(_gap(0.05, 0.029), "chile", level=0.90).to_pylist()[0]["quality"] == "significant"


def test_a_ratio_comparison_is_judged_against_one_and_a_gap_without_se_is_not_judged():
    ratio = table({"estimand": "ratio:mean", "estimate": 1.3, "se": 0.1}, n=400, df=40)
    assert assess(ratio, "chile").to_pylist()[0]["quality_reason"] == "1<ci_low"
    bare = assess(_gap(0.1, None), "chile").to_pylist()[0]
    assert (bare["quality"], bare["quality_reason"]) == (None, "missing:se")


def test_gaps_and_cells_in_one_table_and_their_labels_in_three_languages():
    t = table(
        {"estimand": "proportion", "estimate": 0.30, "se": 0.01},
        {"estimand": "proportion", "estimate": 0.31, "se": 0.01},
        {"estimand": "difference:proportion", "estimate": -0.01, "se": 0.014},
        n=900, df=60,
    )
    out = assess(t, "chile")
    assert out.column("quality").to_pylist() == ["reliable", "reliable", "not_significant"]
    assert out.column("eval_se").to_pylist() == ["admissible SE", "admissible SE", None]
    assert "eval_cv" not in out.column_names  # no level estimate in the table: INE's CV column is absent
    assert add_labels(out, "es").column("quality_label").to_pylist()[2] == "diferencia no significativa"
    assert add_labels(out, "fr").column("quality_label").to_pylist()[2] == "différence non significative"
