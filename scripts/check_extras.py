"""Install corridor in fresh virtual environments and import every module each install should serve.

1. For the core and each extra named in ``[tool.corridor.module-extras]``: a venv with only that
   extra (``pip install .[EXTRA]``), where every module the table assigns to it (and every core
   module) must import.
2. With ``--minimum``: a venv with every requirement pinned to the lowest version pyproject.toml
   allows (``name==minimum`` constraints), where every module must import and the given tests must
   pass (default: the R-reference tests of the estimator and of Spark).

Run by ``.ci/run``; by hand: ``python scripts/check_extras.py [--minimum] [--keep DIR]``.
Exit status 1, with the failing module and its error, when an install does not serve its modules.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "corridor"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
TABLE: dict[str, list[str]] = PYPROJECT["tool"]["corridor"]["module-extras"]
TOOLS = ("test", "all")
MIN_TESTS = ["tests/estimation/test_reference_survey.py", "tests/spark/test_reference_cases.py",
             "tests/test_packaging.py"]


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


def lowest_release(name: str, spec: SpecifierSet) -> str:
    """The lowest published version the specifier allows (``pip index versions``), e.g. >=23 -> 23.12.7."""
    out = subprocess.run([sys.executable, "-m", "pip", "index", "versions", name, "--disable-pip-version-check"],
                         capture_output=True, text=True, check=False)
    listed = next((line.split(":", 1)[1] for line in out.stdout.splitlines() if line.startswith("Available versions:")), "")
    versions = sorted((Version(v.strip()) for v in listed.split(",") if v.strip()), reverse=False)
    allowed = [v for v in versions if not v.is_prerelease and v in spec]
    if not allowed:
        raise SystemExit(f"no published version of {name} satisfies {spec}:\n{out.stdout}{out.stderr}")
    return str(allowed[0])


def minimum_constraints() -> list[str]:
    """``name==version``: the lowest published version of every requirement (core and every extra)."""
    specs: dict[str, SpecifierSet] = {}
    reqs = list(PROJECT["dependencies"])
    for extra, listed in PROJECT["optional-dependencies"].items():
        if extra not in TOOLS:
            reqs += listed
    for text in reqs:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        if name == "corridor":
            continue
        if not any(c.operator in (">=", "==", "~=") for c in req.specifier):
            raise SystemExit(f"{text!r} states no minimum version")
        specs[name] = specs.get(name, SpecifierSet()) & req.specifier
    return [f"{n}=={lowest_release(n, s)}" for n, s in sorted(specs.items())]


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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minimum", action="store_true", help="also check every requirement at its minimum version")
    ap.add_argument("--minimum-only", action="store_true", help="only the check at minimum versions")
    ap.add_argument("--only", nargs="*", help="extras to check (default: the core and every extra of the table)")
    ap.add_argument("--keep", type=Path, help="build the venvs in this folder and keep them")
    args = ap.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="corridor-extras-"))
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
        req = f"{ROOT}[{extra}]" if extra != "core" else str(ROOT)
        py = venv(base / extra, req)
        ok &= check(py, names, extra)
    if args.minimum:
        pins = minimum_constraints()
        print("minimum versions:", " ".join(pins))
        py = venv(base / "minimum", f"{ROOT}[all]", pins, also=["pytest", "hypothesis", "pytest-xdist"])
        ok &= check(py, mods, "minimum")
        tests = run([str(py), "-m", "pytest", "-q", "-x", "-p", "no:randomly", "-p", "no:cacheprovider", *MIN_TESTS],
                    cwd=ROOT)
        print(tests.stdout[-3000:], tests.stderr[-2000:])
        ok &= tests.returncode == 0
    print("every install serves its modules" if ok else "some installs do not serve their modules")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
