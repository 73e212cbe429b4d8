"""Invariants of the rate methods, checked with hypothesis."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from corridor.epi import crude_rate, dsr, isr, proportion, rate_ratio, standard_population

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def standard_shaped(draw):
    name = draw(st.sampled_from(["esp2013", "who2000"]))
    std = standard_population(name)
    scale = draw(st.integers(1, 50)) * (1 if name == "esp2013" else 1000)
    pop = np.round(std["population"].to_numpy() * scale).astype(int)
    counts = [draw(st.integers(0, int(p))) for p in pop]
    return name, std["age"].tolist(), pop, counts


@SETTINGS
@given(standard_shaped())
def test_dsr_equals_crude_rate_for_standard_age_structure(case):
    name, ages, pop, counts = case
    data = pd.DataFrame({"age": ages, "count": counts, "pop": pop})
    out = dsr(data, "count", "pop", "age", standard=name, min_count=0)
    crude = crude_rate(data, "count", "pop", by=[])
    np.testing.assert_allclose(out["value"], crude["value"], rtol=1e-12, atol=1e-12)


levels = st.lists(st.floats(0.80, 0.999), min_size=2, max_size=4, unique=True).map(sorted)


def _nested(out: pd.DataFrame, keys: list[str]) -> None:
    out = out.sort_values(keys + ["confidence"])
    for _, g in out.groupby(keys, sort=False) if keys else [(None, out)]:
        lo = g["lowercl"].to_numpy()
        hi = g["uppercl"].to_numpy()
        ok = ~np.isnan(lo)
        assert np.all(np.diff(lo[ok]) <= 1e-12 * np.abs(lo[ok][:-1]) + 1e-300)
        assert np.all(np.diff(hi) >= -1e-12 * np.abs(hi[:-1]))


@SETTINGS
@given(levels, st.lists(st.tuples(st.integers(0, 500), st.integers(1, 5000)), min_size=1, max_size=6))
def test_intervals_nest_as_confidence_rises(confidence, cells):
    data = pd.DataFrame(
        {"g": range(len(cells)), "count": [c for c, _ in cells], "pop": [c + n for c, n in cells]}
    )
    _nested(crude_rate(data, "count", "pop", confidence=confidence), ["g"])
    _nested(proportion(data, "count", "pop", confidence=confidence), ["g"])
    ages = standard_population("esp2013")["age"]
    big = pd.DataFrame({"age": np.tile(ages, 1), "count": [c + 10 for c, _ in cells][:1] * 19, "pop": 10_000})
    _nested(dsr(big, "count", "pop", "age", confidence=confidence), [])
    ref = pd.DataFrame({"age": ages, "count": 50, "population": 20_000})
    _nested(isr(big, "count", "pop", "age", reference=ref, confidence=confidence), [])


@SETTINGS
@given(st.integers(1, 3000), st.integers(1, 10**6), st.sampled_from(["exact", "wald"]))
def test_rate_ratio_of_group_with_itself_is_one_with_symmetric_log_interval(count, extra, method):
    data = pd.DataFrame({"grp": ["a", "b"], "count": [count, count], "pop": [count + extra] * 2})
    out = rate_ratio(data, "count", "pop", compare="grp", reference="b", method=method)
    assert out["value"].iloc[0] == 1
    lo, hi = out["lowercl"].iloc[0], out["uppercl"].iloc[0]
    assert lo < 1 < hi
    np.testing.assert_allclose(np.log(lo), -np.log(hi), rtol=1e-7)


@SETTINGS
@given(st.integers(10, 400))
def test_standardised_rate_ratio_with_itself_is_symmetric(count):
    ages = standard_population("esp2013")["age"]
    one = pd.DataFrame({"age": ages, "count": count, "pop": 10 * count + 1000})
    data = pd.concat([one.assign(grp="a"), one.assign(grp="b")])
    out = rate_ratio(data, "count", "pop", compare="grp", reference="b", age="age")
    assert out["value"].iloc[0] == 1
    np.testing.assert_allclose(np.log(out["lowercl"].iloc[0]), -np.log(out["uppercl"].iloc[0]), rtol=1e-9)


@SETTINGS
@given(st.integers(0, 2000), st.integers(2001, 10**7), st.floats(0.8, 0.999))
def test_denominator_interval_tends_to_classical(count, pop, level):
    ses = np.array([0.0, 1e-9, 1e-6, 1e-3, 1e-1]) * pop
    data = pd.DataFrame({"i": range(len(ses)), "count": count, "pop": pop, "se": ses})
    out = crude_rate(data, "count", "pop", population_se="se", confidence=level)
    fixed = crude_rate(data.iloc[:1], "count", "pop", confidence=level)
    lo, hi = out["lowercl"].to_numpy(), out["uppercl"].to_numpy()
    assert lo[0] == fixed["lowercl"].iloc[0] and hi[0] == fixed["uppercl"].iloc[0]  # exactly classical
    gap_lo = np.abs(lo - lo[0])
    gap_hi = np.abs(hi - hi[0])
    assert np.all(np.diff(gap_hi) >= 0) and np.all(np.diff(gap_lo) >= -1e-12 * hi[0])
    assert gap_hi[1] <= 1e-6 * hi[0] and gap_lo[1] <= 1e-6 * hi[0]
    assert np.all(lo <= lo[0] * (1 + 1e-12)) and np.all(hi >= hi[0] * (1 - 1e-12))  # only widens


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 300), st.integers(300, 50_000)), min_size=3, max_size=8))
def test_smr_of_the_reference_population_is_one(cells):
    ages = [f"{10 * i}-{10 * i + 9}" for i in range(len(cells) - 1)] + [f"{10 * (len(cells) - 1)}+"]
    reference = pd.DataFrame(
        {"age": ages, "count": [c for c, _ in cells], "population": [n for _, n in cells]}
    )
    assume(reference["count"].sum() > 0)
    out = isr(reference.rename(columns={"population": "pop"}), "count", "pop", "age", reference=reference)
    np.testing.assert_allclose(out["value"], 1.0, rtol=1e-12)
    assert out["lowercl"].iloc[0] < 1 < out["uppercl"].iloc[0]
