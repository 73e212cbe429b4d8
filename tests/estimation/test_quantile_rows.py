"""Quantiles of a Taylor design read only the rows they use (inside the subpopulation, with a value),
with the whole design's strata and units and the by columns' values from a grouped scan of every
row. The estimates must be those of the read of every row (the path of replicate and calibrated
designs, held to R's svyquantile by the reference cases): same domains, also a domain whose rows
all lack the value, same degrees of freedom, same intervals."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest

import corridor as cr
from corridor.engine.duckdb import DuckDBEngine
from corridor.estimation import quantiles

DATA = Path(__file__).resolve().parents[1] / "data" / "r_survey"


def _nhanes() -> pa.Table:
    """NHANES with a variable missing on a third of the rows and a by level seen only where it is missing."""
    t = pacsv.read_csv(DATA / "nhanes.csv")
    n = t.num_rows
    y = [None if (i % 3 == 0 or chol is None) else w / 1000.0
         for i, (w, chol) in enumerate(zip(t["WTMEC2YR"].to_pylist(), t["HI_CHOL"].to_pylist(), strict=True))]
    z = [None if i % 5 == 0 else float(i % 97) for i in range(n)]
    group = ["only_missing" if v is None and i % 7 == 0 else ("a" if i % 2 else "b") for i, v in enumerate(y)]
    return t.append_column("y", pa.array(y, pa.float64())).append_column("z", pa.array(z, pa.float64())) \
        .append_column("grp", pa.array(group)).append_column("big", pa.array([i % 80 for i in range(n)]))


NHANES = cr.Design(weights="WTMEC2YR", strata="SDMVSTRA", ids="SDMVPSU", nest=True)
CASES = [
    ("nhanes clustered", NHANES, [cr.Quantile("y", probs=(0.25, 0.5)), cr.Quantile("z", interval="beta")],
     [[], ["race"], ["grp"], ["race", "agecat"], ["big"]], None),
    ("nhanes where", NHANES, [cr.Quantile("y")], [[], ["grp", "race"]], "RIAGENDR == 2"),
    ("nhanes element strata", cr.Design(weights="WTMEC2YR", strata="SDMVSTRA"), [cr.Quantile("y", qrule="hf7")],
     [[], ["agecat"], ["grp"]], None),
    ("nhanes JKn", NHANES.replicates("JKn"), [cr.Quantile("y", interval="quantile")], [[], ["race"]], None),
]


def _both(data, design, ests, by, where, monkeypatch):
    compact = cr.estimate(data, design, ests, by=by, where=where, na="drop")
    with monkeypatch.context() as m:
        m.setattr(quantiles, "compact_rows_apply", lambda req: False)
        every = cr.estimate(data, design, ests, by=by, where=where, na="drop")
    return compact, every


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_compact_rows_equal_every_row(case, monkeypatch) -> None:
    _name, design, ests, by, where = case
    compact, every = _both(_nhanes(), design, ests, by, where, monkeypatch)
    assert compact.table.equals(every.table)
    assert compact.design_df == every.design_df
    assert compact.n_rows == every.n_rows == 8591


def test_domain_without_values_is_an_empty_domain() -> None:
    t = _nhanes()
    res = cr.estimate(t, NHANES, cr.Quantile("y"), by="grp", na="drop")
    rows = {r["grp"]: r for r in res.table.to_pylist()}
    assert rows["only_missing"]["n"] == 0 and rows["only_missing"]["flag"] == "empty_domain"
    with_value = [g for g, v in zip(t["grp"].to_pylist(), t["y"].to_pylist(), strict=True) if v is not None]
    assert (rows["a"]["n"], rows["b"]["n"]) == (with_value.count("a"), with_value.count("b"))


def test_two_stage_design_with_fpc(monkeypatch) -> None:
    """apiclus2: two stages, population counts at both, a dotted text by column, missing values."""
    data = str(DATA / "apiclus2.csv")
    design = cr.Design(ids=["dnum", "snum"], fpc=["fpc1", "fpc2"])
    compact, every = _both(data, design, [cr.Quantile("avg.ed"), cr.Quantile("acs.k3", interval="xlogit")],
                           [[], ["sch.wide"], ["stype", "sch.wide"]], None, monkeypatch)
    assert compact.table.equals(every.table)
    # two variables x (the whole population, 2 sch.wide values, 3 stype x 2 sch.wide)
    assert compact.table.num_rows == 2 * (1 + 2 + 6)


def test_zero_weights_leave_the_rows_and_keep_the_design(monkeypatch) -> None:
    t = _nhanes()
    w = pc.if_else(pc.equal(pc.bit_wise_and(pa.array(range(t.num_rows)), 15), 0), 0.0, t["WTMEC2YR"])
    t = t.set_column(t.column_names.index("WTMEC2YR"), "WTMEC2YR", w)
    compact, every = _both(t, NHANES, [cr.Quantile("y")], [[], ["race"]], None, monkeypatch)
    assert compact.table.equals(every.table)
    assert compact.meta["zero_weight_rows"] == every.meta["zero_weight_rows"] == 537


def test_rows_read_are_only_those_with_a_value() -> None:
    eng = DuckDBEngine()
    seen = []
    collect = eng.collect

    def spy(frame):
        out = collect(frame)
        seen.append(out.num_rows)
        return out

    eng.collect = spy  # type: ignore[method-assign]
    cr.estimate(_nhanes(), NHANES, cr.Quantile("y"), by=["race", "grp"], na="drop", engine=eng)
    # the grouped scan by domain and unit, then the rows with a value (a third of the rows lack it)
    assert max(seen) < 8591 * 0.7


def test_psu_ids_numbered_across_strata_are_read_alone(monkeypatch) -> None:
    """PSU ids that tell their stratum (text ids numbered across strata, as the profile's files number
    them) are the only design column the rows carry: the strata are not read, and the estimates are those
    of the read of every row."""
    t = _nhanes()
    ids = [f"{h}-{p}" for h, p in zip(t["SDMVSTRA"].to_pylist(), t["SDMVPSU"].to_pylist(), strict=True)]
    t = t.append_column("psu_id", pa.array(ids))
    design = cr.Design(weights="WTMEC2YR", strata="SDMVSTRA", ids="psu_id")
    read = []
    units = quantiles._deciding_units

    def spy(cells, unit_cols):
        out = units(cells, unit_cols)
        read.append([unit_cols[k] for k in out])
        return out

    monkeypatch.setattr(quantiles, "_deciding_units", spy)
    compact, every = _both(t, design, [cr.Quantile("y", probs=(0.25, 0.5))], [[], ["race"], ["grp", "agecat"]], None,
                           monkeypatch)
    assert read == [["psu_id"]]
    assert compact.table.equals(every.table)
    read.clear()  # a design converted to replicates: every PSU's factors from the same structure
    compact, every = _both(t, design.replicates("JKn"), [cr.Quantile("y", interval="quantile")], [[], ["race"]], None,
                           monkeypatch)
    assert read == [["psu_id"]]
    assert compact.table.equals(every.table)
    # PSU ids repeated across strata (NHANES' 1 and 2) are matched with their stratum
    read.clear()
    cr.estimate(t, NHANES, cr.Quantile("y"), by="race", na="drop")
    assert read == [["SDMVSTRA", "SDMVPSU"]]
