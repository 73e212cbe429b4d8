"""Baselines and actuals follow the evidence table when it is regenerated."""

from __future__ import annotations

import shutil

from corridor.programme import db as dbm
from corridor.programme.load import load_programme
from corridor.programme.progress import programme_progress
from corridor.programme.refresh import refresh_observations

from .conftest import DEMO, DEMO_YAML, programme


def _status(session, code: str) -> tuple:
    p = next(x for x in programme_progress(programme(session)) if x.indicator == code and not x.dimension)
    return p.status, p.actual, p.ci_high


def test_new_evidence_changes_the_judgement(migrated, tmp_path):
    shutil.copy(DEMO_YAML, tmp_path / "programme.yaml")
    evidence = tmp_path / "evidence_demo_SYNTHETIC.csv"
    shutil.copy(DEMO / "evidence_demo_SYNTHETIC.csv", evidence)
    with dbm.session_scope(migrated) as s:
        load_programme(s, tmp_path / "programme.yaml")
    with dbm.session_scope(migrated) as s:
        assert _status(s, "OC1.1")[0] == "not_yet_demonstrated"
    # a new round gives 0.09 with SE 0.012: 95% CI [0.0665, 0.1135] lies below the 0.12 target
    text = evidence.read_text(encoding="utf-8").replace(
        "uninsured_share,born_COL,CL-AN,2017,total,0.15,0.028,0.095121,0.204879",
        "uninsured_share,born_COL,CL-AN,2017,total,0.09,0.012,0.066480,0.113520")
    evidence.write_text(text, encoding="utf-8")
    with dbm.session_scope(migrated) as s:
        refresh_observations(s, programme(s))
    with dbm.session_scope(migrated) as s:
        assert _status(s, "OC1.1") == ("met", 0.09, 0.11352)
