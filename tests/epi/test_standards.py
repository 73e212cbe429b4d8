"""Shipped standard populations and age-band matching."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from corridor.epi import dsr, standard_population
from corridor.epi.standards import match_bands, parse_band


def test_esp2013_is_eurostat_table():
    """Eurostat (2013) ESP: 19 bands, total 100,000, 0-4 = 5,000, 90+ = 1,000."""
    esp = standard_population("esp2013")
    assert len(esp) == 19 and esp["population"].sum() == 100_000
    assert esp["population"].iloc[0] == 5000 and esp["population"].iloc[-1] == 1000


def test_who_world_standard_is_ahmad_2001_table():
    """Ahmad et al. (2001) Table 4: 21 bands, 0-4 = 8.86%, 100+ = 0.005%, published total 100.035."""
    who = standard_population("who2000")
    assert len(who) == 21
    assert who["population"].iloc[0] == 8.86 and who["population"].iloc[-1] == 0.005
    assert who["population"].sum() == pytest.approx(100.035)
    # SEER's million-scaled version: 0-4 -> 88,569
    assert round(who["population"].iloc[0] / who["population"].sum() * 1e6) == 88_569


@pytest.mark.parametrize(
    "label,expected",
    [
        ("0-4", (0, 4.0)),
        ("00 A 04", (0, 4.0)),
        ("80 O MÁS", (80, math.inf)),
        ("90+", (90, math.inf)),
        ("85 and over", (85, math.inf)),
        ("80 y más", (80, math.inf)),
        ("5 to 9", (5, 9.0)),
    ],
)
def test_parse_band(label, expected):
    assert parse_band(label) == expected


def test_coarser_bands_sum_the_standard():
    esp = standard_population("esp2013")
    labels = [f"{a}-{a + 4}" for a in range(0, 80, 5)] + ["80+"]
    weights = match_bands(labels, esp)
    assert weights["80+"] == 2500 + 1500 + 1000
    assert sum(weights.values()) == 100_000


def test_ine_labels_standardise_like_plain_labels():
    plain = [f"{a}-{a + 4}" for a in range(0, 80, 5)] + ["80+"]
    ine = [f"{a:02d} A {a + 4:02d}" for a in range(0, 80, 5)] + ["80 O MÁS"]
    counts = np.arange(17) + 3
    a = dsr(pd.DataFrame({"age": plain, "n": counts, "pop": 1000}), "n", "pop", "age", standard="who2000")
    b = dsr(pd.DataFrame({"age": ine, "n": counts, "pop": 1000}), "n", "pop", "age", standard="who2000")
    assert a["value"].iloc[0] == pytest.approx(b["value"].iloc[0], rel=1e-14)


def test_user_supplied_standard_mapping():
    data = pd.DataFrame({"age": ["0-39", "40+"], "n": [10, 30], "pop": [1000, 1000]})
    out = dsr(data, "n", "pop", "age", standard={"0-39": 3, "40+": 1}, multiplier=1)
    assert out["value"].iloc[0] == pytest.approx((3 * 0.01 + 1 * 0.03) / 4)
