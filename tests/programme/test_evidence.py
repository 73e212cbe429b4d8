"""corridor's tidy indicator table as evidence: read by column name, linked by identity and unit."""

from __future__ import annotations

import csv
import io
from pathlib import Path

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
    [problem] = map(str, s.problems)  # problems are catalogue messages, read here in English
    assert "indicator OC1.1 declares unit 'proportion'" in problem
    assert "'uninsured_share' for population 'corridor' in area 'CHL' is in 'percent'" in problem
    assert f"{CSV}, row " in problem and "never rescaled" in problem


def test_unknown_identity_and_missing_dimension():
    table = read_evidence(DEMO_PROFILE)
    s = link(table, EvidenceKey("uninsured_shares", "corridor", "CHL"), unit="percent", dimensions=[], what="I")
    assert "did you mean 'uninsured_share'" in str(s.problems[0])
    s = link(table, EvidenceKey("uninsured_share", "born_COL", "CHL"), unit="percent", dimensions=[], what="I")
    assert "has no population 'born_COL' (it has corridor)" in str(s.problems[0])
    s = link(table, EvidenceKey("notification_dsr_syphilis", "corridor", "CL-AN"), unit="per_100000",
             dimensions=["sex"], what="I")
    assert "is disaggregated by 'sex', but its evidence" in str(s.problems[0]) and "totals only" in str(s.problems[0])


def test_two_sources_for_one_cell_must_be_chosen(tmp_path):
    rows = CSV.read_text(encoding="utf-8").splitlines()
    head = rows[0]
    one = next(r for r in rows if r.startswith('"uninsured_share","corridor","CHL",2022,"total"'))
    other = one.replace("SYNTHETIC household-survey sample", "Another survey")
    table = _table_with(tmp_path, f"{head}\n{one}\n{other}")
    s = link(table, EvidenceKey("uninsured_share", "corridor", "CHL"), unit="percent", dimensions=[], what="I")
    assert "has two rows for period 2022" in str(s.problems[0]) and "add source:" in str(s.problems[0])
    s = link(table, EvidenceKey("uninsured_share", "corridor", "CHL", source="Another"), unit="percent",
             dimensions=[], what="I")
    assert s.problems == [] and s.cells[("2022", ())].source.startswith("Another")


def test_real_enusc_rows_are_evidence_like_any_other(tmp_path):
    """The profile's labour rows from ENUSC 2019 and 2020 (real microdata) link as a programme's evidence:
    one cell per survey year nationally, with the estimate and interval the R reference gives (2020:
    70.91%, tests/reference/enusc), and Antofagasta's cells present but suppressed (21 Colombians
    sampled in 2020), so a programme shows them as withheld rather than missing."""
    import json

    import pyarrow as pa

    from corridor.indicators import compute_survey, get, load_survey

    tables = [compute_survey(load_survey(f"enusc_{y}"), "COL", "CHL", indicators=[get("employment_to_population_ratio")],
                             disaggregations=("region",), period=y).table for y in (2019, 2020)]
    pq.write_table(pa.concat_tables(tables), tmp_path / "indicators.parquet")
    evidence = read_evidence(tmp_path)
    key = EvidenceKey("employment_to_population_ratio", "corridor", "CHL")
    national = link(evidence, key, unit="percent", dimensions=[], what="indicator E1")
    assert national.problems == [] and national.periods() == ["2019", "2020"]
    ref = json.loads((Path(__file__).resolve().parents[1] / "reference" / "enusc" / "expected.json").read_text())
    want = next(f for f in ref["figures"] if (f["year"], f["area"], f["indicator"], f["group"]) ==
                (2020, "CHL", "employment_to_population_ratio", "corridor"))
    cell = national.cells[("2020", ())]
    assert cell.estimate == pytest.approx(100 * want["estimate"], rel=1e-9)
    assert cell.ci_low == pytest.approx(100 * want["ci_low"], rel=1e-6) and cell.n == want["n"]
    assert not cell.synthetic and not cell.suppressed and cell.source.startswith("ENUSC 2020")
    region = link(evidence, EvidenceKey("employment_to_population_ratio", "corridor", "CL-AN"), unit="percent",
                  dimensions=[], what="indicator E2")
    assert region.problems == [] and region.periods() == ["2019", "2020"]
    assert all(c.suppressed and c.estimate is None and c.suppression_reason == "primary_min_n"
               for c in region.cells.values())
