"""``corridor profile`` on the command line: help, errors (exit 2, no traceback), outputs."""

from __future__ import annotations

from click.testing import CliRunner

from corridor.cli.profile import command


def test_help_lists_every_option() -> None:
    out = CliRunner().invoke(command, ["--help"]).output
    for opt in ("--origin", "--destination", "--region", "--lang", "--out", "--data", "--scheme", "--min-n", "--no-pdf", "--quiet"):
        assert opt in out
    assert "SYNTHETIC" in out and "Examples" in out


def test_bad_country(tmp_path) -> None:
    r = CliRunner().invoke(command, ["--origin", "COLOMBIA", "--destination", "CHL", "--out", str(tmp_path)])
    assert r.exit_code == 2
    assert "error: origin 'COLOMBIA' is not an ISO code" in r.output
    assert "hint:" in r.output and "Traceback" not in r.output


def test_bad_region(tmp_path) -> None:
    r = CliRunner().invoke(command, ["--origin", "COL", "--destination", "CHL", "--region", "CO-ANT", "--out", str(tmp_path)])
    assert r.exit_code == 2
    assert "not a region of CHL" in r.output


def test_bad_data(tmp_path) -> None:
    r = CliRunner().invoke(command, ["--origin", "COL", "--destination", "CHL", "--data", str(tmp_path / "nope.parquet"),
                                     "--out", str(tmp_path)])
    assert r.exit_code == 2
    assert "survey data not found" in r.output


def test_bad_lang() -> None:
    r = CliRunner().invoke(command, ["--origin", "COL", "--destination", "CHL", "--lang", "de"])
    assert r.exit_code == 2
    assert "'de' is not one of" in r.output
