"""One flow, one interval: the corridor profile and `corridor flows stocks` use the same documented
defaults (1,000 resamples, seed 2026, relative error 0.10), so they print the same interval."""

from __future__ import annotations

import json

from click.testing import CliRunner

from corridor.cli import main
from corridor.flows.uncertainty import DEFAULT_REL_ERROR, DEFAULT_RESAMPLES, DEFAULT_SEED
from corridor.report.flows_section import undesa_rows


def test_profile_and_command_line_give_the_same_interval():
    assert (DEFAULT_RESAMPLES, DEFAULT_SEED, DEFAULT_REL_ERROR) == (1000, 2026, 0.10)
    result = CliRunner().invoke(main, ["flows", "stocks", "--origin", "COL", "--destination", "CHL",
                                       "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    cli = {r["period"]: (r["flow"], r["lower"], r["upper"], r["se"]) for r in out["rows"]}
    assert any("1,000 gamma resamples" in n for n in out["notes"])
    profile = {r["disaggregation_value"]: (r["estimate"], r["ci_low"], r["ci_high"], r["se"])
               for r in undesa_rows("COL", "CHL")}
    assert profile == cli
    assert all("1000 draws" in r["note"] for r in undesa_rows("COL", "CHL"))
