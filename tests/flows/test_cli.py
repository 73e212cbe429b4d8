"""``corridor flows`` command line (click's CliRunner on the ``command`` group)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from click.testing import CliRunner

from corridor.cli.flows import command
from corridor.errors import InputError
from corridor.flows.demographic import ffs_demo
from corridor.flows.undesa import load_bilateral_2019

from .flows_refdata import SERMIG_PERMITS, korea, write_demography


def run(*args: str):
    return CliRunner().invoke(command, list(args))


@pytest.mark.parametrize("sub", [[], ["stocks"], ["demo"], ["permits"], ["indices"]])
def test_help(sub: list[str]) -> None:
    res = run(*sub, "--help")
    assert res.exit_code == 0
    assert "Usage" in res.output and "--help" in res.output


def test_stocks_colombia_chile() -> None:
    res = run("stocks", "--origin", "COL", "--destination", "CHL", "--resamples", "200", "--format", "json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    rows = out["rows"]
    assert next(r["period"] for r in rows) == "1990-1995" and len(rows) == 6
    # diff-zero: the increase of the published Colombian-born stock in Chile
    assert [r["flow"] for r in rows] == [1180, 1179, 5246, 5242, 59200, 47025]
    assert all(r["lower"] <= r["flow"] <= r["upper"] for r in rows)
    assert any("UN DESA" in n for n in out["notes"])


def test_stocks_without_error_gives_points() -> None:
    res = run("stocks", "--origin", "VEN", "--destination", "CHL", "--relative-error", "0", "--resamples", "10",
              "--method", "diff-return", "--format", "csv")
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(res.output.splitlines()))
    assert all(r["lower"] == r["flow"] == r["upper"] for r in rows)


def test_stocks_bad_country() -> None:
    res = run("stocks", "--origin", "COL", "--destination", "XXX")
    assert isinstance(res.exception, InputError)
    assert "alpha-3" in str(res.exception)


def test_demo_with_a_demography_file(tmp_path) -> None:
    data = load_bilateral_2019()
    codes = ["COL", "CHL", "VEN", "PER", "ARG"]
    idx = [data.index(c) for c in codes]
    s = data.stocks[:, idx][:, :, idx]
    p = tmp_path / "demo.csv"
    fb, pop = write_demography(p, codes)
    res = run("demo", "--origin", "COL", "--destination", "CHL", "--demography", str(p), "--resamples", "20",
              "--format", "json")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)["rows"]
    assert len(rows) == 6
    # the point estimate is ffs_demo on the same system
    st = s.copy()
    st[:, range(5), range(5)] = pop - fb
    ref = ffs_demo(st[:-1], st[1:], 0.08 * pop[:-1], 0.03 * pop[:-1])
    np.testing.assert_allclose([r["flow"] for r in rows], ref.od[:, 0, 1], rtol=1e-9)
    bad = run("demo", "--origin", "COL", "--destination", "JPN", "--demography", str(p))
    assert isinstance(bad.exception, InputError)


def test_permits() -> None:
    res = run("permits", "--file", str(SERMIG_PERMITS), "--nationality", "COL", "--by", "region", "--format", "json")
    assert res.exit_code == 0, res.output
    rows = {r["region"]: r["count"] for r in json.loads(res.output)["rows"]}
    assert rows["Antofagasta"] == 11_249


def test_indices(tmp_path) -> None:
    p = tmp_path / "korea.csv"
    rows = korea(2020)
    with p.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["orig", "dest", "flow"], extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    res = run("indices", "--file", str(p), "--format", "json")
    assert res.exit_code == 0, res.output
    vals = {r["measure"]: r["value"] for r in json.loads(res.output)["rows"]}
    assert round(vals["gini_total"], 3) == 0.709  # migest 2.0.5 documented output
    bad = run("indices", "--file", str(p), "--flow-col", "flows")
    assert "not found" in str(bad.exception)
