"""A programme file with a mistake is refused with file and line, and the database is unchanged."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from corridor.errors import SpecError
from corridor.programme import db as dbm
from corridor.programme.load import load_programme, read_spec

from .conftest import DEMO, DEMO_YAML, snapshot


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = DEMO_YAML.read_text(encoding="utf-8")
    assert old in text, old
    out = tmp_path / "programme.yaml"
    out.write_text(text.replace(old, new, 1), encoding="utf-8")
    if not (tmp_path / "profile_COL_CHL").exists():
        shutil.copytree(DEMO / "profile_COL_CHL", tmp_path / "profile_COL_CHL")
    return out


def _line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(needle)


def test_unknown_evidence_indicator_names_file_and_line_and_changes_nothing(demo, tmp_path):
    bad = _variant(tmp_path, "{indicator: uninsured_share, population: corridor, area: CHL}",
                   "{indicator: uninsured_shares, population: corridor, area: CHL}")
    before = snapshot(demo)
    with pytest.raises(SpecError) as err, dbm.session_scope(demo) as s:
        load_programme(s, bad)
    msg = err.value.message
    assert str(bad) in msg
    assert "'uninsured_shares'" in msg and "did you mean 'uninsured_share'" in msg
    assert f"line {_line_of(bad, '- code: OC1.1')}:" in msg
    assert snapshot(demo) == before


def test_unit_mismatch_is_refused_naming_both_sides(migrated, tmp_path):
    bad = _variant(tmp_path, "      - code: OC1.1\n        unit: percent", "      - code: OC1.1\n        unit: proportion")
    before = snapshot(migrated)
    with pytest.raises(SpecError) as err, dbm.session_scope(migrated) as s:
        load_programme(s, bad)
    msg = err.value.message
    assert "indicator OC1.1 declares unit 'proportion', but its evidence 'uninsured_share' for population " \
           "'corridor' in area 'CHL' is in 'percent'" in msg
    assert "profile_COL_CHL/indicators.csv, row " in msg
    assert snapshot(migrated) == before and sum(before.values()) == 0


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("    owner: IOM\n    meeting: BINATIONAL-1", "    owner: OIM\n    meeting: BINATIONAL-1",
     r"names organisation 'OIM', which is not in 'organisations'"),
    ('sdg: ["3.c"]\n    title:\n      en: Chilean', 'sdg: ["3.c.9"]\n    title:\n      en: Chilean',
     r"'3.c.9' is not an SDG goal, target or indicator .* \(codes near it: 3.c.1"),
    ('targets: [{period: "2026", value: 8}]', 'targets: [{period: "2026", value: low}]',
     r"target value 'low' is not a number"),
    ('disaggregation: [sex]\n', 'disaggregation: [sex, age_group]\n', r"is disaggregated by 'age_group', but its evidence"),
    ('{period: "2026", value: 10, dimension: {sex: female}}', '{period: "2026", value: 10, dimension: {sex: F}}',
     r"target for sex='F', but its evidence has sex values female, male"),
    ("  - code: LW2\n", "  - code: LW1\n", r"lines_of_work: code 'LW1' is used twice"),
    ("      - code: OC1.2\n", "      - code: OC1.1\n", r"indicator code 'OC1.1' is used twice"),
    ("authors: [IOM-CHL, IOM-COL]", "authors: [IOM-CHILE, IOM-COL]", r"names organisation 'IOM-CHILE'.*did you mean 'IOM-CHL'"),
    ("    result: OP2.1\n", "    result: OP9.9\n", r"course DENGUE-CM names result 'OP9.9'"),
    ('{code: CHL, percentage: 85}', '{code: CHL, percentage: 80}', r"recipient_countries: percentages add up to 95"),
    ('code: "12281", percentage: 30', 'code: "99999", percentage: 30', r"sector '99999' is not a DAC 5-digit sector"),
    ('iati_ref: XM-DAC-47066,', 'iati_ref: ZZ-NOPE-47066,', r"does not start with an org-id.guide list code"),
    ('iati_roles: ["1"],\n     name: {en: IOM Development Fund', 'iati_roles: ["7"],\n     name: {en: IOM Development Fund',
     r"iati_roles '7' is not 1 funding"),
    ('period: "2023", amount: 90000', 'period: "2023-01-01/2024-06-30", amount: 90000',
     r"a budget period is at most a year"),
    ("source: {manual: {}}", "source: {manual: {}}\n        unit: percent", r"entered values are counts"),
])
def test_other_mistakes_are_located(tmp_path, old, new, expected):
    bad = _variant(tmp_path, old, new)
    with pytest.raises(SpecError, match=expected) as err:
        read_spec(bad)
    assert re.search(rf"{re.escape(str(bad))}, line \d+: ", err.value.message)
