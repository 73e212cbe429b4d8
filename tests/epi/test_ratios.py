"""Rate ratios: the exact conditional interval against SciPy's Clopper-Pearson binomial interval.

Reference: scipy.stats.binomtest(a, a + b).proportion_ci(method="exact") (SciPy's implementation
of Clopper & Pearson 1934); conditional on a + b, a ~ Binomial(a + b, RR Pa / (RR Pa + Pb)).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from corridor.epi import crude_rate, dsr, rate_ratio, standard_population


@pytest.mark.parametrize(
    "a,b,pa,pb", [(12, 30, 5_000, 40_000), (3, 0, 800, 900), (150, 410, 32_842, 600_000)]
)
def test_exact_rate_ratio_matches_clopper_pearson(a, b, pa, pb):
    data = pd.DataFrame({"grp": ["COL", "CHL"], "cases": [a, b], "pop": [pa, pb]})
    out = rate_ratio(data, "cases", "pop", compare="grp", reference="CHL", confidence=0.95)
    ci = stats.binomtest(a, a + b).proportion_ci(confidence_level=0.95, method="exact")
    to_rr = lambda p: p / (1 - p) * pb / pa if p < 1 else np.inf
    np.testing.assert_allclose(out["lowercl"].iloc[0], to_rr(ci.low), rtol=1e-9)
    np.testing.assert_allclose(out["uppercl"].iloc[0], to_rr(ci.high), rtol=1e-9)
    with np.errstate(divide="ignore"):
        assert out["value"].iloc[0] == pytest.approx((a / pa) / (b / pb) if b else np.inf)


def test_wald_rate_ratio_formula_and_strata():
    data = pd.DataFrame(
        {
            "year": [2021, 2021, 2022, 2022],
            "grp": ["COL", "CHL"] * 2,
            "cases": [40, 300, 55, 310],
            "pop": [30_696, 598_000, 32_842, 600_000],
        }
    )
    out = rate_ratio(data, "cases", "pop", compare="grp", reference="CHL", by="year", method="wald")
    assert list(out["year"]) == [2021, 2022]
    rr = (40 / 30_696) / (300 / 598_000)
    half = 1.959963984540054 * np.sqrt(1 / 40 + 1 / 300)
    np.testing.assert_allclose(out["value"].iloc[0], rr, rtol=1e-12)
    np.testing.assert_allclose(out["lowercl"].iloc[0], rr * np.exp(-half), rtol=1e-9)
    np.testing.assert_allclose(out["uppercl"].iloc[0], rr * np.exp(half), rtol=1e-9)
    rates = crude_rate(data, "cases", "pop", by=["year", "grp"])
    assert out["rate"].iloc[0] == pytest.approx(rates.query("year == 2021 and grp == 'COL'")["value"].iloc[0])


def test_standardised_ratio_uses_dobson_variances():
    ages = standard_population("esp2013")["age"]
    rng = np.random.default_rng(7)
    a = pd.DataFrame({"age": ages, "cases": rng.integers(5, 40, 19), "pop": rng.integers(2_000, 9_000, 19)})
    b = pd.DataFrame(
        {"age": ages, "cases": rng.integers(20, 90, 19), "pop": rng.integers(20_000, 60_000, 19)}
    )
    data = pd.concat([a.assign(grp="mig"), b.assign(grp="nat")])
    out = rate_ratio(data, "cases", "pop", compare="grp", reference="nat", age="age")
    da = dsr(a, "cases", "pop", "age", multiplier=1)
    db = dsr(b, "cases", "pop", "age", multiplier=1)
    np.testing.assert_allclose(out["value"].iloc[0], da["value"].iloc[0] / db["value"].iloc[0], rtol=1e-12)
    assert out["lowercl"].iloc[0] < out["value"].iloc[0] < out["uppercl"].iloc[0]
    assert out["statistic"].iloc[0] == "ratio of dsrs"


def test_ratio_widens_with_denominator_se():
    data = pd.DataFrame(
        {"grp": ["COL", "CHL"], "cases": [40, 300], "pop": [30_000, 600_000], "se": [1_500.0, 0.0]}
    )
    wide = rate_ratio(data, "cases", "pop", compare="grp", reference="CHL", population_se="se", method="wald")
    half = 1.959963984540054 * np.sqrt(1 / 40 + 1 / 300 + (1_500 / 30_000) ** 2)
    np.testing.assert_allclose(wide["uppercl"].iloc[0], wide["value"].iloc[0] * np.exp(half), rtol=1e-9)
