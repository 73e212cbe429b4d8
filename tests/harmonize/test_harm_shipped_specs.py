"""Shipped specs on the real files: no unknown codes, every row kept, published figures' point estimates.

Point estimates are ratios of weighted sums, computed with DuckDB on the harmonized relation;
reference values are R 4.2.2 / survey 4.1.1 estimates listed in
shared/data/calidad_ine_chile/reference_estimates_R_survey.csv (they match the figures published
by the Ministerio de Desarrollo Social and INE, SOURCES.md). Standard errors need the engine.
"""

from __future__ import annotations

import pytest

from corridor.harmonize import harmonize, list_specs

SHARED_FILES = {
    "casen_2017_los_rios": "casen_los_rios/casen_2017_los_rios.csv",
    "ene_2020": "calidad_ine_chile/ene.csv.gz",
    "epf_2017": "calidad_ine_chile/epf_personas.csv.gz",
    "enusc_2023": "calidad_ine_chile/enusc_2023.csv.gz",
    "ine_sermig_comunas": "chile_ine_sermig_foreign_residents/derived_estimacion_comuna_pais_2018_2022.csv",
}
SHIPPED = ["nhanes_2017_2018_demo", "ine_population_projections_antofagasta", "fonasa_beneficiaries", "enusc_2020",
           "enusc_2019"]


def test_spec_list():
    assert set(SHARED_FILES) | set(SHIPPED) | {"ine_sermig_foreign_residents", "undesa_ims_2019", "casen_2017",
                                                "casen_2022", "geih_2022", "ipumsi", "ine_population_projections", "casen_2020",
                                                "casen2022_comunas", "census2017_comunas"} == set(list_specs())


@pytest.mark.parametrize("name", sorted(SHARED_FILES) + SHIPPED)
def test_spec_applies_cleanly(name, shared):
    h = harmonize(shared / SHARED_FILES[name] if name in SHARED_FILES else None, name)
    assert h.ledger.unknown == []
    assert h.ledger.kept == h.ledger.read > 0
    assert h.count() == h.ledger.kept


def test_casen_2020_poverty_rate():
    h = harmonize(None, "casen_2020")
    assert h.ledger.unknown == [] and h.ledger.kept == h.ledger.read == 185_437
    h.relation = h.relation.filter("poverty IS NOT NULL")  # svymean(..., na.rm = TRUE)
    rate = h.relation.aggregate("sum(weight * (poverty IN ('extreme', 'non_extreme'))::INT) / sum(weight)").fetchall()[0][0]
    assert rate == pytest.approx(0.108137061960386, abs=1e-12)  # published 10.8%
    anto = h.relation.filter("region = 'CL-AN'").aggregate(
        "sum(weight * (poverty IN ('extreme', 'non_extreme'))::INT) / sum(weight)").fetchall()[0][0]
    assert anto == pytest.approx(0.0931044390173826, abs=1e-12)  # region=2 in the reference file


def test_ene_unemployment_rate(shared):
    h = harmonize(shared / SHARED_FILES["ene_2020"], "ene_2020")
    u, e = h.relation.aggregate(
        "sum(weight * (labour_status = 'unemployed')::INT), sum(weight * (labour_status = 'employed')::INT)").fetchall()[0]
    assert u / (u + e) == pytest.approx(0.0822850909736166, abs=1e-12)  # published 8.2%, Jan-Mar 2020
    assert e == pytest.approx(8942424.51977799, rel=1e-12)


def test_population_denominators(shared):
    """INE projections: Antofagasta region 709,637 in 2022; national 19,458,310 in 2020 (SOURCES.md)."""
    anto = harmonize(None, "ine_population_projections_antofagasta")
    assert anto.relation.filter("year = 2022").aggregate("sum(count)").fetchall()[0][0] == 709_637
    assert {r[0] for r in anto.relation.project("region").distinct().fetchall()} == {"CL-AN"}
    nat = harmonize(shared / "chile_ine_population_projections" / "ine_proyecciones_comuna_anio_edad_sexo_2002_2035.parquet",
                    "ine_population_projections")
    assert nat.relation.filter("year = 2020").aggregate("sum(count)").fetchall()[0][0] == 19_458_310
    assert nat.relation.filter("year = 2022 AND region = 'CL-AN'").aggregate("sum(count)").fetchall()[0][0] == 709_637


def test_fonasa_totals():
    """FONASA 2023: national 16,058,254, Antofagasta region 527,664 (SOURCES.md)."""
    h = harmonize(None, "fonasa_beneficiaries")
    total = dict(h.relation.aggregate("region = 'CL-AN', sum(count)", "region = 'CL-AN'").fetchall())
    assert total[True] == 527_664 and total[True] + total[False] == 16_058_254
    assert {r[0] for r in h.relation.project("health_insurance").distinct().fetchall()} == {"public"}
