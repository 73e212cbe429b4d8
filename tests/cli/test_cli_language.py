"""The command line speaks the user's language: --lang, CORRIDOR_LANG, the system locale."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from corridor import i18n
from corridor.cli import main


def run(*args: str, env: dict[str, str] | None = None) -> object:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_errors_follow_lang_on_any_command() -> None:
    res = run("estimate", "demo:casen_2020", "-e", "mean:edda", "--weights", "expr", "--lang", "fr")
    assert res.exit_code == 2
    assert "erreur : colonne 'edda' introuvable" in res.output
    assert "conseil : vouliez-vous dire 'edad' ?" in res.output
    res = run("--lang", "es", "estimate", "demo:casen_2020", "-e", "mean:edda", "--weights", "expr")
    assert "error: no se encuentra la columna 'edda'" in res.output and "sugerencia: ¿quiso decir 'edad'?" in res.output


def test_language_from_corridor_lang_then_locale() -> None:
    env = {"CORRIDOR_LANG": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": "es_CL.UTF-8"}
    res = run("profle", env=env)
    assert "No existe el comando 'profle'. ¿Quiso decir 'profile'?" in res.output
    assert "Uso: " in res.output
    res = run("profle", env={**env, "CORRIDOR_LANG": "fr"})
    assert "La commande 'profle' n'existe pas. Vouliez-vous dire 'profile' ?" in res.output
    # an explicit --lang wins over both
    res = run("--lang", "en", "profle", env={**env, "CORRIDOR_LANG": "fr"})
    assert "No such command 'profle'. Did you mean 'profile'?" in res.output


def test_click_messages_and_help_headings_translated() -> None:
    res = run("profile", "--lang", "fr")
    assert "Option manquante '--origin'." in res.output and "Utilisation : " in res.output
    res = run("sources", "--lang", "es", "--help")
    assert "Opciones:" in res.output and "Muestra este mensaje y termina." in res.output
    res = run("sources", "describe", "--lang", "fr", "--help")
    assert "Options :" in res.output


def test_lang_option_added_once() -> None:
    for _ in range(3):
        res = run("sources", "specs", "--help")
        assert res.output.count("--lang") == 1


def test_language_restored_after_a_run() -> None:
    run("--lang", "fr", "sources", "specs")
    assert i18n.current() == "en"


def test_unknown_language_refused_in_the_chosen_language() -> None:
    res = run("--lang", "fr", "sources", "specs", "--lang", "de")
    assert res.exit_code == 2 and "'de' ne fait pas partie de 'es', 'fr', 'en'" in res.output


@pytest.mark.parametrize("lang,word", [("es", "Sugerencia"), ("fr", "Conseil"), ("en", "Hint")])
def test_library_errors_render_in_any_language(lang: str, word: str) -> None:
    from corridor.errors import ColumnNotFoundError

    exc = ColumnNotFoundError.from_names(["edda"], ["edad"])
    with i18n.language(lang):
        assert str(exc).splitlines()[1].startswith(word)
    assert exc.key == "error.columns_not_found"


def test_a_commands_own_default_language_does_not_override_the_chosen_one() -> None:
    # profile's --lang defaults to en (its documents); messages stay in the language asked for
    res = run("profile", "--origin", "XXX", "--destination", "CHL", "--no-pdf", env={"CORRIDOR_LANG": "fr"})
    assert res.exit_code == 2 and res.output.startswith("erreur : ") and "\nconseil : " in res.output, res.output
    res = run("--lang", "es", "profile", "--origin", "XXX", "--destination", "CHL", "--no-pdf")
    assert res.exit_code == 2 and "\nsugerencia: " in res.output, res.output


def test_profile_in_several_languages_is_computed_once(tmp_path, monkeypatch) -> None:
    from corridor import report

    calls = []
    build = report.build_profile

    def counting(*args, **kwargs):
        calls.append(args)
        return build(*args, **kwargs)

    monkeypatch.setattr(report, "build_profile", counting)
    res = run("profile", "--origin", "COL", "--destination", "CHL", "--lang", "es,fr", "--lang", "es", "--no-pdf",
              "--quiet", "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    assert len(calls) == 1
    written = {p.parent.name: p for p in tmp_path.glob("*/*.html")}
    assert sorted(written) == ["es", "fr"]
    assert '<html lang="es"' in written["es"].read_text(encoding="utf-8")
    assert '<html lang="fr"' in written["fr"].read_text(encoding="utf-8")


def test_terminal_reports_read_in_the_language() -> None:
    """What commands print besides errors: the row ledger of `sources check`, the notes and numbers of
    `flows stocks` (they printed 'rows read', 'weight is missing', 'interval: 95% percentile interval'
    and 14,401 under --lang fr)."""
    res = run("--lang", "fr", "sources", "check", "enusc_2020")
    assert res.exit_code == 0, res.output
    assert "plan de sondage : " in res.output and "lignes lues" in res.output and "le poids manque" in res.output
    assert "rows read" not in res.output and "weight is missing" not in res.output
    from pathlib import Path

    import corridor

    casen = Path(corridor.__file__).parent / "datasets" / "casen_2020" / "casen_2020.csv.gz"
    res = run("--lang", "fr", "sources", "describe", str(casen))
    assert "(csv, 185\u202f437 lignes, 10 colonnes)" in res.output and " manquants " in res.output, res.output
    res = run("--lang", "es", "flows", "stocks", "--origin", "COL", "--destination", "CHL")
    assert res.exit_code == 0, res.output
    assert "14.401" in res.output and "intervalo de percentiles al 95" in res.output and "1.000 remuestreos" in res.output
    assert "interval:" not in res.output and "14,401" not in res.output
