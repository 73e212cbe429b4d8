"""The regions chart draws what was published: a region without a value is listed with a dash and no
bar, never as a bar of 0 persons."""

from __future__ import annotations

import re

from corridor.report import charts
from corridor.report.locale import Locale


def test_a_region_without_a_value_is_a_dash_not_a_zero(monkeypatch):
    monkeypatch.setenv("CORRIDOR_CACHE_DIR", "off")
    values = [("CL-AN", "Antofagasta", 32_842.0), ("CL-AT", "Atacama", None), ("CL-RM", "Metropolitana", 90_000.0)]
    svg = charts.region_chart(values, "CL-AN", Locale("en"), "Colombians by region")
    without = charts.region_chart([v for v in values if v[2] is not None], "CL-AN", Locale("en"), "Colombians by region")
    labels, labels_without = ([t.strip() for t in re.findall(r"<text[^>]*>\s*([^<]*)</text>", s)] for s in (svg, without))
    assert labels.count("—") == 1, labels
    # no bar label "0" beyond the axis's own tick at 0
    assert labels.count("0") == labels_without.count("0"), labels
    assert "Atacama" in svg and "Atacama" not in without
    assert re.findall(r"32,842|90,000", svg) == re.findall(r"32,842|90,000", without)
