"""The profile's disease-burden section: rates and ratios of corridor.epi, suppression, three languages."""

from __future__ import annotations

import math
from html import unescape

import pyarrow.parquet as pq
import pytest

from corridor.epi import rate_ratio
from corridor.report import burden
from corridor.report.locale import messages


def _latest(data):
    year = data["year"].max()
    return data[(data["year"] == year) & data["population_group"].isin(["colombia", "rest"])]


@pytest.mark.parametrize("lang", ["es", "fr", "en"])
def test_section_present_in_every_language(outputs, lang) -> None:
    html = outputs[lang]["html"].read_text(encoding="utf-8")
    msgs = messages(lang)
    assert 'id="sec-burden"' in html and 'id="table-burden"' in html and 'data-chart="rate-ratios"' in html
    assert msgs["sec_burden"] in html and msgs["burden_synthetic_note"].split(":")[0] in html
    assert msgs["diseases"]["tuberculosis"] in html
    assert 'data-source="demo_notifications"' in html  # listed under methods and sources
    # the chart's source caption in the page's language; the tidy table keeps its own source text
    text = unescape(html)
    assert msgs["burden_source"] in text and (lang == "en" or burden.SOURCE not in text)


def test_rate_ratios_equal_corridor_epi(profile) -> None:
    """The section's ratios are corridor.epi's on the same inputs (latest year, Colombian migrants vs rest)."""
    df = _latest(burden.demo_data())
    tb = df[df["disease"] == "tuberculosis"]
    crude = rate_ratio(tb, "cases", "population", compare="population_group", reference="rest", numerator="colombia").iloc[0]
    row = profile.rows(indicator="notification_rate_ratio_tuberculosis", population="gap")[0]
    assert row["estimate"] == pytest.approx(crude["value"], rel=1e-12)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((crude["lowercl"], crude["uppercl"]), rel=1e-12)
    # the crude ratio is the ratio of the two crude rates
    rates = {p: profile.rows(indicator="notification_rate_tuberculosis", population=p)[0]["estimate"] for p in ("corridor", "natives")}
    assert row["estimate"] == pytest.approx(rates["corridor"] / rates["natives"], rel=1e-12)
    hiv = df[df["disease"] == "hiv"]
    std = rate_ratio(hiv, "cases", "population", compare="population_group", reference="rest", numerator="colombia",
                     age="age_group", standard="esp2013").iloc[0]
    row = profile.rows(indicator="notification_dsr_ratio_hiv", population="gap")[0]
    assert row["estimate"] == pytest.approx(std["value"], rel=1e-12)
    assert row["period"] == 2022 and row["area"] == "CL-AN" and row["synthetic"] is True


def test_tidy_rows_and_names(profile, outputs) -> None:
    rows = [r for r in profile.table.to_pylist() if r["indicator"].startswith("notification_")]
    assert len(rows) == 3 * (2 * 3 + 2)  # 3 diseases x (2 groups x count, rate, DSR + 2 ratios)
    assert all(r["synthetic"] and r["source"].startswith("SYNTHETIC") and r["suppressed"] is not None for r in rows)
    t = pq.read_table(outputs["fr"]["parquet"])
    names = dict(zip(t.column("indicator").to_pylist(), t.column("indicator_name").to_pylist()))
    assert names["notification_rate_tuberculosis"] == "Taux brut de notification pour 100 000\u00a0: tuberculose"


def test_dsr_not_given_below_ten_cases(profile) -> None:
    """PHE's rule: Colombian tuberculosis cases in 2022 are 9, so no DSR nor standardised ratio."""
    count = profile.rows(indicator="notification_count_tuberculosis", population="corridor")[0]["estimate"]
    assert count < 10
    assert profile.rows(indicator="notification_dsr_tuberculosis", population="corridor")[0]["estimate"] is None
    assert profile.rows(indicator="notification_dsr_ratio_tuberculosis", population="gap")[0]["estimate"] is None


def test_small_counts_suppressed_without_value() -> None:
    """A count of 1 to MIN_COUNT - 1 is suppressed with its rates and ratios: no value, no interval."""
    data = burden.demo_data()
    latest = data["year"] == data["year"].max()
    mask = latest & (data["population_group"] == "colombia") & (data["disease"] == "syphilis")
    data.loc[mask, "cases"] = 0.0
    data.loc[mask & (data["age_group"] == "25-29") & (data["sex"] == "male"), "cases"] = 3.0
    rows = burden.burden_rows(data)
    hidden = [r for r in rows if r["indicator"].endswith("_syphilis") and r["population"] in ("corridor", "gap")]
    assert len(hidden) == 5
    for r in hidden:  # the cells withheld for their count; the ratios that compare them follow them
        assert r["suppressed"] is True
        assert r["suppression_reason"] == ("secondary" if r["population"] == "gap" else "primary_min_count")
        assert r["estimate"] is None and r["ci_low"] is None and r["ci_high"] is None and r["n"] is None
    shown = [r for r in rows if not r["indicator"].endswith("_syphilis")]
    assert not any(r["suppressed"] for r in shown) and all(
        r["estimate"] is not None and not math.isnan(r["estimate"]) for r in shown if r["indicator"].startswith("notification_count"))


def test_suppressed_cells_render_as_dash_with_reason(profile) -> None:
    """On the page a suppressed cell shows "—" and the reason, never the hidden value."""
    import dataclasses

    import pyarrow as pa

    from corridor.indicators.table import to_table
    from corridor.report.render import render_html

    data = burden.demo_data()
    mask = (data["year"] == data["year"].max()) & (data["population_group"] == "colombia") & (data["disease"] == "hiv")
    data.loc[mask, "cases"] = 0.0
    data.loc[mask & (data["age_group"] == "30-34") & (data["sex"] == "male"), "cases"] = 2.0
    keep = [r for r in profile.table.to_pylist() if not r["indicator"].startswith("notification_")]
    table = pa.concat_tables([to_table(keep), to_table(burden.burden_rows(data))])
    extra = {"section_sources": profile.extra["section_sources"]}  # without the cached rows of the original table
    html = render_html(dataclasses.replace(profile, table=table, extra=extra), "en")
    start = html.index('<tr data-disease="hiv" data-group="0">')
    row = html[start:html.index("</tr>", start)]
    assert row.count('<span class="v">—</span>') == 5
    assert "suppressed: fewer than 5 cases" in row
    # 2 cases / 32,840 = 6.1 per 100,000: not on the page
    assert ">2<" not in row and "6.1" not in row


@pytest.mark.parametrize("lang", ["es", "fr", "en"])
def test_disease_row_headings_start_with_a_capital(outputs, lang) -> None:
    """The table's rows read 'VIH', 'Syphilis', 'Tuberculose' (they read 'VIH', 'syphilis', 'tuberculose')."""
    import re

    html = unescape(outputs[lang]["html"].read_text(encoding="utf-8"))
    table = html.split('id="table-burden"', 1)[1].split("</table>", 1)[0]
    headings = re.findall(r'<td rowspan="2"><strong>([^<]+)</strong>', table)
    assert len(headings) == 3 and all(h[0].isupper() for h in headings), headings
