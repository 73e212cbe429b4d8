"""The functions accept pandas, pyarrow and polars tables alike."""

from __future__ import annotations

import pandas as pd
import polars
import pyarrow as pa
import pytest

from corridor.epi import crude_rate, dsr, standard_population
from corridor.errors import UnsupportedError

AGES = standard_population("esp2013")["age"].tolist()


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"g": ["x"] * 19 + ["y"] * 19, "age": AGES * 2, "n": list(range(38)), "pop": 5_000})


def test_pyarrow_and_polars_give_the_pandas_result():
    frame = _frame()
    expected = dsr(frame, "n", "pop", "age", "g")
    pd.testing.assert_frame_equal(dsr(pa.Table.from_pandas(frame), "n", "pop", "age", "g"), expected)
    pd.testing.assert_frame_equal(dsr(polars.from_pandas(frame), "n", "pop", "age", "g"), expected)


def test_other_objects_are_refused():
    with pytest.raises(UnsupportedError, match="is a list, not a table"):
        crude_rate([1, 2, 3], "n", "pop")
