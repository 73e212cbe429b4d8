"""Every route refuses anonymous access except the public ones; roles limit what each user may do."""

from __future__ import annotations

import re

from starlette.routing import Route

PUBLIC = {"/health", "/login", "/api/v1/openapi.json"}
VALUES = {
    "run_id": None,
    "chart": "gaps",
    "fmt": "csv",
    "lang": "es",
    "import_id": "1",
    "code": "PROPOSAL-OCT",
    "job_id": "1",
    "source_id": "1",
    "indicator_id": "unemployment_rate",
    "value_id": "1",
    "period": "2026",
    "organisation": "IOM",
    "action": "submit",
    "token_id": "1",
    "user_id": "1",
}


def _all_routes(app):
    from corridor.service import api, pages, pages_admin, pages_profiles, pages_programme

    routers = (api, pages, pages_profiles, pages_programme, pages_admin)
    return [r for r in app.routes if isinstance(r, Route)] + [
        r for m in routers for r in m.router.routes if isinstance(r, Route)
    ]


def _routes(env):
    out = []
    for r in _all_routes(env.client.app):
        path = r.path
        for name in re.findall(r"{(\w+)}", path):
            path = path.replace("{" + name + "}", VALUES[name] or env.run_id)
        for method in sorted(r.methods - {"HEAD"}):
            out.append((method, path, r.path))
    return out


def test_every_route_refuses_anonymous_except_public(env):
    env.client.headers["Accept-Language"] = "en"  # the service's default is Spanish; this test reads English
    routes = _routes(env)
    assert len(routes) > 40
    checked = 0
    for method, path, template in routes:
        env.client.cookies.clear()
        r = env.client.request(method, path, follow_redirects=False)
        if template in PUBLIC:
            assert r.status_code < 400 or method == "POST", (method, path, r.status_code)
            continue
        if template == "/":
            assert r.status_code == 303 and r.headers["location"] == "/login"
            continue
        if path.startswith("/api/"):
            assert r.status_code in (401, 422) if method != "GET" else r.status_code == 401, (
                method,
                path,
                r.status_code,
            )
            if r.status_code == 401:
                assert r.json()["error"] == "sign in first"
        else:
            # pages send the browser to sign in; form posts are refused the same way
            assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), (
                method,
                path,
                r.status_code,
            )
        checked += 1
    assert checked > 35


def test_static_and_health_are_public(env):
    env.client.cookies.clear()
    assert env.client.get("/static/corridor.css").status_code == 200
    h = env.client.get("/health").json()
    assert h["status"] == "ok" and h["database"] is True and h["profiles"] == 1


def test_viewer_reads_published_outputs_only(env):
    env.login("vic")
    for path in (
        "/profiles/" + env.run_id,
        "/indicators",
        "/programme",
        "/api/v1/indicators",
        "/api/v1/programme",
    ):
        assert env.client.get(path).status_code == 200, path
    for path in (
        "/sources",
        "/jobs",
        "/admin",
        "/api/v1/sources",
        "/api/v1/jobs",
        "/api/v1/audit",
        "/api/v1/users",
    ):
        assert env.client.get(path).status_code == 403, path


def test_viewer_cannot_write(env):
    csrf = env.login("vic")
    h = {"X-CSRF-Token": csrf}
    assert env.client.post("/api/v1/jobs", json={}, headers=h).status_code == 403
    assert (
        env.client.post("/api/v1/sources", json={"name": "x", "path": "a.csv"}, headers=h).status_code == 403
    )
    assert (
        env.client.put(
            "/api/v1/programme/commitments/PROPOSAL-OCT", json={"status": "done"}, headers=h
        ).status_code
        == 403
    )
    assert env.client.delete("/api/v1/programme/imports/1", headers=h).status_code == 403
    r = env.client.post(
        "/programme/trainings", data={"csrf_token": csrf, "session_id": "V1"}, follow_redirects=False
    )
    assert r.status_code == 403
    r = env.client.post("/programme/commitments/PROPOSAL-OCT", data={"csrf_token": csrf, "status": "done"})
    assert r.status_code == 403
    # nothing changed
    prog = env.client.get("/api/v1/programme").json()
    assert next(c for c in prog["commitments"] if c["code"] == "PROPOSAL-OCT")["status"] == "planned"
    assert [b["id"] for b in prog["imports"]] == [1]


def test_analyst_cannot_administer(env):
    csrf = env.login("ana")
    assert env.client.get("/admin").status_code == 403
    r = env.client.post(
        "/api/v1/users",
        json={"username": "x", "password": "0123456789ab", "role": "admin"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 403


def test_admin_creates_user_and_it_can_sign_in(env):
    csrf = env.login("admin")
    r = env.client.post(
        "/admin/users",
        data={"csrf_token": csrf, "username": "newbie", "password": "another long one", "role": "viewer"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    env.login("newbie", "another long one")
    assert env.client.get("/api/v1/me").json()["role"] == "viewer"


def test_api_token_authenticates_and_bad_token_is_refused(env):
    tok = env.token("vic")
    env.client.cookies.clear()
    r = env.client.get("/api/v1/me", headers={"Authorization": f"Bearer {tok}"})
    assert r.status_code == 200 and r.json() == {
        "id": 3,
        "username": "vic",
        "role": "viewer",
        "organisation": None,
        "active": True,
        "via": "token",
    }
    r = env.client.get("/api/v1/me", headers={"Authorization": "Bearer crd_not-a-token"})
    assert r.status_code == 401


def test_open_redirect_after_sign_in_is_refused(env):
    env.client.cookies.clear()
    page = env.client.get("/login")
    pre = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = env.client.post(
        "/login",
        data={
            "username": "vic",
            "password": "a long test passphrase",
            "csrf_token": pre,
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/profiles"
