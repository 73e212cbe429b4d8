"""`corridor profile`'s engine options: the DuckDB working memory applies to the whole profile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import corridor.report
from corridor.cli import main
from corridor.engine.duckdb import connect


def _memory_limit(con: Any) -> str:
    return str(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])


class _Stop(Exception):
    pass


def test_memory_limit_reaches_the_profiles_engine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The engine build_profile receives has the limit asked for, not the 512MB default."""
    seen: dict[str, str] = {}

    def fake_build(*_args: Any, engine: Any, **_kw: Any) -> Any:
        seen["limit"] = _memory_limit(engine.connection)
        raise _Stop

    monkeypatch.setattr(corridor.report, "build_profile", fake_build)
    res = CliRunner().invoke(main, ["profile", "--origin", "COL", "--destination", "CHL", "--memory-limit", "1GB",
                                    "--out", str(tmp_path), "--no-pdf", "--quiet"])
    assert isinstance(res.exception, _Stop), res.output
    assert seen["limit"] == _memory_limit(connect("1GB"))
    assert seen["limit"] != _memory_limit(connect())


def test_memory_limit_errors_in_the_users_language(tmp_path: Path) -> None:
    out = ["--out", str(tmp_path), "--no-pdf", "--quiet"]
    bad = CliRunner().invoke(main, ["profile", "--origin", "COL", "--destination", "CHL", "--memory-limit", "lots", *out])
    assert bad.exit_code == 2 and "memory limit 'lots' is not understood" in bad.output
    es = CliRunner().invoke(main, ["--lang", "es", "profile", "--origin", "COL", "--destination", "CHL",
                                   "--memory-limit", "lots", *out])
    assert es.exit_code == 2 and "no se entiende el límite de memoria 'lots'" in es.output
    # Spark's memory is the Spark session's: refused before any session starts
    spark = CliRunner().invoke(main, ["profile", "--origin", "COL", "--destination", "CHL", "--engine", "spark",
                                      "--memory-limit", "1GB", *out])
    assert spark.exit_code == 2 and "with --engine spark give Spark's memory" in spark.output
    fr = CliRunner().invoke(main, ["--lang", "fr", "profile", "--origin", "COL", "--destination", "CHL",
                                   "--engine", "spark", "--memory-limit", "1GB", *out])
    assert fr.exit_code == 2 and "avec --engine spark, donnez la mémoire de Spark" in fr.output


def test_estimate_usage_errors_in_the_users_language() -> None:
    es = CliRunner().invoke(main, ["--lang", "es", "estimate", "-e", "mean:edad"])
    assert es.exit_code == 2 and "indique un archivo DATA o --spec" in es.output
    fr = CliRunner().invoke(main, ["--lang", "fr", "estimate", "demo:casen_2020", "--weights", "expr", "-e", "mean:edad",
                                   "--df", "many"])
    assert fr.exit_code == 2 and "utilisez design, domain, normal ou un nombre" in fr.output
