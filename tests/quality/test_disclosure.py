"""Primary and secondary cell suppression on crafted small tables."""

from __future__ import annotations

import pyarrow as pa
import pytest

from corridor.errors import InputError
from corridor.quality import assess, suppress

from .tables import table


def _grid():
    # persons by region x sex; region A's women are 5 sample cases
    cells = [("A", "M", 100), ("A", "F", 5), ("B", "M", 80), ("B", "F", 70), ("C", "M", 60), ("C", "F", 50)]
    return table(
        *[{"region": r, "sex": s, "n": n, "estimate": 1000.0 * n, "se": 10.0 * n} for r, s, n in cells],
        estimand="total",
        variable="persons",
        df=20,
    )


def _flags(out):
    return {(r["region"], r["sex"]): r["suppression_reason"] for r in out.to_pylist() if r["suppressed"]}


def test_primary_and_secondary_suppression_on_a_two_way_table():
    out = suppress(_grid(), min_n=30)
    # A-F is small; the region A margin then exposes it (suppress A-M), the women's margin too (suppress the
    # smallest other woman cell, C-F), which in turn exposes C-F through region C's margin (suppress C-M).
    assert _flags(out) == {
        ("A", "F"): "primary_min_n",
        ("A", "M"): "secondary",
        ("C", "F"): "secondary",
        ("C", "M"): "secondary",
    }


def test_only_the_published_margins_are_protected():
    assert _flags(suppress(_grid(), min_n=30, totals=["sex"])) == {
        ("A", "F"): "primary_min_n",
        ("A", "M"): "secondary",
    }
    assert _flags(suppress(_grid(), min_n=30, totals=False)) == {("A", "F"): "primary_min_n"}


def test_suppressed_values_are_nulled_and_the_rest_untouched():
    grid = _grid()
    out = suppress(grid, min_n=30)
    for before, after in zip(grid.to_pylist(), out.to_pylist()):
        if after["suppressed"]:
            assert (
                after["estimate"] is None
                and after["se"] is None
                and after["n"] is None
                and after["cv"] is None
            )
            assert (after["region"], after["sex"], after["df"]) == (
                before["region"],
                before["sex"],
                before["df"],
            )
        else:
            assert {k: after[k] for k in before} == before
            assert after["suppression_reason"] is None
    kept = suppress(grid, min_n=30, null_values=False)
    assert kept.column("estimate").to_pylist() == grid.column("estimate").to_pylist()


def test_margin_rows_in_the_table_take_part_in_their_group():
    rows = [("A", "M", 100), ("A", "F", 5), ("A", "_T", 105)]
    t = table(
        *[{"region": r, "sex": s, "n": n, "estimate": float(n)} for r, s, n in rows], estimand="total", df=20
    )
    out = suppress(t, min_n=30, by=["region", "sex"], totals=["sex"])
    assert _flags(out) == {("A", "F"): "primary_min_n", ("A", "M"): "secondary"}


def test_categories_of_a_proportion_protect_each_other():
    shares = [("employed", 0.60, 300), ("unemployed", 0.05, 12), ("inactive", 0.35, 150)]
    t = table(
        *[{"region": "A", "level": lvl, "estimate": p, "se": 0.01, "n": n} for lvl, p, n in shares],
        estimand="proportion",
        variable="activity",
        df=20,
    )
    out = suppress(t, min_n=30)
    assert [r["suppression_reason"] for r in out.to_pylist()] == [None, "primary_min_n", "secondary"]


def test_variables_and_estimands_are_separate_tables():
    t = table(
        {"region": "A", "n": 5.0, "variable": "x"},
        {"region": "B", "n": 50.0, "variable": "x"},
        {"region": "A", "n": 50.0, "variable": "y"},
        {"region": "B", "n": 50.0, "variable": "y"},
        estimate=1.0,
    )
    out = suppress(t, min_n=30)
    assert out.column("suppressed").to_pylist() == [True, True, False, False]


def test_estimate_and_quality_based_primary_rules():
    t = table(
        {"region": "A", "n": 100, "sum_w": 50.0},
        {"region": "B", "n": 100, "sum_w": 5000.0, "se": 50.0},
        {"region": "C", "n": 100, "sum_w": 5000.0},
        estimate=100.0,
        se=5.0,
        df=20,
    )
    out = suppress(assess(t), min_n=30, min_sum_w=100, suppress_quality=["non_reliable"], totals=False)
    assert out.column("suppression_reason").to_pylist() == ["primary_min_sum_w", "primary_quality", None]


def test_default_classification_is_the_columns_before_estimand():
    out = suppress(_grid(), min_n=30)
    assert out.equals(suppress(_grid(), min_n=30, by=["region", "sex"]))


def test_bad_arguments_are_user_errors():
    with pytest.raises(InputError, match="min_n must be >= 0"):
        suppress(_grid(), min_n=-1)
    with pytest.raises(InputError, match="no 'estimand' column"):
        suppress(_grid().drop_columns(["estimand"]))


def test_a_national_row_with_null_region_is_the_margin_of_the_regions():
    t = table(
        {"region": None, "n": 300.0, "estimate": 300.0},
        {"region": "A", "n": 10.0, "estimate": 10.0},
        {"region": "B", "n": 90.0, "estimate": 90.0},
        {"region": "C", "n": 200.0, "estimate": 200.0},
        estimand="total",
        variable="persons",
    )
    out = suppress(t, min_n=30)
    assert out.column("suppression_reason").to_pylist() == [None, "primary_min_n", "secondary", None]


def _gaps():
    """Unemployment of migrants and natives by sex, and the migrant-minus-native gaps.

    Laid out as ``Estimates.compare("migrant", "yes", "no")`` stacks under the estimates.
    """
    cells = [
        ("yes", "M", 0.10, 100.0),
        ("yes", "F", 0.12, 10.0),
        ("no", "M", 0.07, 900.0),
        ("no", "F", 0.08, 800.0),
    ]
    rows = [
        {
            "migrant": m,
            "sex": s,
            "estimand": "proportion",
            "estimate": p,
            "n": n,
            "migrant_a": None,
            "migrant_b": None,
        }
        for m, s, p, n in cells
    ]
    rows += [
        {
            "migrant": None,
            "sex": s,
            "estimand": "difference:proportion",
            "estimate": d,
            "n": n,
            "migrant_a": "yes",
            "migrant_b": "no",
        }
        for s, d, n in (("M", 0.03, 1000.0), ("F", 0.04, 810.0))
    ]
    return pa.Table.from_pylist(rows).append_column("variable", pa.array(["unemployed"] * 6))


def test_a_gap_is_suppressed_with_the_cell_it_compares():
    plain = suppress(_gaps(), min_n=30, by=["migrant", "sex"], totals=["sex"])
    # without the link the F gap (0.04) and the natives' F rate would give the migrants' F rate back
    assert plain.column("suppression_reason").to_pylist() == [
        "secondary",
        "primary_min_n",
        None,
        None,
        None,
        None,
    ]
    linked = suppress(_gaps(), min_n=30, by=["migrant", "sex"], totals=["sex"], compared="migrant")
    assert linked.column("suppression_reason").to_pylist() == [
        "secondary",
        "primary_min_n",
        None,
        None,
        "secondary",
        "secondary",
    ]


def test_compared_needs_the_comparison_columns():
    with pytest.raises(InputError, match="no column 'region_a', 'region_b'"):
        suppress(_grid(), min_n=30, compared="region")


def test_quantiles_of_different_probabilities_are_different_cells():
    t = pa.Table.from_pylist(
        [
            {
                "region": r,
                "estimand": "quantile",
                "variable": "income",
                "prob": q,
                "estimate": 100.0 * q,
                "n": n,
            }
            for r, n in (("A", 10.0), ("B", 300.0))
            for q in (0.25, 0.5)
        ]
    )
    out = suppress(t, min_n=30)
    assert out.column("suppression_reason").to_pylist() == ["primary_min_n"] * 2 + ["secondary"] * 2
