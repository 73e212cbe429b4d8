"""The package's shape: imports flow one way, and the core imports no optional extra."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "corridor"

# Lower number = lower layer; a module may import only from its own layer or lower ones.
LAYERS = {
    "errors": 0, "i18n": 0, "_deps": 0, "design": 0, "estimands": 0,
    "engine": 1,
    "estimation": 2, "sources": 2, "datasets": 2,
    "harmonize": 3, "calibration": 3,
    "indicators": 4, "quality": 4, "epi": 4, "flows": 4, "sae": 4,
    "programme": 5, "report": 5,
    "service": 6, "cli": 6,
    "__init__": 6, "testing": 6,
}


def layer_of(module: str) -> int:
    part = module.split(".")[1] if module.count(".") >= 1 else "__init__"
    return LAYERS.get(part, 6)


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("corridor"):
            out.append(node.module)
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names if a.name.startswith("corridor")]
    return out


def test_imports_flow_downward() -> None:
    bad = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC.parent).with_suffix("")
        module = ".".join(rel.parts)
        if module == "corridor.__init__" or module.startswith("corridor.cli"):
            continue
        mine = layer_of(module)
        for imported in imports_of(path):
            if imported == "corridor":
                imported = "corridor.__init__"
            if layer_of(imported) > mine:
                bad.append(f"{module} imports {imported}")
    assert not bad, "imports against the layering:\n" + "\n".join(sorted(bad))


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
