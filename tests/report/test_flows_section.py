"""The profile's flows section: UN DESA stock differencing with intervals, INE/SERMIG changes, SERMIG permits."""

from __future__ import annotations

import csv

import pytest
from shared_data import SHARED

from corridor.report import flows_section
from corridor.report.locale import messages


@pytest.mark.parametrize("lang", ["es", "fr", "en"])
def test_section_present_in_every_language(outputs, lang) -> None:
    html = outputs[lang]["html"].read_text(encoding="utf-8")
    msgs = messages(lang)
    assert 'id="sec-flows"' in html and 'id="table-flows"' in html and 'data-chart="flows"' in html
    assert msgs["sec_flows"] in html and 'id="table-stock-changes"' in html and 'id="table-permits"' in html
    # the permits' source is named in the page's language (its publisher's wording stays in the table)
    assert "UN DESA, International Migrant Stock 2019" in html and msgs["source_names"]["sermig_permits"] in html
    assert 'data-source="sermig_permits"' in html


def test_stock_difference_2015_2019(profile, outputs) -> None:
    """UN DESA International Migrant Stock 2019, Colombia-born in Chile: 73,601 (2015), 120,626 (2019)."""
    row = profile.rows(indicator="flow_estimate_stock_diff", disaggregation_value="2015-2019")[0]
    assert row["estimate"] == 120_626 - 73_601 == 47_025
    assert row["ci_low"] < row["estimate"] < row["ci_high"]
    assert row["source"].startswith("UN DESA") and not row["synthetic"]
    assert "1000 draws" in row["note"] and "relative error 10%" in row["note"]
    html = outputs["es"]["html"].read_text(encoding="utf-8")
    assert '<td class="num"><strong>47.025</strong></td>' in html


def test_stock_changes_are_consecutive_differences(profile) -> None:
    """INE/SERMIG Tabla 4, Colombia: 153,076 (2018) ... 189,524 (2022); changes +14,458 ... +5,397."""
    changes = {r["disaggregation_value"]: r["estimate"] for r in profile.rows(indicator="stock_change")}
    assert changes == {"2018-2019": 14_458, "2019-2020": 2_770, "2020-2021": 13_823, "2021-2022": 5_397}


def test_permits_match_the_published_table() -> None:
    """The shipped region table sums to the SERMIG comuna table for Colombians (read here independently)."""
    src = SHARED / "chile_ine_sermig_foreign_residents" / "derived_residencias_comuna_pais_2023.csv"
    expected: dict[str, float] = {}
    with src.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter=";"):
            if r["pais"] == "Colombia":
                key = f"{r['residencia'].lower()}_{r['estado'].lower()}"
                expected[key] = expected.get(key, 0) + float(r["n"])
    got = {r["level"]: r["estimate"] for r in flows_section.permit_rows("COL", "CHL")}
    assert got == expected and got["temporal_otorgadas"] == 13_325


def test_no_permits_outside_chile() -> None:
    assert flows_section.permit_rows("COL", "ARG") == []
