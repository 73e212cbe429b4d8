"""The one disclosure rule of the tidy indicator table (``corridor.quality.disclosure.suppress_indicators``):
primary by sample cases or by count, secondary within every margin, gaps following their cells, idempotent."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.quality.disclosure import suppress_indicators


def cell(pop, dis, value, n, *, ind="x", est=1.0, kind="survey", level=None, area="CHL"):
    return {"indicator": ind, "population": pop, "area": area, "period": 2022, "disaggregation": dis,
            "disaggregation_value": value, "level": level, "estimand": "mean", "estimate": est, "se": 0.1,
            "ci_low": est - 0.2, "ci_high": est + 0.2, "n": n, "df": 10.0, "status": "ok", "source_kind": kind,
            "suppressed": False, "suppression_reason": None}


def by_key(rows):
    return {(r["indicator"], r["population"], r["disaggregation_value"]): r for r in rows}


def test_primary_secondary_and_gaps():
    rows = [cell("corridor", "total", "_T", 412), cell("corridor", "sex", "female", 12),
            cell("corridor", "sex", "male", 400), cell("natives", "total", "_T", 9000),
            cell("natives", "sex", "female", 4500), cell("natives", "sex", "male", 4500),
            cell("gap", "sex", "female", None), cell("gap", "sex", "male", None), cell("gap", "total", "_T", None)]
    out = by_key(suppress_indicators(rows, min_n=30))
    assert out[("x", "corridor", "female")]["suppression_reason"] == "primary_min_n"
    assert out[("x", "corridor", "male")]["suppression_reason"] == "secondary"  # female = total - male
    assert not out[("x", "corridor", "_T")]["suppressed"] and out[("x", "corridor", "_T")]["estimate"] == 1.0
    assert [out[("x", "gap", v)]["suppressed"] for v in ("female", "male", "_T")] == [True, True, False]
    hidden = out[("x", "corridor", "female")]
    assert all(hidden[k] is None for k in ("estimate", "se", "ci_low", "ci_high", "n", "df"))
    assert not any(out[("x", "natives", v)]["suppressed"] for v in ("female", "male", "_T"))


def test_counts_follow_their_own_minimum_and_aggregates_are_published():
    rows = [cell("corridor", "total", None, 3, ind="count_tb", kind="notifications"),
            cell("natives", "total", None, 120, ind="count_tb", kind="notifications"),
            cell("corridor", "total", None, 0, ind="count_hiv", kind="notifications"),
            cell("natives", "total", None, 40, ind="count_hiv", kind="notifications"),
            cell("gap", "total", None, None, ind="ratio_tb", kind="notifications"),
            cell("gap", "total", None, None, ind="ratio_hiv", kind="notifications"),
            cell("corridor", "total", None, 2, ind="stock", kind="aggregate")]
    out = by_key(suppress_indicators(rows, min_n=30, compares={"ratio_tb": "count_tb", "ratio_hiv": "count_hiv"}))
    assert out[("count_tb", "corridor", None)]["suppression_reason"] == "primary_min_count"
    assert not out[("count_tb", "natives", None)]["suppressed"]  # 120 cases: survey's min_n is not theirs
    assert not out[("count_hiv", "corridor", None)]["suppressed"]  # zero is published
    assert out[("ratio_tb", "gap", None)]["suppression_reason"] == "secondary"
    assert not out[("ratio_hiv", "gap", None)]["suppressed"]
    assert not out[("stock", "corridor", None)]["suppressed"]


def test_rows_suppressed_before_keep_their_reason_and_unavailable_rows_pass():
    rows = [cell("corridor", "total", "_T", 500), cell("corridor", "sex", "female", 250),
            cell("corridor", "sex", "male", 250), {"indicator": "y", "status": "unavailable", "note": "no source"}]
    rows[1].update(suppressed=True, suppression_reason="primary_quality", estimate=None)
    out = suppress_indicators(rows, min_n=30)
    assert out[1]["suppression_reason"] == "primary_quality"
    assert out[2]["suppression_reason"] == "secondary"
    assert out[3] == rows[3]


def _margins(rows):
    """Each margin of survey cells (indicator, population, disaggregation, level), the total included."""
    groups = defaultdict(list)
    fams = defaultdict(set)
    for r in rows:
        if r["population"] != "gap" and r["disaggregation"] != "total":
            fams[(r["indicator"], r["population"])].add(r["disaggregation"])
    for r in rows:
        if r["population"] == "gap":
            continue
        dims = [r["disaggregation"]] if r["disaggregation"] != "total" else fams[(r["indicator"], r["population"])]
        for d in dims:
            groups[(r["indicator"], r["population"], d, r["level"])].append(r)
    return [g for g in groups.values() if len(g) >= 2]


cells = st.lists(st.integers(min_value=0, max_value=80), min_size=2, max_size=5)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(sexes=cells, ages=cells, min_n=st.integers(min_value=1, max_value=60))
def test_no_margin_reveals_one_suppressed_cell_and_a_second_pass_changes_nothing(sexes, ages, min_n):
    rows = [cell(pop, "total", "_T", sum(sexes) + k) for k, pop in enumerate(("corridor", "natives"))]
    for pop in ("corridor", "natives"):
        rows += [cell(pop, "sex", f"s{i}", n, est=float(n)) for i, n in enumerate(sexes)]
        rows += [cell(pop, "age_band", f"a{i}", n, est=float(n)) for i, n in enumerate(ages)]
    rows += [cell("gap", "sex", f"s{i}", None) for i in range(len(sexes))]
    out = suppress_indicators(rows, min_n=min_n)
    for group in _margins(out):
        assert sum(r["suppressed"] for r in group) != 1, group
    for r in out:
        if r["population"] != "gap" and r["suppressed"] is False:
            assert r["n"] >= min_n
    gaps = {r["disaggregation_value"]: r for r in out if r["population"] == "gap"}
    corridor = {r["disaggregation_value"]: r for r in out if r["population"] == "corridor"}
    natives = {r["disaggregation_value"]: r for r in out if r["population"] == "natives"}
    for v, g in gaps.items():
        assert g["suppressed"] == (corridor[v]["suppressed"] or natives[v]["suppressed"])
    assert suppress_indicators(out, min_n=min_n) == out
