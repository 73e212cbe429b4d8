"""corridor's create_* reproduce calidad 0.8.2's create_* on calidad's own extracts.

For every case of tests/reference/calidad, corridor estimates the same table from the same microdata
(prepared in pandas as make_reference.R prepares it in R) and every column calidad returns must
agree: numbers to 1e-8 relative, the same rows (domain cells), the same columns in the same order
(then corridor's ``estimand`` and ``variable``). Then the table goes through corridor's assess under
each scheme of the case and every label and criterion must be calidad's.

Where corridor deliberately differs (docs/quality.md), the test checks the difference is exactly
the documented one, and the labels are compared with calidad's input put back:
* unweighted counts of proportions and ratios with two or more domain variables: calidad counts per
  first domain variable (the sum of corridor's per-cell counts over the other variables);
* unweighted count of a ratio whose numerator is not 0/1: calidad counts rows where it equals 1
  (none here: NA), corridor counts the rows used (n);
* a national ratio: calidad drops its design effect and sets ess = n; corridor keeps R survey's deff
  and ess = n / deff;
* a cell without variation (C07: the 2 persons of a cell all employed): R reports rounding noise
  (se 9e-17, deff 5e31), corridor se = 0 and no design effect (0 / 0).
"""

from __future__ import annotations

import warnings
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from corridor.errors import CorridorError
from corridor.quality import assess, create, get_scheme

from .calidad_cases import (
    BY_ID,
    CASES,
    assess_args,
    close,
    data,
    design,
    domains,
    expected,
    keys,
    kind_of,
    n_obj_table,
    r_table,
)

CORRIDOR_COLUMNS = ["estimand", "variable"]


@cache
def created(case_id: str) -> pa.Table:
    case = BY_ID[case_id]
    args = dict(case["args"])
    var = args.pop("var")
    if "rm.na" in args:
        args["rm_na"] = args.pop("rm.na")
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # C13's ratio above 1 (test_ratio_above_one_has_no_log_cv)
        return create(case["kind"], data(case["dataset"]), design(case["dataset"]), var, **args)


def _aligned(case_id: str) -> tuple[pa.Table, pa.Table, list[int]]:
    """corridor's table, calidad's, and for each of calidad's rows the matching row of corridor's."""
    case = BY_ID[case_id]
    got, want = created(case_id), r_table(expected(case_id)["table"])
    by = domains(case)
    position = {k: j for j, k in enumerate(keys(got, by))}
    assert set(position) == set(keys(want, by)), "the same domain cells"
    return got, want, [position[k] for k in keys(want, by)]


def _first_domain_quirk(case: dict) -> bool:
    return kind_of(case) in ("prop", "ratio") and len(domains(case)) >= 2


def _numerator_not_dummy(case: dict) -> bool:
    return case["id"] == "C24"  # value added over wage bill: calidad counts rows with VA_2022f == 1


def _national_ratio(case: dict) -> bool:
    return kind_of(case) == "ratio" and not domains(case)


NOISE = ("se", "cv", "deff", "ess", "log_cv", "relative_error")


def _flat(got: pa.Table, want: pa.Table, rows: list[int]) -> np.ndarray:
    """Cells whose SE is zero in exact arithmetic: R's is rounding noise (below 1e-12 of the estimate)."""
    stat = np.abs(want.column("stat").to_numpy(zero_copy_only=False))
    mine = np.asarray(got.column("se").take(rows).to_numpy(zero_copy_only=False), float)
    return (want.column("se").to_numpy(zero_copy_only=False) <= 1e-12 * stat) & (mine <= 1e-12 * stat)


@pytest.mark.parametrize("case_id", [c["id"] for c in CASES])
def test_create_reproduces_calidad(case_id):
    case = BY_ID[case_id]
    got, want, rows = _aligned(case_id)
    expected_columns = list(want.column_names)
    if _national_ratio(case):
        expected_columns.insert(expected_columns.index("cv") + 1, "deff")  # calidad drops it
    assert got.column_names == expected_columns + CORRIDOR_COLUMNS
    assert got.num_rows == want.num_rows
    by = domains(case)
    for col in want.column_names:
        if col in by:
            continue
        g = np.asarray(got.column(col).take(rows).to_numpy(zero_copy_only=False), float)
        w = want.column(col).to_numpy(zero_copy_only=False)
        if col == "unweighted" and (_first_domain_quirk(case) or _numerator_not_dummy(case)):
            continue  # deliberate differences, checked below
        if col == "ess" and _national_ratio(case):
            continue
        ok = close(g, w) | (_flat(got, want, rows) & (col in NOISE))
        if col in ("lower", "upper"):
            ok |= np.abs(g - w) <= 1e-12 * np.abs(want.column("stat").to_numpy(zero_copy_only=False))
        assert ok.all(), (col, g[~ok][:3], w[~ok][:3])


def test_a_cell_without_variation_has_no_design_effect():
    got, want, rows = _aligned("C07")
    noisy = _flat(got, want, rows) & (want.column("se").to_numpy() > 0)  # R's SE is noise, not 0
    assert noisy.sum() == 1
    r = int(np.flatnonzero(noisy)[0])
    cell = got.slice(rows[r], 1).to_pylist()[0]
    assert (cell["n"], cell["stat"], cell["se"], cell["deff"], cell["ess"]) == (2, 1.0, 0.0, None, None)
    assert want.column("deff")[r].as_py() > 1e30  # R: 9e-17 squared over an SRS variance of ~1e-63


@pytest.mark.parametrize("case_id", [c["id"] for c in CASES if _first_domain_quirk(c) and not _numerator_not_dummy(c)])
def test_unweighted_counts_per_cell_where_calidad_counts_per_first_domain(case_id):
    case = BY_ID[case_id]
    got, want, rows = _aligned(case_id)
    first = domains(case)[0]
    mine = got.column("unweighted").to_numpy(zero_copy_only=False).astype(float)
    per_first: dict = {}
    for v, c in zip(got.column(first).to_pylist(), mine, strict=True):
        per_first[v] = per_first.get(v, 0) + c
    calidads = want.column("unweighted").to_numpy(zero_copy_only=False)
    # calidad's count for a cell = corridor's counts summed over the cells sharing its first domain value
    assert np.array_equal([per_first[got.column(first)[j].as_py()] for j in rows], calidads)
    assert (mine[rows] <= got.column("n").to_numpy()[rows]).all()  # a cell's cases never exceed its rows


def test_unweighted_count_of_a_ratio_with_a_continuous_numerator_is_n():
    got, want, _ = _aligned("C24")
    assert want.column("unweighted").null_count == want.num_rows  # calidad: no firm has VA_2022f == 1
    assert got.column("unweighted").to_pylist() == got.column("n").to_pylist()


def test_national_ratio_keeps_surveys_design_effect():
    got, want, _ = _aligned("C22")
    survey = float(expected("C22")["survey_deff"]["deff"])
    assert close(got.column("deff").to_numpy(), np.array([survey])).all()
    assert close(got.column("ess").to_numpy(), got.column("n").to_numpy() / survey).all()
    assert want.column("ess").to_pylist() == want.column("n").to_pylist()  # calidad: n / TRUE


def _with_calidads_inputs(case: dict, got: pa.Table, want: pa.Table, rows: list[int]) -> pa.Table:
    """corridor's table with the inputs where calidad deliberately differs put back to calidad's."""
    table = got.take(rows)
    for col in ("unweighted", "ess"):
        if col in want.column_names and col in table.column_names:
            differs = (col == "unweighted" and (_first_domain_quirk(case) or _numerator_not_dummy(case))) or (
                col == "ess" and _national_ratio(case)
            )
            if differs:
                table = table.set_column(table.column_names.index(col), col, want.column(col))
    if _national_ratio(case):
        table = table.drop_columns(["deff"])
    return table


# Cells whose label or criteria differ only because an input sits on a threshold within rounding error
# (the inputs agree to 1e-8: test_create_reproduces_calidad). With calidad's own values of the inputs,
# corridor's rules give calidad's answer (checked below).
ON_A_THRESHOLD = {
    # EPF, zone 2, men, marital status -88: its 2 persons are employed, p = 1 exactly; R's mean is
    # 0.99999999999999989 (so p < 1: "> 0.5", with SE noise 9e-17), corridor's 1 (no rule for p >= 1)
    ("C07", ("2", "1", "-88")),
    # ELE 7, activity B, size 4: a stratum sampled without replacement, deff = 1 in exact arithmetic;
    # R computes 0.9999999999999993 (fails ECLAC 2023's deff >= 1), corridor 1.0000000000000002
    ("C24", ("B", "4")),
}
INPUTS = ("stat", "se", "cv", "df", "n", "deff", "ess", "log_cv", "unweighted")
ASSESSMENTS = [(c["id"], i) for c in CASES for i in range(len(c["assess"]))]
ASSESS_OPTIONS = ("publish", "ratio_between_0_1", "domain_info", "low_df_justified", "table_n_obj")


@pytest.mark.parametrize(("case_id", "i"), ASSESSMENTS, ids=[f"{c}-{i}" for c, i in ASSESSMENTS])
def test_corridors_table_gets_calidads_labels(case_id, i):
    case = BY_ID[case_id]
    entry = expected(case_id)["assess"][i]
    got, want, rows = _aligned(case_id)
    table = _with_calidads_inputs(case, got, want, rows)
    args = assess_args(entry["args"])
    if "table_n_obj" in args:  # corridor keeps the size code a number: key the targets the same way
        targets = n_obj_table()
        args["table_n_obj"] = targets.assign(cod_tamano=targets.cod_tamano.astype(int))
    args = {k: v for k, v in args.items() if k in ASSESS_OPTIONS or k in get_scheme(entry["scheme"]).params}
    if "error" in entry:
        if entry["error"] == "log_cv must be used!":
            return  # corridor computes the log-CV (test_calidad_assess)
        with pytest.raises(CorridorError):
            assess(table, entry["scheme"], **args)
        return
    calidads = r_table(entry["table"])
    added = [c for c in calidads.column_names if c not in want.column_names]
    by = domains(case)

    def differing(out: pa.Table) -> set[tuple[str, ...]]:
        position = {k: j for j, k in enumerate(keys(out, by))}
        take = [position[k] for k in keys(calidads, by)]
        cells = keys(calidads, by)
        bad: set[tuple[str, ...]] = set()
        for col in added:
            g, w = out.column(col).take(take), calidads.column(col)
            if pa.types.is_floating(w.type):
                ok = close(np.asarray(g.to_numpy(zero_copy_only=False), float), w.to_numpy(zero_copy_only=False))
            else:
                ok = np.array([(None if a is None else str(a)) == b for a, b in zip(g.to_pylist(), w.to_pylist(),
                                                                                   strict=True)])
            bad |= {cells[j] for j in np.flatnonzero(~ok)}
        return bad

    bad = differing(assess(table, entry["scheme"], **args))
    assert bad <= {cell for c, cell in ON_A_THRESHOLD if c == case_id}, bad
    if bad:
        for col in INPUTS:
            if col in want.column_names and col in table.column_names:
                table = table.set_column(table.column_names.index(col), col, want.column(col))
        assert not differing(assess(table, entry["scheme"], **args))


def test_ene_unemployment_uses_t_equal_to_two():
    got, _, _ = _aligned("C08")
    assert pc.all(pc.equal(got.column("t"), 2.0)).as_py()
    stat, se = got.column("stat").to_numpy(), got.column("se").to_numpy()
    assert np.allclose(got.column("lower").to_numpy(), stat - 2 * se, rtol=1e-15)


def test_ratio_above_one_has_no_log_cv():
    case = BY_ID["C13"]
    args = {k: v for k, v in case["args"].items() if k != "var"}
    with pytest.warns(UserWarning, match="exceeds 1: log_cv is not computed"):
        out = create("prop", data("ene"), design("ene"), "mujer", **args)
    assert "log_cv" not in out.column_names
    assert "Oops! We detected a ratio estimation over 1. The log_cv cannot be calculated." in expected("C13")["warnings"]
