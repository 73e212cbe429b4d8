"""The comuna tables: CASEN 2022 shares (published aggregates) and census 2017 counts by birthplace."""

from __future__ import annotations

import gzip

import pytest
from shared_data import shared_file

from corridor.datasets import root
from corridor.harmonize import harmonize


def test_census_birthplace_totals():
    """SOURCES.md: Colombia-born 112,973 in Chile; Antofagasta comuna 15,752; Calama 2,619; 17,562,400 persons."""
    h = harmonize(None, "census2017_comunas")
    assert h.ledger.unknown == [] and h.ledger.kept == 345 * 9 and h.ledger.filtered[0].count == 345 * 92
    r = h.relation
    assert r.aggregate("sum(count)").fetchall()[0][0] == 17_562_400
    col = dict(r.filter("country_birth = 'COL'").aggregate("area_code, sum(count)", "area_code").fetchall())
    assert sum(col.values()) == 112_973 and col["2101"] == 15_752 and col["2201"] == 2_619
    assert {x[0] for x in r.project("country_birth").distinct().fetchall()} == {"CHL", "PER", "ARG", "BOL", "ECU", "COL", "ZZO", None}
    assert r.filter("region = 'CL-AN'").aggregate("count(DISTINCT area_code)").fetchall()[0][0] == 9
    assert r.aggregate("count_if(count IS NULL)").fetchall()[0][0] == 0     # empty cells are zeros


def test_census_empty_cells_are_zeros():
    """With empty cells as 0 the nine birthplace categories add up to PERSONAS in every comuna."""
    import duckdb

    f = root() / "census2017_comunas" / "census2017_comunas.csv.gz"
    con = duckdb.connect()
    rel = con.sql(f"SELECT * FROM read_csv('{f}', sample_size = -1)")
    cols = [c for c in rel.columns if c.startswith("LugarNacimiento_")]
    assert len(cols) == 9
    total = " + ".join(f'coalesce("{c}", 0)' for c in cols)
    assert rel.aggregate(f"count_if(PERSONAS <> {total}), count(*)").fetchall()[0] == (0, 345)


def test_casen_comuna_shares():
    """PROVENANCE: Antofagasta comuna 2101 foreign 0.1156, FONASA 0.730, ISAPRE 0.210, unemployed 0.046, poverty 0.070."""
    h = harmonize(None, "casen2022_comunas")
    assert h.ledger.unknown == [] and h.ledger.kept == 335 * 7
    got = dict(h.relation.filter("area_code = '2101'").aggregate("characteristic, share", "characteristic, share").fetchall())
    assert got["foreign_nationals"] == pytest.approx(0.1156, abs=5e-5)
    assert got["public_health_insurance"] == pytest.approx(0.730, abs=5e-4)
    assert got["private_health_insurance"] == pytest.approx(0.210, abs=5e-4)
    assert got["unemployed"] == pytest.approx(0.046, abs=5e-4) and got["income_poverty"] == pytest.approx(0.070, abs=5e-4)
    shares = h.relation.aggregate("min(share), max(share), count(share)").fetchall()[0]
    assert 0 <= shares[0] and shares[1] <= 1 and shares[2] == 335 * 7


@pytest.mark.parametrize("shipped,public", [
    ("casen2022_comunas/casen2022_comunas.csv.gz", ("casen2022_comunas", "casen_comunas.csv")),
    ("census2017_comunas/census2017_comunas.csv.gz", ("census2017_comunas", "consolidado_censo_241022.csv"))])
def test_shipped_file_is_the_public_file(shipped, public):
    """Reads $CORRIDOR_SHARED/data: the shipped files are the public files, gzip-compressed, byte for byte."""
    assert gzip.decompress((root() / shipped).read_bytes()) == shared_file(*public).read_bytes()
