"""The package's shape in numbers: the largest functions and the import cycles between modules.

    python scripts/code_shape.py [--top N] [PATH ...]

Functions (and methods) are measured by their source lines (first to last line of the definition,
docstring and comments included), read with the standard library's ``ast``; a function nested in
another counts on its own and inside its parent. Import cycles are those tests/test_architecture.py
finds (modules that import each other, directly or through others, ``__init__`` modules left out),
listed whether or not the test allows them, with the package graph it prints.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def function_sizes(paths: list[Path]) -> list[tuple[int, str, int]]:
    """(lines, qualified name, parameter count) of every function under the paths."""
    out: list[tuple[int, str, int]] = []
    for path in paths:
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for file in files:
            tree = ast.parse(file.read_text(encoding="utf-8"))
            rel = file.relative_to(ROOT) if file.is_relative_to(ROOT) else file

            def visit(node: ast.AST, prefix: str, rel: Path = rel) -> None:
                for child in ast.iter_child_nodes(node):
                    if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                        a = child.args
                        params = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs)
                        params -= 1 if a.args and a.args[0].arg in ("self", "cls") else 0
                        name = f"{prefix}{child.name}"
                        out.append((child.end_lineno - child.lineno + 1, f"{rel}:{child.lineno} {name}", params))
                        visit(child, f"{name}.")
                    elif isinstance(child, ast.ClassDef):
                        visit(child, f"{prefix}{child.name}.")
                    else:
                        visit(child, prefix)

            visit(tree, "")
    return sorted(out, reverse=True)


def architecture():
    spec = importlib.util.spec_from_file_location("test_architecture", ROOT / "tests" / "test_architecture.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*", type=Path, default=[ROOT / "src" / "corridor"])
    ap.add_argument("--top", type=int, default=15, help="how many of the largest functions to list")
    args = ap.parse_args()
    print("largest functions (lines, parameters without self):")
    for lines, name, params in function_sizes([p.resolve() for p in args.paths])[: args.top]:
        print(f"  {lines:5d}  {params:3d}  {name}")
    arch = architecture()
    modules = {m: {i for i in imported if i not in arch.INITS} for m, imported in arch.GRAPH.items()
               if m not in arch.INITS}
    found = arch.cycles(modules)
    print(f"import cycles between modules: {len(found)}")
    for c in found:
        print("  " + " <-> ".join(c))
        for m in c:
            print(f"      {m} imports {', '.join(sorted(modules[m] & set(c)))}")
    print("packages (from the top layer down) -> the packages they import:")
    for a, b in arch.package_edges():
        print(f"  {a} -> {', '.join(b)}")


if __name__ == "__main__":
    sys.exit(main())
