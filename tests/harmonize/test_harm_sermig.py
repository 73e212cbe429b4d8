"""INE/SERMIG foreign residents: the spec reproduces the published Tabla 4 exactly.

Reference: INE and SERMIG, "Estimación de personas extranjeras residentes habituales en Chile
al 31 de diciembre de 2022", cuadros estadísticos, Tabla 4 ("Regiones-País"), as listed in
shared/data/SOURCES.md.
"""

from __future__ import annotations

import pytest

from corridor.harmonize import harmonize


@pytest.fixture(scope="module")
def sermig():
    return harmonize(None, "ine_sermig_foreign_residents")  # the copy shipped in corridor/datasets


def _total(h, where: str) -> dict[int, int]:
    rows = h.relation.filter(where).aggregate("year, sum(count)", "year").fetchall()
    return {int(y): int(n) for y, n in rows}


def test_every_row_kept_and_no_unknown_codes(sermig):
    assert sermig.ledger.read == 51_946 == sermig.ledger.kept
    assert sermig.ledger.unknown == []


def test_chile_totals(sermig):
    assert _total(sermig, "TRUE") == {2018: 1_300_005, 2019: 1_474_730, 2020: 1_501_995, 2021: 1_564_160, 2022: 1_625_074}


def test_colombians_in_chile(sermig):
    assert _total(sermig, "country_origin = 'COL'") == {
        2018: 153_076, 2019: 167_534, 2020: 170_304, 2021: 184_127, 2022: 189_524}


def test_antofagasta_is_cl_an_not_codregeo_2(sermig):
    # CODREGEO 3 (geographic order) is Antofagasta, official region 2, ISO CL-AN.
    assert _total(sermig, "region = 'CL-AN'") == {2018: 87_186, 2019: 97_163, 2020: 101_587, 2021: 105_766, 2022: 109_439}
    assert _total(sermig, "region = 'CL-AN' AND country_origin = 'COL'") == {
        2018: 26_472, 2019: 28_718, 2020: 29_664, 2021: 30_696, 2022: 32_842}


def test_2022_by_country(sermig):
    rows = dict(sermig.relation.filter("year = 2022").aggregate("country_origin, sum(count)", "country_origin").fetchall())
    expected = {"VEN": 532_715, "PER": 250_908, "COL": 189_524, "HTI": 184_721, "BOL": 148_059, "ARG": 79_335}
    assert {k: int(rows[k]) for k in expected} == expected
    others = sum(v for k, v in rows.items() if k not in expected)
    assert others == 239_812  # "Otros países", including ZZO (OTRO PAÍS) and ZZU (PAÍS IGNORADO)
    assert "ZZO" in rows and "ZZU" in rows
