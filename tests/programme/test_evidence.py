"""Reading corridor's tidy indicator table (CSV with comments, or Parquet)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corridor.errors import ColumnNotFoundError, InputError
from corridor.programme.evidence import COLUMNS, read_evidence, select

from .conftest import DEMO

CSV = DEMO / "evidence_demo_SYNTHETIC.csv"


def test_csv_and_parquet_read_the_same(tmp_path):
    rows = read_evidence(CSV)
    assert rows[0].row == 3  # line 1 is a comment, line 2 the header
    table = pa.table({c: [getattr(r, c) for r in rows] for c in COLUMNS})
    pq.write_table(table, tmp_path / "e.parquet")
    again = read_evidence(tmp_path / "e.parquet")
    key = [(r.indicator, r.period, r.estimate, r.ci_low, r.quality, r.synthetic) for r in rows]
    assert [(r.indicator, r.period, r.estimate, r.ci_low, r.quality, r.synthetic) for r in again] == key
    series = select(rows, indicator="foreign_residents_born_COL", population="born_COL", area="CL-AN")
    assert series["2022"].estimate == 32842 and series["2022"].se is None and not series["2022"].synthetic


def test_missing_column_and_bad_number(tmp_path):
    text = CSV.read_text(encoding="utf-8")
    (tmp_path / "nocol.csv").write_text(text.replace(",ci_level,", ",level,"), encoding="utf-8")
    with pytest.raises(ColumnNotFoundError, match="column 'ci_level' not found in evidence table"):
        read_evidence(tmp_path / "nocol.csv")
    (tmp_path / "bad.csv").write_text(text.replace(",0.21,0.03,", ",0.21,n/a,"), encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.csv, row 3, column 'se': 'n/a' is not a number"):
        read_evidence(tmp_path / "bad.csv")
