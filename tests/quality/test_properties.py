"""Invariants of the labelling rules (hypothesis): worse inputs never give a better label."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.quality import assess, get_scheme

SCHEMES = ["chile", "eclac_2023", "eclac_2020"]

row = st.fixed_dictionaries(
    {
        "estimand": st.sampled_from(["mean", "total", "proportion", "quantile"]),
        "estimate": st.floats(0.01, 0.99),
        "se": st.floats(1e-4, 0.5),
        "n": st.integers(1, 400),
        "df": st.integers(0, 60),
        "deff": st.floats(0.5, 6.0),
        "unweighted": st.integers(0, 400),
    }
)
rows = st.lists(row, min_size=1, max_size=25)


def _table(records: list[dict]) -> pa.Table:
    return pa.table({k: [r[k] for r in records] for k in records[0]})


def _ranks(records: list[dict], scheme: str) -> list[int | None]:
    codes = get_scheme(scheme).codes
    out = assess(_table(records), scheme).column("quality").to_pylist()
    return [None if q is None else codes.index(q) for q in out]


def _never_better(before: list[int | None], after: list[int | None], worst: int) -> None:
    for b, a in zip(before, after):
        if b is not None and a is not None:
            assert a >= b
        if b == worst:
            assert a == worst


@settings(max_examples=60, deadline=None)
@given(rows, st.data())
def test_lowering_n_never_improves_a_label(records, data):
    lower = [dict(r, n=data.draw(st.integers(0, r["n"]))) for r in records]
    for scheme in SCHEMES:
        _never_better(_ranks(records, scheme), _ranks(lower, scheme), len(get_scheme(scheme).codes) - 1)


@settings(max_examples=60, deadline=None)
@given(rows, st.data())
def test_lowering_df_never_improves_a_label(records, data):
    lower = [dict(r, df=data.draw(st.integers(0, r["df"]))) for r in records]
    for scheme in SCHEMES:
        _never_better(_ranks(records, scheme), _ranks(lower, scheme), len(get_scheme(scheme).codes) - 1)


@settings(max_examples=60, deadline=None)
@given(rows, st.data())
def test_raising_the_standard_error_never_improves_a_label(records, data):
    higher = [dict(r, se=r["se"] * data.draw(st.floats(1.0, 10.0))) for r in records]
    for scheme in SCHEMES:
        _never_better(_ranks(records, scheme), _ranks(higher, scheme), len(get_scheme(scheme).codes) - 1)


@settings(max_examples=60, deadline=None)
@given(rows, st.data())
def test_fewer_cases_with_the_characteristic_never_improve_an_eclac_label(records, data):
    lower = [dict(r, unweighted=data.draw(st.integers(0, r["unweighted"]))) for r in records]
    for scheme in ("eclac_2023", "eclac_2020"):
        _never_better(_ranks(records, scheme), _ranks(lower, scheme), len(get_scheme(scheme).codes) - 1)


@settings(max_examples=80, deadline=None)
@given(st.integers(60, 500), st.integers(9, 100), st.lists(st.floats(1e-6, 2.0), min_size=2, max_size=30))
def test_ine_label_is_monotone_in_cv(n, df, cvs):
    cvs = sorted(cvs)
    t = pa.table(
        {
            "estimand": ["mean"] * len(cvs),
            "estimate": [100.0] * len(cvs),
            "se": [100 * c for c in cvs],
            "cv": cvs,
            "n": [n] * len(cvs),
            "df": [df] * len(cvs),
        }
    )
    codes = get_scheme("chile").codes
    ranks = [codes.index(q) for q in assess(t, "chile").column("quality").to_pylist()]
    assert ranks == sorted(ranks)


@settings(max_examples=40, deadline=None)
@given(rows)
def test_assess_keeps_rows_and_columns(records):
    t = _table(records)
    for scheme in SCHEMES:
        out = assess(t, scheme)
        assert out.num_rows == t.num_rows
        assert out.select(t.column_names).equals(t)
        assert out.column_names[-3:] == ["quality", "quality_reason", "quality_scheme"]
        reasons = out.column("quality_reason").to_pylist()
        assert all(isinstance(r, str) and r for r in reasons)
        assert np.all(np.array(out.column("quality_scheme").to_pylist()) == scheme)
