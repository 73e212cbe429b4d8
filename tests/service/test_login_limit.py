"""Failed sign-ins are limited per (account, client address): a locked account never blocks another, and
behind a trusted reverse proxy the client named in X-Forwarded-For is the one counted and logged."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import make_env
from svc_helpers import PASSWORD


def _try(env, user, password, client_ip=None):
    env.client.cookies.clear()
    h = {"X-Forwarded-For": client_ip} if client_ip else {}
    page = env.client.get("/login", headers=h)
    pre = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return env.client.post(
        "/login",
        data={"username": user, "password": password, "csrf_token": pre},
        headers=h,
        follow_redirects=False,
    )


@pytest.fixture
def proxied(tmp_path: Path, template_data: Path):
    # the test client connects as "testclient": trust it as the reverse proxy
    yield from make_env(tmp_path, template_data, forwarded_allow_ips="testclient")


def test_a_locked_account_blocks_no_other_account(env):
    env.client.headers["Accept-Language"] = "en"  # the service's default is Spanish; this test reads English
    attempts = env.settings.login_attempts
    for _ in range(attempts):
        r = _try(env, "vic", "wrong password")
        assert r.status_code == 401 and "wrong" in r.text
    r = _try(env, "vic", PASSWORD)  # even the right password waits now, for this account from here
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert "other accounts are not affected" in r.text
    for other in ("ana", "admin", "reg"):  # same address, other accounts: signed in at once
        assert _try(env, other, PASSWORD).status_code == 303, other
    env.login("admin")
    entries = env.client.get("/api/v1/audit").json()["data"]
    assert any(e["action"] == "login.throttled" and e["target"] == "user vic" for e in entries)
    assert sum(e["action"] == "login.failed" and e["target"] == "user vic" for e in entries) == attempts


def test_behind_a_trusted_proxy_the_real_client_is_counted_and_logged(proxied):
    env = proxied
    for _ in range(env.settings.login_attempts):
        assert _try(env, "vic", "wrong password", "203.0.113.7").status_code == 401
    assert _try(env, "vic", PASSWORD, "203.0.113.7").status_code == 429
    # the same account from another client behind the same proxy is not locked out
    assert _try(env, "vic", PASSWORD, "198.51.100.20").status_code == 303
    env.login("admin")
    entries = env.client.get("/api/v1/audit").json()["data"]
    failed = [e for e in entries if e["action"] == "login.failed"]
    assert failed and {e["address"] for e in failed} == {"203.0.113.7"}
    assert any(e["action"] == "login" and e["address"] == "198.51.100.20" for e in entries)


def test_an_untrusted_client_cannot_choose_its_address(env):
    for i in range(env.settings.login_attempts):
        assert _try(env, "vic", "wrong password", f"192.0.2.{i}").status_code == 401
    assert _try(env, "vic", PASSWORD, "192.0.2.99").status_code == 429


def test_failed_sign_ins_are_audited(env):
    _try(env, "nobody", "whatever it is")
    env.login("admin")
    entries = env.client.get("/api/v1/audit").json()["data"]
    assert any(e["action"] == "login.failed" and e["target"] == "user nobody" for e in entries)
