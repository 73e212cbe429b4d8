"""End to end in headless Chromium (Debian's /usr/bin/chromium driven by Playwright): a partner signs in,
reads the Colombia-Chile profile in es/fr/en, filters it, downloads a table, records a training
session and sees the programme's progress move; the browser console stays free of errors."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from svc_helpers import PASSWORD, live_server

pytestmark = pytest.mark.browser
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def server(tmp_path: Path, template_data: Path):
    with live_server(tmp_path, template_data) as (url, _app):
        yield url


def _actual(page) -> float:
    cell = page.locator('#progress-table tr[data-indicator="OP3.1.1"][data-period="2026"][data-dimension="{}"] td.actual')
    # a count with its unit in the page's language ("224 persons", "1.524 personas"): the digits
    return float(re.sub(r"\D", "", cell.inner_text().split(" ")[0]))


def test_partner_journey(server, tmp_path):
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        ctx = browser.new_context(accept_downloads=True, locale="en-GB")
        page = ctx.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        page.goto(server + "/profiles?lang=en")
        assert "/login" in page.url
        page.keyboard.press("Tab")  # the first stop is the skip link
        assert page.evaluate("document.activeElement.className") == "skip"
        page.fill("#username", "reg")
        page.fill("#password", PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url("**/profiles/*")

        for lang, title, number in (
            ("es", "Colombia → Chile", "189.524"),
            ("fr", "Colombie → Chili", "189\u202f524"),
            ("en", "Colombia → Chile", "189,524"),
        ):
            page.click(f'nav.langs a[hreflang="{lang}"]')
            page.wait_for_load_state()
            assert page.locator("html").get_attribute("lang") == lang
            assert page.locator("h1").inner_text() == title
            page.select_option("#f-ind", "migrant_stock")
            page.click("form.filters button[type=submit]")
            page.wait_for_url("**indicator=migrant_stock**")
            assert number in page.locator("#indicator-table").inner_text()

        page.select_option("#f-ind", "unemployment_rate")
        page.select_option("#f-period", "2020")  # the labour survey (ENUSC) is of 2020, the stocks of 2022
        page.select_option("#f-dis", "sex")
        page.click("form.filters button[type=submit]")
        page.wait_for_url("**disaggregation=sex**")
        names = page.locator("#indicator-table tbody th").all_inner_texts()
        assert names and set(names) == {"Unemployment rate"}
        with page.expect_download() as dl:
            page.click("#dl-table-csv")
        path = tmp_path / "table.csv"
        dl.value.save_as(path)
        rows = list(csv.DictReader(path.open(encoding="utf-8")))
        assert (
            rows
            and {r["indicator"] for r in rows} == {"unemployment_rate"}
            and {r["disaggregation"] for r in rows} == {"sex"}
        )

        page.click("nav.main-nav >> text=Programme")
        before = _actual(page)
        assert before == 224
        page.fill("#t-session", "E2E-1")
        page.fill("#t-date", "2026-11-20")
        page.select_option("#t-region", "CL-AN")
        page.fill("#t-facility", "CESFAM Central Oriente")
        page.fill("#t-topic", "Intercultural care")
        for i, (pid, prof, sex) in enumerate((("E1", "nurse", "F"), ("E2", "physician", "M")), start=1):
            page.fill(f'input[name="p{i}_participant_id"]', pid)
            page.select_option(f'select[name="p{i}_profession"]', prof)
            page.select_option(f'select[name="p{i}_sex"]', sex)
            page.fill(f'input[name="p{i}_pre_score"]', "50")
            page.fill(f'input[name="p{i}_post_score"]', "70")
        page.click("#record-form button[type=submit]")
        page.wait_for_url("**saved=1**")
        assert page.locator("p.ok").is_visible()
        assert _actual(page) == before + 2
        assert "E2E-1" in page.locator("#sessions-table").inner_text()
        browser.close()
    assert errors == []


def test_admin_takes_access_away(server):
    """A partner holds a session and an API token; an administrator revokes the token and deactivates
    the partner on the Administration page; the partner's next page and next API call both fail."""
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)

        def sign_in(user: str):
            ctx = browser.new_context(locale="en-GB")
            page = ctx.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server + "/login?lang=en")
            page.fill("#username", user)
            page.fill("#password", PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_url("**/profiles/*")
            return ctx, page

        _partner_ctx, partner = sign_in("reg")
        partner.click("nav.main-nav >> text=Account")
        partner.fill("#tok-name", "field laptop")
        partner.click('form[action="/account/tokens"] button[type=submit]')
        token = partner.locator("#new-token").inner_text()
        assert token.startswith("crd_")
        api = partner.request
        assert api.get(server + "/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status == 200

        _admin_ctx, admin = sign_in("admin")
        admin.click("nav.main-nav >> text=Administration")
        row = admin.locator('#user-table tr[data-user="reg"]')
        row.locator("button.revoke").click()
        admin.wait_for_url("**/admin?saved=1")
        assert api.get(server + "/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status == 401
        admin.locator('#user-table tr[data-user="reg"] button.deactivate').click()
        admin.wait_for_url("**/admin?saved=1")
        assert "deactivated" in admin.locator('#user-table tr[data-user="reg"]').inner_text()

        partner.click("nav.main-nav >> text=Programme")  # the next request of the open session
        partner.wait_for_load_state()
        assert "/login" in partner.url and partner.locator("#password").is_visible()
        partner.fill("#username", "reg")
        partner.fill("#password", PASSWORD)
        partner.keyboard.press("Enter")
        partner.wait_for_load_state()
        assert "/login" in partner.url  # a deactivated account cannot sign in again
        actions = admin.request.get(server + "/api/v1/audit").json()["data"]
        assert {"token.revoke", "user.deactivate"} <= {e["action"] for e in actions}
        browser.close()
    assert errors == []
