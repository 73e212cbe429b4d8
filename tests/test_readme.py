"""The README's commands: the quick start installs what they need, and they run as written."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from corridor.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _extras(name: str, table: dict[str, list[str]]) -> set[str]:
    """An extra and every extra it pulls in (``corridor[a,b]``)."""
    out = {name}
    for req in table[name]:
        m = re.fullmatch(r"corridor\[([\w,-]+)\]", req)
        for sub in m.group(1).split(",") if m else ():
            out |= _extras(sub, table)
    return out


def _table_rows() -> list[tuple[str, str]]:
    """The README's table of commands: (command cell, description cell) per row."""
    rows = re.findall(r"^\| (`corridor [^|]*?) \| (.*) \|$", README, flags=re.MULTILINE)
    assert len(rows) >= 9, rows
    return rows


def _table_commands() -> list[str]:
    """The commands a row names: `corridor quality create` / `assess` -> corridor quality create, corridor quality assess."""
    out = []
    for cell, _ in _table_rows():
        first, *others = re.findall(r"`([^`]+)`", cell)
        out.append(first)
        stem = first.rsplit(" ", 1)[0] if len(first.split()) > 2 else first
        out += [f"{stem} {sub}" for sub in others]
    return out


def _table_examples() -> list[str]:
    """Every `corridor ...` example of the table's descriptions, in the order written."""
    return [ex for _, desc in _table_rows() for ex in re.findall(r"`(corridor [^`]+)`", desc)]


def test_quick_start_installs_every_commands_extra() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    first = re.search(r"pip install -q -e '\.\[([\w,]+)\]' && \.venv/bin/corridor profile", README)
    assert first, "the quick start's first command installs corridor and runs the profile"
    installed = set().union(*(_extras(e, extras) for e in first.group(1).split(",")))
    # profile (report, pdf), programme report (programme), serve (web), sources describe (stats-io, xlsx)
    assert {"report", "pdf", "programme", "web", "stats-io", "xlsx"} <= installed, installed


def test_every_command_in_the_table_exists_with_help() -> None:
    commands = _table_commands()
    assert len(commands) >= 9
    for cmd in commands:
        args = shlex.split(cmd)[1:]
        res = CliRunner().invoke(main, [*args, "--help"])
        assert res.exit_code == 0, f"{cmd} --help: {res.output}"


def test_every_row_of_the_table_has_an_example() -> None:
    described = [desc for _, desc in _table_rows()]
    assert all(re.search(r"`corridor [^`]+ [^`]+`", desc) for desc in described), described


OUTPUTS = ("--out", "-o", "--data-dir")


def test_every_example_in_the_table_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each example runs from the repository root on what the repository ships, in the order written (the
    programme's load before its refresh); only its outputs (--out, -o, --data-dir) and the programme database
    go to a temporary folder (the database from the load on)."""
    examples = _table_examples()
    assert len(examples) >= 11, examples
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("CORRIDOR_PROGRAMME_DB", raising=False)  # the report before a load: the shipped demo
    for i, example in enumerate(examples):
        args = shlex.split(example)[1:]
        if args[:2] == ["programme", "load"]:
            monkeypatch.setenv("CORRIDOR_PROGRAMME_DB", f"sqlite:///{tmp_path / 'programme.sqlite'}")
        for flag in OUTPUTS:
            if flag in args:
                args[args.index(flag) + 1] = str(tmp_path / f"{i}-{Path(args[args.index(flag) + 1]).name}")
        res = CliRunner().invoke(main, args, env={"CORRIDOR_LANG": "en"})
        assert res.exit_code == 0, f"{example}:\n{res.output}"
        assert res.output.strip(), example


def test_rates_help_example_runs_from_the_repository_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The example `corridor rates --help` prints runs as printed (its paths are the shipped demo's)."""
    help_text = CliRunner().invoke(main, ["rates", "--help", "--lang", "en"]).output
    m = re.search(r"^\s+(corridor rates .*?)(?=\n\n|\nOptions:)", help_text, flags=re.MULTILINE | re.DOTALL)
    assert m, help_text
    args = shlex.split(m.group(1).replace("\\\n", " "))[1:]
    out = tmp_path / "dsr.csv"
    args[args.index("-o") + 1] = str(out)
    monkeypatch.chdir(ROOT)
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("disease,year,population_group,count,population,value"), header
