"""``sum_w`` is the weight of the rows each estimate used: with ``na="drop"``, missing values leave it."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import corridor as cr


def _data(seed: int = 3, n: int = 600) -> pa.Table:
    rng = np.random.default_rng(seed)
    y = rng.normal(50, 10, n)
    x = rng.uniform(1, 5, n)
    y_missing = rng.random(n) < 0.2
    x_missing = rng.random(n) < 0.1
    return pa.table({
        "h": rng.integers(0, 6, n), "psu": rng.integers(0, 40, n), "w": rng.uniform(1, 30, n),
        "g": rng.choice(["a", "b", "c"], n),
        "y": pa.array(np.where(y_missing, np.nan, y), mask=y_missing),
        "x": pa.array(np.where(x_missing, np.nan, x), mask=x_missing),
        "c": pa.array(rng.choice(["u", "v"], n).tolist(), mask=y_missing),
    })


@pytest.mark.parametrize("design", [
    cr.Design(weights="w", strata="h", ids="psu", nest=True),  # cells pooled per PSU
    cr.Design(weights="w", strata="h"),  # element sampling: group level
])
def test_sum_w_counts_only_the_rows_used(design: cr.Design) -> None:
    t = _data()
    res = cr.estimate(t, design, [cr.Total("y"), cr.Mean("y"), cr.Ratio("y", "x"), cr.Proportion("c")],
                      by="g", na="drop").to_pylist()
    g = np.array(t["g"].to_pylist())
    w = t["w"].to_numpy()
    y_ok = ~np.array(t["y"].is_null())
    x_ok = ~np.array(t["x"].is_null())
    for r in res:
        dom = g == r["g"]
        used = dom & (y_ok & x_ok if r["estimand"] == "ratio" else y_ok)
        assert r["sum_w"] == pytest.approx(w[used].sum(), rel=1e-12), r
        assert r["sum_w"] < w[dom].sum()  # the domain's whole weight would be wrong here
