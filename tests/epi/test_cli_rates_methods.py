"""`corridor rates` as a user runs it: the --help example from the repository's root, the
epitools methods (gamma DSR, Byar x + 0.5), observed totals for ISRs, the wide layout, missing
counts, and the "zero denominator" message."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from shared_data import SHARED

from corridor.cli import main
from corridor.cli.rates import command

ROOT = Path(__file__).resolve().parents[2]
PHE = SHARED / "pheindicatormethods"
REF = json.loads((ROOT / "tests" / "reference" / "epi" / "expected.json").read_text())


def _invoke(args, **kwargs):
    result = CliRunner().invoke(main, args, **kwargs)
    return result


def test_help_example_runs_as_written_from_the_repository_root(monkeypatch, tmp_path):
    text = CliRunner().invoke(command, ["--help"]).output
    block = text.split("Example, from the repository's root", 1)[1].split("\n", 2)[2]
    lines = []
    for line in block.splitlines():
        if not line.strip():
            break
        lines.append(line.strip().rstrip("\\").strip())
    argv = shlex.split(" ".join(lines))
    assert argv[:3] == ["corridor", "rates", "dsr"]
    out = tmp_path / "dsr.csv"
    argv[argv.index("-o") + 1] = str(out)  # the example writes dsr.csv where it runs
    monkeypatch.chdir(ROOT)
    result = _invoke(argv[1:])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert {"disease", "year", "population_group", "value", "lowercl", "uppercl"} <= set(table.columns)
    assert len(table) == 3 * 5 * 3  # diseases x years x population groups


def test_dsr_gamma_from_the_command_line(tmp_path):
    data = pd.read_csv(PHE / "testdata_DSR_ISR__testdata_multiarea.csv")
    data["ageband"] = data["ageband"].replace({"55-69": "55-59"})
    path = tmp_path / "counts.csv"
    data.to_csv(path, index=False)
    esp = ",".join(str(v) for v in pd.read_csv(PHE / "esp2013.csv")["esp2013"])
    result = _invoke(["rates", "dsr", "--counts", str(path), "--count-column", "count", "--population-column", "pop",
                      "--age-column", "ageband", "--by", "area", "--standard", esp, "--method", "gamma",
                      "--min-count", "0", "--missing", "zero", "--confidence", "95", "--confidence", "99.8",
                      "--wide", "--multiplier", "1"])
    assert result.exit_code == 0, result.output
    out = pd.read_csv(__import__("io").StringIO(result.output)).set_index("area")
    ref = {c["area"]: c for c in REF["ageadjust_direct"] if c["conf_level"] == 0.998}
    np.testing.assert_allclose(out.loc["testdata_big", "lower99_8cl"], ref["testdata_big"]["lci"], rtol=1e-9)
    np.testing.assert_allclose(out.loc["testdata_small", "upper99_8cl"], ref["testdata_small"]["uci"], rtol=1e-9)
    assert set(out["method"]) == {"Fay-Feuer gamma"}
    assert (out["confidence"] == "95%, 99.8%").all()


def test_crude_byar_epitools_from_the_command_line(tmp_path):
    path = tmp_path / "counts.csv"
    pd.DataFrame({"area": ["a", "b"], "cases": [0, 25], "population": [100, 1000]}).to_csv(path, index=False)
    result = _invoke(["rates", "crude", "--counts", str(path), "--by", "area", "--method", "byar-epitools",
                      "--multiplier", "1"])
    assert result.exit_code == 0, result.output
    out = pd.read_csv(__import__("io").StringIO(result.output)).set_index("area")
    assert out.loc["a", "lowercl"] == 0
    assert "lower limit 0 at x = 0" in out.loc["a", "method"]
    a = 25.5
    z = 1.959963984540054
    assert out.loc["b", "uppercl"] == pytest.approx(a * (1 - 1 / (9 * a) + z / 3 / np.sqrt(a)) ** 3 / 1000, rel=1e-12)


def test_isr_observed_totals_from_the_command_line(tmp_path):
    data = pd.read_csv(PHE / "testdata_DSR_ISR__testdata_multiarea_isr.csv")
    ages = tmp_path / "populations.csv"
    data[["area", "ageband", "pop"]].to_csv(ages, index=False)
    reference = tmp_path / "reference.csv"
    data[data["area"] == "testdata_big"][["ageband", "refcount", "refpop"]].to_csv(reference, index=False)
    totals = tmp_path / "totals.csv"
    pd.DataFrame(REF["isr_observed_totals"]["totals"]).to_csv(totals, index=False)
    result = _invoke(["rates", "isr", "--counts", str(ages), "--population-column", "pop", "--count-column", "count",
                      "--age-column", "ageband", "--by", "area", "--reference-file", str(reference),
                      "--reference-count-column", "refcount", "--reference-population-column", "refpop",
                      "--observed-totals", str(totals), "--missing", "zero", "--multiplier", "100", "--confidence", "0.95",
                      "--confidence", "0.998", "--wide"])
    assert result.exit_code == 0, result.output
    out = pd.read_csv(__import__("io").StringIO(result.output)).set_index("area")
    ref = REF["isr_observed_totals"]["ratio"]
    np.testing.assert_allclose(out.loc[ref["area"], "upper99_8cl"], ref["upper99_8cl"], rtol=1e-9)
    missing_group = tmp_path / "totals2.csv"
    pd.DataFrame({"area": ["testdata_big"], "count": [898]}).to_csv(missing_group, index=False)
    result = _invoke(["rates", "isr", "--counts", str(ages), "--population-column", "pop", "--count-column", "count",
                      "--age-column", "ageband", "--by", "area", "--reference-file", str(reference),
                      "--reference-count-column", "refcount", "--reference-population-column", "refpop",
                      "--observed-totals", str(missing_group), "--missing", "zero"])
    assert result.exit_code != 0
    assert "testdata_small" in result.output and "observed_totals" in result.output and "hint:" in result.output.lower()


def test_missing_counts_from_the_command_line(tmp_path):
    path = tmp_path / "counts.csv"
    path.write_text("area,cases,population\na,,100\nb,4,100\n")
    result = _invoke(["rates", "crude", "--counts", str(path), "--by", "area"])
    assert result.exit_code != 0
    assert re.search(r"column 'cases' of the data is missing at row 1 \(area='a'\)", result.output)
    assert "--missing" in result.output or "missing='zero'" in result.output
    result = _invoke(["rates", "crude", "--counts", str(path), "--by", "area", "--missing", "zero"])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(__import__("io").StringIO(result.output))["count"].tolist() == [0, 4]


def test_zero_denominator_from_the_command_line(tmp_path):
    path = tmp_path / "screened.csv"
    path.write_text("clinic,positive,screened\nnorth,0,0\nsouth,3,40\n")
    result = _invoke(["rates", "proportion", "--counts", str(path), "--by", "clinic", "--count-column", "positive",
                      "--population-column", "screened"])
    assert result.exit_code != 0
    assert "zero denominator 0 at row 1 (clinic='north')" in result.output
    assert "population" not in result.output.lower().split("hint:")[0]
