"""Labels equal those of INE Chile's R package calidad 0.8.x on real survey estimates.

The estimates are calidad's own example data (ENUSC 2023, EPF VIII, ENE
Jan-Mar 2020, CASEN 2020; shared data ``calidad_ine_chile``, from
inesscc/calidad commit 57961f8). ``survey_inputs`` recomputes what
``calidad::create_mean`` / ``create_prop`` hand to ``assess`` (estimate, se, n,
df, deff, unweighted count); the first test checks the estimates, standard
errors and design effects of all 85 cells against R ``survey`` 4.1.1
(``r_survey_cells.csv``, from ``r_survey_cells.R``).

The expected labels below were derived by applying, row by row, the
``case_when`` chains of calidad 0.8.x ``assess_ine``, ``assess_cepal2023`` and
``assess_cepal2020`` (``R/evaluate_internal.R``; see docs/quality.md) to
those inputs, with calidad's default thresholds; they are calidad's label
strings. Cells: ENUSC 2023 share of households victimised by violent crime
(``VH_DV``) by region, design ids=~Conglomerado, strata=~VarStrat,
weights=~Fact_Hog_Reg; EPF household expenditure ``gastot_hd`` by
zona+sexo+ecivil, one row per folio (calidad's own ``assess`` example),
ids=~varunit, strata=~varstrat, weights=~fe; ENE unemployment
(desocupado among fdt, calidad's ``subpop = "fdt"``) by region+sexo,
ids=~conglomerado, strata=~estrato_unico, weights=~fact_cal; CASEN 2020
poverty (pobreza in 1, 2) by region, ids=~cod_upm, strata=~estrato,
weights=~expr. All with survey.lonely.psu = "certainty".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from corridor.quality import assess, calidad_label, is_publishable, publishable

from .survey_inputs import DATA, domain_inputs, read

# (set, domain, n, df, chile, eclac_2023, eclac_2020) as calidad labels
EXPECTED = [
    ("enusc_2023 VH_DV", "region=1", 1546, 244, "reliable", "reliable", "publish"),
    ("enusc_2023 VH_DV", "region=2", 1547, 219, "reliable", "reliable", "publish"),
    ("enusc_2023 VH_DV", "region=3", 1013, 152, "reliable", "reliable", "publish"),
    ("enusc_2023 VH_DV", "region=4", 1958, 309, "reliable", "reliable", "publish"),
    ("enusc_2023 VH_DV", "region=5", 5601, 878, "reliable", "reliable", "publish"),
    ("enusc_2023 VH_DV", "region=6", 2999, 425, "reliable", "reliable", "publish"),
    ("enusc_2023 VH_DV", "region=7", 4219, 536, "reliable", "reliable", "publish"),
    ("enusc_2023 VH_DV", "region=8", 4693, 630, "reliable", "reliable", "publish"),
    ("enusc_2023 VH_DV", "region=9", 2603, 424, "reliable", "reliable", "publish"),
    ("enusc_2023 VH_DV", "region=10", 2118, 316, "reliable", "reliable", "publish"),
    ("enusc_2023 VH_DV", "region=11", 973, 95, "reliable", "non-reliable", "supress"),
    ("enusc_2023 VH_DV", "region=12", 1412, 136, "reliable", "weakly-reliable", "supress"),
    ("enusc_2023 VH_DV", "region=13", 14140, 2607, "reliable", "reliable", "publish"),
    ("enusc_2023 VH_DV", "region=14", 1584, 215, "reliable", "reliable", "publish"),
    ("enusc_2023 VH_DV", "region=15", 1237, 209, "reliable", "reliable", "publish"),
    ("enusc_2023 VH_DV", "region=16", 2170, 258, "reliable", "reliable", "publish"),
    ("epf gastot_hd", "zona=1,sexo=1,ecivil=-88", 1, 0, "non-reliable", "non-reliable", "supress"),
    ("epf gastot_hd", "zona=1,sexo=1,ecivil=1", 2940, 127, "reliable", "reliable", "publish"),
    ("epf gastot_hd", "zona=1,sexo=1,ecivil=2", 60, 28, "weakly reliable", "non-reliable", "supress"),
    ("epf gastot_hd", "zona=1,sexo=1,ecivil=3", 194, 80, "reliable", "reliable", "supress"),
    ("epf gastot_hd", "zona=1,sexo=1,ecivil=4", 151, 60, "reliable", "reliable", "supress"),
    ("epf gastot_hd", "zona=1,sexo=1,ecivil=5", 1075, 127, "reliable", "reliable", "publish"),
    ("epf gastot_hd", "zona=1,sexo=2,ecivil=1", 1140, 124, "reliable", "reliable", "publish"),
    ("epf gastot_hd", "zona=1,sexo=2,ecivil=2", 32, 7, "non-reliable", "non-reliable", "supress"),
    ("epf gastot_hd", "zona=1,sexo=2,ecivil=3", 352, 107, "reliable", "reliable", "supress"),
    ("epf gastot_hd", "zona=1,sexo=2,ecivil=4", 655, 120, "reliable", "reliable", "publish"),
    ("epf gastot_hd", "zona=1,sexo=2,ecivil=5", 1355, 125, "reliable", "reliable", "publish"),
    ("epf gastot_hd", "zona=2,sexo=1,ecivil=1", 2714, 121, "reliable", "reliable", "publish"),
    ("epf gastot_hd", "zona=2,sexo=1,ecivil=2", 49, 16, "non-reliable", "non-reliable", "supress"),
    ("epf gastot_hd", "zona=2,sexo=1,ecivil=3", 181, 78, "reliable", "reliable", "supress"),
    ("epf gastot_hd", "zona=2,sexo=1,ecivil=4", 160, 74, "reliable", "reliable", "supress"),
    ("epf gastot_hd", "zona=2,sexo=1,ecivil=5", 1042, 120, "reliable", "reliable", "publish"),
    ("epf gastot_hd", "zona=2,sexo=2,ecivil=1", 938, 120, "reliable", "reliable", "publish"),
    ("epf gastot_hd", "zona=2,sexo=2,ecivil=2", 20, 5, "non-reliable", "non-reliable", "supress"),
    ("epf gastot_hd", "zona=2,sexo=2,ecivil=3", 377, 107, "reliable", "reliable", "supress"),
    ("epf gastot_hd", "zona=2,sexo=2,ecivil=4", 559, 118, "reliable", "reliable", "publish"),
    ("epf gastot_hd", "zona=2,sexo=2,ecivil=5", 1244, 121, "reliable", "reliable", "publish"),
    ("ene desocupado|fdt", "region=1,sexo=1", 658, 88, "reliable", "weakly-reliable", "supress"),
    ("ene desocupado|fdt", "region=1,sexo=2", 497, 84, "reliable", "weakly-reliable", "supress"),
    ("ene desocupado|fdt", "region=2,sexo=1", 842, 125, "reliable", "reliable", "publish"),
    ("ene desocupado|fdt", "region=2,sexo=2", 677, 119, "reliable", "reliable", "publish"),
    ("ene desocupado|fdt", "region=3,sexo=1", 782, 146, "reliable", "reliable", "publish"),
    ("ene desocupado|fdt", "region=3,sexo=2", 590, 139, "reliable", "reliable", "publish"),
    ("ene desocupado|fdt", "region=4,sexo=1", 1335, 210, "reliable", "reliable", "publish"),
    ("ene desocupado|fdt", "region=4,sexo=2", 1030, 207, "reliable", "reliable", "publish"),
    ("ene desocupado|fdt", "region=5,sexo=1", 2979, 485, "reliable", "reliable", "publish"),
    ("ene desocupado|fdt", "region=5,sexo=2", 2303, 455, "reliable", "reliable", "publish"),
    ("ene desocupado|fdt", "region=6,sexo=1", 1497, 214, "reliable", "reliable", "publish"),
    ("ene desocupado|fdt", "region=6,sexo=2", 1081, 210, "reliable", "reliable", "publish"),
    ("ene desocupado|fdt", "region=7,sexo=1", 1777, 237, "reliable", "reliable", "publish"),
    ("ene desocupado|fdt", "region=7,sexo=2", 1343, 233, "reliable", "reliable", "publish"),
    ("ene desocupado|fdt", "region=8,sexo=1", 2552, 438, "reliable", "reliable", "publish"),
    ("ene desocupado|fdt", "region=8,sexo=2", 2115, 427, "reliable", "reliable", "publish"),
    ("ene desocupado|fdt", "region=9,sexo=1", 1167, 215, "reliable", "reliable", "publish"),
    ("ene desocupado|fdt", "region=9,sexo=2", 893, 210, "reliable", "reliable", "publish"),
    ("ene desocupado|fdt", "region=10,sexo=1", 1709, 278, "reliable", "reliable", "publish"),
    ("ene desocupado|fdt", "region=10,sexo=2", 1092, 260, "reliable", "reliable", "publish"),
    ("ene desocupado|fdt", "region=11,sexo=1", 590, 132, "reliable", "non-reliable", "supress"),
    ("ene desocupado|fdt", "region=11,sexo=2", 483, 130, "reliable", "non-reliable", "supress"),
    ("ene desocupado|fdt", "region=12,sexo=1", 543, 119, "reliable", "non-reliable", "supress"),
    ("ene desocupado|fdt", "region=12,sexo=2", 429, 115, "reliable", "non-reliable", "supress"),
    ("ene desocupado|fdt", "region=13,sexo=1", 4095, 722, "reliable", "reliable", "publish"),
    ("ene desocupado|fdt", "region=13,sexo=2", 3471, 716, "reliable", "reliable", "publish"),
    ("ene desocupado|fdt", "region=14,sexo=1", 1005, 163, "reliable", "reliable", "publish"),
    ("ene desocupado|fdt", "region=14,sexo=2", 761, 160, "reliable", "reliable", "publish"),
    ("ene desocupado|fdt", "region=15,sexo=1", 762, 143, "reliable", "weakly-reliable", "supress"),
    ("ene desocupado|fdt", "region=15,sexo=2", 554, 131, "reliable", "weakly-reliable", "supress"),
    ("ene desocupado|fdt", "region=16,sexo=1", 968, 142, "reliable", "reliable", "publish"),
    ("ene desocupado|fdt", "region=16,sexo=2", 694, 136, "reliable", "reliable", "publish"),
    ("casen pobre", "region=1", 8386, 420, "reliable", "reliable", "publish"),
    ("casen pobre", "region=2", 7597, 502, "reliable", "reliable", "publish"),
    ("casen pobre", "region=3", 7393, 577, "reliable", "reliable", "publish"),
    ("casen pobre", "region=4", 8159, 508, "reliable", "reliable", "publish"),
    ("casen pobre", "region=5", 18501, 1141, "reliable", "reliable", "publish"),
    ("casen pobre", "region=6", 12346, 624, "reliable", "reliable", "publish"),
    ("casen pobre", "region=7", 12423, 644, "reliable", "reliable", "publish"),
    ("casen pobre", "region=8", 17669, 1079, "reliable", "reliable", "publish"),
    ("casen pobre", "region=9", 11858, 649, "reliable", "reliable", "publish"),
    ("casen pobre", "region=10", 10511, 550, "reliable", "reliable", "publish"),
    ("casen pobre", "region=11", 4579, 323, "reliable", "reliable", "publish"),
    ("casen pobre", "region=12", 5087, 457, "reliable", "reliable", "publish"),
    ("casen pobre", "region=13", 39266, 2120, "reliable", "reliable", "publish"),
    ("casen pobre", "region=14", 7992, 460, "reliable", "reliable", "publish"),
    ("casen pobre", "region=15", 7224, 534, "reliable", "reliable", "publish"),
    ("casen pobre", "region=16", 6348, 314, "reliable", "reliable", "publish"),
]


def _domain(frame: pd.DataFrame, columns: list[str], names: list[str]) -> pd.Series:
    return frame[columns].apply(lambda row: ",".join(f"{n}={row[c]}" for c, n in zip(columns, names)), axis=1)


@pytest.fixture(scope="module")
def cells() -> pd.DataFrame:
    """calidad's inputs for every cell of the four example tables."""
    parts = []
    enusc = read("enusc_2023.csv.gz")
    r = domain_inputs(
        enusc, "VH_DV", ["enc_region"], weight="Fact_Hog_Reg", psu="Conglomerado", strata="VarStrat"
    )
    parts.append(
        r.assign(set="enusc_2023 VH_DV", estimand="proportion", domain=_domain(r, ["enc_region"], ["region"]))
    )

    epf = read("epf_personas.csv.gz").drop_duplicates("folio", keep="first")
    by = ["zona", "sexo", "ecivil"]
    r = domain_inputs(epf, "gastot_hd", by, weight="fe", psu="varunit", strata="varstrat")
    parts.append(r.assign(set="epf gastot_hd", estimand="mean", domain=_domain(r, by, by), unweighted=r["n"]))

    ene = read("ene.csv.gz")
    ene["fdt"] = ene.cae_especifico.between(1, 9).astype(int)
    ene["desocupado"] = ene.cae_especifico.between(8, 9).astype(int)
    by = ["region", "sexo"]
    r = domain_inputs(
        ene, "desocupado", by, weight="fact_cal", psu="conglomerado", strata="estrato_unico", subpop="fdt"
    )
    parts.append(r.assign(set="ene desocupado|fdt", estimand="proportion", domain=_domain(r, by, by)))

    casen = read("casen_2020.csv.gz")
    casen["pobre"] = casen.pobreza.isin([1, 2]).astype(int)
    casen["valid"] = casen.pobreza.notna().astype(int)
    r = domain_inputs(
        casen, "pobre", ["region"], weight="expr", psu="cod_upm", strata="estrato", subpop="valid"
    )
    parts.append(
        r.assign(set="casen pobre", estimand="proportion", domain=_domain(r, ["region"], ["region"]))
    )

    cols = ["set", "domain", "estimand", "estimate", "se", "n", "df", "deff", "unweighted"]
    out = pd.concat([p[cols] for p in parts], ignore_index=True)
    return out.assign(variable=out["set"], cv=out["se"] / out["estimate"])


def test_inputs_reproduce_r_survey(cells):
    """Estimate, SE and deff of all cells equal R survey 4.1.1's svyby(..., svymean, deff = TRUE).

    Reference: r_survey_cells.csv, written by r_survey_cells.R (R 4.2.2, survey 4.1.1,
    survey.lonely.psu = "certainty"); its regional ENUSC and CASEN values are also those of the
    shared data's reference_estimates_R_survey.csv (checked below).
    """
    ref = pd.read_csv(Path(__file__).with_name("r_survey_cells.csv"))
    merged = cells.merge(ref, on=["set", "domain"], suffixes=("", "_r"), validate="one_to_one")
    assert len(merged) == len(cells) == 85
    for column in ("estimate", "se", "deff"):
        got, want = merged[column].to_numpy(), merged[f"{column}_r"].to_numpy()
        assert np.array_equal(np.isnan(got), np.isnan(want)), column
        ok = ~np.isnan(want)
        assert np.allclose(got[ok], want[ok], rtol=1e-9, atol=0), column

    shared = pd.read_csv(DATA / "reference_estimates_R_survey.csv")
    checked = 0
    for dataset, prefix, set_name in (
        ("enusc_2023", "enc_region=", "enusc_2023 VH_DV"),
        ("casen_2020", "region=", "casen pobre"),
    ):
        for row in shared[(shared.dataset == dataset) & shared.domain.str.startswith(prefix)].itertuples():
            mine = cells[(cells.set == set_name) & (cells.domain == "region=" + row.domain.split("=")[1])]
            # ENUSC's shared point estimates come from svyciprop's iterative logit fit
            assert mine.estimate.iloc[0] == pytest.approx(row.estimate, rel=1e-7)
            assert mine.se.iloc[0] == pytest.approx(row.se, rel=1e-9)
            checked += 1
    assert checked == 32


def test_sample_sizes_and_df_are_calidads(cells):
    """n (rows in the cell) and df (PSUs minus strata in the cell) as recorded with the labels."""
    expected = pd.DataFrame(
        EXPECTED, columns=["set", "domain", "n", "df", "chile", "eclac_2023", "eclac_2020"]
    )
    merged = expected.merge(cells, on=["set", "domain"], suffixes=("", "_got"), validate="one_to_one")
    assert len(merged) == len(EXPECTED) == len(cells)
    assert (merged.n == merged.n_got).all()
    assert (merged.df == merged.df_got).all()


@pytest.mark.parametrize("scheme", ["chile", "eclac_2023", "eclac_2020"])
def test_labels_equal_calidad(cells, scheme):
    table = pa.Table.from_pandas(cells, preserve_index=False)
    out = assess(table, scheme).to_pandas()
    got = [calidad_label(q, scheme) for q in out.quality]
    expected = pd.DataFrame(
        EXPECTED, columns=["set", "domain", "n", "df", "chile", "eclac_2023", "eclac_2020"]
    )
    want = expected.set_index(["set", "domain"]).loc[list(zip(cells.set, cells.domain)), scheme].tolist()
    mismatches = [(s, d, g, w) for s, d, g, w in zip(cells.set, cells.domain, got, want) if g != w]
    assert not mismatches


def test_pandas_input_gives_the_same_labels(cells):
    from_pandas = assess(cells, "chile")
    from_arrow = assess(pa.Table.from_pandas(cells, preserve_index=False), "chile").to_pandas()
    assert isinstance(from_pandas, pd.DataFrame)
    assert from_pandas.quality.tolist() == from_arrow.quality.tolist()


def test_epf_table_is_publishable_under_ine(cells):
    """calidad's example table: 16 of 21 cells reliable = 76.19% >= 50%, so "publish"."""
    epf = assess(cells[cells.set == "epf gastot_hd"], "chile")
    result = publishable(epf)
    assert result.cells.tolist() == [21]
    assert result.reliable.tolist() == [16]
    assert result.pct_reliable.tolist() == [pytest.approx(76.19)]
    assert is_publishable(epf)
    by_zone = publishable(epf.assign(zona=epf.domain.str.slice(0, 6)), by=["zona"])
    assert by_zone.set_index("zona").reliable.to_dict() == {"zona=1": 8, "zona=2": 8}
    assert np.all(by_zone.publish)
