"""Bad inputs raise corridor.errors.InputError naming the row (PHE's error workbooks among them)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from corridor.epi import crude_rate, dsr, isr, proportion, rate_ratio
from corridor.errors import ColumnNotFoundError, InputError


def _table(**cols):
    base = {"area": ["A", "B", "C"], "count": [3, 5, 7], "pop": [100, 200, 300]}
    base.update(cols)
    return pd.DataFrame(base)


def test_negative_count_names_row():
    with pytest.raises(InputError, match=r"negative count -5 at row 2 \(area='B'\)"):
        crude_rate(_table(count=[3, -5, 7]), "count", "pop")


def test_non_integer_count_names_row():
    with pytest.raises(InputError, match=r"non-integer count 2.5 at row 3 \(area='C'\)"):
        crude_rate(_table(count=[3, 5, 2.5]), "count", "pop")


def test_non_numeric_count_names_row():
    with pytest.raises(InputError, match=r"not a number, '12\*', at row 1"):
        crude_rate(_table(count=["12*", "5", "7"]), "count", "pop")


def test_zero_denominator_names_row():
    with pytest.raises(InputError, match=r"zero population 0 at row 2 \(area='B'\)"):
        crude_rate(_table(pop=[100, 0, 300]), "count", "pop")


def test_count_above_population_names_row():
    with pytest.raises(InputError, match=r"count 7 .* above its population 6 .* row 3 \(area='C'\)"):
        crude_rate(_table(pop=[100, 200, 6]), "count", "pop")
    with pytest.raises(InputError, match="row 3"):
        proportion(_table(pop=[100, 200, 6]), "count", "pop")


def test_missing_count_is_an_error_by_default():
    with pytest.raises(InputError, match=r"missing at row 2 \(area='B'\)") as info:
        crude_rate(_table(count=[3, np.nan, 7]), "count", "pop")
    assert "missing='zero'" in info.value.hint


def test_missing_column_suggests_name():
    with pytest.raises(ColumnNotFoundError, match="'cases' not found") as info:
        crude_rate(_table(), "cases", "pop")
    assert "count" in info.value.hint


def test_phe_err1_negative_numerator(phe):
    data = phe("testdata_DSR_ISR__testdata_err1.csv")
    with pytest.raises(InputError, match=r"negative count -26 at row 6 \(Age Band='25-29'\)"):
        dsr(data, "count", "pop", "Age Band", standard_column="stdpop")


def test_phe_err2_zero_denominator(phe):
    data = phe("testdata_DSR_ISR__testdata_err2.csv")
    data["ageband"] = [f"b{i}" for i in range(19)] * 2
    with pytest.raises(InputError, match=r"zero population 0 at row 2 \(area='Area1', ageband='b1'\)"):
        dsr(data, "count", "pop", "ageband", "area", standard_column="count")


def test_phe_err3_negative_denominator(phe):
    data = phe("testdata_DSR_ISR__testdata_err3.csv")
    with pytest.raises(InputError, match=r"negative population -558 at row 2"):
        dsr(data, "count", "pop", "Age Band", standard_column="stdpop")


def test_phe_err4_negative_standard(phe):
    data = phe("testdata_DSR_ISR__testdata_err4.csv")
    with pytest.raises(InputError, match=r"invalid value -6000 at row 6"):
        dsr(data, "count", "pop", "Age Band", standard_column="stdpop")


def _ages(bands, count=20, pop=1000):
    return pd.DataFrame({"age": bands, "count": count, "pop": pop})


def test_age_band_not_matching_standard_names_row():
    bands = ["0-4", "5-9", "10-16", "17-19"] + [f"{a}-{a + 4}" for a in range(20, 90, 5)] + ["90+"]
    with pytest.raises(InputError, match=r"'10-16' does not match .* row 3 \(age='10-16'\)"):
        dsr(_ages(bands), "count", "pop", "age")


def test_missing_band_and_overlap():
    bands = [f"{a}-{a + 4}" for a in range(0, 85, 5)] + ["90+"]
    with pytest.raises(InputError, match="no age band between '80-84' and '90\\+'"):
        dsr(_ages(bands), "count", "pop", "age")
    bands = [f"{a}-{a + 4}" for a in range(0, 90, 5)] + ["55-69", "90+"]
    with pytest.raises(InputError, match="overlap"):
        dsr(_ages(bands), "count", "pop", "age")


def test_group_missing_a_band():
    bands = [f"{a}-{a + 4}" for a in range(0, 90, 5)] + ["90+"]
    data = pd.concat([_ages(bands).assign(g="x"), _ages(bands).assign(g="y").iloc[:-1]])
    with pytest.raises(InputError, match=r"group \(g='y'\) has no row for age band\(s\) '90\+'"):
        dsr(data, "count", "pop", "age", "g")


def test_isr_band_not_in_reference():
    ref = pd.DataFrame({"age": ["0-39", "40+"], "count": [10, 20], "population": [1000, 500]})
    data = pd.DataFrame({"age": ["0-39", "40-64"], "count": [1, 2], "pop": [10, 10]})
    with pytest.raises(InputError, match=r"'40-64' of the data is not in the reference table, at row 2"):
        isr(data, "count", "pop", "age", reference=ref)


def test_rate_ratio_unknown_reference():
    data = pd.DataFrame({"grp": ["m", "n"], "count": [5, 9], "pop": [100, 100]})
    with pytest.raises(InputError, match="reference group 'native' is not in column 'grp'"):
        rate_ratio(data, "count", "pop", compare="grp", reference="native")


def test_bad_confidence():
    with pytest.raises(InputError, match="confidence level"):
        crude_rate(_table(), "count", "pop", confidence=1.5)
