"""The HTML page in headless Chromium (Debian's chromium): no console error, figures and tables present."""

from __future__ import annotations

import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if shutil.which(CHROMIUM) is None:
        pytest.fail("chromium not found: apt-get install -y chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["es", "fr", "en"])
def test_page_loads_cleanly(browser, outputs, lang: str) -> None:
    html = outputs[lang]["html"]
    errors: list[str] = []
    page = browser.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    page.goto(html.as_uri())
    page.wait_for_load_state("load")
    charts = page.locator("svg.chart")
    assert charts.count() >= 6
    for chart in ("trend", "regions", "pyramid", "gaps-labour"):
        box = page.locator(f'svg[data-chart="{chart}"]').bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100, chart
    assert page.locator("#table-labour tbody tr").count() >= 6
    # 16 regions, the people whose region is not recorded, the total
    assert page.locator("#table-regions tbody tr").count() == 18
    assert page.locator("#table-definitions tbody tr").count() >= 21
    assert page.locator("#key-figures .card").count() >= 6
    assert page.locator("#synthetic-banner").is_visible()
    page.screenshot(path=str(html.with_suffix(".png")), full_page=False)
    page.close()
    assert errors == []
