"""`corridor ... --help` reads in the user's language: every command's text, options and examples' words."""

from __future__ import annotations

import importlib
import re

import click
import pytest
from click.testing import CliRunner

from corridor.cli import _COMMANDS, main
from corridor.cli._messages import add_lang_option, help_source, help_texts
from corridor.i18n import catalogue, entries


def _commands() -> dict[tuple[str, ...], tuple[click.Command, str]]:
    """Every command and sub-command by its words on the command line, with its catalogue path."""
    out: dict[tuple[str, ...], tuple[click.Command, str]] = {(): (main, "corridor")}

    def walk(cmd: click.Command, words: tuple[str, ...], path: str) -> None:
        out[words] = (cmd, path)
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, (*words, name), f"{path}.{name}")

    for name, (module, _) in _COMMANDS.items():
        walk(add_lang_option(importlib.import_module(module).command, name), (name,), name)
    return out


COMMANDS = _commands()


def _texts(words: tuple[str, ...]) -> dict[str, str]:
    cmd, path = COMMANDS[words]
    texts = help_texts(cmd, path)
    if not words:
        texts |= {f"cli.summary.{n}": short for n, (_, short) in _COMMANDS.items()}
    return texts


def test_every_help_text_is_in_the_catalogue() -> None:
    """A help text added or changed in the code without its catalogue entry fails here
    (`scripts/messages.py add` with the English of the code and its es/fr)."""
    template = entries("en")
    missing, stale = [], []
    for words in COMMANDS:
        for key, text in _texts(words).items():
            if key not in template:
                missing.append(key)
            elif template[key].source != help_source(text):
                stale.append(key)
    assert len(COMMANDS) > 30
    assert not missing, f"help texts not in the catalogue: {missing}"
    assert not stale, f"help texts changed in the code, not in the catalogue: {stale}"


def _fragments(text: str, translated: str) -> list[str]:
    """Runs of three or more English words (of four letters or more among them) that the translation lacks."""
    out = []
    for part in re.split(r"[.;:()\n]|  +", text):
        part = " ".join(part.split())
        if len(re.findall(r"\b[A-Za-z]{4,}\b", part)) >= 3 and part not in translated and not part.startswith("corridor "):
            out.append(part)
    return out


@pytest.mark.parametrize("lang", ["es", "fr"])
def test_every_commands_help_reads_in_the_language(lang: str) -> None:
    tr = catalogue(lang)
    left = {}
    for words in COMMANDS:
        res = CliRunner().invoke(main, ["--lang", lang, *words, "--help"], prog_name="corridor")
        assert res.exit_code == 0, res.output
        shown = " ".join(res.output.split())
        english = [f for key, text in _texts(words).items() for f in _fragments(help_source(text), tr[key])]
        if found := [f for f in english if f in shown]:
            left[" ".join(words) or "corridor"] = found[:3]
        assert ("Opciones:" if lang == "es" else "Options :") in res.output
    assert not left, f"{lang}: English left in --help: {left}"


def test_help_keeps_examples_as_written_and_switches_back() -> None:
    res = CliRunner().invoke(main, ["--lang", "fr", "rates", "--help"], prog_name="corridor")
    assert "Exemple, depuis la racine du dépôt" in res.output
    # an example (a \b paragraph) keeps its lines as written, not re-wrapped
    assert "\n    corridor rates dsr \\\n      --counts src/corridor/datasets/demo_notifications/" in res.output
    res = CliRunner().invoke(main, ["--lang", "es", "estimate", "--help"], prog_name="corridor")
    assert "Columna del factor de expansión." in res.output and "--design ARCHIVO" in res.output
    res = CliRunner().invoke(main, ["--lang", "en", "estimate", "--help"], prog_name="corridor")
    assert "Sampling weight column." in res.output and "--design FILE" in res.output


def test_path_errors_name_the_file_in_the_language(tmp_path) -> None:
    # the command's module is imported before its own --lang is read
    res = CliRunner().invoke(main, ["estimate", "--design", str(tmp_path / "none.yaml"), "--lang", "fr"],
                             prog_name="corridor")
    assert res.exit_code == 2 and "Fichier '" in res.output and "n'existe pas" in res.output, res.output
