"""The examples in docs/calibration.md run and print what their comments say."""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "calibration.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)


def _expected(block: str) -> list[str]:
    """What the block says it prints: a comment after each print(...), or comment lines after the loop."""
    out = []
    for line in block.splitlines():
        if line.lstrip().startswith("print(") and "#" in line:
            out.append(line.split("#", 1)[1].strip())
        elif line.startswith("# "):
            out.append(line[2:].strip())
    return out


@pytest.mark.parametrize("index", range(5))
def test_example_prints_what_it_says(index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the examples read the repository's test data by relative path
    block = _blocks()[index]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, str(DOC), "exec"), {})  # noqa: S102 - the project's own documentation
    assert out.getvalue().splitlines() == _expected(block)
    assert os.getcwd() == str(ROOT)


def test_every_example_is_tested() -> None:
    assert len(_blocks()) == 5
