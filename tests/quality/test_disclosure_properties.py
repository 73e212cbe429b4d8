"""Invariants of cell suppression on random tables (hypothesis), checked with pandas group-bys."""

from __future__ import annotations

import itertools
import math

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.quality import suppress


@st.composite
def grids(draw):
    regions = draw(st.integers(1, 5))
    sexes = draw(st.integers(1, 3))
    levels = draw(st.integers(1, 3))
    keys = list(itertools.product(range(regions), range(sexes), range(levels)))
    keep = draw(st.lists(st.booleans(), min_size=len(keys), max_size=len(keys)))
    cells = [k for k, kept in zip(keys, keep) if kept] or keys[:1]
    ns = draw(st.lists(st.integers(0, 120), min_size=len(cells), max_size=len(cells)))
    return pa.table(
        {
            "region": [f"r{r}" for r, _, _ in cells],
            "sex": [f"s{s}" for _, s, _ in cells],
            "estimand": ["total"] * len(cells),
            "variable": ["persons"] * len(cells),
            "level": [f"l{lv}" for _, _, lv in cells],
            "estimate": [float(10 * n + i) for i, n in enumerate(ns)],
            "n": ns,
            "df": [30.0] * len(cells),
        }
    )


@settings(max_examples=100, deadline=None)
@given(grids(), st.integers(0, 60))
def test_no_margin_group_has_exactly_one_suppressed_cell(grid, min_n):
    out = suppress(grid, min_n=min_n).to_pandas()
    for dim in ("region", "sex", "level"):
        others = [c for c in ("estimand", "variable", "region", "sex", "level") if c != dim]
        groups = out.groupby(others).suppressed.agg(["size", "sum"])
        assert not ((groups["size"] >= 2) & (groups["sum"] == 1)).any(), dim


@settings(max_examples=150, deadline=None)
@given(grids(), st.integers(0, 60))
def test_small_cells_go_and_unsuppressed_cells_are_unchanged(grid, min_n):
    out = suppress(grid, min_n=min_n)
    for before, after in zip(grid.to_pylist(), out.to_pylist()):
        if before["n"] < min_n:
            assert after["suppressed"] and after["suppression_reason"] == "primary_min_n"
        if after["suppressed"]:
            assert after["estimate"] is None and after["n"] is None
            assert after["suppression_reason"] in ("primary_min_n", "secondary")
        else:
            assert {k: after[k] for k in before} == before and after["suppression_reason"] is None
    assert out.num_rows == grid.num_rows


@settings(max_examples=80, deadline=None)
@given(grids())
def test_nothing_small_nothing_suppressed(grid):
    out = suppress(grid, min_n=0)
    assert not any(out.column("suppressed").to_pylist())
    assert math.isclose(sum(out.column("estimate").to_pylist()), sum(grid.column("estimate").to_pylist()))


@st.composite
def gap_tables(draw):
    regions, sexes = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    cells = [(m, f"r{r}", f"s{s}") for m in ("yes", "no") for r in range(regions) for s in range(sexes)]
    ns = draw(st.lists(st.integers(0, 120), min_size=len(cells), max_size=len(cells)))
    rows = [
        {
            "migrant": m,
            "region": r,
            "sex": s,
            "estimand": "mean",
            "variable": "income",
            "estimate": 10.0 + n,
            "n": n,
            "migrant_a": None,
            "migrant_b": None,
        }
        for (m, r, s), n in zip(cells, ns)
    ]
    rows += [
        {
            "migrant": None,
            "region": f"r{r}",
            "sex": f"s{s}",
            "estimand": "difference:mean",
            "variable": "income",
            "estimate": 1.0,
            "n": 500,
            "migrant_a": "yes",
            "migrant_b": "no",
        }
        for r in range(regions)
        for s in range(sexes)
    ]
    return pa.Table.from_pylist(rows)


@settings(max_examples=50, deadline=None)
@given(gap_tables(), st.integers(0, 60))
def test_no_gap_survives_a_suppressed_cell_it_compares(t, min_n):
    out = suppress(t, min_n=min_n, compared="migrant").to_pandas()
    cells = out[out.estimand == "mean"].set_index(["migrant", "region", "sex"]).suppressed
    for row in out[out.estimand == "difference:mean"].itertuples():
        if cells[("yes", row.region, row.sex)] or cells[("no", row.region, row.sex)]:
            assert row.suppressed and row.suppression_reason == "secondary"
    for dim in ("migrant", "region", "sex"):
        others = [c for c in ("estimand", "variable", "migrant", "region", "sex") if c != dim]
        groups = out.groupby(others, dropna=False).suppressed.agg(["size", "sum"])
        assert not ((groups["size"] >= 2) & (groups["sum"] == 1)).any(), dim
