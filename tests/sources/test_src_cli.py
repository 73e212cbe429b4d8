"""`corridor sources describe|check|specs`, tested on the click group itself."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from corridor.errors import ColumnNotFoundError, CorridorError
from corridor.sources import read_source
from corridor.sources.describe import describe

ROOT = Path(__file__).resolve().parents[2]


def _command():
    # Loaded from its file: the package corridor.cli imports every sub-command, some not ours.
    spec = importlib.util.spec_from_file_location("corridor_cli_sources", ROOT / "src" / "corridor" / "cli" / "sources.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.command


@pytest.fixture(scope="module")
def cli():
    return _command()


def test_describe_counts_and_labels(tmp_path, con):
    import pandas as pd
    import pyreadstat

    p = tmp_path / "x.dta"
    pyreadstat.write_dta(pd.DataFrame({"sexo": [1, 2, 2, None]}), str(p), column_labels=["Sexo"],
                         variable_value_labels={"sexo": {1: "Hombre", 2: "Mujer"}})
    info = describe(read_source(p, con=con))
    col = info["columns"][0]
    assert (info["rows"], col["label"], col["missing"], col["distinct"]) == (4, "Sexo", 1, 2)
    assert {(v["value"], v["count"], v.get("label")) for v in col["values"]} == {(2, 2, "Mujer"), (1, 1, "Hombre"), (None, 1, None)}


def test_describe_command(cli, datasets):
    r = CliRunner().invoke(cli, ["describe", str(datasets / "fonasa_beneficiaries" / "fonasa_beneficiarios.csv"), "--json"])
    assert r.exit_code == 0, r.output
    info = json.loads(r.output)
    assert info["rows"] == 346 and [c["name"] for c in info["columns"]][-1] == "beneficiarios"


def test_describe_follows_its_own_hint_for_duplicate_columns(cli, tmp_path):
    """The duplicate-column error's hint names --rename: describe takes it, as estimate does."""
    import openpyxl

    book = openpyxl.Workbook()
    for row in (["w", "y", "y"], [1, 2, 20], [1, 4, 40]):
        book.active.append(row)
    p = tmp_path / "dup.xlsx"
    book.save(p)
    r = CliRunner().invoke(cli, ["describe", str(p)])
    assert isinstance(r.exception, CorridorError) and "columns B and C" in str(r.exception)
    assert "--rename 3=y_2" in str(r.exception)
    r = CliRunner().invoke(cli, ["describe", str(p), "--rename", "3=y_2", "--json"])
    assert r.exit_code == 0, r.output
    cols = {c["name"]: c for c in json.loads(r.output)["columns"]}
    assert list(cols) == ["w", "y", "y_2"]
    assert sorted(v["value"] for v in cols["y_2"]["values"]) == [20, 40]
    r = CliRunner().invoke(cli, ["describe", str(p), "--rename", "3y_2"])
    assert r.exit_code == 2 and "write POS=NAME, e.g. 7=expr_2021 (got '3y_2')" in r.output


def test_check_command_prints_the_ledger(cli, datasets, tmp_path):
    spec = tmp_path / "fonasa_antofagasta.yaml"
    spec.write_text(
        "name: fonasa_antofagasta\n"
        "filters: [{rule: Antofagasta region only, where: 'codigo_region = 2'}]\n"
        "columns:\n  region: {from: codigo_region, table: cl_region}\n  count: beneficiarios\n"
    )
    f = datasets / "fonasa_beneficiaries" / "fonasa_beneficiarios.csv"
    r = CliRunner().invoke(cli, ["check", str(spec), "--file", str(f)])
    assert r.exit_code == 0, r.output
    assert "rows read               346" in r.output
    assert "  filtered              337  Antofagasta region only" in r.output  # 9 comunas kept
    assert "rows kept                 9" in r.output


def test_check_command_json(cli):
    r = CliRunner().invoke(cli, ["check", "nhanes_2017_2018_demo", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["ledger"]["read"] == out["ledger"]["kept"] == 9254
    assert out["design"]["nest"] is True and out["columns"]["migrant_status"] == "VARCHAR"


def test_check_command_user_errors_are_corridor_errors(cli, tmp_path):
    p = tmp_path / "casen.csv"
    p.write_text("sexo,edad\n1,3\n")
    spec = tmp_path / "s.yaml"
    spec.write_text("name: s\ncolumns:\n  sex: {from: sex, codes: {1: male}}\n")
    r = CliRunner().invoke(cli, ["check", str(spec), "--file", str(p)])
    assert isinstance(r.exception, ColumnNotFoundError) and "'sex'" in str(r.exception) and "casen.csv" in str(r.exception)
    r = CliRunner().invoke(cli, ["describe", str(tmp_path / "missing.csv")])
    assert isinstance(r.exception, CorridorError)


def test_specs_command(cli):
    r = CliRunner().invoke(cli, ["specs"])
    assert r.exit_code == 0 and "ine_sermig_foreign_residents" in r.output and "geih_2022" in r.output
