"""Every row is accounted for: read = kept + filtered + rejected, whatever the data and rules."""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.harmonize import harmonize
from corridor.sources import Source

rows = st.lists(
    st.tuples(
        st.one_of(st.none(), st.integers(0, 4)),  # sexo: 1/2 known, 0 rejected by a rule, 3/4 unknown
        st.one_of(st.none(), st.integers(0, 99)),  # edad
        st.one_of(st.none(), st.floats(-5, 50, allow_nan=False)),  # weight
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=25, deadline=None)
@given(data=rows, min_age=st.integers(0, 99), action=st.sampled_from(["missing", "reject"]))
def test_rows_balance(data, min_age, action):
    con = duckdb.connect()
    con.execute("CREATE TABLE t (sexo INTEGER, edad INTEGER, w DOUBLE)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?)", data)
    src = Source(relation=con.sql("SELECT * FROM t"), path=None, format="duckdb", connection=con)
    spec = {
        "name": "property",
        "unknown": action,
        "filters": [{"rule": f"age >= {min_age}", "where": f"edad >= {min_age}"}],
        "reject": [{"reason": "sexo coded 0", "where": "sexo = 0"}],
        "columns": {"sex": {"from": "sexo", "codes": {1: "male", 2: "female"}}, "age": "edad"},
        "design": {"weight": "w"},
    }
    h = harmonize(src, spec)
    led = h.ledger
    assert led.read == len(data)
    assert led.read == led.kept + led.n_filtered + led.n_rejected
    assert h.count() == led.kept
    passed = [r for r in data if r[1] is not None and r[1] >= min_age]
    assert led.n_filtered == len(data) - len(passed)
    rule0 = [r for r in passed if r[0] == 0]
    bad_w = [r for r in passed if r[0] != 0 and (r[2] is None or r[2] < 0)]
    screened = [r for r in passed if r[0] != 0 and r[2] is not None and r[2] >= 0]
    unknown = [r for r in screened if r[0] in (3, 4)]
    assert sum(u.count for u in led.unknown) == len(unknown)
    assert led.n_rejected == len(rule0) + len(bad_w) + (len(unknown) if action == "reject" else 0)
    con.close()
