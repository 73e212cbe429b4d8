"""Invariants of design-based estimators, checked on generated samples (hypothesis)."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import corridor as cr

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def samples(draw: st.DrawFn, min_psu: int = 2) -> pa.Table:
    n_strata = draw(st.integers(1, 4))
    rows = []
    psu_id = 0
    for h in range(n_strata):
        for _ in range(draw(st.integers(min_psu, 5))):
            psu_id += 1
            for _ in range(draw(st.integers(1, 4))):
                rows.append((h, psu_id, draw(st.floats(0.5, 50)), draw(st.floats(-100, 100)),
                             draw(st.sampled_from(["a", "b", "c"]))))
    h, psu, w, y, g = zip(*rows, strict=True)
    return pa.table({"h": h, "psu": psu, "w": w, "y": y, "g": g})


@SETTINGS
@given(st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=40), st.integers(0, 200))
def test_srs_without_replacement_matches_the_textbook(values: list[float], extra: int) -> None:
    y = np.array(values)
    n = len(y)
    N = n + extra
    tbl = pa.table({"y": y, "N": np.full(n, float(N))})
    design = cr.Design(fpc="N")
    res = {r["estimand"]: r for r in cr.estimate(tbl, design, [cr.Mean("y"), cr.Total("y")]).to_pylist()}
    s2 = y.var(ddof=1)
    f = n / N
    assert res["mean"]["estimate"] == pytest.approx(y.mean(), rel=1e-9, abs=1e-9)
    assert res["mean"]["se"] == pytest.approx(np.sqrt((1 - f) * s2 / n), rel=1e-7, abs=1e-9)
    assert res["total"]["estimate"] == pytest.approx(N * y.mean(), rel=1e-9, abs=1e-6)
    assert res["total"]["se"] == pytest.approx(N * np.sqrt((1 - f) * s2 / n), rel=1e-7, abs=1e-6)


@SETTINGS
@given(samples(), st.floats(0.01, 100))
def test_means_and_proportions_do_not_depend_on_the_scale_of_the_weights(tbl: pa.Table, c: float) -> None:
    design = cr.Design(weights="w", strata="h", ids="psu")
    ests = [cr.Mean("y"), cr.Proportion("g")]
    a = cr.estimate(tbl, design, ests).to_pylist()
    scaled = tbl.set_column(2, "w", pa.array(np.asarray(tbl["w"]) * c))
    b = cr.estimate(scaled, design, ests).to_pylist()
    for ra, rb in zip(a, b, strict=True):
        assert rb["estimate"] == pytest.approx(ra["estimate"], rel=1e-9, abs=1e-12)
        assert rb["se"] == pytest.approx(ra["se"], rel=1e-7, abs=1e-12)


@SETTINGS
@given(samples())
def test_domain_totals_add_up_to_the_total(tbl: pa.Table) -> None:
    design = cr.Design(weights="w", strata="h", ids="psu")
    overall = cr.estimate(tbl, design, cr.Total("y")).to_pylist()[0]["estimate"]
    parts = cr.estimate(tbl, design, cr.Total("y"), by="g").to_pylist()
    assert sum(r["estimate"] for r in parts if r["flag"] is None) == pytest.approx(overall, rel=1e-9, abs=1e-6)


@SETTINGS
@given(samples())
def test_subpopulation_equals_domain(tbl: pa.Table) -> None:
    design = cr.Design(weights="w", strata="h", ids="psu")
    dom = {r["g"]: r for r in cr.estimate(tbl, design, cr.Mean("y"), by="g").to_pylist()}
    for level in ("a", "b"):
        if dom[level]["flag"] is not None if level in dom else True:
            continue
        sub = cr.estimate(tbl, design, cr.Mean("y"), where=f"g == '{level}'").to_pylist()[0]
        assert sub["estimate"] == pytest.approx(dom[level]["estimate"], rel=1e-9)
        assert sub["se"] == pytest.approx(dom[level]["se"], rel=1e-9, abs=1e-12)


def test_the_same_answer_from_every_kind_of_input(tmp_path) -> None:
    pytest.importorskip("pandas")  # tbl.to_pandas() below
    pl = pytest.importorskip("polars")
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(1)
    n = 500
    tbl = pa.table({"h": rng.integers(0, 5, n), "psu": rng.integers(0, 60, n), "w": rng.uniform(1, 9, n),
                    "y": rng.normal(size=n), "g": rng.choice(["x", "y"], n)})
    tbl = tbl.set_column(1, "psu", pa.array(np.asarray(tbl["h"]) * 100 + np.asarray(tbl["psu"])))
    pq.write_table(tbl, tmp_path / "s.parquet")
    pacsv.write_csv(tbl, tmp_path / "s.csv")
    con = duckdb.connect()
    inputs = [tbl, tbl.to_pandas(), pl.from_arrow(tbl), tmp_path / "s.parquet", str(tmp_path / "s.csv"),
              con.from_arrow(tbl)]
    design = cr.Design(weights="w", strata="h", ids="psu")
    results = [cr.estimate(x, design, [cr.Mean("y"), cr.Proportion("g")], by="g").table for x in inputs]
    for other in results[1:]:
        for col in ("estimate", "se", "ci_low", "ci_high", "n"):
            np.testing.assert_allclose(np.asarray(other[col], float), np.asarray(results[0][col], float), rtol=1e-12)


@SETTINGS
@given(samples(), st.booleans())
def test_cell_pooled_finishing_equals_group_level_finishing(tbl: pa.Table, subpopulation: bool) -> None:
    """Variances from (domain, PSU) cell totals equal those from every scan group (the design-effect path)."""
    design = cr.Design(weights="w", strata="h", ids="psu", lonely_psu="adjust")
    tbl = tbl.append_column("k", pa.array([i % 2 for i in range(tbl.num_rows)]))
    where = "y > -50" if subpopulation else None
    by = [[], ["g"], ["g", "k"]]
    ests = [cr.Total("y"), cr.Mean("y"), cr.Proportion("g")]
    fast = cr.estimate(tbl, design, ests, by=by, where=where)
    slow = cr.estimate(tbl, design, ests, by=by, where=where, deff=True)
    cov = cr.estimate(tbl, design, ests, by=by, where=where, covariance=True)
    a, b = fast.table.to_pydict(), slow.table.to_pydict()
    assert a["grouping"] == b["grouping"] and a["estimand"] == b["estimand"] and a["level"] == b["level"]
    for col in ("estimate", "se", "df", "ci_low", "ci_high"):
        np.testing.assert_allclose(np.array(a[col], float), np.array(b[col], float), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(np.sqrt(np.diag(cov.vcov)), np.array(b["se"], float), rtol=1e-9, atol=1e-9,
                               equal_nan=True)
