"""The shipped SYNTHETIC demo files are exactly what the generating script writes."""

from __future__ import annotations

import importlib.util

from .conftest import DEMO, REPO


def test_demo_files_are_reproducible(tmp_path):
    spec = importlib.util.spec_from_file_location("make_synthetic_trainings",
                                                  REPO / "scripts" / "make_synthetic_trainings.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.main(tmp_path)
    for name in ("trainings_SYNTHETIC.csv", "evidence_demo_SYNTHETIC.csv"):
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), name
        assert "SYNTHETIC" in (DEMO / name).read_text(encoding="utf-8").splitlines()[0]


def test_published_counts_are_as_in_ine_sermig_tabla_4():
    """INE/SERMIG 2022 estimate, Tabla 4: Colombia-born residents of Antofagasta region."""
    rows = [ln.split(",") for ln in (DEMO / "evidence_demo_SYNTHETIC.csv").read_text(encoding="utf-8").splitlines()
            if ln.startswith("foreign_residents_born_COL")]
    assert {r[3]: int(float(r[5])) for r in rows} == {"2018": 26472, "2019": 28718, "2020": 29664, "2021": 30696,
                                                      "2022": 32842}
