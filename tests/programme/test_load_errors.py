"""A programme file with a mistake is refused with file and line, and the database is unchanged."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from corridor.errors import SpecError
from corridor.programme import db as dbm
from corridor.programme.load import load_programme

from .conftest import DEMO, DEMO_YAML, snapshot


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = DEMO_YAML.read_text(encoding="utf-8")
    assert old in text
    out = tmp_path / "programme.yaml"
    out.write_text(text.replace(old, new, 1), encoding="utf-8")
    (tmp_path / "evidence_demo_SYNTHETIC.csv").write_bytes((DEMO / "evidence_demo_SYNTHETIC.csv").read_bytes())
    return out


def _line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(needle)


def test_unknown_evidence_indicator_names_file_and_line_and_changes_nothing(demo, tmp_path):
    bad = _variant(tmp_path, "{indicator: uninsured_share,", "{indicator: uninsured_shares,")
    before = snapshot(demo)
    with pytest.raises(SpecError) as err, dbm.session_scope(demo) as s:
        load_programme(s, bad)
    msg = err.value.message
    assert str(bad) in msg
    assert "'uninsured_shares'" in msg and "did you mean 'uninsured_share'" in msg
    # the indicator mapping starts on the "- code: OC1.1" line
    assert f"line {_line_of(bad, '- code: OC1.1')}:" in msg
    assert snapshot(demo) == before


def test_failed_first_load_leaves_empty_database(migrated, tmp_path):
    bad = _variant(tmp_path, "metric: mean_score_gain", "metric: mean_score_gains")
    before = snapshot(migrated)
    with pytest.raises(SpecError, match=r"activity metric 'mean_score_gains', which does not exist"), \
            dbm.session_scope(migrated) as s:
        load_programme(s, bad)
    assert snapshot(migrated) == before
    assert sum(before.values()) == 0


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("owner: IOM\n", "owner: OIM\n", r"names organisation 'OIM', which is not in 'organisations'"),
    ('sdg: ["3.c.1"]', 'sdg: ["3.z.9"]', r"'3.z.9' is not an SDG indicator code"),
    ("targets: [{period: \"2017\", value: 0.12}]", "targets: [{period: \"2017\", value: low}]",
     r"target value 'low' is not a number"),
    ("baseline: {period: \"2015\"}", "baseline: {period: \"2014\"}", r"has no 'uninsured_share' for period '2014'"),
    ("- code: LW2\n", "- code: LW1\n", r"lines_of_work: code 'LW1' is used twice"),
    ("- code: OC1.2\n", "- code: OC1.1\n", r"result OC1: indicator code 'OC1.1' is used twice"),
    ("authors: [IOM-CHL, IOM-COL]", "authors: [IOM-CHILE, IOM-COL]", r"names organisation 'IOM-CHILE'.*did you mean 'IOM-CHL'"),
])
def test_other_mistakes_are_located(tmp_path, old, new, expected):
    from corridor.programme.load import read_spec

    bad = _variant(tmp_path, old, new)
    with pytest.raises(SpecError, match=expected) as err:
        read_spec(bad)
    assert re.search(rf"{re.escape(str(bad))}, line \d+: ", err.value.message)
