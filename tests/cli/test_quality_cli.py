"""``corridor quality create`` and ``assess`` on calidad's ENE extract give calidad 0.8.2's table and labels."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from click.testing import CliRunner
from quality.calidad_cases import close, data, expected, key, r_table

from corridor.cli import main
from corridor.cli.quality import command

DESIGN = ["--weights", "fact_cal", "--strata", "estrato_unico", "--ids", "conglomerado", "--lonely-psu", "certainty"]


@pytest.fixture(scope="module")
def ene_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("ene") / "ene.csv"
    data("ene").to_csv(path, index=False)
    return str(path)


def test_create_and_label_as_calidad(ene_csv, tmp_path):
    """Reference C08: create_prop("desocupado", "region+sexo", subpop = "fdt", eclac_input = TRUE, ci = TRUE,
    ajuste_ene = TRUE) %>% assess(scheme = "chile", publish = TRUE)."""
    out = tmp_path / "c08.json"
    res = CliRunner().invoke(main, ["quality", "create", "prop", ene_csv, "--var", "desocupado", "--domains",
                                    "region+sexo", "--subpop", "fdt", *DESIGN, "--eclac-input", "--ci", "--ajuste-ene",
                                    "--scheme", "chile", "--publish", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert f"wrote 32 rows to {out}" in res.output
    rows = json.loads(out.read_text())
    want = r_table(expected("C08")["assess"][0]["table"]).to_pylist()
    got = {(key(r["region"]), key(r["sexo"])): r for r in rows}
    assert len(got) == len(want) == 32
    for w in want:
        g = got[(w["region"], w["sexo"])]
        assert (g["label"], g["eval_se"], g["publication"], g["pass"]) == (w["label"], w["eval_se"],
                                                                          w["publication"], w["pass"])
        assert close(np.array([g["stat"], g["se"], g["lower"], g["quadratic"]]),
                     np.array([w["stat"], w["se"], w["lower"], w["quadratic"]])).all()


def test_assess_a_table_written_by_calidad(tmp_path):
    """A CSV of calidad's own C12 table (a ratio by region), assessed by ECLAC 2023 from the command line."""
    table = r_table(expected("C12")["table"]).to_pandas()
    path = tmp_path / "c12.csv"
    table.to_csv(path, index=False)
    res = CliRunner().invoke(main, ["quality", "assess", str(path), "--estimand", "ratio", "--scheme", "eclac_2023",
                                    "--format", "json"])
    assert res.exit_code == 0, res.output
    got = [r["label"] for r in json.loads(res.output)]
    assert got == r_table(expected("C12")["assess"][2]["table"]).column("label").to_pylist()


def test_mistakes_print_a_message_and_a_hint(ene_csv):
    res = CliRunner().invoke(main, ["quality", "create", "size", ene_csv, "--var", "fact_cal", *DESIGN])
    assert res.exit_code == 2
    assert "needs a 0/1 variable" in res.output and "hint:" in res.output
    res = CliRunner().invoke(main, ["quality", "create", "mean", ene_csv, "--var", "fact_cal", *DESIGN,
                                    "--scheme", "chile", "--param", "n"])
    assert res.exit_code == 2 and "NAME=NUMBER" in res.output


@pytest.mark.parametrize(("lang", "message", "hint", "param"), [
    ("es", r"create_size necesita una variable 0/1, pero la columna 'fact_cal' tiene [\d.]+ valores distintos \(por ejemplo",
     "recodifique 'fact_cal' como 1 para la característica y 0 en otro caso", "escriba NOMBRE=NÚMERO, por ejemplo n=30"),
    ("fr", "create_size a besoin d'une variable 0/1, mais la colonne 'fact_cal' a [\\d\u202f]+ autres valeurs \\(par exemple",
     "recodez 'fact_cal' en 1 pour la caractéristique et 0 sinon", "écrivez NOM=NOMBRE, par exemple n=30"),
])
def test_mistakes_read_in_the_users_language(ene_csv, lang, message, hint, param):
    res = CliRunner().invoke(main, ["--lang", lang, "quality", "create", "size", ene_csv, "--var", "fact_cal", *DESIGN])
    assert res.exit_code == 2
    assert re.search(message, res.output) and hint in res.output, res.output
    res = CliRunner().invoke(main, ["--lang", lang, "quality", "create", "mean", ene_csv, "--var", "fact_cal", *DESIGN,
                                    "--scheme", "chile", "--param", "n"])
    assert res.exit_code == 2 and param in res.output, res.output


def test_help_documents_every_option():
    for name, sub in command.commands.items():
        res = CliRunner().invoke(main, ["quality", name, "--help"])
        assert res.exit_code == 0
        for param in sub.params:
            if param.param_type_name == "option":
                assert param.help, f"{name}: option {param.name} has no help text"
