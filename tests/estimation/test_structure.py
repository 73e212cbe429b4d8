"""Group keys and scan columns to numpy: the conversions every estimate relies on."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.engine.columns import arrow_array, column_numpy, float_matrix
from corridor.estimation.structure import codes


def test_column_numpy_reads_nulls_offsets_and_booleans() -> None:
    arr = pa.array([1, None, 3, 4, None, 6], pa.int32()).slice(1, 4)
    np.testing.assert_array_equal(column_numpy(arr), [np.nan, 3, 4, np.nan])
    assert column_numpy(pa.chunked_array([[1.5, 2.5], [3.5]])).tolist() == [1.5, 2.5, 3.5]
    assert column_numpy(pa.array([True, False, True, True, False, False, True, False, True]).slice(3)).tolist() == [
        True, False, False, True, False, True]
    assert column_numpy(pa.array(["a", "b"])).tolist() == ["a", "b"]


def test_float_matrix_is_column_major_with_nulls_as_zero() -> None:
    tbl = pa.table({"a": pa.array([1, None], pa.int64()), "b": [0.5, 2.0]})
    m = float_matrix(tbl, ["a", "b"])
    assert m.flags.f_contiguous
    np.testing.assert_array_equal(m, [[1.0, 0.5], [0.0, 2.0]])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.integers(-(2**40), 2**40), st.integers(-5, 5)), min_size=1, max_size=30),
       st.sampled_from([pa.int64(), pa.float64()]))
def test_codes_are_ranks_of_the_sorted_distinct_values(values: list[int], typ: pa.DataType) -> None:
    """The direct path (small ranges) and the hashing path (wide ranges) give the same sorted codes."""
    code, distinct = codes(pa.array(values, typ))
    expected = sorted(set(values))
    assert [float(v) for v in distinct.to_pylist()] == [float(v) for v in expected]
    assert [expected[c] for c in code] == values
    assert distinct.type == typ


@pytest.mark.parametrize("values", [[0.5, 1.0, 0.5], [2.0, float("nan"), 1.0], ["b", "a", None, "b"]])
def test_codes_of_fractional_text_and_missing_keys(values: list) -> None:
    code, distinct = codes(pa.array(values))
    back = [distinct[int(c)].as_py() for c in code]
    assert [str(v) for v in back] == [str(v) for v in values]
    assert len(distinct) == len(set(map(str, values)))


@pytest.mark.parametrize(("values", "typ"), [
    (["a", None, "ñandú", ""], pa.string()),
    ([1.5, None, float("nan"), 2.0], pa.float64()),
    ([3, None, 5], pa.int64()),
    (np.array([1, 2, 3], dtype=np.int32), pa.int32()),
    (np.array([0.5, np.nan]), pa.float64()),
])
def test_arrow_array_equals_pyarrow(values, typ) -> None:
    expected = pa.array([None if isinstance(v, float) and np.isnan(v) else v for v in list(values)], typ)
    got = arrow_array(values, typ)
    got.validate(full=True)
    assert got.equals(expected)


def test_estimating_does_not_import_pandas(tmp_path) -> None:
    """pandas is an optional extra: reading Arrow results must not import it (a fixed cost per call)."""
    csv = tmp_path / "s.csv"
    csv.write_text("h,psu,w,y,g\n1,1,1.0,1.0,a\n1,2,2.0,2.0,b\n2,3,1.5,3.0,a\n2,4,1.0,4.0,b\n2,5,1.0,,b\n")
    code = (
        "import sys, corridor as cr\n"
        f"cr.estimate({str(csv)!r}, cr.Design(weights='w', strata='h', ids='psu'),"
        " [cr.Total('y'), cr.Mean('y'), cr.Proportion('g')], by=[[], ['g']], na='drop')\n"
        "print('pandas' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
