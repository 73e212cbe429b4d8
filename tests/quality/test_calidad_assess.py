"""corridor's assess on calidad's own tables gives calidad 0.8.2's criteria and labels.

Each case of tests/reference/calidad holds the table calidad's ``create_*`` made in R and the output
of each ``assess(table, scheme = ...)`` call. Here corridor assesses that same R table: every column
calidad adds (``eval_*``, ``prop_est``, ``quadratic``, ``compliance_rate``, ``label``,
``publication``, ``pass``) must come out equal (strings exactly, numbers to 1e-8), in calidad's
order, and where calidad stops with an error corridor raises one too. The deliberate differences
(docs/quality.md) are asserted where they show: rows calidad drops are kept with a null label and a
reason; a missing log-CV is computed rather than refused.
"""

from __future__ import annotations

import numpy as np
import pytest

from corridor.errors import CorridorError, SpecError
from corridor.quality import assess, get_scheme

from .calidad_cases import CASES, assess_args, close, domains, estimand_of, expected, keys, r_table

ASSESSMENTS = [(c["id"], i) for c in CASES for i in range(len(c["assess"]))]
ADDED_BY_CORRIDOR = ("quality", "quality_reason", "quality_scheme")
_OPTIONS = ("publish", "ratio_between_0_1", "domain_info", "low_df_justified", "table_n_obj")


def _run(case_id: str, i: int):
    case = next(c for c in CASES if c["id"] == case_id)
    exp = expected(case_id)
    entry = exp["assess"][i]
    table = r_table(exp["table"])
    return case, exp, entry, table


@pytest.mark.parametrize(("case_id", "i"), ASSESSMENTS, ids=[f"{c}-{i}" for c, i in ASSESSMENTS])
def test_assess_on_calidads_table(case_id, i):
    case, exp, entry, table = _run(case_id, i)
    args = assess_args(entry["args"])
    if "error" in entry:
        if entry["error"] == "log_cv must be used!":
            # deliberate difference: corridor computes calidad's log-CV instead (test below)
            assess(table, entry["scheme"], estimand=estimand_of(case), **args)
            return
        with pytest.raises(CorridorError, match=entry["error"].replace("!", "")):
            assess(table, entry["scheme"], estimand=estimand_of(case), **args)
        return
    ignored = [k for k in args if k not in _OPTIONS and k not in get_scheme(entry["scheme"]).params]
    if ignored:
        # deliberate difference: calidad ignores a threshold its scheme does not have (C11: ECLAC 2020's
        # `unweighted` given to ECLAC 2023); corridor names it as an error. Without it, the same labels.
        with pytest.raises(SpecError, match=f"has no parameter {ignored[0]!r}"):
            assess(table, entry["scheme"], estimand=estimand_of(case), **args)
        args = {k: v for k, v in args.items() if k not in ignored}
    got = assess(table, entry["scheme"], estimand=estimand_of(case), **args)
    want = r_table(entry["table"])
    added = [c for c in want.column_names if c not in exp["table"]["columns"]]
    mine = [c for c in got.column_names if c not in exp["table"]["columns"] and c not in ADDED_BY_CORRIDOR]
    assert mine == added, "calidad's criteria columns, in calidad's order"

    by = domains(case)
    position = {k: j for j, k in enumerate(keys(got, by))}
    rows = [position[k] for k in keys(want, by)]
    for col in added:
        w = want.column(col)
        g = got.column(col).take(rows)
        if w.type == "double" and g.type == "double":
            assert close(g.to_numpy(zero_copy_only=False), w.to_numpy(zero_copy_only=False)).all(), col
        else:
            assert [None if v is None else str(v) for v in g.to_pylist()] == w.to_pylist(), col

    # calidad's INE CV branch drops the rows missing n, df or CV; corridor keeps them, unlabelled, with a reason
    dropped = sorted(set(range(got.num_rows)) - set(rows))
    for j in dropped:
        assert got.column("label")[j].as_py() is None
        assert got.column("quality_reason")[j].as_py().startswith("missing:")


def test_every_kind_and_scheme_is_covered():
    """The table of kinds x schemes the reference covers (with calidad's errors counted as covered)."""
    covered = {(estimand_of(c), a["scheme"]) for c in CASES for a in c["assess"]}
    for kind in ("mean", "total", "size", "prop", "ratio", "median"):
        for scheme in ("chile", "eclac_2020", "eclac_2023", "chile_economics"):
            if kind in ("median",) and scheme == "eclac_2023":
                continue  # no design effect for a quantile: covered by eclac_2020's error case
            if kind == "ratio" and scheme == "eclac_2020":
                assert (kind, scheme) in covered
                continue
            assert (kind, scheme) in covered, (kind, scheme)


def test_log_cv_is_computed_where_calidad_refuses_the_table():
    """C28 is C09's ENE table without log_cv: calidad stops, corridor computes calidad's log-CV and its labels
    equal those calidad gives on C09 (which has the log-CV)."""
    without = r_table(expected("C28")["table"])
    with_log = expected("C09")
    for k, scheme in ((1, "eclac_2020"), (2, "eclac_2023")):
        assert expected("C28")["assess"][k]["error"] == "log_cv must be used!"
        got = assess(without, scheme, estimand="prop")
        want = r_table(with_log["assess"][k]["table"])
        assert got.column("label").to_pylist() == want.column("label").to_pylist()
        log_cv = r_table(with_log["table"]).column("log_cv").to_numpy()
        derived = assess(without, scheme, estimand="prop").column("eval_log_cv").to_pylist()
        assert derived == want.column("eval_log_cv").to_pylist()
        assert np.isfinite(log_cv).all()


def test_corridor_names_option():
    _case, _exp, entry, table = _run("C08", 0)
    got = assess(table, "chile", estimand="prop", names="corridor", publish=True)
    assert {"quality_n", "quality_df", "quality_p_side", "quality_se_bound", "quality_se", "quality_calidad_label",
            "quality_publication", "quality_pass"} <= set(got.column_names)
    assert "label" not in got.column_names and "eval_n" not in got.column_names
    want = r_table(entry["table"])
    assert got.column("quality_calidad_label").to_pylist() == want.column("label").to_pylist()
