"""Failed sign-ins are limited per address and per user name."""

from __future__ import annotations

import re

from svc_helpers import PASSWORD


def _try(env, user, password):
    env.client.cookies.clear()
    page = env.client.get("/login")
    pre = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return env.client.post(
        "/login", data={"username": user, "password": password, "csrf_token": pre}, follow_redirects=False
    )


def test_login_is_rate_limited(env):
    attempts = env.settings.login_attempts
    for _ in range(attempts):
        r = _try(env, "vic", "wrong password")
        assert r.status_code == 401 and "wrong" in r.text
    r = _try(env, "vic", PASSWORD)  # even the right password waits now
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    r = _try(env, "ana", PASSWORD)  # same address
    assert r.status_code == 429
    env.login  # noqa: B018
    env.client.app.state.services.limiter._fails.clear()
    assert _try(env, "vic", PASSWORD).status_code == 303


def test_failed_sign_ins_are_audited(env):
    _try(env, "nobody", "whatever it is")
    env.login("admin")
    entries = env.client.get("/api/v1/audit").json()["data"]
    assert any(e["action"] == "login.failed" and e["target"] == "user nobody" for e in entries)
