"""CSRF: every form post and every cookie-authenticated API write needs the session's token."""

from __future__ import annotations

import re


def test_form_post_without_or_with_wrong_token_is_refused(env):
    env.client.headers["Accept-Language"] = "en"  # the service's default is Spanish; this test reads English
    env.login("ana")
    for data in ({"status": "done"}, {"status": "done", "csrf_token": "forged"}):
        r = env.client.post("/programme/commitments/PROPOSAL-OCT", data=data)
        assert r.status_code == 403 and "security token" in r.text
    assert _status(env, "PROPOSAL-OCT") == "planned"


def test_form_post_with_token_is_accepted(env):
    csrf = env.login("ana")
    r = env.client.post(
        "/programme/commitments/PROPOSAL-OCT",
        data={"status": "done", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert _status(env, "PROPOSAL-OCT") == "done"


def test_cookie_api_write_needs_header_token_but_bearer_does_not(env):
    csrf = env.login("ana")
    url = "/api/v1/programme/commitments/PROPOSAL-OCT"
    assert env.client.put(url, json={"status": "in_progress"}).status_code == 403
    assert (
        env.client.put(url, json={"status": "in_progress"}, headers={"X-CSRF-Token": csrf}).status_code == 200
    )
    tok = env.token("ana")
    env.client.cookies.clear()
    r = env.client.put(url, json={"status": "cancelled"}, headers={"Authorization": f"Bearer {tok}"})
    assert r.status_code == 200 and r.json() == {"code": "PROPOSAL-OCT", "status": "cancelled"}


def test_token_of_another_session_is_refused(env):
    other = env.login("vic")
    env.login("ana")
    r = env.client.post("/programme/commitments/PROPOSAL-OCT", data={"status": "done", "csrf_token": other})
    assert r.status_code == 403


def test_sign_in_form_needs_its_own_token(env):
    env.client.cookies.clear()
    env.client.get("/login")
    r = env.client.post(
        "/login", data={"username": "ana", "password": "a long test passphrase"}, follow_redirects=False
    )
    assert r.status_code == 403
    page = env.client.get("/login")
    pre = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    env.client.cookies.clear()  # the token is bound to the cookie the page set
    r = env.client.post(
        "/login",
        data={"username": "ana", "password": "a long test passphrase", "csrf_token": pre},
        follow_redirects=False,
    )
    assert r.status_code == 403


def test_sign_out_ends_the_session(env):
    csrf = env.login("vic")
    assert env.client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert env.client.get("/api/v1/me").status_code == 401


def _status(env, code: str) -> str:
    return next(c["status"] for c in env.client.get("/api/v1/programme").json()["commitments"] if c["code"] == code)
