"""The package's shape: the layers of docs/design.md, no import cycle, and a core that imports no extra.

The layers are read from the numbered list under "## Layers" in docs/design.md (the one statement
of them); run this file with ``-rA`` to print the import graph between packages.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "corridor"
DESIGN = ROOT / "docs" / "design.md"


def read_layers() -> dict[str, int]:
    """Package (or top-level module) -> layer, 0 at the bottom, from docs/design.md."""
    text = DESIGN.read_text(encoding="utf-8")
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    items = re.findall(r"^\d+\. (.+)$", section, flags=re.MULTILINE)
    layers: dict[str, int] = {}
    for rank, item in enumerate(reversed(items)):
        # the names are the item's code spans before any parenthesis: `cli/`, `design.py`
        for name in re.findall(r"`([\w.]+?)(?:/|\.py)`", re.sub(r"\([^)]*\)", "", item)):
            layers[name] = rank
    return layers


LAYERS = read_layers()
TOP = max(LAYERS.values())


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    return ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)


MODULES = {module_name(p): p for p in SRC.rglob("*.py")}
INITS = {m for m, p in MODULES.items() if p.name == "__init__.py"}


def layer_of(module: str) -> int:
    if module == "corridor":  # the package's own names: above everything it gathers
        return TOP
    return LAYERS[module.split(".")[1]]


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports_of(module: str) -> set[str]:
    """corridor modules a module imports, anywhere in it (functions too), except under TYPE_CHECKING."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = {id(n) for t in ast.walk(tree) if _type_checking(t) for n in ast.walk(t)}
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            # "from a.b import c" imports the module a.b.c when there is one, else names of a.b
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name.startswith("corridor") and name != module:
                out.add(name)
    return out


GRAPH = {m: imports_of(m) for m in MODULES}


def test_every_package_has_a_layer() -> None:
    parts = {m.split(".")[1] for m in MODULES if m != "corridor"}
    missing = sorted(parts - set(LAYERS))
    assert not missing, f"add {missing} to the list under '## Layers' in docs/design.md"
    assert set(LAYERS) <= parts, f"docs/design.md lists layers for what does not exist: {sorted(set(LAYERS) - parts)}"


def test_imports_flow_downward() -> None:
    bad = [f"{m} (layer {layer_of(m)}) imports {i} (layer {layer_of(i)})"
           for m, imported in GRAPH.items() for i in imported if layer_of(i) > layer_of(m)]
    assert not bad, "imports against the layering of docs/design.md:\n" + "\n".join(sorted(bad))


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles() -> None:
    # a package's __init__ gathers names for users; its modules never go through it
    modules = {m: {i for i in imported if i not in INITS} for m, imported in GRAPH.items() if m not in INITS}
    found = cycles(modules)
    detail = [" <-> ".join(c) + "\n    " + "\n    ".join(f"{m} imports {sorted(modules[m] & set(c))}" for m in c)
              for c in found]
    assert not found, "modules that import each other:\n" + "\n".join(detail)


def test_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def package_edges() -> list[tuple[str, list[str]]]:
    """The import graph between packages, from the top layer down: (package, the packages it imports)."""
    edges: dict[str, set[str]] = defaultdict(set)
    for m, imported in GRAPH.items():
        for i in imported:
            a, b = m.split(".")[1] if m != "corridor" else "corridor", i.split(".")[1] if i != "corridor" else "corridor"
            if a != b:
                edges[a].add(b)
    order = sorted(edges, key=lambda p: (-layer_of(f"corridor.{p}") if p != "corridor" else -TOP - 1, p))
    return [(a, sorted(edges[a])) for a in order]


def test_package_graph(capsys) -> None:
    """The import graph between packages, printed (``pytest tests/test_architecture.py -rA``;
    ``scripts/code_shape.py`` prints it with the module cycles and the largest functions)."""
    edges = dict(package_edges())
    for a, imported in edges.items():
        print(f"{a} -> {', '.join(imported)}")
    assert set(edges["engine"]) <= {"errors", "_deps", "design", "estimands", "i18n"}  # i18n: its error messages
    # flow methods work on arrays and tables: files are read (and codes mapped) by sources and harmonize
    assert set(edges["flows"]) <= {"errors", "_deps", "epi", "i18n"}


def test_import_corridor_imports_no_extra() -> None:
    code = (
        "import sys, corridor, corridor.cli;"
        "heavy = [m for m in ('pyspark', 'fastapi', 'weasyprint', 'matplotlib', 'sqlalchemy', 'pandas', 'polars',"
        " 'pyreadstat', 'openpyxl', 'playwright') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import corridor pulled in: {out.stdout.strip()}"


def test_an_estimate_loads_no_calibration(tmp_path) -> None:
    """Calibration (and pyarrow.compute with it) loads when first named: a process estimating from a
    file starts without it, and ``corridor.calibrate`` / ``from corridor import rake`` still reach it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "s.parquet"
    pq.write_table(pa.table({"w": [1.0, 2.0, 3.0], "y": [1.0, 2.0, 4.0]}), path)
    code = (
        "import json, sys, corridor as cr;"
        f"t = cr.estimate({str(path)!r}, cr.Design(weights='w'), cr.Mean('y')).table;"
        "loaded = sorted(m for m in sys.modules if m.startswith('corridor.calibration') or m == 'pyarrow.compute');"
        "from corridor import rake;"
        "print(json.dumps([loaded, cr.calibrate.__module__, rake.__module__, cr.Calibrated.__name__, t['estimate'][0].as_py()]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded, calibrate_mod, rake_mod, calibrated, mean = json.loads(out.stdout)
    assert loaded == []
    assert calibrate_mod == rake_mod == "corridor.calibration.calibrated" and calibrated == "Calibrated"
    assert abs(mean - 17 / 6) < 1e-12  # (1*1 + 2*2 + 3*4) / (1 + 2 + 3)


def test_subpackages_are_reached_by_name_from_import_corridor() -> None:
    """``import corridor as cr; cr.calibration.CalibrationError`` works in a fresh process (it raised
    AttributeError unless something had imported corridor.calibration first), loading the package
    only then; a name that is no subpackage is still an AttributeError."""
    code = (
        "import json, sys, corridor as cr;"
        "before = 'corridor.calibration' in sys.modules;"
        "names = [cr.calibration.CalibrationError.__name__, cr.sae.fay_herriot.__name__, cr.flows.ipf2.__name__];"
        "missing = [hasattr(cr, n) for n in ('calibrations', '_deps_x')];"
        "print(json.dumps([before, 'corridor.calibration' in sys.modules, names, missing]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after, names, missing = json.loads(out.stdout)
    assert (before, after) == (False, True)
    assert names == ["CalibrationError", "fay_herriot", "ipf2"] and missing == [False, False]


def test_only_the_engine_opens_duckdb_connections() -> None:
    """Every DuckDB connection comes from engine/duckdb.py's connect(), with the engine's memory limit.

    A bare ``duckdb.connect()`` (or DuckDB's module-level ``duckdb.sql``/``duckdb.read_csv``..., which
    run on DuckDB's own default connection) elsewhere would read with 80% of the machine's memory.
    """
    module_level = {"connect", "sql", "query", "execute", "read_csv", "read_parquet", "read_json", "from_arrow",
                    "from_df", "from_query", "table", "values", "default_connection"}
    bad = []
    for module, path in sorted(MODULES.items()):
        if module == "corridor.engine.duckdb":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in module_level
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "duckdb"):
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: duckdb.{node.func.attr}()")
    assert not bad, "use corridor.engine.duckdb.connect() or the shared connection:\n" + "\n".join(bad)
