"""Design effects of ratios, and of estimates whose missing values are dropped, equal R survey's.

References: the design effects R survey 4.1.1 gives through calidad 0.8.2 (tests/reference/calidad,
cases C16, C19: svyby(..., svymean / svytotal, deff = TRUE) on the rows where the variable is present;
C12, C23, C24: svyby(..., svyratio, deff = TRUE); C22: svyratio(..., deff = TRUE)) on calidad's CASEN
2020, ENE, ENUSC 2019 and ELE 7 extracts. Here the engine drops the missing values itself
(``na="drop"``), so the SRS variance must use the weight sum of the rows present, not the domain's.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from quality.calidad_cases import close, data, design, expected, r_table

import corridor as cr


def _by(table: pa.Table, column: str) -> dict[str, float]:
    return {str(int(k)) if isinstance(k, float) else str(k): v
            for k, v in zip(table.column(column).to_pylist(), table.column("deff").to_pylist(), strict=True)}


def _reference(case: str, column: str) -> dict[str, float]:
    t = r_table(expected(case)["table"])
    return dict(zip(t.column(column).to_pylist(), t.column("deff").to_pylist(), strict=True))


@pytest.mark.parametrize(("case", "estimand", "by"), [("C16", cr.Mean, "region"), ("C19", cr.Total, "sexo")])
def test_dropped_missing_values_leave_the_srs_population(case, estimand, by):
    casen = data("casen")
    res = cr.estimate(casen, design("casen"), estimand("ing_wa"), by=by, na="drop", deff=True, df="domain")
    got, want = _by(res.table, by), _reference(case, by)
    assert got.keys() == want.keys()
    assert close(np.array([got[k] for k in want]), np.array(list(want.values()))).all()
    # the rows with the variable missing weigh a third of the population: with the domain's weight sum the
    # SRS variance, hence the design effect, would be wrong
    assert casen.ing_wa.isna().mean() > 0.15


@pytest.mark.parametrize(
    ("case", "dataset", "num", "den", "by"),
    [("C12", "ene", "desocupado", "fdt", "region"), ("C23", "enusc_2019_kish", "VP_DC", "hom_insg_taxi", "enc_region"),
     ("C24", "ele7", "VA_2022f", "REMP_TOTAL", "cod_actividad")],
)
def test_ratio_design_effects(case, dataset, num, den, by):
    frame = data(dataset)
    if case == "C24":  # by activity and size, as calidad's example
        res = cr.estimate(frame, design(dataset), cr.Ratio(num, den), by=["cod_actividad", "cod_tamano"], deff=True)
        t = r_table(expected(case)["table"])
        want = {(a, b): d for a, b, d in zip(*(t.column(c).to_pylist() for c in ("cod_actividad", "cod_tamano", "deff")),
                                               strict=True)}
        got = {(a, str(b)): d for a, b, d in zip(*(res.table.column(c).to_pylist()
                                                   for c in ("cod_actividad", "cod_tamano", "deff")), strict=True)}
        got = {k: got[k] for k in want}
    else:
        res = cr.estimate(frame, design(dataset), cr.Ratio(num, den), by=by, deff=True)
        got, want = _by(res.table, by), _reference(case, by)
    assert close(np.array([got[k] for k in want]), np.array(list(want.values()))).all()


def test_national_ratio_design_effect():
    res = cr.estimate(data("enusc_2019_kish"), design("enusc_2019_kish"), cr.Ratio("VP_DC", "hom_insg_taxi"), deff=True)
    want = float(expected("C22")["survey_deff"]["deff"])
    assert res.table.column("deff")[0].as_py() == pytest.approx(want, rel=1e-8)


def test_a_ratio_with_missing_values_dropped():
    """A ratio whose numerator is missing on some rows: the deff is that of the rows with both values, i.e.
    the same as estimating on the subpopulation of those rows."""
    casen = data("casen")
    drop = cr.estimate(casen, design("casen"), cr.Ratio("ing_wa", "edad"), by="region", na="drop", deff=True)
    sub = cr.estimate(casen, design("casen"), cr.Ratio("ing_wa", "edad"), by="region", where="notnull(ing_wa)",
                      deff=True)
    assert close(drop.table.column("deff").to_numpy(), sub.table.column("deff").to_numpy(), rtol=1e-10).all()
    assert np.isfinite(drop.table.column("deff").to_numpy()).all()
