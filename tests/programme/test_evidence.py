"""corridor's tidy indicator table as evidence: read by column name, linked by identity and unit."""

from __future__ import annotations

import csv
import io

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from corridor.errors import ColumnNotFoundError, InputError
from corridor.programme.evidence import EvidenceKey, link, read_evidence

from .conftest import DEMO_PROFILE

CSV = DEMO_PROFILE / "indicators.csv"


def _table_with(tmp_path, rows_text: str):
    path = tmp_path / "indicators.csv"
    path.write_text(rows_text, encoding="utf-8")
    return read_evidence(path)


def test_profile_folder_csv_and_parquet_read_the_same(tmp_path):
    folder = read_evidence(DEMO_PROFILE)
    assert folder.path == CSV and folder.rows[0].row == 2
    pq.write_table(pacsv.read_csv(CSV), tmp_path / "indicators.parquet")
    again = read_evidence(tmp_path)
    key = [(r.indicator, r.population, r.area, r.period, r.disaggregation, r.value, r.estimate, r.ci_low, r.unit,
            r.quality, r.synthetic) for r in folder.rows]
    assert [(r.indicator, r.population, r.area, r.period, r.disaggregation, r.value, r.estimate, r.ci_low, r.unit,
             r.quality, r.synthetic) for r in again.rows] == key
    assert folder.meta["origin"] == "COL" and len(folder.meta["sha256"]) == 64


def test_extra_columns_are_ignored_missing_ones_named(tmp_path):
    text = CSV.read_text(encoding="utf-8")
    head, *rest = text.splitlines()
    wider = "\n".join([head + ',"added_later"', *[r + ",x" for r in rest]])
    assert len(_table_with(tmp_path, wider).rows) == len(rest)
    with pytest.raises(ColumnNotFoundError, match="column 'unit' not found in evidence table"):
        _table_with(tmp_path, text.replace('"unit"', '"units"', 1))
    bad = text.replace(",18.133", ",eighteen", 1)
    with pytest.raises(InputError, match=r"indicators.csv, row 2, column 'estimate': 'eighteen[0-9]*' is not a number"):
        _table_with(tmp_path, bad)


def test_sex_cells_stay_apart_and_link_by_identity():
    table = read_evidence(DEMO_PROFILE)
    s = link(table, EvidenceKey("uninsured_share", "corridor", "CHL"), unit="percent", dimensions=["sex"], what="X")
    assert s.problems == []
    cells = {dims: r.estimate for (period, dims), r in s.cells.items() if period == "2022"}
    rows = {r["disaggregation_value"]: float(r["estimate"]) for r in csv.DictReader(io.StringIO(CSV.read_text()))
            if r["indicator"] == "uninsured_share" and r["population"] == "corridor" and r["area"] == "CHL"
            and r["disaggregation"] in ("total", "sex")}
    assert cells == {(): rows["_T"], (("sex", "female"),): rows["female"], (("sex", "male"),): rows["male"]}
    assert len({cells[()], cells[(("sex", "female"),)], cells[(("sex", "male"),)]}) == 3
    # a region's cell is that area's total
    an = link(table, EvidenceKey("uninsured_share", "corridor", "CL-AN"), unit="percent", dimensions=[], what="X")
    assert [dims for (_, dims) in an.cells] == [()] and an.cells[("2022", ())].quality == "weakly_reliable"


def test_unit_mismatch_names_both_sides():
    table = read_evidence(DEMO_PROFILE)
    s = link(table, EvidenceKey("uninsured_share", "corridor", "CHL"), unit="proportion", dimensions=[],
             what="indicator OC1.1")
    [problem] = s.problems
    assert "indicator OC1.1 declares unit 'proportion'" in problem
    assert "'uninsured_share' for population 'corridor' in area 'CHL' is in 'percent'" in problem
    assert f"{CSV}, row " in problem and "never rescaled" in problem


def test_unknown_identity_and_missing_dimension():
    table = read_evidence(DEMO_PROFILE)
    s = link(table, EvidenceKey("uninsured_shares", "corridor", "CHL"), unit="percent", dimensions=[], what="I")
    assert "did you mean 'uninsured_share'" in s.problems[0]
    s = link(table, EvidenceKey("uninsured_share", "born_COL", "CHL"), unit="percent", dimensions=[], what="I")
    assert "has no population 'born_COL' (it has corridor)" in s.problems[0]
    s = link(table, EvidenceKey("notification_dsr_syphilis", "corridor", "CL-AN"), unit="per_100000",
             dimensions=["sex"], what="I")
    assert "is disaggregated by 'sex', but its evidence" in s.problems[0] and "totals only" in s.problems[0]


def test_two_sources_for_one_cell_must_be_chosen(tmp_path):
    rows = CSV.read_text(encoding="utf-8").splitlines()
    head = rows[0]
    one = next(r for r in rows if r.startswith('"uninsured_share","corridor","CHL",2022,"total"'))
    other = one.replace("SYNTHETIC household-survey sample", "Another survey")
    table = _table_with(tmp_path, f"{head}\n{one}\n{other}")
    s = link(table, EvidenceKey("uninsured_share", "corridor", "CHL"), unit="percent", dimensions=[], what="I")
    assert "has two rows for period 2022" in s.problems[0] and "add source:" in s.problems[0]
    s = link(table, EvidenceKey("uninsured_share", "corridor", "CHL", source="Another"), unit="percent",
             dimensions=[], what="I")
    assert s.problems == [] and s.cells[("2022", ())].source.startswith("Another")
