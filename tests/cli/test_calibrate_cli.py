"""`corridor calibrate` and `corridor estimate --calibrate` as an analyst uses them."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from reference.calibration_cases import load

from corridor.calibration import CalibrationWarning, output
from corridor.cli import main

DATA = Path(__file__).resolve().parents[1] / "data" / "r_survey" / "apiclus1.csv"
DESIGN = ["--ids", "dnum", "--weights", "pw", "--fpc", "fpc"]
TOTALS = "term,level,total\nstype,E,4421\nstype,H,755\nstype,M,1018\napi99,,3914069\n"


def run(*args: str) -> object:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def totals(tmp_path: Path) -> Path:
    path = tmp_path / "totals.csv"
    path.write_text(TOTALS)
    return path


def test_calibrate_writes_weights_and_metadata_and_estimate_keeps_the_calibration(tmp_path: Path, totals: Path) -> None:
    out = tmp_path / "calibrated.parquet"
    res = run("calibrate", str(DATA), *DESIGN, "--totals", str(totals), "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "linear (GREG)" in res.output and "converged in 1 iterations" in res.output
    assert "api99" in res.output and "3,914,069.00" in res.output
    table = pq.read_table(out)
    source = pacsv.read_csv(DATA)
    assert table.column_names == [*source.column_names, "pw_cal"]
    assert table["snum"].to_pylist() == source["snum"].to_pylist()  # the data's row order
    assert sum(table["pw_cal"].to_pylist()) == pytest.approx(6194, rel=1e-12)
    meta = output.read_metadata(out)
    assert meta is not None and meta["method"] == "linear" and meta["weight"] == "pw_cal"
    assert meta["design"]["weights"] == "pw" and len(meta["totals"]) == 4
    # estimating from the file without a design applies the recorded calibration (R's CAL04 answer)
    _, expected = load("CAL04")
    est = run("estimate", str(out), "-e", "mean:api00", "--df", "normal", "--format", "json")
    assert est.exit_code == 0, est.output
    row = json.loads(est.stdout)["rows"][0]
    want = next(r for r in expected["results"] if r["variable"] == "api00" and "by" not in r)
    assert row["estimate"] == pytest.approx(want["estimate"], rel=1e-10)
    assert row["se"] == pytest.approx(want["se"], rel=1e-8)
    assert "applied again" in est.stderr
    # the calibrated column as plain weights would drop the calibration from the SEs: refused
    bad = run("estimate", str(out), "--ids", "dnum", "--weights", "pw_cal", "-e", "mean:api00")
    assert bad.exit_code == 2 and "calibrated by corridor" in bad.output
    # the design before calibration is a legitimate request of its own
    assert run("estimate", str(out), *DESIGN, "-e", "mean:api00").exit_code == 0


def test_estimate_calibrate_option_matches_r(totals: Path) -> None:
    _, expected = load("CAL07")
    res = run("estimate", str(DATA), *DESIGN, "--calibrate", str(totals), "--calibrate-method", "raking",
              "-e", "total:enroll", "--df", "normal", "--format", "json")
    assert res.exit_code == 0, res.output
    row = json.loads(res.stdout)["rows"][0]
    want = next(r for r in expected["results"] if r["variable"] == "enroll")
    assert row["estimate"] == pytest.approx(want["estimate"], rel=1e-8)
    assert row["se"] == pytest.approx(want["se"], rel=1e-8)


def test_replicate_design_csv_output_and_json_summary(tmp_path: Path, totals: Path) -> None:
    out = tmp_path / "cal.csv"
    res = run("calibrate", str(DATA), *DESIGN, "--replicates", "JK1", "--totals", str(totals), "--method", "raking",
              "--out", str(out), "--format", "json", "--weight-name", "w")
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["method"] == "raking" and summary["converged"]
    table = pacsv.read_csv(out)
    assert table.column_names[-16:] == ["w", *[f"w_rep{r}" for r in range(1, 16)]]
    assert json.loads(Path(f"{out}.calibration.json").read_text())["replicate_weights"][0] == "w_rep1"
    # R's CAL10 (JK1, linear) is the linear twin; here: every replicate reaches the totals
    for r in range(1, 16):
        assert sum(table[f"w_rep{r}"].to_pylist()) == pytest.approx(6194, rel=1e-6)


def test_errors_in_spanish_and_warn_flag(tmp_path: Path, totals: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("term,level,total\nstype,E,4421\nstype,H,1773\n")
    res = run("calibrate", str(DATA), *DESIGN, "--totals", str(bad), "--out", str(tmp_path / "o.parquet"),
              "--lang", "es")
    assert res.exit_code == 2
    assert "sin total" in res.output and "sugerencia:" in res.output
    with pytest.warns(CalibrationWarning):
        res = run("calibrate", str(DATA), *DESIGN, "--totals", str(totals), "--method", "raking", "--maxit", "2",
                  "--epsilon", "1e-14", "--on-nonconvergence", "warn", "--out", str(tmp_path / "w.parquet"))
    assert res.exit_code == 0, res.output
    assert "NOT converged" in res.output
    with pytest.warns(CalibrationWarning):
        est = run("estimate", str(tmp_path / "w.parquet"), "-e", "mean:api00", "--format", "csv")
    assert "calibration_not_converged" in est.stdout


def test_help_describes_totals_and_design_options() -> None:
    res = run("calibrate", "--help")
    assert res.exit_code == 0
    for word in ("--totals", "--method", "--bounds", "--trim", "--weights", "--strata", "--replicates",
                 "--repweights", "ine:"):
        assert word in res.output


@pytest.mark.parametrize(("lang", "api99"), [("es", "3.914.069,00    3.759.622,81"), ("fr", "3\u202f914\u202f069,00    3\u202f759\u202f622,81"),
                                             ("en", "3,914,069.00    3,759,622.81")])
def test_summary_numbers_use_the_languages_separators(tmp_path: Path, totals: Path, lang: str, api99: str) -> None:
    """In Spanish '6,194.00' reads as six point one: the table of weights and totals writes numbers as the language does."""
    res = run("--lang", lang, "calibrate", str(DATA), *DESIGN, "--totals", str(totals), "--out", str(tmp_path / "o.parquet"))
    assert res.exit_code == 0, res.output
    assert api99 in res.output
    weights = {"es": "6.194,00       33,85       33,85", "fr": "6\u202f194,00       33,85       33,85",
               "en": "6,194.00       33.85       33.85"}[lang]
    assert weights in res.output
