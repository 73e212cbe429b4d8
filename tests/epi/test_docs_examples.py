"""The Python examples of docs/rates.md run, in order, and give the numbers the page prints."""

from __future__ import annotations

import ast
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "rates.md"


def _run(block: str, namespace: dict) -> object:
    """Execute a block; return the value of its last line when that is an expression."""
    tree = ast.parse(block)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if last is not None:
        tree.body = tree.body[:-1]
    exec(compile(tree, str(DOC), "exec"), namespace)  # noqa: S102
    return eval(compile(ast.Expression(last.value), str(DOC), "eval"), namespace) if last else None


def test_python_examples_run_and_match_the_page():
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert len(blocks) == 6
    namespace: dict = {}
    results = [_run(block, namespace) for block in blocks]
    crude, ratios, survey, smr, gamma, smr_totals = results
    assert gamma.round(2)["lower95_0cl"].tolist() == [31.14, 16.88, 12.34]
    assert gamma.round(2)["upper99_8cl"].tolist() == [274.55, 61.17, 16.86]
    assert smr_totals.round(2)["value"].tolist() == [241.29, 160.66]
    assert crude.round(2)["value"].tolist() == [24.94, 16.16, 11.31]
    assert ratios.round(3)["value"].tolist() == [5.916, 2.029]
    assert survey.round(2)["lowercl"].tolist() == [49.14, 83.97]
    assert survey.round(2)["uppercl"].tolist() == [61.37, 176.28]
    assert smr.round(2)["value"].tolist() == [241.29, 160.66]
