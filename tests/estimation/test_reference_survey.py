"""Every R `survey` reference case (tests/reference/survey, R 4.2.2 / survey 4.1-1) reproduces to 1e-8."""

from __future__ import annotations

import pytest
from reference.survey_cases import CASES, key_of_actual, key_of_expected, load, rel_close, run

RTOL = 1e-8


@pytest.mark.parametrize("case", CASES)
def test_reference_case(case: str, engine: str) -> None:
    spec, expected = load(case)
    result = run(spec, engine)
    kind = spec["estimand"]
    actual = {key_of_actual(r, spec.get("by", []), kind): r for r in result.table.to_pylist()}
    assert len(expected["results"]) > 0
    for row in expected["results"]:
        key = key_of_expected(row, kind)
        assert key in actual, f"{case}: no row {key}; have {sorted(actual)}"
        got = actual[key]
        for field in ("estimate", "se", "ci_low", "ci_high"):
            if field in row:
                assert rel_close(got[field], row[field], RTOL), f"{case} {key} {field}: {got[field]} != R {row[field]}"
        if "df" in row and row["df"] is not None:
            assert got["df"] == pytest.approx(row["df"]), f"{case} {key} df"
        if "n" in row:
            assert got["n"] == row["n"], f"{case} {key} n"
    if "degf" in expected["design"] and "degf_subset" not in expected["design"]:
        assert result.design_df == expected["design"]["degf"]
