"""End to end: ``corridor profile`` -> ``corridor programme refresh --from-profile`` -> ``corridor programme report``.

Every baseline the report shows is the profile's estimate and interval, in the profile's unit; a
profile built on changed input changes the report and leaves a revision (who, when, from, to,
why); the demo's shipped evidence is this same profile.
"""

from __future__ import annotations

import csv
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from babel.numbers import format_decimal, format_percent
from click.testing import CliRunner

from corridor.cli.profile import command as profile_command

from .conftest import DEMO, DEMO_YAML, load_cli

programme_command = load_cli()
SAMPLE = Path(__file__).resolve().parents[2] / "src/corridor/datasets/synthetic_corridor_sample"


class Baselines(HTMLParser):
    """The baseline cells of the results matrix: data attributes and the visible value and interval."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[str, dict] = {}
        self._cell: dict | None = None
        self._span: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "td" and "baseline" in (a.get("class") or "").split():
            self._cell = {**a, "value": "", "ci": ""}
            self.cells[a["data-indicator"]] = self._cell
        elif tag == "span" and self._cell is not None and a.get("class") in ("value", "small ci"):
            self._span = "value" if a["class"] == "value" else "ci"

    def handle_endtag(self, tag):
        if tag == "span":
            self._span = None
        elif tag == "td":
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None and self._span:
            self._cell[self._span] += data


def _shown(v: float, unit: str) -> str:
    """The display rule, restated: percents with one decimal, rates per 100,000 with one, ratios with two."""
    if unit == "percent":
        return format_percent(v / 100, format="#,##0.0%", locale="en")
    return format_decimal(v, format="#,##0.00" if unit == "ratio" else "#,##0.0", locale="en")


def _rows(folder: Path) -> list[dict]:
    return list(csv.DictReader((folder / "indicators.csv").open(encoding="utf-8")))


def _cell(rows: list[dict], src: dict, period: str) -> dict:
    [row] = [r for r in rows if (r["indicator"], r["population"], r["period"]) == (src["indicator"], src["population"], period)
             and ((r["area"] == src["area"] and r["disaggregation"] in ("total", "")) or
                  (r["disaggregation"] == "region" and r["disaggregation_value"] == src["area"]))]
    return row


def _report(tmp_path: Path, db: str, name: str) -> dict[str, dict]:
    runner = CliRunner()
    res = runner.invoke(programme_command, ["--db", db, "report", "--lang", "en", "--no-pdf", "--out",
                                            str(tmp_path / name), "--today", "2026-12-04"])
    assert res.exit_code == 0, res.output
    parser = Baselines()
    parser.feed((tmp_path / name / "programme-report-en.html").read_text(encoding="utf-8"))
    return parser.cells


@pytest.mark.slow
def test_profile_refresh_report_and_revision(tmp_path):
    runner = CliRunner()
    res = runner.invoke(profile_command, ["--origin", "COL", "--destination", "CHL", "--lang", "en", "--out",
                                          str(tmp_path / "profile"), "--no-pdf", "--quiet"])
    assert res.exit_code == 0, res.output
    fresh = _rows(tmp_path / "profile")

    # the programme file without its evidence: values come only from the refresh
    yaml_text = DEMO_YAML.read_text(encoding="utf-8").replace("  evidence: profile_COL_CHL\n", "")
    (tmp_path / "programme.yaml").write_text(yaml_text, encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'p.sqlite'}"

    def run(*args: str) -> str:
        r = runner.invoke(programme_command, ["--db", db, "--user", "m-and-e", *args])
        assert r.exit_code == 0, r.output
        return r.output

    assert "8 evidence indicators have no values yet" in run("load", str(tmp_path / "programme.yaml"))
    assert "refreshed programme CHL-COL-HEALTH-MIGRATION: 10 new" in run("refresh", "--from-profile",
                                                                         str(tmp_path / "profile"))
    cells = _report(tmp_path, db, "report1")

    import yaml

    doc = yaml.safe_load(yaml_text)
    evidence = {i["code"]: i for r in doc["results"] for i in r["indicators"] if "evidence" in i["source"]}
    assert len(evidence) == 8
    for code, ind in evidence.items():
        src, cell = ind["source"]["evidence"], cells[code]
        row = _cell(fresh, src, ind["baseline"]["period"])
        assert cell["data-unit"] == row["unit"] == ind["unit"], code
        assert cell["data-period"] == row["period"]
        if not row["estimate"]:  # the profile could not compute it (fewer than 10 cases): neither does the report
            assert cell["value"] == "not computed" and cell["data-estimate"] == "", code
            continue
        for attr, col in (("data-estimate", "estimate"), ("data-ci-low", "ci_low"), ("data-ci-high", "ci_high")):
            assert float(cell[attr]) == float(row[col]), (code, col)
        unit = row["unit"]
        suffix = {"percent": "", "ratio": "", "per_100000": " per 100,000"}[unit]
        assert cell["value"] == _shown(float(row["estimate"]), unit) + suffix, code
        assert cell["ci"].endswith(f"{_shown(float(row['ci_low']), unit)} – {_shown(float(row['ci_high']), unit)}")

    # the demo ships this same profile's rows (regenerate with scripts/make_programme_demo.py if this fails)
    shipped = _rows(DEMO / "profile_COL_CHL")
    for code, ind in evidence.items():
        a = _cell(shipped, ind["source"]["evidence"], "2022")
        b = _cell(fresh, ind["source"]["evidence"], "2022")
        for col in ("estimate", "ci_low", "ci_high"):
            assert (a[col] == b[col] == "") or float(a[col]) == pytest.approx(float(b[col]), rel=1e-9), \
                f"{code} {col}: shipped {a[col]}, profile {b[col]}; run scripts/make_programme_demo.py"

    # a changed input: the same survey with 10% of the weights raised by half (say, a reweighting)
    table = pq.read_table(SAMPLE / "synthetic_corridor_sample_SYNTHETIC.parquet")
    raised = pa.array(np.arange(table.num_rows) % 10 == 0)
    weights = pc.if_else(raised, pc.multiply(table["weight"], 1.5), table["weight"])
    pq.write_table(table.set_column(table.column_names.index("weight"), "weight", weights),
                   tmp_path / "reweighted.parquet")
    spec = (SAMPLE / "synthetic_corridor_sample.yaml").read_text(encoding="utf-8")
    (tmp_path / "reweighted.yaml").write_text(
        spec.replace("file: synthetic_corridor_sample_SYNTHETIC.parquet", "file: reweighted.parquet"), encoding="utf-8")
    res = runner.invoke(profile_command, ["--origin", "COL", "--destination", "CHL", "--lang", "en", "--out",
                                          str(tmp_path / "profile2"), "--no-pdf", "--quiet", "--data",
                                          str(tmp_path / "reweighted.yaml")])
    assert res.exit_code == 0, res.output
    out = run("refresh", "--from-profile", str(tmp_path / "profile2"), "--reason", "survey reweighted")
    assert "0 new" in out and "0 removed" in out
    cells2 = _report(tmp_path, db, "report2")
    changed = {c for c in evidence if cells2[c]["data-estimate"] != cells[c]["data-estimate"]}
    assert {"IM1.1", "OC1.1", "OC1.2", "OC1.3"} <= changed  # survey-based; notifications did not change
    assert not changed & {"OC2.1", "OC2.2", "OC2.3", "OC2.4"}
    html = (tmp_path / "report2" / "programme-report-en.html").read_text(encoding="utf-8")
    oc11 = html[html.index('data-indicator="OC1.1" data-estimate'):]
    oc11 = oc11[:oc11.index("</td>")]
    before = _shown(float(cells["OC1.1"]["data-estimate"]), "percent")
    after = _shown(float(cells2["OC1.1"]["data-estimate"]), "percent")
    assert f"from {before} (" in oc11 and f"to {after} (" in oc11
    assert "m-and-e: evidence refreshed from" in oc11 and "survey reweighted" in oc11
    log = html[html.index('id="revisions-table"'):]
    assert "Baseline OC1.1 · 2022" in log and "Baseline OC1.1 · 2022 · Sex: women" in log
