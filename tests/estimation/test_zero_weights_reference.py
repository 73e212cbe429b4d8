"""Rows of weight 0 are outside the sample, as in R: svydesign() on every row, then subset(design, w > 0).

Reference: tests/reference/zero_weights/expected.json, made by make_reference.R beside it (R 4.2.2,
survey 4.1-1), which also writes the data (data.csv). The R call is stored with each value.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import corridor as cr
from corridor.cli import main

HERE = Path(__file__).resolve().parents[1] / "reference" / "zero_weights"
REF = json.loads((HERE / "expected.json").read_text())
DATA = HERE / "data.csv"
DESIGN = cr.Design(weights="w", strata="h", ids="psu")


def test_zero_weights_follow_r_subset() -> None:
    res = cr.estimate(DATA, DESIGN, [cr.Mean("y"), cr.Total("y"), cr.Ratio("y", "x"), cr.Quantile("y")], df="domain")
    rows = {r["estimand"]: r for r in res.to_pylist()}
    assert res.meta["zero_weight_rows"] == REF["zero_weight_rows"] == 10
    for key, name in (("mean", "mean"), ("total", "total"), ("ratio", "ratio")):
        assert rows[name]["estimate"] == pytest.approx(REF[key]["estimate"], rel=1e-10), REF[key]["call"]
        assert rows[name]["se"] == pytest.approx(REF[key]["se"], rel=1e-8), REF[key]["call"]
    assert rows["mean"]["df"] == REF["degf"]["value"] == 8  # PSUs with members minus strata, as degf(subset)
    assert rows["quantile"]["estimate"] == REF["median"]["estimate"]
    assert [rows["quantile"]["ci_low"], rows["quantile"]["ci_high"]] == pytest.approx(REF["median"]["ci"], rel=1e-10)
    by = cr.estimate(DATA, DESIGN, cr.Mean("y"), by="g").to_pylist()
    assert [r["g"] for r in by] == REF["by_mean"]["levels"]
    assert [r["estimate"] for r in by] == pytest.approx(REF["by_mean"]["estimate"], rel=1e-10)
    assert [r["se"] for r in by] == pytest.approx(REF["by_mean"]["se"], rel=1e-8)
    element = cr.estimate(DATA, cr.Design(weights="w", strata="h"), cr.Mean("y")).to_pylist()[0]
    assert element["se"] == pytest.approx(REF["element_mean"]["se"], rel=1e-8), REF["element_mean"]["call"]


def test_zero_weights_on_the_command_line_are_counted() -> None:
    res = CliRunner().invoke(main, ["estimate", str(DATA), "--weights", "w", "--strata", "h", "--ids", "psu",
                                    "-e", "mean:y", "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["zero_weight_rows"] == 10 and out["rows"][0]["se"] == pytest.approx(REF["mean"]["se"], rel=1e-8)
    # the design's degrees of freedom are those of R's subset: PSU 5 (all weights 0) no longer counts
    assert out["rows"][0]["df"] == REF["degf"]["value"] == 8, REF["degf"]["call"]
    assert "note: 10 rows have weight 0: outside the sample" in res.stderr
    # the user's own exclusion gives the same numbers (it used to be refused)
    where = CliRunner().invoke(main, ["estimate", str(DATA), "--weights", "w", "--strata", "h", "--ids", "psu",
                                      "-e", "mean:y", "--where", "w > 0", "--format", "json"])
    assert json.loads(where.stdout)["rows"][0]["se"] == pytest.approx(REF["mean"]["se"], rel=1e-8)
