"""Importing another area's test module, to call its checks with the Spark engine."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

TESTS = Path(__file__).resolve().parents[1]


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_test_module(relative: str) -> ModuleType:
    """The module ``tests/<relative>``, imported under a private name.

    Such modules do ``from conftest import ...`` meaning the suite's root conftest; when the whole
    suite runs, ``conftest`` may name another folder's conftest by then, so the root one is put in
    place while the module is imported.
    """
    name = "_spark_reuse_" + relative.removesuffix(".py").replace("/", "_")
    if name in sys.modules:
        return sys.modules[name]
    root_conftest = sys.modules.get("_spark_reuse_root_conftest") or _load(
        "_spark_reuse_root_conftest", TESTS / "conftest.py"
    )
    saved = sys.modules.get("conftest")
    sys.modules["conftest"] = root_conftest
    try:
        return _load(name, TESTS / relative)
    finally:
        if saved is None:
            sys.modules.pop("conftest", None)
        else:
            sys.modules["conftest"] = saved
