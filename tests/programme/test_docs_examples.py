"""docs/programme.md: its Python example runs and gives the stated value; its progress table is the CLI's."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from click.testing import CliRunner

from .conftest import load_cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "programme.md"


def test_python_example_runs_and_matches_the_page():
    text = DOC.read_text(encoding="utf-8")
    [block] = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    tree = ast.parse(block)
    last = tree.body.pop()
    ns: dict = {}
    exec(compile(tree, str(DOC), "exec"), ns)  # noqa: S102
    got = eval(compile(ast.Expression(last.value), str(DOC), "eval"), ns)
    stated = re.search(r"\n# (\(.*\))\n```", text[text.index("```python"):]).group(1)
    assert repr(got) == stated


def test_progress_console_lines_are_the_cli_output(monkeypatch, tmp_path):
    monkeypatch.delenv("CORRIDOR_PROGRAMME_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(load_cli(), ["progress", "--today", "2026-12-04"])
    assert res.exit_code == 0, res.output
    block = DOC.read_text(encoding="utf-8").split("$ corridor programme progress --today 2026-12-04\n", 1)[1]
    shown = [ln for ln in block.split("$ corridor programme report", 1)[0].splitlines() if ln and ln != "..."]
    out = res.output.splitlines()
    assert len(shown) >= 10 and all(ln in out for ln in shown), [ln for ln in shown if ln not in out]
