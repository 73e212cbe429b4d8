"""Access can be taken away: tokens are revoked or expire, users are deactivated, roles and passwords change,
sessions end, and every change and every refusal is in the audit log."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, update
from svc_helpers import PASSWORD

from corridor.service.store import ApiToken, User, session_scope


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _uid(env, name: str) -> int:
    with session_scope(env.client.app.state.services.engine) as s:
        return s.scalar(select(User.id).where(User.username == name))


def _audit(env) -> list[dict]:
    token = env.token("admin")
    return env.client.get("/api/v1/audit?limit=1000", headers=_bearer(token)).json()["data"]


def test_a_revoked_token_is_refused_at_once(env):
    env.client.headers["Accept-Language"] = "en"  # the service's default is Spanish; this test reads English
    csrf = env.login("vic")
    r = env.client.post("/api/v1/me/tokens", json={"name": "laptop"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201
    made = r.json()
    assert made["token"].startswith("crd_") and made["expires_at"]  # the default lifetime applies
    expires = dt.datetime.fromisoformat(made["expires_at"].rstrip("Z"))
    assert abs((expires - dt.datetime.now(dt.UTC).replace(tzinfo=None)).days - env.settings.token_days) <= 1
    env.client.cookies.clear()
    assert env.client.get("/api/v1/me", headers=_bearer(made["token"])).status_code == 200
    listed = env.client.get("/api/v1/me/tokens", headers=_bearer(made["token"])).json()["data"]
    assert [t["name"] for t in listed] == ["laptop"] and "token" not in listed[0]
    r = env.client.delete(f"/api/v1/me/tokens/{made['id']}", headers=_bearer(made["token"]))
    assert r.status_code == 200
    r = env.client.get("/api/v1/me", headers=_bearer(made["token"]))
    assert r.status_code == 401 and r.json()["error"] == "the API token was revoked"
    entries = _audit(env)
    assert any(e["action"] == "token.revoke" and e["user"] == "vic" for e in entries)
    assert any(e["action"] == "refused.401" and e["target"] == "GET /api/v1/me" for e in entries)


def test_an_expired_token_is_refused(env):
    env.client.headers["Accept-Language"] = "en"  # the service's default is Spanish; this test reads English
    token = env.token("vic")
    with session_scope(env.client.app.state.services.engine) as s:
        s.execute(update(ApiToken).values(expires_at=dt.datetime(2020, 1, 1)))
    r = env.client.get("/api/v1/me", headers=_bearer(token))
    assert r.status_code == 401 and r.json()["error"] == "the API token has expired"


def test_a_deactivated_user_is_refused_at_once_and_can_be_reactivated(env):
    env.client.headers["Accept-Language"] = "en"  # the service's default is Spanish; this test reads English
    partner_token = env.token("reg")
    env.login("reg")
    partner_cookies = dict(env.client.cookies)
    assert env.client.get("/api/v1/me").status_code == 200
    admin_token = env.token("admin")
    uid = _uid(env, "reg")
    r = env.client.patch(f"/api/v1/users/{uid}", json={"active": False}, headers=_bearer(admin_token))
    assert r.status_code == 200 and r.json()["active"] is False
    env.client.cookies.clear()
    r = env.client.get("/api/v1/programme", headers=_bearer(partner_token))
    assert r.status_code == 401 and "deactivated" in r.json()["error"]
    env.client.cookies.update(partner_cookies)  # the session cookie of before
    assert env.client.get("/api/v1/me").status_code == 401
    env.client.cookies.clear()
    page = env.client.get("/login")
    pre = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = env.client.post("/login", data={"username": "reg", "password": PASSWORD, "csrf_token": pre})
    assert r.status_code == 401
    r = env.client.patch(f"/api/v1/users/{uid}", json={"active": True}, headers=_bearer(admin_token))
    assert r.status_code == 200 and r.json()["active"] is True
    env.login("reg")
    assert env.client.get("/api/v1/me").json()["username"] == "reg"
    actions = [e["action"] for e in _audit(env)]
    assert "user.deactivate" in actions and "user.reactivate" in actions


def test_a_role_change_applies_to_the_next_request(env):
    env.client.headers["Accept-Language"] = "en"  # the service's default is Spanish; this test reads English
    token = env.token("vic")
    assert env.client.get("/api/v1/jobs", headers=_bearer(token)).status_code == 403
    admin = env.token("admin")
    r = env.client.patch(
        f"/api/v1/users/{_uid(env, 'vic')}", json={"role": "analyst"}, headers=_bearer(admin)
    )
    assert r.status_code == 200 and r.json()["role"] == "analyst"
    assert env.client.get("/api/v1/jobs", headers=_bearer(token)).status_code == 200
    r = env.client.patch(
        f"/api/v1/users/{_uid(env, 'vic')}", json={"role": "partner"}, headers=_bearer(admin)
    )
    assert r.status_code == 422 and "organisation" in r.json()["error"]
    entries = _audit(env)
    assert any(e["action"] == "user.role" and e["detail"]["to"] == "analyst" for e in entries)
    assert any(e["action"] == "user.change.refused" for e in entries)


def test_the_service_keeps_an_active_administrator(env):
    admin = env.token("admin")
    me = _uid(env, "admin")
    for body in ({"active": False}, {"role": "viewer"}):
        r = env.client.patch(f"/api/v1/users/{me}", json=body, headers=_bearer(admin))
        assert r.status_code == 409, r.text
    assert env.client.get("/api/v1/me", headers=_bearer(admin)).json()["role"] == "admin"


def test_changing_a_password_ends_every_session(env):
    env.client.headers["Accept-Language"] = "en"  # the service's default is Spanish; this test reads English
    env.login("vic")
    other_browser = dict(env.client.cookies)
    csrf = env.login("vic")
    r = env.client.put(
        "/api/v1/me/password",
        json={"current_password": "not my password", "new_password": "a brand new passphrase"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 403 and r.json()["error"] == "the current password is wrong"
    r = env.client.put(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 200 and r.json()["sessions_ended"] == 2
    assert env.client.get("/api/v1/me").status_code == 401  # this session too (an API client has no other)
    env.client.cookies.clear()
    env.client.cookies.update(other_browser)
    assert env.client.get("/api/v1/me").status_code == 401
    env.login("vic", "a brand new passphrase")
    actions = [e["action"] for e in _audit(env)]
    assert "user.password" in actions and "user.password.refused" in actions


def test_the_account_page_changes_the_password_and_keeps_this_browser_signed_in(env):
    env.login("vic")
    other_browser = dict(env.client.cookies)
    csrf = env.login("vic")
    r = env.client.post(
        "/account/password",
        data={"csrf_token": csrf, "current_password": PASSWORD, "new_password": "another passphrase!"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/account?saved=1"
    assert env.client.get("/account").status_code == 200  # the fresh session of this browser
    env.client.cookies.clear()
    env.client.cookies.update(other_browser)
    assert env.client.get("/account", follow_redirects=False).status_code == 303  # signed out


def test_an_administrator_resets_a_password_and_revokes_tokens_on_the_page(env):
    env.client.headers["Accept-Language"] = "en"  # the service's default is Spanish; this test reads English
    token = env.token("reg")
    env.login("reg")
    partner_browser = dict(env.client.cookies)
    csrf = env.login("admin")
    uid = _uid(env, "reg")
    page = env.client.get("/admin").text
    tid = re.search(rf'action="/admin/users/{uid}/tokens/(\d+)/revoke"', page).group(1)
    r = env.client.post(
        f"/admin/users/{uid}/tokens/{tid}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert r.status_code == 303
    assert env.client.get("/api/v1/me", headers=_bearer(token)).status_code == 401
    r = env.client.post(f"/admin/users/{uid}/password", data={"csrf_token": csrf, "password": "short"})
    assert r.status_code == 422 and "at least 10" in r.text
    r = env.client.post(
        f"/admin/users/{uid}/password",
        data={"csrf_token": csrf, "password": "reset by the admin"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    env.client.cookies.clear()
    env.client.cookies.update(partner_browser)
    assert env.client.get("/api/v1/me").status_code == 401
    env.login("reg", "reset by the admin")


def test_refusals_are_audited(env):
    viewer = env.token("vic")
    assert env.client.get("/api/v1/audit", headers=_bearer(viewer)).status_code == 403
    env.login("ana")
    r = env.client.post("/api/v1/jobs", json={})  # a cookie write without the CSRF header
    assert r.status_code == 403
    env.client.cookies.clear()
    assert env.client.get("/api/v1/me", headers=_bearer("crd_guessed")).status_code == 401
    entries = _audit(env)
    got = {(e["action"], e["target"], e["user"]) for e in entries}
    assert ("refused.403", "GET /api/v1/audit", "vic") in got
    assert ("refused.csrf", "POST /api/v1/jobs", "ana") in got
    assert ("refused.401", "GET /api/v1/me", None) in got
