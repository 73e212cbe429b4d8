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
