"""Every extra installs what its modules import, and every requirement states its minimum version.

The module -> extra table is ``[tool.corridor.module-extras]`` in pyproject.toml. Here the check is
static (the import statements, followed through corridor's own module-level imports); the same
table drives ``scripts/check_extras.py`` (run by ``.ci/run``), which imports each extra's modules
with only that extra's distributions importable (``--venv``: in fresh virtual environments;
``--minimum``: at the lowest versions pyproject allows).
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import json
import re
import sys
import tomllib
from functools import cache
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "corridor"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
MODULE_EXTRAS: dict[str, list[str]] = PYPROJECT["tool"]["corridor"]["module-extras"]
TOOLS = {"test"}  # the test extra lists tools, not what a module imports


def extra_names(extra: str) -> set[str]:
    """The distributions an extra installs (following ``corridor[...]`` references)."""
    out: set[str] = set()
    for spec in PROJECT["optional-dependencies"][extra]:
        req = Requirement(spec)
        if canonicalize_name(req.name) == "corridor":
            for inner in req.extras:
                out |= extra_names(inner)
        else:
            out.add(canonicalize_name(req.name))
    return out


CORE = {canonicalize_name(Requirement(s).name) for s in PROJECT["dependencies"]}


PROVIDERS = md.packages_distributions()


def distributions(top: str) -> set[str]:
    """The distributions that provide an importable top-level name (as installed here)."""
    return {canonicalize_name(d) for d in PROVIDERS.get(top, [])}


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.parts[-1] == "__init__" else rel.parts
    return ".".join(parts)


MODULES = {module_name(p): p for p in SRC.rglob("*.py") if "migrations" not in p.parts}


def extras_of(module: str) -> list[str]:
    """The extras a module needs: the longest matching prefix in the table, else none (the core)."""
    best = ""
    for prefix in MODULE_EXTRAS:
        if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
            best = prefix
    return MODULE_EXTRAS.get(best, [])


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imported(node: ast.AST, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:  # relative: resolve against the module's package
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            return [".".join([*base, node.module] if node.module else base)]
        return [node.module] if node.module else []
    return []


@cache
def module_level_imports(module: str) -> tuple[str, ...]:
    """What a module imports when it is imported (module body, try blocks; not TYPE_CHECKING, not functions)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: list[str] = []

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if _type_checking(node):
                continue
            out.extend(_imported(node, package))
            if isinstance(node, ast.Try):
                visit(node.body)
            elif isinstance(node, ast.If):
                visit(node.body)
                visit(node.orelse)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return tuple(out)


def all_imports(module: str) -> set[str]:
    """Every module named anywhere in a module: import statements and ``import_optional("...")``."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        out.update(_imported(node, package))
        if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "import_optional" and node.args
                and isinstance(node.args[0], ast.Constant)):
            out.add(node.args[0].value)
    return out


def _third_party(name: str) -> str | None:
    top = name.split(".")[0]
    return None if top in sys.stdlib_module_names or top in ("corridor", "__future__") else top


def import_closure(module: str) -> dict[str, str]:
    """Third-party top-level names needed to import a module -> the corridor module that imports each."""
    needed: dict[str, str] = {}
    seen: set[str] = set()
    todo = [module]
    while todo:
        mod = todo.pop()
        if mod in seen:
            continue
        seen.add(mod)
        # importing a.b.c imports a and a.b first
        parts = mod.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts)) if ".".join(parts[:i]) in MODULES]
        for name in module_level_imports(mod):
            top = _third_party(name)
            if top:
                needed.setdefault(top, mod)
            elif name.startswith("corridor"):
                # "from corridor.x import y" may name a module y or an attribute of corridor.x
                todo += [n for n in (name, name.rpartition(".")[0]) if n in MODULES]
    return needed


def test_every_module_imports_only_what_its_extras_install() -> None:
    bad = []
    for module in sorted(MODULES):
        allowed = set(CORE)
        for extra in extras_of(module):
            allowed |= extra_names(extra)
        for top, via in sorted(import_closure(module).items()):
            dists = distributions(top)
            if not dists & allowed:
                bad.append(f"{module} needs {top!r} (imported by {via}), which neither the core nor "
                           f"{extras_of(module) or 'any extra'} installs")
    assert not bad, "\n".join(bad)


def test_every_import_is_declared_somewhere() -> None:
    declared = set(CORE)
    for extra in PROJECT["optional-dependencies"]:
        if extra not in TOOLS:
            declared |= extra_names(extra)
    bad = []
    for module in sorted(MODULES):
        for name in sorted(all_imports(module)):
            top = _third_party(name)
            if top and not distributions(top) & declared:
                bad.append(f"{module} imports {top!r}, declared by no requirement")
    assert not bad, "\n".join(bad)


def test_the_extra_named_in_hints_installs_the_package() -> None:
    from corridor._deps import _EXTRA_OF

    named = {n.split(".")[0] for m in MODULES for n in all_imports(m)} - set(sys.stdlib_module_names)
    optional = {top for top in named if _third_party(top) and not distributions(top) & CORE}
    assert optional <= set(_EXTRA_OF), f"optional packages without an extra in _deps: {optional - set(_EXTRA_OF)}"
    for top, extra in _EXTRA_OF.items():
        assert distributions(top) & extra_names(extra), f"the hint for {top!r} names [{extra}], which does not install it"


def test_every_requirement_states_a_minimum_version() -> None:
    specs = list(PROJECT["dependencies"])
    for reqs in PROJECT["optional-dependencies"].values():
        specs += [s for s in reqs if canonicalize_name(Requirement(s).name) != "corridor"]
    bad = [s for s in specs if not any(c.operator in (">=", "==", "~=") for c in Requirement(s).specifier)]
    assert not bad, f"requirements without a minimum version: {bad}"


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A setuptools package-data glob as a regex over a path below the package (``**/`` spans folders)."""
    out = ""
    for part in re.split(r"(\*\*/|\*)", pattern):
        out += "(?:.*/)?" if part == "**/" else "[^/]*" if part == "*" else re.escape(part)
    return re.compile(out)


def test_every_data_file_of_the_package_is_installed() -> None:
    """A wheel carries only what package-data names: the message catalogue (locale/corridor.pot) was left
    out once, and every message of an installed corridor failed to render."""
    patterns = [_glob_regex(g) for g in PYPROJECT["tool"]["setuptools"]["package-data"]["corridor"]]
    data = [p.relative_to(SRC).as_posix() for p in SRC.rglob("*")
            if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    assert any(f == "i18n/locale/corridor.pot" for f in data)
    left_out = [f for f in data if not any(r.fullmatch(f) for r in patterns)]
    assert not left_out, f"files a wheel would not install (add their pattern to package-data): {left_out[:10]}"


def test_the_table_names_real_modules_and_extras() -> None:
    for prefix, extras in MODULE_EXTRAS.items():
        assert prefix in MODULES, f"[tool.corridor.module-extras] names {prefix!r}, which is not a module"
        assert set(extras) <= set(PROJECT["optional-dependencies"]), f"{prefix}: unknown extra in {extras}"


def test_the_closure_follows_corridors_own_imports() -> None:
    """pandas reaches corridor.epi.intervals through the package's __init__; none reaches the estimator."""
    assert import_closure("corridor.epi.intervals")["pandas"].startswith("corridor.epi.")
    assert import_closure("corridor.service.pages_profiles")["sqlalchemy"] == "corridor.service.deps"
    assert not {"pandas", "matplotlib", "sqlalchemy"} & set(import_closure("corridor.estimation"))
    assert not {"pandas"} & set(import_closure("corridor.flows"))


def test_the_ci_check_hides_what_an_extra_does_not_install() -> None:
    """scripts/check_extras.py's hook: the core alone cannot import the report (pandas, matplotlib are hidden)."""
    import subprocess

    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import check_extras
    finally:
        sys.path.pop(0)
    core = check_extras.installed_closure("core")
    assert {"duckdb", "narwhals", "numpy"} <= core and not {"pandas", "matplotlib", "pyspark"} & core
    assert "pandas" in check_extras.installed_closure("report")
    hidden = sorted(t for t, d in check_extras.TOPS.items() if not d & core and t != "corridor")
    out = subprocess.run([sys.executable, "-c", check_extras.HIDE_OTHERS, json.dumps(hidden),
                          "corridor.estimation", "corridor.report"], text=True, capture_output=True, check=False)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "FAIL corridor.report: ModuleNotFoundError: No module named 'pandas'" in out.stdout
    assert "1 of 2 modules imported" in out.stdout
