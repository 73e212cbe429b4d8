"""The Python examples of docs/flows.md run, in order, and give the numbers the page states."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest
from shared_data import SHARED

DOC = Path(__file__).resolve().parents[2] / "docs" / "flows.md"


def _run(block: str, namespace: dict) -> object:
    tree = ast.parse(block)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if last is not None:
        tree.body = tree.body[:-1]
    exec(compile(tree, str(DOC), "exec"), namespace)  # noqa: S102
    return eval(compile(ast.Expression(last.value), str(DOC), "eval"), namespace) if last else None


def test_python_examples_run_and_match_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    # the page reads "../shared/data/..." as a user beside the repository would; run its examples from a
    # folder where that path names the shared data the tests use (CORRIDOR_SHARED), wherever the checkout is
    monkeypatch.chdir(SHARED.parent)
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert len(blocks) == 11
    ns: dict = {}
    out = [_run(b, ns) for b in blocks]
    _od, total = out[0]
    assert total == 150
    ok, total5 = out[1]
    assert ok and abs(total5 - 127.693289) < 1e-5  # migest::ffs_demo e5
    assert out[2].shape == (4, 4)
    point, lower, upper = out[3]
    assert np.all(lower <= point + 0.05) and np.all(point <= upper + 0.05)
    years, col_chl = out[4]
    assert years[0] == 1990 and col_chl[0] == 1554 and col_chl[-1] == 120626
    g_unc, g_cor = out[5]
    assert round(g_unc, 4) == 0.2222 and round(g_cor, 4) == 0.2667
    net, upper_chl_ven = out[6]
    assert net == 5200 - 300  # Chile (first label): in 5,200, out 300
    assert upper_chl_ven > 300
    peak_age, breadth, breadth_migest = out[8]
    assert (peak_age, breadth, breadth_migest) == (24, 149.1, 147.15)
    orig, births_b, total = out[9]
    assert orig == ["A", "B", "C", "D", "birth", "outside"] and births_b == 20 and total == 127.693289
    assert out[10].startswith("deaths by birthplace (death_method='accounting'): IPF did not converge after 500")
    assert "sum to 140 but the deaths given sum to 160" in out[10]
