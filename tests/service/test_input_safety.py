"""User-supplied names are escaped; paths cannot leave the data folder; uploads have size and type limits."""

from __future__ import annotations

import io

from svc_helpers import training_form as _form

XSS = '<script>alert("x")</script>'


def test_script_in_a_recorded_session_is_escaped(env):
    csrf = env.login("reg")
    data = _form(csrf)
    data["facility"] = XSS
    data["session_id"] = "X<img src=x onerror=alert(1)>"
    assert env.client.post("/programme/trainings", data=data, follow_redirects=False).status_code == 303
    page = env.client.get("/programme").text
    assert XSS not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "'self'" in env.client.get("/programme").headers["content-security-policy"]


def test_script_in_names_of_sources_and_users_is_escaped(env, tmp_path):
    (env.settings.data_dir / "sources" / "small.csv").write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    csrf = env.login("admin")
    r = env.client.post(
        "/sources",
        data={"csrf_token": csrf, "name": XSS, "path": "sources/small.csv"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = env.client.get("/sources").text
    assert XSS not in page and "&lt;script&gt;" in page and ">2<" not in page  # no microdata values shown
    r = env.client.post(
        "/admin/users",
        data={"csrf_token": csrf, "username": XSS, "password": "0123456789ab", "role": "viewer"},
    )
    assert r.status_code == 422 and XSS not in r.text


def test_path_traversal_is_refused(env, tmp_path):
    env.client.headers["Accept-Language"] = "en"  # the service's default is Spanish; this test reads English
    secret = tmp_path / "outside.csv"
    secret.write_text("a\n1\n", encoding="utf-8")
    (env.settings.data_dir / "sources" / "link.csv").symlink_to(secret)
    csrf = env.login("ana")
    h = {"X-CSRF-Token": csrf}
    for path in ("../outside.csv", str(secret), "sources/../../outside.csv", "sources/link.csv"):
        r = env.client.post("/api/v1/sources", json={"name": f"n{len(path)}", "path": path}, headers=h)
        assert r.status_code == 403, (path, r.text)
        assert "outside the data folder" in r.json()["error"]
    assert env.client.get("/api/v1/sources").json()["data"] == []


def test_registered_source_keeps_ledger_not_data(env):
    (env.settings.data_dir / "sources" / "small.csv").write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    csrf = env.login("ana")
    r = env.client.post(
        "/api/v1/sources", json={"name": "Small", "path": "sources/small.csv"}, headers={"X-CSRF-Token": csrf}
    )
    assert r.status_code == 201
    s = r.json()
    assert s["rows"] == 2 and s["ledger"]["read"] == 2 and s["ledger"]["kept"] == 2
    assert [c["name"] for c in s["columns"]] == ["a", "b"]
    assert "data" not in s and "values" not in str(s["columns"])


def test_upload_limits(env):
    env.client.app.state.services.settings.upload_max_bytes = 1000
    csrf = env.login("reg")
    big = io.BytesIO(b"session_id,date\n" + b"x" * 2000)
    r = env.client.post(
        "/programme/trainings/upload", data={"csrf_token": csrf}, files={"file": ("t.csv", big, "text/csv")}
    )
    assert r.status_code == 413
    r = env.client.post(
        "/programme/trainings/upload",
        data={"csrf_token": csrf},
        files={"file": ("t.exe", io.BytesIO(b"MZ\x90\x00"), "application/octet-stream")},
    )
    assert r.status_code == 415
    r = env.client.post(
        "/programme/trainings/upload",
        data={"csrf_token": csrf},
        files={"file": ("t.xlsx", io.BytesIO(b"not a zip file"), "application/octet-stream")},
    )
    assert r.status_code == 415
    assert list((env.settings.data_dir / "uploads").iterdir()) == []


def test_uploaded_records_import_with_ledger(env):
    csrf = env.login("reg")
    text = (
        "# a comment line\nsession_id,date,region,facility,course,participant_id,profession,sex,pre_score,post_score\n"
        "U1,2026-03-01,Antofagasta,CESFAM Sur,CULT-2,Q1,enfermera,mujer,40,55\n,,,,,,,,,\n"
        "U1,2026-03-01,Antofagasta,CESFAM Sur,CULT-2,Q2,médico,hombre,52,61\n"
    )
    r = env.client.post(
        "/programme/trainings/upload",
        data={"csrf_token": csrf},
        files={"file": ("records.csv", io.BytesIO(text.encode()), "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    b = next(b for b in env.client.get("/api/v1/programme").json()["imports"] if b["organisation"])
    assert (b["rows_read"], b["rows_imported"], b["rows_blank"], b["sessions"]) == (3, 2, 1, 1)
