"""--region highlights another region: its key figure is INE/SERMIG's, its bar and table row stand out."""

from __future__ import annotations

import dataclasses
import re

from corridor.report.render import render_html


def test_tarapaca(profile) -> None:
    p = dataclasses.replace(profile, region="CL-TA", highlight="CL-TA", extra={})
    stock = next(r["estimate"] for r in p.rows(indicator="migrant_stock", population="corridor", disaggregation="region",
                                             disaggregation_value="CL-TA"))
    html = render_html(p, "en")
    m = re.search(r'data-figure="stock-region"><span class="big">([^<]+)</span><span class="what">([^<]+)', html)
    assert m and m.group(1) == f"{stock:,.0f}" and "Tarapacá" in m.group(2)
    assert '<tr class="highlight" data-region="CL-TA">' in html
    # the survey sections' second table is the highlighted region's
    assert re.search(r'<h3>Tarapacá</h3>\s*<table class="data indicators" id="table-labour-region">', html)


def test_region_names_are_pycountry_s(tmp_path, monkeypatch) -> None:
    """Region names come from the disk cache of each country's ISO 3166-2 names: the names pycountry gives,
    whatever the case of the code, and the code itself for what is no subdivision."""
    import pycountry

    from corridor.report import locale

    monkeypatch.setenv("CORRIDOR_CACHE_DIR", str(tmp_path))
    codes = [s.code for c in ("CL", "CO", "PE", "FR") for s in pycountry.subdivisions.get(country_code=c)]
    codes += [c.lower() for c in codes[:20]] + ["CL", "_T", "XX-YY", "CL-ZZ", "C1-AN", "-", ""]
    for attempt in ("computed", "read back"):
        locale.region_name.cache_clear()
        locale._subdivision_names.cache_clear()
        for code in codes:
            s = pycountry.subdivisions.get(code=code)
            expected = locale._SHORT_REGIONS.get(code) or (s.name if s is not None else code)
            assert locale.region_name(code) == expected, (attempt, code)
        assert len(list((tmp_path / "subdivisions").glob("*.json"))) == 5  # CL, CO, PE, FR and XX (none)
    locale.region_name.cache_clear()
    locale._subdivision_names.cache_clear()
