"""Published Chilean figures reproduce from the real microdata.

Reference values: `shared/data/calidad_ine_chile/reference_estimates_R_survey.csv`, computed with
R 4.2.2 / survey 4.1.1 (`svydesign` as in its `design` column) and matching the figures INE and the
Ministerio de Desarrollo Social published: ENUSC 2023 regional victimisation (INE, cuadro 82),
CASEN 2020 poverty 10.8%, ENE January-March 2020 unemployment 8.2%.
"""

from __future__ import annotations

import csv
from importlib import resources

import duckdb
import pytest
from shared_data import shared_file

import corridor as cr

RTOL = 1e-8
# R's svyciprop(method="logit") takes its point estimate from a glm fit that stops at a deviance
# tolerance of 1e-8, so it differs from the exact weighted proportion by up to ~1e-7 relative.
RTOL_GLM = 2e-7


def reference_rows(dataset: str) -> list[dict[str, str]]:
    path = shared_file("calidad_ine_chile", "reference_estimates_R_survey.csv")
    with path.open(encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["dataset"] == dataset]


def test_enusc_2023_victimisation_by_region_with_logit_intervals(engine: str) -> None:
    design = cr.Design(ids="Conglomerado", strata="VarStrat", weights="Fact_Hog_Reg", lonely_psu="certainty")
    res = cr.estimate(shared_file("calidad_ine_chile", "enusc_2023.csv.gz"), design,
                      cr.Proportion("VH_DV", level=1), by="enc_region", engine=engine)
    got = {r["enc_region"]: r for r in res.table.to_pylist()}
    rows = [r for r in reference_rows("enusc_2023") if r["domain"].startswith("enc_region=")]
    assert len(rows) == 16
    for ref in rows:
        region = int(ref["domain"].split("=")[1])
        row = got[region]
        assert row["estimate"] == pytest.approx(float(ref["estimate"]), rel=RTOL_GLM)
        assert row["se"] == pytest.approx(float(ref["se"]), rel=RTOL)
        assert row["ci_low"] == pytest.approx(float(ref["ci_lower"]), rel=RTOL_GLM)
        assert row["ci_high"] == pytest.approx(float(ref["ci_upper"]), rel=RTOL_GLM)
    # INE's published Antofagasta figure, as quoted in calidad's tests
    assert round(got[2]["estimate"], 8) == 0.08094008
    assert (round(got[2]["ci_low"], 8), round(got[2]["ci_high"], 8)) == (0.06690903, 0.09760572)


def test_casen_2020_poverty_rate_national_and_by_region(engine: str) -> None:
    path = resources.files("corridor") / "datasets" / "casen_2020" / "casen_2020.csv.gz"
    con = duckdb.connect()
    rel = con.read_csv(str(path), sample_size=-1).project("*, pobreza IN (1, 2) AS pobre")
    design = cr.Design(ids="cod_upm", strata="estrato", weights="expr", lonely_psu="certainty")
    national = cr.estimate(rel, design, cr.Mean("pobre", categorical=False), na="drop", engine=engine).to_pylist()[0]
    refs = {r["domain"]: r for r in reference_rows("casen_2020") if r["estimand"] == "poverty rate (persons)"}
    assert national["estimate"] == pytest.approx(float(refs["national"]["estimate"]), rel=RTOL)
    assert national["se"] == pytest.approx(float(refs["national"]["se"]), rel=RTOL)
    assert round(national["estimate"], 3) == 0.108  # the published 10.8%
    by_region = cr.estimate(rel, design, cr.Mean("pobre", categorical=False), by="region", na="drop", engine=engine)
    got = {r["region"]: r for r in by_region.to_pylist()}
    for region in range(1, 17):
        ref = refs[f"region={region}"]
        assert got[region]["estimate"] == pytest.approx(float(ref["estimate"]), rel=RTOL)
        assert got[region]["se"] == pytest.approx(float(ref["se"]), rel=RTOL)


def test_ene_2020_unemployment_rate_as_a_ratio(engine: str) -> None:
    con = duckdb.connect()
    rel = con.read_csv(str(shared_file("calidad_ine_chile", "ene.csv.gz")), sample_size=-1).project(
        "*, (cae_especifico BETWEEN 8 AND 9)::INT AS desocupado, (cae_especifico BETWEEN 1 AND 9)::INT AS fdt"
    )
    design = cr.Design(ids="conglomerado", strata="estrato_unico", weights="fact_cal", lonely_psu="certainty")
    refs = {r["domain"]: r for r in reference_rows("ene") if r["estimand"].startswith("unemployment rate")}
    res = cr.estimate(rel, design, cr.Ratio("desocupado", "fdt"), engine=engine).to_pylist()[0]
    assert res["estimate"] == pytest.approx(float(refs["national"]["estimate"]), rel=RTOL)
    assert res["se"] == pytest.approx(float(refs["national"]["se"]), rel=RTOL)
    assert round(res["estimate"], 3) == 0.082  # INE's published 8.2%
    by_sex = {r["sexo"]: r for r in cr.estimate(rel, design, cr.Ratio("desocupado", "fdt"), by="sexo", engine=engine).to_pylist()}
    for sexo in (1, 2):
        assert by_sex[sexo]["estimate"] == pytest.approx(float(refs[f"sexo={sexo}"]["estimate"]), rel=RTOL)
        assert by_sex[sexo]["se"] == pytest.approx(float(refs[f"sexo={sexo}"]["se"]), rel=RTOL)
