"""The examples in docs/quality.md run and print what their comments say."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "quality.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)


def _run(block: str) -> list[str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, str(DOC), "exec"), {})  # noqa: S102 - the project's own documentation
    return out.getvalue().splitlines()


def test_every_example_runs_and_matches_its_inline_comments():
    blocks = _blocks()
    assert len(blocks) == 5
    for block in blocks:
        printed = iter(_run(block))
        for line in block.splitlines():
            if not line.startswith("print("):
                continue
            shown = next(printed)
            comment = line.split("#", 1)[1].strip() if "#" in line else None
            if comment and not comment.startswith(("True:", "(")):
                assert shown == comment.split("  (")[0], line
            elif comment:
                assert shown == comment.split(":")[0], line


def test_documented_outputs_on_the_next_line():
    quick, _, _, _, disclosure = _blocks()
    assert _run(quick)[1] == "['fiable', 'fiable', 'fiable', 'no fiable']"
    assert _run(quick)[3] == "['log_cv<=0.175', 'log_cv<=0.175', 'unweighted<30', 'deff<1']"
    lines = _run(disclosure)
    assert (
        lines[0]
        == "[('A', 'M', 'secondary'), ('A', 'F', 'primary_min_n'), ('C', 'M', 'secondary'), ('C', 'F', 'secondary')]"
    )
    assert lines[1] == "['secondary', 'primary_min_n', None, None, None, None]"
