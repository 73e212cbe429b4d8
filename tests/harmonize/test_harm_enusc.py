"""ENUSC 2020 and 2019 with nationality: the shipped extracts, the specs, and the 2019 code correspondence.

The 2019 file has no value labels; its specs use the 2020 codebook. The correspondence is
checked here on the data, as the spec ``enusc_2019`` states: region numbering against the file's
own geographic-order column, nationality codes against INE/SERMIG's 2019 stocks by country and
region (shipped), arrival bands and the labour roster's skip pattern against the 2020 file.
Tests marked as reading ``shared`` compare the shipped extracts with the public files in
``$CORRIDOR_SHARED/data/enusc_nationality``.
"""

from __future__ import annotations

import duckdb
import pytest
from shared_data import shared_file

from corridor.harmonize import harmonize
from corridor.harmonize.codes import CL_REGION, CL_REGION_GEO

NAT = {2: "VEN", 3: "PER", 4: "HTI", 5: "COL", 6: "BOL", 7: "ARG", 8: "ECU"}
NORTH = ("CL-AP", "CL-TA", "CL-AN")


@pytest.fixture(scope="module")
def raw():
    """The shipped extracts as they are (source codes), one DuckDB connection."""
    from corridor.datasets import root

    con = duckdb.connect()
    folder = root() / "enusc_nationality"
    con.execute(f"CREATE VIEW e20 AS SELECT * FROM '{folder / 'enusc_2020_persons.parquet'}'")
    con.execute(f"CREATE VIEW e19 AS SELECT * FROM '{folder / 'enusc_2019_persons.parquet'}'")
    return con


def _by(con, view: str, weight: str, var: str) -> dict[int, dict]:
    out: dict[int, dict] = {}
    for code, value, w in con.sql(f"SELECT rph_nacionalidad, {var}, sum({weight}) FROM {view} GROUP BY ALL").fetchall():
        out.setdefault(code, {})[value] = w
    return out


def _share(d: dict, keys) -> float:
    return sum(v for k, v in d.items() if k in keys) / sum(d.values())


@pytest.mark.parametrize("name,rows", [("enusc_2020", 23_656), ("enusc_2019", 24_465)])
def test_every_row_kept_no_unknown_code(name, rows):
    h = harmonize(None, name)
    assert h.ledger.read == h.ledger.kept == rows and h.ledger.unknown == [] and h.ledger.rejected[0].count == 0
    assert h.design["weights"] == "weight" and h.design["strata"] == "strata" and h.design["ids"] == "psu"
    basis = dict(h.relation.aggregate("migrant_basis, count(*)", "migrant_basis").fetchall())
    assert set(basis) == {"citizenship", None}          # nationality only, never birthplace


def test_labour_status_from_the_roster():
    """Counts of the ILO classification, recomputed here from the roster codes (R9-R13 / R13-R18)."""
    h20 = dict(harmonize(None, "enusc_2020").relation.aggregate("labour_status, count(*)", "labour_status").fetchall())
    assert h20 == {"employed": 12_355 + 448, "unemployed": 1_500, "outside": 9_341, None: 12}
    h19 = dict(harmonize(None, "enusc_2019").relation.aggregate("labour_status, count(*)", "labour_status").fetchall())
    assert h19 == {"employed": 13_941 + 337, "unemployed": 1_246, "outside": 8_940, None: 1}


def test_labour_roster_by_hand(raw):
    """The same counts straight from the source codes, without the spec."""
    q = ("SELECT count_if({w1} = 1 OR {w2} = 1), count_if({w1} = 2 AND {w2} = 2 AND {s} = 1 AND {a} = 1), "
         "count_if({w1} = 2 AND {w2} = 2 AND {s} IN (1, 2) AND {a} IN (1, 2) AND NOT ({s} = 1 AND {a} = 1)) FROM {v}")
    assert raw.sql(q.format(w1="rph_p9", w2="rph_p10", s="rph_p12", a="rph_p13", v="e20")).fetchall()[0] == (12_803, 1_500, 9_341)
    assert raw.sql(q.format(w1="rph_p13", w2="rph_p14", s="rph_p17", a="rph_p18", v="e19")).fetchall()[0] == (14_278, 1_246, 8_940)


def test_2019_regions_are_the_official_numbering(raw):
    """enc_region (official CUT numbers) and enc_region16fix (INE's geographic order) name the same region in every row."""
    pairs = raw.sql("SELECT DISTINCT enc_region, enc_region16fix FROM e19").fetchall()
    assert len(pairs) == 16 and all(CL_REGION[a] == CL_REGION_GEO[b] for a, b in pairs)


def test_2019_nationality_codes_rank_as_ine_sermig_2019(raw):
    """Weighted totals of codes 2-8 in ENUSC 2019 have the order of INE/SERMIG's 2019 stocks of the 2020 labels.

    ENUSC covers urban persons 15+, so the totals are smaller; their order is what is compared.
    """
    enusc = dict(raw.sql("SELECT rph_nacionalidad, sum(fact_pers) FROM e19 WHERE rph_nacionalidad BETWEEN 2 AND 8 GROUP BY 1").fetchall())
    s = harmonize(None, "ine_sermig_foreign_residents").relation.filter("year = 2019")
    stock = dict(s.aggregate("country_origin, sum(count)", "country_origin").fetchall())
    assert sorted(NAT, key=lambda c: -enusc[c]) == [2, 3, 4, 5, 6, 7, 8]
    assert sorted(NAT.values(), key=lambda iso: -stock[iso]) == ["VEN", "PER", "HTI", "COL", "BOL", "ARG", "ECU"]


def test_2019_nationality_regional_signatures(raw):
    """Each code's regional distribution carries its 2020 label's signature in INE/SERMIG 2019 (regional stocks)."""
    s = harmonize(None, "ine_sermig_foreign_residents").relation.filter("year = 2019")
    ref: dict[str, dict] = {}
    for iso, reg, n in s.aggregate("country_origin, region, sum(count)", "country_origin, region").fetchall():
        ref.setdefault(iso, {})[reg] = n
    by = {code: {CL_REGION[r]: w for r, w in d.items()} for code, d in _by(raw, "e19", "fact_pers", "enc_region").items()}
    north = {c: _share(by[c], NORTH) for c in NAT}
    ref_north = {iso: _share(ref[iso], NORTH) for iso in NAT.values()}
    # Bolivians: the largest northern share (INE/SERMIG 2019: 64%; ENUSC 2019 code 6: 67%)
    assert max(north, key=north.get) == 6 and max(ref_north, key=ref_north.get) == "BOL"
    # Haitians: nobody in the north (INE/SERMIG under 1%; ENUSC code 4: no sampled person)
    assert north[4] < 0.01 and ref_north["HTI"] < 0.01
    # Colombians: more concentrated in Antofagasta than Venezuelans, Peruvians and Haitians
    anto = {c: _share(by[c], ("CL-AN",)) for c in NAT}
    ref_anto = {iso: _share(ref[iso], ("CL-AN",)) for iso in NAT.values()}
    assert all(anto[5] > anto[c] for c in (2, 3, 4)) and all(ref_anto["COL"] > ref_anto[i] for i in ("VEN", "PER", "HTI"))


@pytest.mark.parametrize("view,weight", [("e19", "fact_pers"), ("e20", "Fact_Pers")])
def test_arrival_bands(raw, view, weight):
    """Code 1 (2016 or later) holds 90%+ of codes 2 and 4 (Venezuelans, Haitians); code 7 (Argentinians) arrived earliest."""
    arr = _by(raw, view, weight, "rph_migracion")
    assert raw.sql(f"SELECT DISTINCT rph_migracion FROM {view} WHERE rph_migracion < 80").fetchall() != []
    assert {k for d in arr.values() for k in d if k is not None} <= {1, 2, 3, 4, 5, 88, 96, 99}
    if view == "e19":
        assert _share(arr[2], (1,)) > 0.9 and _share(arr[4], (1,)) > 0.9
    else:
        assert _share(arr[2], (1,)) > 0.9   # 2020 labels: Venezolana; Haitians 78% (labelled, not a check)
    early = {c: _share(arr[c], (4, 5)) for c in NAT}
    assert max(early, key=early.get) == 7
    assert 1 not in arr or set(arr[1]) == {None}        # asked of non-Chileans only


def test_2019_roster_skip_pattern(raw):
    """R14 asked exactly when R13 = 2; R15 exactly of the employed; R17/R18 of the others; R19 when R17 = 2; R16 empty."""
    checks = raw.sql("""SELECT
        count_if((rph_p14 IS NOT NULL) <> (rph_p13 = 2)),
        count_if((rph_p15 IS NOT NULL) <> (rph_p13 = 1 OR rph_p14 = 1)),
        count_if((rph_p17 IS NOT NULL) <> (rph_p13 = 2 AND rph_p14 = 2)),
        count_if((rph_p18 IS NOT NULL) <> (rph_p13 = 2 AND rph_p14 = 2)),
        count_if((rph_p19 IS NOT NULL) <> coalesce(rph_p17 = 2, FALSE)),
        count_if(rph_p16 IS NOT NULL),
        count_if(rph_p15 NOT BETWEEN 1 AND 7 AND rph_p15 <> 96), count_if(rph_p19 NOT BETWEEN 1 AND 7 AND rph_p19 <> 99)
        FROM e19""").fetchall()[0]
    assert checks == (0, 0, 0, 0, 0, 0, 0, 0)


def test_2019_age_is_in_years_2020_in_groups(raw):
    lo, hi, distinct = raw.sql("SELECT min(rph_edad), max(rph_edad), count(DISTINCT rph_edad) FROM e19").fetchall()[0]
    assert lo == 15 and hi > 100 and distinct > 80
    assert raw.sql("SELECT min(rph_edad), max(rph_edad) FROM e20").fetchall()[0] == (1, 10)


@pytest.mark.parametrize("name,file", [("enusc_2020_persons", "enusc_2020_etiq.csv.gz"),
                                       ("enusc_2019_persons", "enusc_2019.csv.gz")])
def test_shipped_extract_equals_the_public_file(name, file):
    """Reads $CORRIDOR_SHARED/data/enusc_nationality: every shipped value equals the public file's."""
    from corridor.datasets import root

    con = duckdb.connect()
    shipped = con.sql(f"SELECT * FROM '{root() / 'enusc_nationality' / (name + '.parquet')}'")
    names = ", ".join(f'"{c}"' for c in shipped.columns)
    src = shared_file("enusc_nationality", file)
    diff = con.sql(f"SELECT {names} FROM read_csv('{src}') EXCEPT ALL SELECT * FROM shipped")
    assert diff.aggregate("count(*)").fetchall()[0][0] == 0
    assert shipped.aggregate("count(*)").fetchall()[0][0] == con.sql(f"SELECT count(*) FROM read_csv('{src}')").fetchall()[0][0]
