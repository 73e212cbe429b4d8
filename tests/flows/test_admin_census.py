"""Administrative series (SERMIG permits) and census transition tables.

The SERMIG 2023 permit table has no published national total to compare with, so the
aggregation is checked against an independent sum of the file with the csv module.
"""

from __future__ import annotations

import csv

import numpy as np
import pytest

from corridor.errors import ColumnNotFoundError, InputError
from corridor.flows.census import transition_table
from corridor.harmonize.admin import admin_series, sermig_permits

from .flows_refdata import SERMIG_PERMITS


def _direct(**match: str) -> float:
    with SERMIG_PERMITS.open(newline="", encoding="utf-8") as fh:
        return float(sum(int(r["n"]) for r in csv.DictReader(fh, delimiter=";")
                         if all(r[k] == v for k, v in match.items())))


def test_permits_by_nationality() -> None:
    s = sermig_permits(SERMIG_PERMITS)
    assert s.total(nationality="Colombia") == _direct(pais="Colombia") == 64_809
    assert s.total() == _direct()
    assert {r["iso3"] for r in s.rows if r["nationality"] in ("Venezuela", "Perú", "Haití")} == {"VEN", "PER", "HTI"}


def test_permits_filters_and_groups() -> None:
    s = sermig_permits(SERMIG_PERMITS, nationality="COL", by=("region",), status="Otorgadas")
    assert s.total(region="Antofagasta") == _direct(pais="Colombia", region="Antofagasta", estado="Otorgadas")
    s = sermig_permits(SERMIG_PERMITS, nationality="COL", by=("permit", "status"))
    assert s.total(permit="Temporal", status="Otorgadas") == 13_325
    with pytest.raises(InputError, match="cannot group"):
        sermig_permits(SERMIG_PERMITS, by=("colour",))
    with pytest.raises(InputError, match="no SERMIG permits"):
        sermig_permits(SERMIG_PERMITS, nationality="Atlantis")


def test_admin_series_changes(tmp_path) -> None:
    p = tmp_path / "entries.csv"
    p.write_text("year,nat,n\n2021,COL,100\n2022,COL,150\n2023,COL,120\n2021,VEN,10\n2023,VEN,30\n")
    s = admin_series(p, count="n", period="year", by=["nat"], nationality_column="nat")
    col = [r for r in s.rows if r["nat"] == "COL"]
    assert [r["change"] for r in col] == [None, 50.0, -30.0]
    assert col[1]["pct_change"] == pytest.approx(50.0)
    assert [r["iso3"] for r in col] == ["COL"] * 3
    with pytest.raises(ColumnNotFoundError, match="not found in .*entries.csv"):
        admin_series(p, count="count", period="year")


def test_transition_table() -> None:
    est = [
        {"origin": "A", "destination": "B", "estimate": 100.0, "se": 10.0},
        {"origin": "B", "destination": "A", "estimate": 40.0, "se": 30.0},
        {"origin": "A", "destination": "A", "estimate": 900.0, "se": 20.0},
    ]
    t = transition_table(est)
    assert t.labels == ["A", "B"]
    assert t.flows[0, 1] == 100 and t.se[1, 0] == 30
    assert t.lower[1, 0] == 0.0  # truncated at zero
    assert t.upper[0, 1] == pytest.approx(100 + 1.959964 * 10, rel=1e-6)
    summ = {r["region"]: r for r in t.summary()}
    assert summ["A"]["net"] == -60 and summ["A"]["net_se"] == pytest.approx(np.hypot(10, 30))
    t5 = transition_table(est, df=5)
    assert t5.upper[0, 1] > t.upper[0, 1]
    assert len(t.to_rows()) == 4 and t.to_rows()[3]["cv"] is None


def test_ine_sermig_stock_changes_reproduce_published_table_4() -> None:
    """INE/SERMIG estimate of foreign residents, published Tabla 4 ("Regiones-País"), as quoted in
    ../shared/data/SOURCES.md (section chile_ine_sermig_foreign_residents)."""
    path = SERMIG_PERMITS.parent / "ine_sermig_baseregiones_2018_2022.csv"
    s = admin_series(path, count="ESTIMACION", period="AÑO ESTIMACION", by=["PAIS"], where={"PAIS": "COLOMBIA"},
                     nationality_column="PAIS")
    assert [r["count"] for r in s.rows] == [153_076, 167_534, 170_304, 184_127, 189_524]
    assert s.rows[-1]["change"] == 189_524 - 184_127 and s.rows[0]["iso3"] == "COL"
    a = admin_series(path, count="ESTIMACION", period="AÑO ESTIMACION", by=["REGION"],
                     where={"PAIS": "COLOMBIA", "REGION": "ANTOFAGASTA"})
    assert [r["count"] for r in a.rows] == [26_472, 28_718, 29_664, 30_696, 32_842]
