"""The rate-ratio chart prints each ratio at its point, not at the end of its upper whisker."""

from __future__ import annotations

import re

from corridor.report.charts import ratio_chart
from corridor.report.locale import Locale


def _label_x(svg: str, text: str) -> float:
    match = re.search(r'<text[^>]*\bx="([0-9.]+)"[^>]*>' + re.escape(text) + "<", svg)
    if match is None:  # matplotlib may place the text with a transform instead of x=
        match = re.search(r'<text[^>]*transform="translate\(([0-9.]+)[ ,][^>]*>' + re.escape(text) + "<", svg)
    assert match, f"label {text!r} not found"
    return float(match.group(1))


def test_label_does_not_follow_the_upper_whisker():
    loc = Locale("en")
    # the second row fixes the axis, so only the first row's upper limit changes between charts
    narrow = ratio_chart([("A", 2.0, 1.5, 2.5, ""), ("B", 1.0, 0.3, 12.0, "")], loc, "t", "rate ratio")
    wide = ratio_chart([("A", 2.0, 1.5, 9.0, ""), ("B", 1.0, 0.3, 12.0, "")], loc, "t", "rate ratio")
    assert abs(_label_x(narrow, "2.00") - _label_x(wide, "2.00")) < 0.01
