"""Crafted cells exactly at each threshold of each scheme.

Expected labels follow the comparison operators of calidad 0.8.x
(R/evaluate_internal.R): INE ``n >= 60``, ``df >= 9``, ``0 < cv <= 0.15``,
``0.15 < cv <= 0.30``, ``se <= p^(2/3)/9``; ECLAC 2023 ``deff >= 1``,
``ess >= 60``, ``df >= 9``, ``cv <= 0.20``, ``cv <= 0.30``, ``log_cv <= 0.175``,
counts ``>= 50`` / ``>= 30``; ECLAC 2020 ``n >= 100``, ``ess >= 140``,
``unweighted >= 50``, ``df >= 9``, ``cv < 0.20``, ``log_cv <= 0.175``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from corridor.quality import assess

from .tables import table

UP = math.inf


def _one(scheme: str, **row) -> tuple[str | None, str]:
    params = row.pop("_params", {})
    out = assess(table(row), scheme, **params).to_pylist()[0]
    return out["quality"], out["quality_reason"]


def bump(x: float) -> float:
    return float(np.nextafter(x, UP))


CHILE_LEVEL = [
    ({"n": 60, "df": 9, "cv": 0.15}, ("reliable", "cv<=0.15")),
    ({"n": 59, "df": 9, "cv": 0.15}, ("non_reliable", "n<60")),
    ({"n": 60, "df": 8, "cv": 0.15}, ("non_reliable", "df<9")),
    ({"n": 10, "df": 3, "cv": 0.5}, ("non_reliable", "n<60")),
    ({"n": 60, "df": 9, "cv": bump(0.15)}, ("weakly_reliable", "0.15<cv<=0.3")),
    ({"n": 60, "df": 9, "cv": 0.30}, ("weakly_reliable", "0.15<cv<=0.3")),
    ({"n": 60, "df": 9, "cv": bump(0.30)}, ("non_reliable", "cv>0.3")),
    ({"n": 60, "df": 9, "cv": 0.0}, (None, "cv<=0")),
    ({"n": 10, "df": 9, "cv": 0.0}, ("non_reliable", "n<60")),
    ({"n": 60, "df": 9, "cv": -0.1}, (None, "cv<=0")),
    ({"n": 60, "df": 9, "cv": None, "se": None}, (None, "missing:cv")),
    ({"n": None, "df": 3, "cv": 0.1}, (None, "missing:n")),
]


@pytest.mark.parametrize(("row", "expected"), CHILE_LEVEL)
def test_chile_level_estimates(row, expected):
    row = {"estimate": 100.0, "se": None, **row}
    assert _one("chile", **row) == expected


def _bound(p: float) -> float:
    return (p if p <= 0.5 else 1 - p) ** (2 / 3) / 9


CHILE_PROPORTION = [
    ({"estimate": 0.5, "se": _bound(0.5)}, ("reliable", "se<=p^(2/3)/9")),
    ({"estimate": 0.5, "se": bump(_bound(0.5))}, ("weakly_reliable", "se>p^(2/3)/9")),
    ({"estimate": 0.2, "se": _bound(0.2)}, ("reliable", "se<=p^(2/3)/9")),
    ({"estimate": 0.8, "se": _bound(0.8)}, ("reliable", "se<=(1-p)^(2/3)/9")),
    ({"estimate": 0.8, "se": bump(_bound(0.8))}, ("weakly_reliable", "se>(1-p)^(2/3)/9")),
    ({"estimate": 0.99, "se": 0.5}, ("weakly_reliable", "se>(1-p)^(2/3)/9")),  # no CV cut for proportions
    ({"estimate": 0.0, "se": 0.0}, ("reliable", "se<=p^(2/3)/9")),
    ({"estimate": 1.0, "se": 0.0}, (None, "p>=1")),
    ({"estimate": 0.3, "se": 0.01, "n": 59}, ("non_reliable", "n<60")),
    ({"estimate": 0.3, "se": 0.01, "df": 8}, ("non_reliable", "df<9")),
    ({"estimate": 0.3, "se": None}, (None, "missing:se")),
]


@pytest.mark.parametrize(("row", "expected"), CHILE_PROPORTION)
def test_chile_proportions(row, expected):
    row = {"estimand": "proportion", "n": 60, "df": 9, **row}
    assert _one("chile", **row) == expected


def test_chile_ratio_switches_to_cv_when_a_ratio_of_the_variable_exceeds_one():
    t = table(
        {"estimate": 0.5, "se": 0.06, "variable": "r"},
        {"estimate": 1.5, "se": 0.06, "variable": "r"},
        {"estimate": 0.5, "se": 0.06, "variable": "other"},
        estimand="ratio",
        n=100,
        df=20,
    )
    out = assess(t, "chile").to_pydict()
    # a variable with a ratio above 1 is judged by CV throughout (0.06 / 0.5 = 0.12); the other one by
    # the SE rule (0.06 <= 0.5^(2/3) / 9 = 0.0700)
    assert out["quality_reason"] == ["cv<=0.15", "cv<=0.15", "se<=p^(2/3)/9"]
    forced = assess(t, "chile", ratio_between_0_1=False).to_pydict()
    assert forced["quality_reason"] == ["cv<=0.15", "cv<=0.15", "cv<=0.15"]


def test_thresholds_can_be_overridden_like_calidad_dots():
    t = table({"estimate": 100.0, "se": 20.0}, n=40, df=9)
    assert assess(t, "chile").to_pylist()[0]["quality"] == "non_reliable"
    relaxed = assess(t, "chile", n=30, cv_upper_ine=0.25).to_pylist()[0]
    assert (relaxed["quality"], relaxed["quality_reason"]) == ("weakly_reliable", "0.15<cv<=0.25")


ECLAC_2023_LEVEL = [
    ({}, ("reliable", "cv<=0.2")),
    ({"deff": float(np.nextafter(1.0, 0.0))}, ("non_reliable", "deff<1")),
    ({"deff": 0.9, "n": 100, "_params": {"n": 50}}, ("non_reliable", "deff<1")),
    ({"n": 60, "deff": 1.0}, ("reliable", "cv<=0.2")),  # ESS = 60
    ({"n": 60, "deff": bump(1.0)}, ("non_reliable", "ess<60")),
    ({"df": 8}, ("non_reliable", "df<9")),
    ({"unweighted": 49}, ("weakly_reliable", "unweighted<50")),
    ({"unweighted": 30}, ("weakly_reliable", "unweighted<50")),
    ({"unweighted": 29}, ("non_reliable", "unweighted<30")),
    ({"cv": bump(0.2)}, ("weakly_reliable", "0.2<cv<=0.3")),
    ({"cv": 0.3, "unweighted": 30}, ("weakly_reliable", "0.2<cv<=0.3")),
    ({"cv": 0.3, "unweighted": 29}, ("non_reliable", "unweighted<30")),
    ({"cv": bump(0.3)}, ("non_reliable", "cv>0.3")),
]


@pytest.mark.parametrize(("row", "expected"), ECLAC_2023_LEVEL)
def test_eclac_2023_level_estimates(row, expected):
    row = {"estimate": 100.0, "se": 20.0, "cv": 0.2, "n": 200, "df": 9, "deff": 1.0, "unweighted": 50, **row}
    assert _one("eclac_2023", **row) == expected


def test_eclac_2023_domain_information_options():
    row = {"estimate": 100.0, "se": 10.0, "n": 200, "df": 5, "deff": 0.8, "unweighted": 200}
    t = table(row)
    assert assess(t, "eclac_2023").to_pylist()[0]["quality_reason"] == "deff<1"
    assert assess(t, "eclac_2023", domain_info=True).to_pylist()[0]["quality_reason"] == "df<9"
    out = assess(t, "eclac_2023", domain_info=True, low_df_justified=True).to_pylist()[0]
    assert (out["quality"], out["quality_reason"]) == ("reliable", "cv<=0.2")


ECLAC_2023_PROPORTION = [
    ({"estimate": 0.3, "log_cv": 0.175}, ("reliable", "log_cv<=0.175")),
    ({"estimate": 0.3, "log_cv": 0.175, "unweighted": 40}, ("weakly_reliable", "unweighted<50")),
    ({"estimate": 0.3, "log_cv": 0.175, "unweighted": 29}, ("non_reliable", "unweighted<30")),
    ({"estimate": 0.3, "log_cv": bump(0.175)}, ("non_reliable", "log_cv>0.175")),
    ({"estimate": 0.5, "log_cv": bump(0.175)}, ("weakly_reliable", "log_cv>0.175")),
    ({"estimate": 0.7, "log_cv": 0.5, "unweighted": 30}, ("weakly_reliable", "log_cv>0.175")),
    ({"estimate": 0.7, "log_cv": 0.5, "unweighted": 29}, ("non_reliable", "unweighted<30")),
]


@pytest.mark.parametrize(("row", "expected"), ECLAC_2023_PROPORTION)
def test_eclac_2023_proportions(row, expected):
    row = {"estimand": "proportion", "se": 0.01, "n": 500, "df": 30, "deff": 1.5, "unweighted": 50, **row}
    assert _one("eclac_2023", **row) == expected


def test_log_cv_is_se_over_minus_log_p_times_p():
    p, se = 0.3, 0.175 * (-math.log(0.3) * 0.3) * 0.999
    t = table({"estimand": "proportion", "estimate": p, "se": se}, n=500, df=30, deff=1.5, unweighted=60)
    assert assess(t, "eclac_2023").to_pylist()[0]["quality_reason"] == "log_cv<=0.175"
    t = table(
        {"estimand": "proportion", "estimate": p, "se": se / 0.99}, n=500, df=30, deff=1.5, unweighted=60
    )
    assert assess(t, "eclac_2023").to_pylist()[0]["quality_reason"] == "log_cv>0.175"


ECLAC_2020 = [
    ({}, ("publish", "cv<0.2")),
    ({"n": 99}, ("suppress", "n<100")),
    ({"n": 140, "deff": 1.0}, ("publish", "cv<0.2")),  # ESS = 140
    ({"n": 140, "deff": bump(1.0)}, ("suppress", "ess<140")),
    ({"unweighted": 49}, ("suppress", "unweighted<50")),
    ({"df": 8}, ("review", "df<9")),
    ({"cv": 0.2}, (None, "cv>=0.2")),  # calidad has no rule here (NA)
    ({"estimand": "proportion", "estimate": 0.4, "cv": 0.2, "log_cv": 0.1}, ("review", "cv>=0.2")),
    ({"estimand": "proportion", "estimate": 0.4, "cv": 0.1, "log_cv": 0.175}, ("publish", "cv<0.2")),
    (
        {"estimand": "proportion", "estimate": 0.4, "cv": 0.1, "log_cv": bump(0.175)},
        ("suppress", "log_cv>0.175"),
    ),
]


@pytest.mark.parametrize(("row", "expected"), ECLAC_2020)
def test_eclac_2020(row, expected):
    row = {"estimate": 100.0, "se": 10.0, "cv": 0.19, "n": 280, "df": 9, "deff": 2.0, "unweighted": 50, **row}
    assert _one("eclac_2020", **row) == expected


def test_comparisons_from_the_engine_are_gaps_judged_by_their_interval():
    t = table(
        {"estimand": "difference:proportion", "estimate": -0.05, "se": 0.005},
        {"estimand": "ratio:mean", "estimate": 1.3, "se": 0.3},
        n=500,
        df=40,
    )
    out = assess(t, "chile").to_pylist()
    assert [(r["quality"], r["quality_reason"]) for r in out] == [
        ("significant", "ci_high<0"),
        ("not_significant", "ci_low<=1<=ci_high"),  # 1.3 - 2.021 * 0.3 < 1
    ]


@pytest.mark.parametrize(
    ("scheme", "expected"),
    # calidad: a missing deff fails ECLAC 2023's first gate; in ECLAC 2020 a missing ESS makes the suppress
    # test "not true", which does not stop "publish"
    [("eclac_2023", ("non_reliable", "missing:deff")), ("eclac_2020", ("publish", "cv<0.2"))],
)
def test_a_cell_without_deff_in_a_table_with_design_effects(scheme, expected):
    row = {"estimate": 100.0, "se": 10.0, "n": 300, "df": 20, "unweighted": 300}
    t = table({**row, "deff": None}, {**row, "deff": 1.2})
    out = assess(t, scheme).to_pylist()
    assert (out[0]["quality"], out[0]["quality_reason"]) == expected
