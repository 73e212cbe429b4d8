"""One error shape for every refusal, localized error pages, ids within the database's range, no server
paths in messages, and the security headers (with ``Cache-Control: no-store``) on every answer, 500s
included."""

from __future__ import annotations

import pytest

from corridor.service.errors import MAX_ID, scrub

SECURITY = ("content-security-policy", "x-content-type-options", "x-frame-options", "x-request-id")


def _shape(r) -> dict:
    body = r.json()
    assert set(body) == {"error", "hint"}, body
    assert body["error"] and body["hint"]
    return body


def test_api_errors_have_one_shape(env):
    token = env.token("vic")
    h = {"Authorization": f"Bearer {token}"}
    env.client.cookies.clear()
    cases = [
        ("GET", "/api/v1/no-such-thing", 404),  # unknown route
        ("PATCH", "/api/v1/profiles", 405),  # wrong method
        ("GET", "/api/v1/indicators?limit=0", 422),  # invalid parameter
        ("GET", "/api/v1/indicators?area=XYZ", 422),  # corridor's own refusal
        ("GET", "/api/v1/jobs", 403),  # a viewer may not
        ("POST", "/api/v1/programme/trainings", 403),  # a viewer may not write
    ]
    for method, path, status in cases:
        r = env.client.request(method, path, headers=h)
        assert r.status_code == status, (method, path, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/json")
        _shape(r)
    r = env.client.get("/api/v1/indicators?limit=0&lang=fr", headers=h)
    assert "limit" in r.json()["error"] and "n'est pas valide" in r.json()["error"]
    r = env.client.get("/api/v1/me?lang=en")  # no credentials
    assert r.status_code == 401 and _shape(r)["error"] == "sign in first"


def test_ids_beyond_the_database_range_are_not_found(env):
    env.client.headers["Accept-Language"] = "en"  # the service's default is Spanish; this test reads English
    csrf = env.login("admin")
    h = {"X-CSRF-Token": csrf}
    for big in (MAX_ID + 1, 2**63, 2**64 + 5, 0):
        for method, path in (
            ("GET", f"/api/v1/jobs/{big}"),
            ("GET", f"/api/v1/sources/{big}"),
            ("DELETE", f"/api/v1/programme/imports/{big}"),
        ):
            r = env.client.request(method, path, headers=h)
            assert r.status_code == 404, (method, path, r.status_code, r.text)
            _shape(r)
        r = env.client.post(f"/programme/imports/{big}/withdraw", data={"csrf_token": csrf})
        assert r.status_code == 404 and "<html" in r.text
    r = env.client.post("/api/v1/jobs", json={"source": 2**63}, headers=h)
    assert r.status_code == 422 and "not a registered source id" in _shape(r)["error"]
    # the connection is still usable afterwards
    assert env.client.get("/api/v1/me").status_code == 200


def test_browsers_get_localized_error_pages(env):
    env.login("vic")
    for lang, text in (
        ("es", "No hay nada en esta dirección"),
        ("fr", "rien à cette adresse"),
        ("en", "nothing at"),
    ):
        r = env.client.get(f"/no/such/page?lang={lang}", headers={"Accept": "text/html"})
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
        assert text in r.text and f'<html lang="{lang}">' in r.text
    r = env.client.put("/profiles?lang=es", headers={"Accept": "text/html"})
    assert r.status_code == 405 and "no acepta una solicitud PUT" in r.text


def test_an_invalid_bearer_token_on_a_page_does_not_loop(env):
    env.client.cookies.clear()
    h = {"Authorization": "Bearer crd_not-a-token", "Accept": "text/html"}
    for path in ("/profiles", "/"):
        r = env.client.get(path, headers=h, follow_redirects=False)
        assert r.status_code == 401, (path, r.status_code)
        assert "location" not in r.headers
    r = env.client.get("/login", headers=h, follow_redirects=False)
    assert r.status_code == 200 and 'name="password"' in r.text  # the sign-in page is public
    r = env.client.get("/api/v1/me", headers={"Authorization": "Bearer crd_not-a-token"})
    assert r.status_code == 401 and _shape(r)


@pytest.fixture
def boom(env):
    def fail() -> None:
        raise RuntimeError(f"secret detail at {env.settings.data_dir.resolve()}/corridor.sqlite")

    env.client.app.router.add_api_route("/api/v1/boom", fail)
    env.client.app.router.add_api_route("/boom", fail)
    return env


def test_server_errors_carry_headers_and_no_detail(boom, caplog):
    env = boom
    env.login("vic")
    r = env.client.get("/api/v1/boom")
    assert r.status_code == 500
    body = _shape(r)
    assert r.headers["x-request-id"] in body["error"] and "secret" not in r.text
    for h in SECURITY:
        assert h in r.headers, h
    assert r.headers["cache-control"] == "no-store"
    r = env.client.get("/boom?lang=es", headers={"Accept": "text/html"})
    assert r.status_code == 500 and "Algo falló en el servidor" in r.text and "secret" not in r.text
    assert "content-security-policy" in r.headers
    assert any("secret detail" in str(rec.exc_info) for rec in caplog.records if rec.exc_info)
    assert env.client.get("/health").status_code == 200  # the service carries on


def test_every_answer_has_security_headers_and_private_ones_no_store(env):
    token = env.token("vic")
    env.client.cookies.clear()
    for path, headers in (
        ("/login", {}),
        ("/profiles", {"Authorization": f"Bearer {token}"}),
        ("/api/v1/indicators", {"Authorization": f"Bearer {token}"}),
        ("/api/v1/me", {}),
        ("/nowhere", {}),
        ("/health", {}),
    ):
        r = env.client.get(path, headers=headers, follow_redirects=False)
        for h in SECURITY:
            assert h in r.headers, (path, h)
        assert r.headers["cache-control"] == "no-store", path
    assert env.client.get("/static/corridor.css").headers.get("cache-control") != "no-store"


def test_messages_name_no_server_path(env, tmp_path):
    data = env.settings.data_dir.resolve()
    assert scrub(f"cannot read {data}/uploads/x-1.csv as XLSX") == "cannot read x-1.csv as XLSX"
    assert str(tmp_path) not in scrub(f"file {tmp_path}/a/b.csv is bad")
    csrf = env.login("ana")
    r = env.client.post(
        "/api/v1/sources", json={"name": "x", "path": "sources/none.csv"}, headers={"X-CSRF-Token": csrf}
    )
    assert r.status_code == 422 and str(data) not in r.text


def test_the_programme_names_its_evidence_without_server_folders(env):
    """The programme's evidence section (page and API) names the run or table, not where it lies."""
    from pathlib import Path

    import corridor

    roots = {str(Path(corridor.__file__).resolve().parents[1]), str(env.settings.data_dir.resolve())}
    env.login("vic")
    api = env.client.get("/api/v1/programme").json()
    assert api["evidence"]["file"] == "profile_COL_CHL"  # the demo profile's folder
    page = env.client.get("/programme?lang=en").text
    assert "<code>profile_COL_CHL</code>" in page
    for text in (str(api), page):
        assert not any(r in text for r in roots)
