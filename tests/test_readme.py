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


def _table_commands() -> list[str]:
    """The `corridor ...` examples of the README's table of commands."""
    return re.findall(r"^\| `(corridor [\w-]+(?: [a-z][\w-]*)?)", README, flags=re.MULTILINE)


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


# examples in the table that read only shipped data run as written, from the repository root
@pytest.mark.parametrize("example", [
    ("corridor estimate demo:casen_2020 --weights expr --strata estrato --ids cod_upm --lonely-psu certainty "
     "--na drop -e proportion:pobreza --by region"),
    "corridor flows stocks --origin COL --destination CHL",
])
def test_shipped_data_examples_run_as_written(example: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert example in README, f"not in the README any more: {example}"
    monkeypatch.chdir(ROOT)
    res = CliRunner().invoke(main, shlex.split(example)[1:])
    assert res.exit_code == 0, res.output
    assert res.output.strip()


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
