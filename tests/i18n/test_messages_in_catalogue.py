"""Errors of the packages whose messages all come from the catalogue: no literal text left in them.

A literal (``raise InputError(f"file {p!r} is empty")``) would read in English in every language;
the pseudo-locale runs find such text at run time, this check finds it in the source.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

import corridor
from corridor.errors import CorridorError

SRC = Path(corridor.__file__).resolve().parent
# packages and modules whose errors read in the user's language, every one
IN_CATALOGUE = ["sources", "estimation", "design.py", "estimands.py", "flows", "harmonize", "sae", "calibration",
                "cli", "engine", "indicators", "quality", "epi", "datasets", "programme", "service"]


@cache
def _error_classes() -> frozenset[str]:
    """Names of corridor's error classes: those of corridor.errors and their subclasses anywhere in corridor."""
    from corridor import errors

    names = {n for n, c in vars(errors).items() if isinstance(c, type) and issubclass(c, CorridorError)}
    trees = [ast.parse(p.read_text(encoding="utf-8")) for p in SRC.rglob("*.py")]
    grew = True
    while grew:
        grew = False
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names and any(
                        isinstance(b, ast.Name) and b.id in names for b in node.bases):
                    names.add(node.name)
                    grew = True
    return frozenset(names)


def _is_text(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) or _is_text(node.right)
    if isinstance(node, ast.IfExp):
        return _is_text(node.body) or _is_text(node.orelse)
    return False


def literal_messages(path: Path, classes: frozenset[str], root: Path = SRC) -> list[str]:
    """``file:line`` of each error built from literal text in ``path``."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name not in classes:
            continue
        texts = node.args[:1] + [k.value for k in node.keywords if k.arg in ("hint", "message")]
        out += [f"{path.relative_to(root)}:{t.lineno}" for t in texts if _is_text(t)]
    return out


def _files(entry: str) -> list[Path]:
    p = SRC / entry
    return sorted(p.rglob("*.py")) if p.is_dir() else [p]


@pytest.mark.parametrize("entry", IN_CATALOGUE)
def test_errors_built_from_catalogue_messages(entry: str) -> None:
    classes = _error_classes()
    found = [hit for f in _files(entry) for hit in literal_messages(f, classes)]
    assert not found, f"errors with literal text (use corridor.i18n.Message): {found}"


def test_the_check_finds_literal_text(tmp_path: Path) -> None:
    f = tmp_path / "probe.py"
    f.write_text("from corridor.errors import InputError\n"
                 "def f(p):\n    raise InputError(f'file {p!r} is empty', hint='write it again')\n"
                 "def g(p):\n    raise InputError(Message('sources.file_empty_bytes', path=p))\n", encoding="utf-8")
    assert literal_messages(f, _error_classes(), root=tmp_path) == ["probe.py:3", "probe.py:3"]
