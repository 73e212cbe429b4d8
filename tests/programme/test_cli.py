"""``corridor programme``: every sub-command through click, including the no-argument demo report."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from .conftest import DEMO, DEMO_TRAININGS, DEMO_YAML, load_cli

command = load_cli()
SUBCOMMANDS = ["init", "load", "import-trainings", "refresh", "progress", "report", "export-iati"]


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
    res = runner.invoke(command, ["--db", db, "init"])
    assert res.exit_code == 0 and "revision 0001 (was empty)" in res.output
    res = runner.invoke(command, ["--db", db, "load", str(DEMO_YAML)])
    assert res.exit_code == 0, res.output
    assert "3 lines of work" in res.output and "4 indicators" in res.output
    res = runner.invoke(command, ["--db", db, "import-trainings", str(DEMO_TRAININGS)])
    assert res.exit_code == 0, res.output
    assert "imported 252 participant rows in 14 sessions" in res.output and "[SYNTHETIC]" in res.output
    res = runner.invoke(command, ["--db", db, "refresh"])
    # OC1.1, OC1.2: baseline + 2017 actual; OP3.1.1: baseline + total + 3 regions + 7 professions + 2 sexes;
    # OP3.1.2: baseline + total + 3 regions -> 2 + 2 + 14 + 5
    assert res.exit_code == 0 and "refreshed 23 baselines and actuals" in res.output
    res = runner.invoke(command, ["--db", db, "progress", "--format", "json"])
    assert res.exit_code == 0
    rows = {(r["indicator"], r["dimension"]): r for r in json.loads(res.output)}
    assert rows[("OC1.1", "")]["status"] == "not_yet_demonstrated"
    assert rows[("OP3.1.1", "region=CL-AN")]["actual"] == 135
    res = runner.invoke(command, ["--db", db, "report", "--lang", "fr", "--no-pdf", "--out", str(tmp_path / "r")])
    assert res.exit_code == 0
    assert "Cadre logique" in (tmp_path / "r" / "programme-report-fr.html").read_text(encoding="utf-8")
    res = runner.invoke(command, ["--db", db, "export-iati", "--out", str(tmp_path / "a.xml")])
    assert res.exit_code == 0 and "valid against the activity schema" in res.output
    assert ET.parse(tmp_path / "a.xml").getroot().tag == "iati-activities"
    # importing the same file again is refused, with the row, and exit status 2
    res = runner.invoke(command, ["--db", db, "import-trainings", str(DEMO_TRAININGS)])
    assert res.exit_code == 2
    assert "duplicate session" in res.output and "row 3" in res.output and "Traceback" not in res.output


def test_bad_yaml_is_a_clean_error(runner, tmp_path):
    bad = tmp_path / "programme.yaml"
    bad.write_text(DEMO_YAML.read_text(encoding="utf-8").replace("indicator: uninsured_share,", "indicator: nope,"),
                   encoding="utf-8")
    (tmp_path / "evidence_demo_SYNTHETIC.csv").write_bytes((DEMO / "evidence_demo_SYNTHETIC.csv").read_bytes())
    res = runner.invoke(command, ["--db", f"sqlite:///{tmp_path / 'p.sqlite'}", "load", str(bad)])
    assert res.exit_code == 2
    assert f"{bad}, line" in res.output and "'nope'" in res.output and "hint:" in res.output


def test_no_arguments_uses_the_demo(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the report is written to ./programme-report
    res = runner.invoke(command, ["report"])
    assert res.exit_code == 0, res.output
    assert "shipped Chile-Colombia demo" in res.output
    pages = [int(x) for x in re.findall(r"\((\d+) pages\)", res.output)]
    assert len(pages) == 3 and all(3 <= n <= 12 for n in pages)
    out = sorted(p.name for p in (tmp_path / "programme-report").iterdir())
    assert out == [f"programme-report-{lang}.{ext}" for lang in ("en", "es", "fr") for ext in ("html", "pdf")]
    for lang in ("es", "fr", "en"):
        assert (tmp_path / "programme-report" / f"programme-report-{lang}.pdf").read_bytes()[:5] == b"%PDF-"
    res = runner.invoke(command, ["progress"])
    assert res.exit_code == 0 and "not_yet_demonstrated" in res.output
    res = runner.invoke(command, ["export-iati", "--out", "-"])
    assert res.exit_code == 0 and "<iati-activities" in res.output
