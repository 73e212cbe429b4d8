"""``corridor programme``: every sub-command through click, including the no-argument demo."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from .conftest import DEMO_PROFILE, DEMO_TRAININGS, DEMO_VALUES, DEMO_YAML, load_cli

command = load_cli()
SUBCOMMANDS = ["init", "load", "import-trainings", "refresh", "record", "period", "commitment", "meeting", "progress",
               "report", "export-iati", "check-iati"]


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.delenv("CORRIDOR_PROGRAMME_DB", raising=False)
    return CliRunner()


@pytest.mark.parametrize("sub", [None, *SUBCOMMANDS])
def test_help(runner, sub):
    res = runner.invoke(command, ([sub] if sub else []) + ["--help"])
    assert res.exit_code == 0
    assert "Usage:" in res.output
    if sub is None:
        for name in SUBCOMMANDS:
            assert name in res.output


def test_full_workflow_on_a_database(runner, tmp_path):
    db = f"sqlite:///{tmp_path / 'p.sqlite'}"

    def run(*args: str, code: int = 0) -> str:
        res = runner.invoke(command, ["--db", db, "--user", "ana", *args])
        assert res.exit_code == code, res.output
        return res.output

    assert "revision 0002 (was empty)" in run("init")
    out = run("load", str(DEMO_YAML))
    assert "3 lines of work" in out and "13 indicators" in out and "4 reporting periods" in out
    out = run("import-trainings", str(DEMO_TRAININGS))
    assert "imported 1021 participant rows" in out and "[SYNTHETIC]" in out
    assert "imported 120 values" in run("record", "--file", str(DEMO_VALUES))
    out = run("record", "OP1.1.1", "--org", "CIVIL-SOCIETY", "--period", "2026", "--area", "CL-AN", "--dim", "sex=F",
              "--value", "40")
    assert "recorded OP1.1.1 = 40 (CIVIL-SOCIETY, 2026, CL-AN, sex=F)" in out
    assert "refreshed programme CHL-COL-HEALTH-MIGRATION: 0 new, 0 revised" in run("refresh", "--from-profile",
                                                                                  str(DEMO_PROFILE))
    assert "period 2023 of CIVIL-SOCIETY: draft → submitted" in run("period", "submit", "2023", "--org", "CIVIL-SOCIETY")
    run("period", "approve", "2023", "--org", "CIVIL-SOCIETY")
    run("period", "lock", "2023", "--org", "CIVIL-SOCIETY")
    out = run("record", "OP1.1.1", "--org", "CIVIL-SOCIETY", "--period", "2023", "--area", "CL-AN", "--value", "1",
              code=2)
    assert "period 2023 of CIVIL-SOCIETY is locked" in out and "unlock" in out and "Traceback" not in out
    assert "needs a reason" in run("period", "unlock", "2023", "--org", "CIVIL-SOCIETY", code=2)
    assert "locked → draft" in run("period", "unlock", "2023", "--org", "CIVIL-SOCIETY", "--reason", "typo")
    assert "CIVIL-SOCIETY" in run("period", "status")
    assert "commitment PROPOSAL-OCT: Done (2015-10-14)" in run("commitment", "PROPOSAL-OCT", "--status", "done",
                                                                      "--done-on", "2015-10-14")
    assert "meeting BINATIONAL-1: 3 decisions, minutes recorded" in run(
        "meeting", "BINATIONAL-1", "--minutes", "Acta de la reunión", "--decision", "Crear un comité", "--lang", "es")
    # a reload does not undo what the database owns
    assert "kept as in the database" in run("load", str(DEMO_YAML))
    rows = {(r["indicator"], r["period"], r["dimension"]): r
            for r in json.loads(run("progress", "--format", "json", "--today", "2026-12-04"))}
    assert rows[("OP3.1.1", "2023", "")]["status"] == "met"
    assert rows[("OP1.1.1", "2026", "sex=F")]["actual"] == rows[("OP1.1.1", "2026", "sex=F")]["actual"] // 1
    run("report", "--lang", "fr", "--no-pdf", "--out", str(tmp_path / "r"), "--today", "2026-12-04")
    html = (tmp_path / "r" / "programme-report-fr.html").read_text(encoding="utf-8")
    assert "Matrice des résultats" in html and "Crear un comité" in html and "typo" in html
    out = run("export-iati", "--lang", "es", "--out", str(tmp_path / "a.xml"))
    assert "valid against the activity schema" in out and " 0 errors, 0 warnings" in out
    assert ET.parse(tmp_path / "a.xml").getroot().tag == "iati-activities"
    out = runner.invoke(command, ["check-iati", str(tmp_path / "a.xml")])
    assert out.exit_code == 0 and "schema: valid" in out.output
    # importing the same file again is refused, with the row, and exit status 2
    out = run("import-trainings", str(DEMO_TRAININGS), code=2)
    assert "duplicate session" in out and "row 3" in out


def test_check_iati_fails_a_broken_file(runner, tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text('<?xml version="1.0"?><iati-activities version="2.03"><iati-activity '
                   'last-updated-datetime="2020-01-01T00:00:00Z"><iati-identifier>X-1</iati-identifier>'
                   '</iati-activity></iati-activities>', encoding="utf-8")
    res = runner.invoke(command, ["check-iati", str(bad)])
    assert res.exit_code == 1 and "errors" in res.output and "6.11.1" in res.output


def test_bad_yaml_is_a_clean_error(runner, tmp_path):
    bad = tmp_path / "programme.yaml"
    bad.write_text(DEMO_YAML.read_text(encoding="utf-8").replace("indicator: uninsured_share, population: corridor, "
                                                                 "area: CHL", "indicator: nope, population: corridor, "
                                                                 "area: CHL"), encoding="utf-8")
    import shutil

    shutil.copytree(DEMO_PROFILE, tmp_path / "profile_COL_CHL")
    res = runner.invoke(command, ["--db", f"sqlite:///{tmp_path / 'p.sqlite'}", "load", str(bad)])
    assert res.exit_code == 2
    assert f"{bad}, line" in res.output and "'nope'" in res.output and "hint:" in res.output


def test_no_arguments_uses_the_demo(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the report is written to ./programme-report
    res = runner.invoke(command, ["report", "--lang", "es", "--no-pdf"])
    assert res.exit_code == 0, res.output
    assert "shipped Chile-Colombia demo" in res.output
    assert (tmp_path / "programme-report" / "programme-report-es.html").exists()
    res = runner.invoke(command, ["progress"])
    assert res.exit_code == 0 and "Not yet demonstrated" in res.output
    res = runner.invoke(command, ["export-iati", "--out", "-"])
    assert res.exit_code == 0 and "<iati-activities" in res.output


@pytest.mark.parametrize(("lang", "note", "wrote", "status_head"), [
    ("es", "nota: no hay base de datos de programas", "escrito: ", "estado"),
    ("fr", "remarque : pas de base de données des programmes", "écrit : ", "statut"),
    ("en", "note: no programme database", "wrote ", "status"),
])
def test_messages_in_the_users_language(runner, tmp_path, lang, note, wrote, status_head):
    """What the programme commands print reads in the language of messages (--lang, CORRIDOR_LANG), through
    the catalogue: the demo note, what was written, the progress table's heads and states."""
    from corridor.cli import main

    res = runner.invoke(main, ["--lang", lang, "programme", "report", "--lang", lang, "--no-pdf",
                               "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert note in res.output and f"{wrote}{tmp_path}" in res.output, res.output
    res = runner.invoke(main, ["--lang", lang, "programme", "progress"])
    assert res.exit_code == 0, res.output
    head = res.output.split("\n", 2)[1]
    assert head.split()[-1] == status_head, head
    if lang != "en":
        assert not {"met", "not_met", "no_data", "on_track", "off_track"} & set(res.output.split()), res.output
    res = runner.invoke(main, ["--lang", lang, "programme", "--db", f"sqlite:///{tmp_path / 'e.sqlite'}", "refresh"])
    assert res.exit_code == 2
    assert {"es": "no contiene ningún programa", "fr": "ne contient aucun programme",
            "en": "holds no programme"}[lang] in res.output, res.output


def test_without_the_programme_extra_the_command_names_it(runner, monkeypatch, tmp_path):
    """Installed without [programme], `corridor programme report` says which extra to install (it failed with a
    ModuleNotFoundError traceback)."""
    import sys

    from corridor.cli import main

    monkeypatch.setitem(sys.modules, "sqlalchemy", None)  # import sqlalchemy -> ImportError
    res = runner.invoke(main, ["programme", "report", "--lang", "es", "--out", str(tmp_path)])
    assert res.exit_code == 2, res.output
    assert "corridor programme" in res.output and "pip install 'corridor[programme]'" in res.output, res.output
    assert "sqlalchemy" in res.output and "no está instalado" in res.output, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)


def test_record_load_and_import_errors_in_spanish(runner, tmp_path):
    """The errors of `corridor programme record`, `load` and `import-trainings` read in the language of
    messages: a locked period, a value that is not a count, a file that does not exist, a file imported twice."""
    from corridor.cli import main

    db = f"sqlite:///{tmp_path / 'p.sqlite'}"

    def run(*args: str, code: int = 0) -> str:
        res = runner.invoke(main, ["--lang", "es", "programme", "--db", db, "--user", "ana", *args])
        assert res.exit_code == code, res.output
        return res.output

    run("init")
    run("load", str(DEMO_YAML))
    run("import-trainings", str(DEMO_TRAININGS))
    for action in ("submit", "approve", "lock"):
        run("period", action, "2023", "--org", "CIVIL-SOCIETY")
    out = run("record", "OP1.1.1", "--org", "CIVIL-SOCIETY", "--period", "2023", "--area", "CL-AN", "--value", "1",
              code=2)
    assert "error: valor de OP1.1.1: el período 2023 de CIVIL-SOCIETY está cerrado (desde el " in out, out
    assert "un administrador puede reabrirlo, indicando un motivo (`corridor programme period unlock`); " \
           "no se escribió nada" in out, out
    out = run("record", "OP1.1.1", "--org", "CIVIL-SOCIETY", "--period", "2026", "--area", "CL-AN", "--value", "-3",
              code=2)
    assert "valor de OP1.1.1: el valor '-3' no es un conteo (un número, 0 o más)" in out, out
    assert "corrija el valor y regístrelo de nuevo; no se escribió nada" in out
    out = run("period", "unlock", "2023", "--org", "CIVIL-SOCIETY", code=2)
    assert "unlock del período 2023 de CIVIL-SOCIETY necesita un motivo" in out and "--reason TEXTO" in out, out
    out = run("load", str(tmp_path / "nada.yaml"), code=2)
    assert f"el archivo de programa {tmp_path / 'nada.yaml'} no existe" in out, out
    out = run("import-trainings", str(DEMO_TRAININGS), code=2)
    assert f"problemas en los registros de capacitación {DEMO_TRAININGS}; no se importó nada (se listan los primeros " \
           in out, out
    assert "fila 3, columna 'session_id', valor 'S001': sesión duplicada: ya se importó el 2023-" in out, out
    assert "duplicate session" not in out and " row " not in out
