"""Calibration says what is wrong, where, and how to fix it; or keeps going, flagged, when asked."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest

import corridor as cr
from corridor.calibration import CalibrationError, CalibrationWarning
from corridor.calibration.messages import catalogue, language
from corridor.errors import ColumnNotFoundError, InputError, UnsupportedError

DATA = Path(__file__).resolve().parents[1] / "data" / "r_survey" / "apiclus1.csv"
DESIGN = cr.Design(weights="pw", ids="dnum", fpc="fpc")
STYPE = {"E": 4421, "H": 755, "M": 1018}


def test_a_data_level_without_total_is_named_with_its_rows() -> None:
    with pytest.raises(InputError) as err:
        cr.calibrate(DATA, DESIGN, {"stype": {"E": 4421, "H": 1773}})
    assert "'stype'" in err.value.message and "M (25)" in err.value.message
    assert "E, H" in err.value.hint


def test_a_total_without_rows_is_named() -> None:
    with pytest.raises(InputError, match=r"stype.*X \(10"):
        cr.calibrate(DATA, DESIGN, {"stype": {**STYPE, "X": 10}})
    # a zero total without rows is dropped, as R does
    cal = cr.calibrate(DATA, DESIGN, {"stype": {**STYPE, "X": 0}})
    assert cal.weights["after"]["sum"] == pytest.approx(6194)


def test_rows_in_a_level_whose_total_is_zero() -> None:
    with pytest.raises(InputError, match="total is 0"):
        cr.calibrate(DATA, DESIGN, {"stype": {"E": 6194, "H": 0, "M": 0}})


def test_terms_that_disagree_on_the_population_size() -> None:
    with pytest.raises(InputError, match=r"sch\.wide sums to 6,200"):
        cr.calibrate(DATA, DESIGN, {"stype": STYPE, "sch.wide": {"No": 1000, "Yes": 5200}})


def test_nonconvergence_is_an_error_with_iterations_and_gap() -> None:
    totals = {"stype": STYPE, "api99": 3914069}
    with pytest.raises(CalibrationError) as err:
        cr.calibrate(DATA, DESIGN, totals, method="raking", maxit=2, epsilon=1e-14)
    # two Newton steps were taken (R's grake counts 3 when it gives up; it said 'after 3' here)
    assert "after 2 iterations" in err.value.message and "largest misfit" in err.value.message
    assert "on_nonconvergence='warn'" in err.value.hint
    # the count is the steps: a fit that needs n steps converges with maxit=n and not with n - 1
    n = cr.calibrate(DATA, DESIGN, totals, method="raking", epsilon=1e-10).iterations
    assert n >= 3
    assert cr.calibrate(DATA, DESIGN, totals, method="raking", maxit=n, epsilon=1e-10).iterations == n
    with pytest.raises(CalibrationError, match=f"after {n - 1} iterations"):
        cr.calibrate(DATA, DESIGN, totals, method="raking", maxit=n - 1, epsilon=1e-10)


def test_nonconvergence_kept_when_asked_flags_every_estimate(tmp_path: Path) -> None:
    totals = {"stype": STYPE, "api99": 3914069}
    with pytest.warns(CalibrationWarning, match="calibration_not_converged"):
        cal = cr.calibrate(DATA, DESIGN, totals, method="raking", maxit=2, epsilon=1e-14, on_nonconvergence="warn")
    assert not cal.converged and cal.flag == "calibration_not_converged"
    res = cr.estimate(DATA, cal, [cr.Mean("api00"), cr.Quantile("api00")], by="stype")
    assert set(res.table["flag"].to_pylist()) == {"calibration_not_converged"}
    assert res.meta["calibration"]["converged"] is False
    res.write(tmp_path / "r.csv")
    res.write(tmp_path / "r.json")
    assert "calibration_not_converged" in (tmp_path / "r.csv").read_text()
    written = json.loads((tmp_path / "r.json").read_text())
    assert all(r["flag"] == "calibration_not_converged" for r in written["rows"])
    assert written["calibration"]["flag"] == "calibration_not_converged"


def test_bounds_that_cannot_be_met() -> None:
    totals = {"stype": {"E": 2000, "H": 2000, "M": 2194}}  # H needs g of about 5
    with pytest.raises(CalibrationError) as err:
        cr.calibrate(DATA, DESIGN, totals, bounds=(0.5, 2.0))
    assert "cannot be met" in err.value.message and "widen" in err.value.hint
    with pytest.raises(CalibrationError, match="cannot be met"):
        cr.calibrate(DATA, DESIGN, totals, method="logit", bounds=(0.5, 2.0))


def test_negative_weights_of_linear_calibration() -> None:
    totals = {"stype": {"E": 5900, "H": 100, "M": 194}, "api99": 4.4e6}
    with pytest.raises(CalibrationError, match="negative") as err:
        cr.calibrate(DATA, DESIGN, totals)
    assert "raking" in err.value.hint


def test_logit_needs_bounds_and_options_are_checked() -> None:
    with pytest.raises(InputError, match="finite bounds"):
        cr.calibrate(DATA, DESIGN, {"stype": STYPE}, method="logit")
    with pytest.raises(InputError, match="unknown calibration method"):
        cr.calibrate(DATA, DESIGN, {"stype": STYPE}, method="ipf")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="low < high"):
        cr.calibrate(DATA, DESIGN, {"stype": STYPE}, bounds=(2, 1))
    with pytest.raises(InputError, match="on_nonconvergence"):
        cr.calibrate(DATA, DESIGN, {"stype": STYPE}, on_nonconvergence="ignore")  # type: ignore[arg-type]
    with pytest.raises(UnsupportedError, match="bounds_const"):
        cr.calibrate(DATA, DESIGN.replicates("JK1"), {"stype": STYPE}, bounds=(10, 80), bounds_const=True)
    with pytest.raises(InputError, match="one term"):
        cr.poststratify(DATA, DESIGN, {"stype": STYPE, "api99": 1.0})


def test_columns_and_missing_values() -> None:
    with pytest.raises(ColumnNotFoundError, match="stipe"):
        cr.calibrate(DATA, DESIGN, {"stipe": STYPE})
    with pytest.raises(InputError, match="not numeric"):
        cr.calibrate(DATA, DESIGN, {"stype": STYPE, "name": 10.0})
    path = Path(__file__).resolve().parents[1] / "data" / "r_survey" / "apiclus2.csv"
    d2 = cr.Design(ids=["dnum", "snum"], fpc=["fpc1", "fpc2"])
    with pytest.raises(InputError, match=r"'enroll' .* 6 missing values"):
        cr.calibrate(path, d2, {"stype": STYPE, "enroll": 3.8e6})


def test_totals_files(tmp_path: Path) -> None:
    def write(text: str) -> Path:
        p = tmp_path / "totals.csv"
        p.write_text(text)
        return p

    with pytest.raises(InputError, match=r"lacks the column\(s\) level"):
        cr.calibrate(DATA, DESIGN, write("term,total\nstype,1\n"))
    with pytest.raises(InputError, match=r"row 2: the total of term 'stype' is not a number"):
        cr.calibrate(DATA, DESIGN, write("term,level,total\nstype,E,4421\nstype,H,7.55e2x\nstype,M,1018\n"))
    with pytest.raises(InputError, match="given twice"):
        cr.calibrate(DATA, DESIGN, write("term,level,total\nstype,E,4421\nstype,E,4421\n"))
    with pytest.raises(InputError, match="2 parts separated"):
        cr.calibrate(DATA, DESIGN, write("term,level,total\nstype:sch.wide,E,4421\n"))
    with pytest.raises(InputError, match="not found"):
        cr.calibrate(DATA, DESIGN, tmp_path / "none.csv")
    # levels are text: a leading zero stays, so "01" does not match a code 1
    ok = write("term,level,total\nstype,E,4421\nstype,H,755\nstype,M,1018\napi99,,3914069\n")
    assert cr.calibrate(DATA, DESIGN, ok).weights["after"]["sum"] == pytest.approx(6194)


def test_estimating_on_other_data_than_calibrated(tmp_path: Path) -> None:
    cal = cr.calibrate(DATA, DESIGN, {"stype": STYPE})
    table = pacsv.read_csv(DATA)
    other = table.set_column(table.column_names.index("pw"), "pw", pc.multiply(table["pw"], pa.scalar(1.01)))
    with pytest.raises(InputError, match="not the data the design was calibrated on"):
        cr.estimate(other, cal, cr.Mean("api00"))
    fewer = table.filter(pc.not_equal(table["stype"], "M"))
    with pytest.raises(InputError, match="not the data"):
        cr.estimate(fewer, cal, cr.Mean("api00"))
    assert cr.estimate(table, cal, cr.Mean("api00")).to_pylist()[0]["estimate"] == pytest.approx(642.3107882115821)


def test_rake_with_rs_default_stopping_rule_and_cells_without_sample() -> None:
    margins = [[{"stype": s, "total": v} for s, v in STYPE.items()],
               [{"sch.wide": "No", "total": 1072}, {"sch.wide": "Yes", "total": 5122}]]
    with pytest.raises(CalibrationError, match="after 1 sweeps"):
        cr.rake(DATA, DESIGN, margins, maxit=1, epsilon=1e-12)
    crossed = [[{"stype": "E", "comp.imp": "No", "total": 100}, {"stype": "E", "comp.imp": "Yes", "total": 4321},
                {"stype": "H", "comp.imp": "No", "total": 400}, {"stype": "H", "comp.imp": "Yes", "total": 355},
                {"stype": "M", "comp.imp": "Yes", "total": 1018}]]
    with pytest.raises(InputError, match=r"stype:comp\.imp.*M:No"):
        cr.rake(DATA, DESIGN, crossed)


def test_every_message_in_three_languages() -> None:
    en, es, fr = catalogue("en"), catalogue("es"), catalogue("fr")
    assert set(en) == set(es) == set(fr)
    for key in en:
        placeholders = sorted(p.split("}")[0].split("!")[0] for p in en[key].split("{")[1:])
        for other in (es, fr):
            assert sorted(p.split("}")[0].split("!")[0] for p in other[key].split("{")[1:]) == placeholders, key
    same = [k for k in en if en[k] == es[k] or en[k] == fr[k]]
    assert len(same) <= 3, f"untranslated: {same}"
    with language("es"), pytest.raises(InputError, match="sin total"):
        cr.calibrate(DATA, DESIGN, {"stype": {"E": 4421, "H": 1773}})
    with language("fr"), pytest.raises(InputError, match="sans total"):
        cr.calibrate(DATA, DESIGN, {"stype": {"E": 4421, "H": 1773}})


def test_a_relation_of_the_callers_own_duckdb_connection() -> None:
    import duckdb

    con = duckdb.connect()
    rel = con.read_csv(str(DATA))
    d2 = cr.Design(ids=["dnum", "snum"], fpc=["fpc1", "fpc2"])  # weights implied by fpc: a third join
    two = con.read_csv(str(DATA.with_name("apiclus2.csv")))
    for data, design in ((rel, DESIGN), (two, d2)):
        cal = cr.calibrate(data, design, {"stype": STYPE, "api99": 3914069})
        row = cr.estimate(data, cal, cr.Mean("api00")).to_pylist()[0]
        assert row["se"] > 0
    jk = cr.calibrate(rel, DESIGN.replicates("JK1"), {"stype": STYPE})
    assert cr.estimate(rel, jk, cr.Mean("api00")).to_pylist()[0]["se"] > 0
