"""Check that each install of corridor serves the modules pyproject assigns to it.

1. Default (run by ``.ci/run``, seconds): for the core and each extra named in
   ``[tool.corridor.module-extras]``, a fresh interpreter of the current environment where only the
   distributions that extra installs can be imported (its requirements followed through the
   installed packages' own metadata, e.g. ``corridor[report]`` -> matplotlib -> pillow ...); every
   other distribution is hidden by an import hook, as if it were not installed. Every module the
   table assigns to the extra (and every core module) must import.
2. ``--venv``: the same with real fresh virtual environments (``pip install .[EXTRA]``): slower
   (minutes per extra), it also catches a requirement that fails to install.
3. ``--minimum`` (also run by ``.ci/run``, minutes): venvs with the lowest versions pyproject.toml
   allows (resolved by uv's ``lowest-direct``) for the core and for every extra together, where the
   modules must import and the R-reference tests of the estimator (and of Spark) must pass;
   ``--each`` adds a venv per extra of the table alone at its own lowest versions (imports only).

By hand: ``python scripts/check_extras.py [--venv] [--minimum [--each]] [--only EXTRA ...] [--keep DIR]``.
Exit status 1, with the failing module and its error, when an install does not serve its modules.
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "corridor"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
TABLE: dict[str, list[str]] = PYPROJECT["tool"]["corridor"]["module-extras"]
TOOLS = ("test", "all")
MIN_TESTS = ["tests/estimation/test_reference_survey.py", "tests/spark/test_reference_cases.py"]


def modules() -> list[str]:
    out = []
    for p in sorted(SRC.rglob("*.py")):
        rel = p.relative_to(SRC.parent).with_suffix("")
        if "migrations" in rel.parts or rel.name == "__main__":
            continue
        out.append(".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts))
    return out


def extras_of(module: str) -> set[str]:
    best = max((p for p in TABLE if module == p or module.startswith(p + ".")), key=len, default=None)
    return set(TABLE[best]) if best else set()


def reachable(extra: str) -> set[str]:
    """An extra and the extras it installs through ``corridor[...]``."""
    out = {extra}
    for spec in PROJECT["optional-dependencies"][extra]:
        req = Requirement(spec)
        if canonicalize_name(req.name) == "corridor":
            for inner in req.extras:
                out |= reachable(inner)
    return out


def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    print("+", " ".join(cmd)[:200], flush=True)
    return subprocess.run(cmd, text=True, capture_output=True, check=False, **kw)  # type: ignore[call-overload]


IMPORT_ALL = """
import importlib, sys, traceback
bad = 0
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception as exc:
        bad += 1
        print(f"FAIL {name}: {type(exc).__name__}: {exc}")
print(f"{len(sys.argv) - 1 - bad} of {len(sys.argv) - 1} modules imported")
sys.exit(1 if bad else 0)
"""


def venv(folder: Path, requirement: str, constraints: list[str] | None = None, also: list[str] | None = None) -> Path:
    run([sys.executable, "-m", "venv", str(folder)]).check_returncode()
    py = folder / "bin" / "python"
    cmd = [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", requirement, *(also or [])]
    if constraints:
        cfile = folder / "constraints.txt"
        cfile.write_text("\n".join(constraints) + "\n", encoding="utf-8")
        cmd += ["-c", str(cfile)]
    out = run(cmd)
    if out.returncode:
        raise SystemExit(f"pip could not install {requirement}:\n{out.stdout}\n{out.stderr}")
    return py


def check(py: Path, names: list[str], label: str) -> bool:
    out = run([str(py), "-c", IMPORT_ALL, *names], cwd=tempfile.gettempdir())
    print(f"[{label}] {out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr}")
    for line in out.stdout.splitlines():
        if line.startswith("FAIL"):
            print(f"[{label}] {line}")
    return out.returncode == 0


def installed_closure(extra: str) -> set[str]:
    """The distributions ``pip install corridor[EXTRA]`` brings, read from the installed metadata.

    Starts from pyproject's requirements (the core and the extras reachable from EXTRA) and follows
    each installed distribution's ``Requires-Dist`` with its markers evaluated for this interpreter
    (extras of a dependency only when a requirement asks for them).
    """
    env = default_environment()
    todo: list[tuple[str, frozenset[str]]] = []
    for spec in PROJECT["dependencies"]:
        req = Requirement(spec)
        todo.append((req.name, frozenset(req.extras)))
    if extra != "core":
        for e in reachable(extra):
            for spec in PROJECT["optional-dependencies"][e]:
                req = Requirement(spec)
                if canonicalize_name(req.name) != "corridor":
                    todo.append((req.name, frozenset(req.extras)))
    seen: set[tuple[str, frozenset[str]]] = set()
    out: set[str] = set()
    while todo:
        name, extras = todo.pop()
        key = (canonicalize_name(name), extras)
        if key in seen:
            continue
        seen.add(key)
        out.add(key[0])
        try:
            requires = md.distribution(name).requires or []
        except md.PackageNotFoundError:
            raise SystemExit(f"{name} (required by corridor[{extra}]) is not installed here: "
                             "install the test extra (pip install -e '.[test]') or use --venv") from None
        for text in requires:
            req = Requirement(text)
            if req.marker is not None:
                asked = [e for e in extras] or [""]
                if not any(req.marker.evaluate({**env, "extra": e}) for e in asked):
                    continue
            todo.append((req.name, frozenset(req.extras)))
    return out


def top_level_names() -> dict[str, set[str]]:
    """Importable top-level name -> the installed distributions whose files provide it.

    Read from each distribution's file list, counting extension modules too (``_duckdb.cpython-311-...so``
    provides ``_duckdb``, which ``importlib.metadata.packages_distributions`` misses).
    """
    out: dict[str, set[str]] = {}
    for dist in md.distributions():
        name = canonicalize_name(dist.metadata["Name"])
        for f in dist.files or []:
            parts = f.parts
            if not parts or parts[0].endswith((".dist-info", ".egg-info", ".data")) or parts[0] in ("..", "__pycache__"):
                continue
            top = parts[0] if len(parts) > 1 else parts[0].split(".")[0]
            if len(parts) == 1 and not parts[0].endswith((".py", ".so", ".pyd", ".pth")):
                continue
            out.setdefault(top, set()).add(name)
    return out


HIDE_OTHERS = """
import importlib.abc, json, sys
hidden = set(json.loads(sys.argv[1]))
class Hidden(importlib.abc.MetaPathFinder):
    # a top-level name that only distributions outside the extra provide is missing, as without them
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top not in hidden:
            return None
        raise ModuleNotFoundError(f"No module named {top!r} (not installed by this extra)", name=top)
sys.meta_path.insert(0, Hidden())
sys.argv = [sys.argv[0], *sys.argv[2:]]
""" + IMPORT_ALL


TOPS = top_level_names()


def check_isolated(extra: str, names: list[str]) -> bool:
    """Import the modules in a fresh interpreter of this environment that sees only the extra's distributions."""
    allowed = installed_closure(extra)
    hidden = sorted(top for top, dists in TOPS.items() if not dists & allowed and top != "corridor")
    out = subprocess.run([sys.executable, "-c", HIDE_OTHERS, json.dumps(hidden), *names], cwd=tempfile.gettempdir(),
                         text=True, capture_output=True, check=False)
    print(f"[{extra}] {out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr[-2000:]}"
          f" ({len(allowed)} distributions visible)")
    for line in out.stdout.splitlines():
        if line.startswith("FAIL"):
            print(f"[{extra}] {line}")
    return out.returncode == 0


def uv_tool(base: Path) -> str:
    """uv, installed once into a small venv of its own (the minimum venvs are created by it, without pip)."""
    folder = base / "uv-tool"
    uv = folder / "bin" / "uv"
    if not uv.exists():
        run([sys.executable, "-m", "venv", str(folder)]).check_returncode()
        out = run([str(folder / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", "uv"])
        if out.returncode:
            raise SystemExit(f"could not install uv:\n{out.stderr}")
    return str(uv)


def check_minimum(base: Path, extra: str, mods: list[str], *, tests: bool) -> bool:
    """The lowest versions pyproject allows for the core or an extra, installed and imported (and tested).

    uv resolves them (``--resolution lowest-direct``: each requirement of pyproject at the lowest
    version that installs together with the others); the venv then imports the modules the install
    serves and, with ``tests``, runs the R-reference tests of the estimator (and of Spark, with every extra).
    """
    t0 = time.perf_counter()
    folder = base / f"minimum-{extra}"
    uv = uv_tool(base)
    shutil.rmtree(folder, ignore_errors=True)  # a kept folder from an earlier run: start afresh
    run([uv, "venv", "-q", "--python", sys.executable, str(folder)]).check_returncode()
    py = folder / "bin" / "python"
    pins = folder / "minimum.txt"
    compile_cmd = [uv, "pip", "compile", str(ROOT / "pyproject.toml"), "--resolution", "lowest-direct",
                   "--python-version", f"{sys.version_info.major}.{sys.version_info.minor}", "-q", "-o", str(pins)]
    out = run([*compile_cmd, *(["--extra", extra] if extra != "core" else [])])
    if out.returncode:
        print(f"[minimum {extra}] no set of minimum versions installs together:\n{out.stderr}")
        return False
    have = reachable(extra) if extra != "core" else set()
    direct = {canonicalize_name(Requirement(r).name) for r in PROJECT["dependencies"]}
    for e in have:
        direct |= {canonicalize_name(Requirement(r).name) for r in PROJECT["optional-dependencies"][e]}
    chosen = [line.split(" ")[0] for line in pins.read_text(encoding="utf-8").splitlines()
              if line and not line.startswith((" ", "#")) and canonicalize_name(line.split("==")[0]) in direct]
    print(f"[minimum {extra}] " + " ".join(chosen))
    steps = [[uv, "pip", "install", "-q", "--python", str(py), "-r", str(pins)],
             [uv, "pip", "install", "-q", "--python", str(py), "--no-deps", str(ROOT)]]
    if tests:
        steps.append([uv, "pip", "install", "-q", "--python", str(py), "pytest", "hypothesis", "packaging"])
    for cmd in steps:
        out = run(cmd)
        if out.returncode:
            print(f"[minimum {extra}] install failed:\n{out.stderr}")
            return False
    names = [m for m in mods if extras_of(m) <= have]
    ok = check(py, names, f"minimum {extra}")
    if tests:
        chosen_tests = MIN_TESTS if "spark" in have else [t for t in MIN_TESTS if "spark" not in t]
        out = run([str(py), "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *chosen_tests], cwd=ROOT)
        print(f"[minimum {extra}] tests: " + (out.stdout.strip().splitlines() or ["(no output)"])[-1])
        if out.returncode:
            print(out.stdout[-4000:], out.stderr[-2000:])
        ok = ok and out.returncode == 0
    print(f"[minimum {extra}] {time.perf_counter() - t0:.0f} s", flush=True)
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--venv", action="store_true", help="fresh virtual environments instead of hidden imports")
    ap.add_argument("--minimum", action="store_true", help="also check every requirement at its minimum version")
    ap.add_argument("--minimum-only", action="store_true", help="only the check at minimum versions")
    ap.add_argument("--each", action="store_true",
                    help="with --minimum, also each extra of the table alone at its own minimum versions (imports)")
    ap.add_argument("--only", nargs="*", help="extras to check (default: the core and every extra of the table)")
    ap.add_argument("--keep", type=Path, help="build the venvs in this folder and keep them")
    args = ap.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="corridor-extras-")) if args.venv or args.minimum else Path()
    if args.keep:
        base.mkdir(parents=True, exist_ok=True)
    mods = modules()
    ok = True
    if args.minimum_only:
        args.only = []
        args.minimum = True
    extras = args.only if args.only is not None else ["core", *sorted({e for v in TABLE.values() for e in v})]
    for extra in extras:
        have = reachable(extra) if extra != "core" else set()
        names = [m for m in mods if extras_of(m) <= have]
        if not args.venv:
            ok &= check_isolated(extra, names)
            continue
        req = f"{ROOT}[{extra}]" if extra != "core" else str(ROOT)
        py = venv(base / extra, req)
        ok &= check(py, names, extra)
    if args.minimum:
        # the core and every extra together at their lowest versions import their modules and pass the
        # R references; --each adds every extra alone (its own lowest versions may be lower still:
        # pandas 2.1.0 and matplotlib 3.8.0 alone, 2.2.3 and 3.8.4 with every extra)
        table_extras = sorted({e for v in TABLE.values() for e in v}) if args.each else []
        for extra in ("core", *table_extras, "all"):
            ok &= check_minimum(base, extra, mods, tests=extra in ("core", "all"))
    print("every install serves its modules" if ok else "some installs do not serve their modules")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
