"""`corridor small-areas` as an analyst uses it: the documented pipeline, R sae's numbers, errors, help."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from corridor.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAE = ROOT / "tests" / "reference" / "sae"
CASEN = ["demo:casen_2020", "--weights", "expr", "--strata", "estrato", "--ids", "cod_upm",
         "--lonely-psu", "certainty", "--na", "drop"]


def invoke(*args: str, ok: bool = True) -> object:
    res = CliRunner().invoke(main, list(args), catch_exceptions=False)
    if ok:
        assert res.exit_code == 0, res.output
    return res


def test_documented_pipeline(tmp_path: Path) -> None:
    direct = tmp_path / "direct.csv"
    invoke("estimate", *CASEN, "-e", "proportion:pobreza", "--by", "region", "-o", str(direct))
    out = tmp_path / "areas.csv"
    info = tmp_path / "model.json"
    res = invoke("small-areas", str(direct), "--select", "level=1", "--method", "REML", "--out", str(out),
                 "--model-info", str(info), "--lang", "es")
    assert "Estimaciones para áreas pequeñas" in res.output and "16 áreas escritas" in res.output
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 16 and rows[0]["region"] == "1" and rows[0]["method"] == "eblup"
    model = json.loads(info.read_text())
    assert model["fit"]["converged"] is True and model["ledger"]["not_selected"] == 32
    # without --select the three levels of pobreza are refused, with the option to use
    res = invoke("small-areas", str(direct), ok=False)
    assert res.exit_code == 2 and "3 different estimates per area" in res.output
    assert "--select level=1" in res.output and "Traceback" not in res.output


def test_reproduces_r_sae_on_milk(tmp_path: Path) -> None:
    expected = json.loads((SAE / "expected" / "SAE02.json").read_text())
    out = tmp_path / "milk.json"
    coefs = tmp_path / "coef.csv"
    invoke("small-areas", str(SAE / "data" / "milk.csv"), "--area", "SmallArea", "--estimate-column", "yi",
           "--vardir-column", "var", "--factor", "MajorArea", "--method", "ML", "--stopping", "sae", "--tol", "1e-4",
           "--out", str(out), "--coefficients", str(coefs), "-q")
    got = json.loads(out.read_text())
    assert got["fit"]["iterations"] == expected["fit"]["iterations"]
    assert got["fit"]["refvar"] == pytest.approx(expected["fit"]["refvar"], rel=1e-10)
    for a, b in zip(got["areas"], expected["areas"], strict=True):
        assert a["eblup"] == pytest.approx(b["eblup"], rel=1e-10)
        assert a["mse"] == pytest.approx(b["mse"], rel=1e-10)
    betas = [float(r["beta"]) for r in csv.DictReader(coefs.open())]
    assert betas == pytest.approx([c["beta"] for c in expected["coefficients"]], rel=1e-10)


def test_stdout_csv_and_bootstrap(tmp_path: Path) -> None:
    res = invoke("small-areas", str(SAE / "data" / "milk.csv"), "--area", "SmallArea", "--estimate-column", "yi",
                 "--vardir-column", "var", "--factor", "MajorArea", "--mse", "bootstrap", "--reps", "50",
                 "--seed", "3", "-q")
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert len(rows) == 43 and all(float(r["mse"]) > 0 for r in rows)


def test_nonconvergence_is_an_error_or_a_flag() -> None:
    args = ["small-areas", str(SAE / "data" / "milk.csv"), "--area", "SmallArea", "--estimate-column", "yi",
            "--vardir-column", "var", "--factor", "MajorArea", "--stopping", "sae", "--maxit", "2"]
    res = invoke(*args, ok=False)
    assert res.exit_code == 2 and "did not converge in 2 iterations" in res.output and "hint:" in res.output
    res = invoke(*args, "--on-nonconvergence", "warn", "--lang", "fr")
    assert "avertissement : l'ajustement REML n'a pas convergé" in res.stderr and "PAS DE CONVERGENCE" in res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert all("not_converged" in r["flag"] for r in rows)


def test_help_documents_every_option() -> None:
    res = invoke("small-areas", "--help")
    from corridor.cli.small_areas import command

    for param in command.params:
        if param.param_type_name == "option":
            assert param.help, f"option {param.name} has no help text"
            assert param.opts[-1] in res.output
    assert "corridor small-areas direct.csv --select level=1" in res.output
    assert "small-areas" in invoke("--help").output
