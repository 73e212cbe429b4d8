"""Rates against R: epitools 0.5-10.1 (``ageadjust.direct``, ``pois.byar``) and PHEindicatormethods
2.0.2 (``phe_dsr`` with a plain ``stdpop`` vector and two levels, missing counts,
``calculate_ISRatio``/``calculate_ISRate`` with ``observed_totals`` and with missing values).

Reference: tests/reference/epi/expected.json, made by tests/reference/epi/make_reference.R on PHE's
test data in ../shared/data/pheindicatormethods; every case carries its R call. Closed forms:
agreement to 1e-9 relative.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from corridor.epi import crude_rate, dsr, isr, proportion
from corridor.errors import InputError

REF = json.loads((Path(__file__).resolve().parents[1] / "reference" / "epi" / "expected.json").read_text())
RTOL = 1e-9


def _na(values):
    return np.array([np.nan if v == "NA" else v for v in values], dtype=float)


@pytest.fixture(scope="module")
def multi(phe):
    data = phe("testdata_DSR_ISR__testdata_multiarea.csv")
    # PHE matches bands by position; the workbook's '55-69' is the 55-59 band
    data["ageband"] = data["ageband"].replace({"55-69": "55-59"})
    return data


@pytest.fixture(scope="module")
def esp(phe):
    return phe("esp2013.csv")["esp2013"].tolist()


@pytest.mark.parametrize("case", REF["ageadjust_direct"], ids=lambda c: f"{c['area']}-{c['conf_level']}")
def test_gamma_interval_matches_epitools(case, multi, esp, phe):
    if case["area"] == "testdata_1976":
        data = phe("testdata_DSR_ISR__testdata_1976.csv").rename(columns={"Age Band": "ageband"})
        data["ageband"] = data["ageband"].replace({"55-69": "55-59"})
        standard = data["esp1976"].tolist()
    else:
        data, standard = multi[multi["area"] == case["area"]], esp
    if case["adj_rate"] == "NA":  # epitools gives NA when a count is missing
        with pytest.raises(InputError, match="missing"):
            dsr(data, "count", "pop", "ageband", standard=standard, method="gamma")
        data = data.fillna({"count": 0})
        out = dsr(data, "count", "pop", "ageband", standard=standard, method="gamma", min_count=0, multiplier=1,
                  confidence=case["conf_level"])
        assert np.isfinite(out["lowercl"]).all()
        return
    out = dsr(data, "count", "pop", "ageband", standard=standard, method="gamma", min_count=0, multiplier=1,
              confidence=case["conf_level"]).iloc[0]
    np.testing.assert_allclose(out["value"], case["adj_rate"], rtol=RTOL)
    np.testing.assert_allclose(out["lowercl"], case["lci"], rtol=RTOL)
    np.testing.assert_allclose(out["uppercl"], case["uci"], rtol=RTOL)
    assert out["method"] == "Fay-Feuer gamma"
    crude = out["count"] / out["population"]
    np.testing.assert_allclose(crude, case["crude_rate"], rtol=RTOL)


def test_gamma_interval_per_group_in_one_call(multi, esp):
    cases = {c["area"]: c for c in REF["ageadjust_direct"]
             if c["conf_level"] == 0.95 and c["lci"] != "NA" and c["area"] != "testdata_1976"}
    out = dsr(multi, "count", "pop", "ageband", by="area", standard=esp, method="gamma", min_count=0,
              multiplier=100_000, missing="zero").set_index("area")
    for area, case in cases.items():
        np.testing.assert_allclose(out.loc[area, "lowercl"], case["lci"] * 100_000, rtol=RTOL)
        np.testing.assert_allclose(out.loc[area, "uppercl"], case["uci"] * 100_000, rtol=RTOL)


def test_gamma_with_no_events_has_a_zero_lower_limit(multi, esp):
    data = multi[multi["area"] == "testdata_big"].assign(count=0)
    out = dsr(data, "count", "pop", "ageband", standard=esp, method="gamma", min_count=0).iloc[0]
    assert out["value"] == 0 and out["lowercl"] == 0 and out["uppercl"] > 0
    assert "lower limit 0" in out["method"]


@pytest.mark.parametrize("case", REF["pois_byar"], ids=lambda c: str(c["conf_level"]))
def test_byar_epitools_matches_pois_byar(case):
    # PHE's test data have missing numerators and denominators: epitools gives NA there
    keep = ~np.isnan(_na(case["x"])) & ~np.isnan(_na(case["pt"]))
    case = {k: (np.asarray(_na(v))[keep] if isinstance(v, list) else v) for k, v in case.items()}
    data = pd.DataFrame({"row": range(len(case["x"])), "x": case["x"], "pt": case["pt"]})
    out = crude_rate(data, "x", "pt", by="row", multiplier=1, confidence=case["conf_level"],
                     method="byar-epitools", allow_count_above_population=True).sort_values("row")
    np.testing.assert_allclose(out["value"], case["rate"], rtol=RTOL)
    np.testing.assert_allclose(out["uppercl"], case["upper"], rtol=RTOL)
    lower = np.array(case["lower"])
    positive = lower > 0
    np.testing.assert_allclose(out["lowercl"].to_numpy()[positive], lower[positive], rtol=RTOL)
    # at x = 0 epitools' lower limit is negative: corridor reports 0 and says so in the method
    zero = np.array(case["x"]) == 0
    assert (lower[zero] < 0).all() and (out["lowercl"].to_numpy()[zero] == 0).all()
    assert all("lower limit 0 at x = 0" in m for m in out["method"].to_numpy()[zero])
    assert set(out["method"].to_numpy()[~zero]) == {"Byars (epitools: x + 0.5)"}


def test_phe_dsr_plain_vector_and_wide_layout(multi, esp):
    ref = REF["phe_dsr_vector_wide"]
    # rows in any order: the vector is matched to the bands youngest first, not by row position
    shuffled = multi.sample(frac=1.0, random_state=3)
    out = dsr(shuffled, "count", "pop", "ageband", by="area", standard=esp, confidence=[0.95, 0.998],
              layout="wide", missing="zero").set_index("area").loc[ref["area"]]
    assert list(out.columns[-7:]) == ["lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl", "confidence",
                                      "method", "statistic"]
    assert (out["confidence"] == "95%, 99.8%").all()
    for col in ("value", "lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"):
        np.testing.assert_allclose(out[col], _na(ref[col]), rtol=RTOL)
    np.testing.assert_array_equal(out["count"], ref["total_count"])
    long = dsr(multi, "count", "pop", "ageband", by="area", standard=esp, confidence=[0.95, 0.998], missing="zero")
    np.testing.assert_allclose(long[long["confidence"] == 0.998].set_index("area").loc[ref["area"], "uppercl"],
                               _na(ref["upper99_8cl"]), rtol=RTOL)


def test_phe_dsr_missing_counts_count_as_zero(multi, esp):
    ref = REF["phe_dsr_missing"]
    data = multi.copy()
    data.loc[[i - 1 for i in ref["na_rows"]], "count"] = np.nan
    with pytest.raises(InputError, match=r"(?s)column 'count' of the data is missing at row 2 .*Hint: .*missing='zero'"):
        dsr(data, "count", "pop", "ageband", by="area", standard=esp)
    out = dsr(data, "count", "pop", "ageband", by="area", standard=esp, missing="zero").set_index("area")
    out = out.loc[ref["area"]]
    np.testing.assert_array_equal(out["count"], ref["total_count"])
    for col in ("value", "lowercl", "uppercl"):
        np.testing.assert_allclose(out[col], _na(ref[col]), rtol=RTOL)


def test_plain_vector_of_the_wrong_length_is_an_error(multi, esp):
    with pytest.raises(InputError, match="18 numbers but the data have 19 age bands"):
        dsr(multi, "count", "pop", "ageband", by="area", standard=esp[:-1], missing="zero")


def test_isr_observed_totals_match_phe(phe):
    ref = REF["isr_observed_totals"]
    data = phe("testdata_DSR_ISR__testdata_multiarea_isr.csv").drop(columns="count")
    totals = pd.DataFrame(ref["totals"])
    common = {"reference_count": "refcount", "reference_population": "refpop", "observed_totals": totals,
              "missing": "zero"}
    ratio = isr(data, "count", "pop", "ageband", "area", confidence=[0.95, 0.998], multiplier=100, layout="wide",
                **common).set_index("area").loc[ref["ratio"]["area"]]
    r = ref["ratio"]
    np.testing.assert_array_equal(ratio["count"], r["observed"])
    np.testing.assert_allclose(ratio["expected"], r["expected"], rtol=RTOL)
    for col in ("value", "lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"):
        np.testing.assert_allclose(ratio[col], r[col], rtol=RTOL)
    assert list(ratio["method"]) == r["method"]
    rate = isr(data, "count", "pop", "ageband", "area", kind="rate", **common).set_index("area")
    rate = rate.loc[ref["rate"]["area"]]
    for col in ("value", "lowercl", "uppercl"):
        np.testing.assert_allclose(rate[col], ref["rate"][col], rtol=RTOL)


def test_isr_observed_totals_must_cover_every_group(phe):
    data = phe("testdata_DSR_ISR__testdata_multiarea_isr.csv").drop(columns="count")
    totals = pd.DataFrame({"area": ["testdata_big", "testdata_small"], "count": [898, 91]})
    with pytest.raises(InputError, match=r"group .*testdata_tiny.* has no row in the observed_totals table"):
        isr(data, "count", "pop", "ageband", "area", reference_count="refcount", reference_population="refpop",
            observed_totals=totals, missing="zero")
    typo = pd.DataFrame({"area": ["testdata_big", "testdata_small", "testdata_tiny", "testdata_tyni"],
                         "count": [898, 91, 10, 1]})
    with pytest.raises(InputError, match="testdata_tyni.* has no age rows in the data"):
        isr(data, "count", "pop", "ageband", "area", reference_count="refcount", reference_population="refpop",
            observed_totals=typo, missing="zero")


def test_isr_missing_counts_and_populations_as_phe(phe):
    ref = REF["isr_missing"]
    data = phe("testdata_DSR_ISR__testdata_multiarea_isr.csv")
    data.loc[[i - 1 for i in ref["count_na_rows"]], "count"] = np.nan
    data.loc[[ref["pop_na_rows"] - 1], "pop"] = np.nan
    out = isr(data, "count", "pop", "ageband", "area", reference_count="refcount", reference_population="refpop",
              missing="zero").set_index("area").loc[ref["area"]]
    np.testing.assert_array_equal(out["count"], ref["observed"])
    for col in ("expected", "value", "lowercl", "uppercl"):
        np.testing.assert_allclose(out[col], ref[col], rtol=RTOL)


def test_isr_reference_as_plain_vectors(phe):
    data = phe("testdata_DSR_ISR__testdata_multiarea_isr.csv")
    ref = phe("testdata_DSR_ISR__refdata.csv")
    from_columns = isr(data, "count", "pop", "ageband", "area", reference_count="refcount",
                       reference_population="refpop", missing="zero")
    from_vectors = isr(data.drop(columns=["refcount", "refpop"]), "count", "pop", "ageband", "area",
                       reference_count=ref["refcount"].to_numpy(), reference_population=ref["refpop"].tolist(),
                       missing="zero")
    pd.testing.assert_frame_equal(from_columns, from_vectors)


def test_zero_denominator_is_named_so():
    data = pd.DataFrame({"group": ["a", "b"], "x": [0, 3], "n": [0, 10]})
    with pytest.raises(InputError, match=r"column 'n' of the data has a zero denominator 0 at row 1 \(group='a'\)"
                       r"\nHint: a proportion needs a denominator greater than 0"):
        proportion(data, "x", "n", by="group")
