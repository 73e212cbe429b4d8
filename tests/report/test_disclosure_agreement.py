"""The profile and the service publish the same cells: the profile's table is a fixed point of the one
disclosure rule, the rule the service applies again to everything it shows."""

from __future__ import annotations

from corridor.quality.disclosure import suppress_indicators
from corridor.service.profiles import published


def test_the_profile_table_is_what_the_rule_publishes(profile) -> None:
    rows = profile.table.to_pylist()
    again = suppress_indicators(rows, min_n=profile.min_n)
    assert again == rows
    assert sum(r["suppressed"] for r in rows) > 100  # the shipped sample has many small cells
    served = published(rows, profile.min_n)
    assert [r["suppressed"] for r in served] == [r["suppressed"] for r in rows]
    # every published survey value rests on min_n cases (an unavailable indicator, e.g. income in ENUSC,
    # has a row without a value or n)
    shown = [r for r in rows if r["source_kind"] == "survey" and r["population"] != "gap" and not r["suppressed"]
             and r["status"] == "ok"]
    assert shown and all(r["n"] >= profile.min_n for r in shown)
    assert all(r["estimate"] is None and r["n"] is None for r in rows if r["status"] == "unavailable")
