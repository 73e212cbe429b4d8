"""Parquet reader: scanned in place, row count from the file footer."""

from __future__ import annotations

import pytest

from corridor.errors import SourceError
from corridor.sources import read_source


def test_parquet_roundtrip(tmp_path, con):
    p = tmp_path / "x.parquet"
    con.execute(f"COPY (SELECT range AS id, range % 3 AS g FROM range(1000)) TO '{p}' (FORMAT parquet)")
    src = read_source(p, con=con)
    assert src.format == "parquet"
    assert src.ledger.read == 1000
    assert src.relation.aggregate("sum(g)").fetchall()[0][0] == sum(i % 3 for i in range(1000))


def test_population_projections_national_totals(shared, con):
    """INE projections: national totals 18,419,192 (2017) and 19,458,310 (2020) (SOURCES.md)."""
    src = read_source(shared / "chile_ine_population_projections" / "ine_proyecciones_comuna_anio_edad_sexo_2002_2035.parquet", con=con)
    rows = dict(src.relation.filter('"año" IN (2017, 2020)').aggregate('"año", sum("población")', '"año"').fetchall())
    assert rows == {2017: 18_419_192, 2020: 19_458_310}


def test_truncated_parquet(tmp_path, con):
    p = tmp_path / "x.parquet"
    con.execute(f"COPY (SELECT range AS id FROM range(1000)) TO '{p}' (FORMAT parquet)")
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match="x.parquet.*Parquet"):
        read_source(p, con=con)
