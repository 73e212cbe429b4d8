"""The Spark engine on the lowest Narwhals pyproject.toml allows, and its refusal of an older one.

engine/spark.py extends Narwhals' internal Spark classes and reads an expression's nodes (to quote
dotted column names and to sum booleans as integers); those internals appear in Narwhals 2.10.
pyproject's minimum must be a release that has them: the slow test below installs exactly that
release beside the suite (a wheel unpacked on PYTHONPATH, ahead of the installed Narwhals) and
runs the Spark engine's tests and the R references of the estimator on it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import narwhals as nw
import pytest
from packaging.requirements import Requirement

from corridor.engine import spark as spark_module
from corridor.engine.spark import NARWHALS_MINIMUM, SparkEngine, narwhals_bridge_problems
from corridor.errors import UnsupportedError

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[2]


def pyproject_minimum() -> str:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    spec = next(Requirement(d).specifier for d in deps if Requirement(d).name == "narwhals")
    return next(c.version for c in spec if c.operator == ">=")


def test_the_engine_states_pyprojects_minimum_and_this_release_has_the_internals() -> None:
    assert NARWHALS_MINIMUM == pyproject_minimum()
    assert narwhals_bridge_problems() == [], nw.__version__


def test_a_narwhals_without_the_internals_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spark_module, "SparkLikeLazyFrame", None)
    assert narwhals_bridge_problems() == ["narwhals._spark_like.dataframe.SparkLikeLazyFrame"]
    with pytest.raises(UnsupportedError, match=rf"(?s)needs Narwhals {NARWHALS_MINIMUM} or later; the installed "
                       rf"Narwhals {nw.__version__} lacks narwhals._spark_like.*Hint: pip install 'narwhals>="):
        SparkEngine()


@pytest.mark.slow
def test_spark_engine_and_r_references_on_the_minimum_narwhals(tmp_path: Path) -> None:
    version = pyproject_minimum()
    got = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:",
                          "--disable-pip-version-check", f"narwhals=={version}", "-d", str(tmp_path)],
                         capture_output=True, text=True, check=False)
    wheels = list(tmp_path.glob("narwhals-*.whl"))
    if got.returncode or not wheels:
        pytest.fail(f"could not download narwhals=={version} (the package index must be reachable):\n{got.stderr[-2000:]}")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheels[0]) as whl:
        whl.extractall(site)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    seen = subprocess.run([sys.executable, "-c", "import narwhals; print(narwhals.__version__)"],
                          capture_output=True, text=True, env=env, check=True).stdout.strip()
    assert seen.split(".")[:2] == version.split(".")[:2] and seen.startswith(version), seen
    # the engine's own tests (dotted names, boolean sums, streaming) and the R references on Spark and
    # DuckDB; the DuckDB-Spark agreement suite is left to the installed release (it triples the time)
    tests = ["tests/spark/test_engine.py", "tests/spark/test_reference_cases.py", "tests/estimation/test_reference_survey.py"]
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", *tests],
                         capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    assert out.returncode == 0, f"on narwhals {seen}:\n{out.stdout[-6000:]}\n{out.stderr[-2000:]}"
    assert " passed" in out.stdout.strip().splitlines()[-1] and "failed" not in out.stdout.strip().splitlines()[-1]
