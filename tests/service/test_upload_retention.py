"""Uploads are kept only as long as they are needed, within a storage quota; one import per user at a time;
bodies over their route's limit are refused with the one error shape; a stopped job leaves no folder."""

from __future__ import annotations

import io
from pathlib import Path

from conftest import make_env

GOOD = (
    "session_id,date,region,facility,course,topic,participant_id,profession,sex,pre_score,post_score\n"
    "R1,2026-03-01,CL-AN,CESFAM Sur,CULT-2,Culture,Q1,nurse,F,40,55\n"
)


def _upload(env, csrf, text: str, name: str = "records.csv"):
    return env.client.post(
        "/programme/trainings/upload?lang=en",
        data={"csrf_token": csrf},
        files={"file": (name, io.BytesIO(text.encode()), "text/csv")},
        follow_redirects=False,
    )


def _uploads(env) -> list[Path]:
    return sorted((env.settings.data_dir / "uploads").iterdir())


def test_a_rejected_upload_is_deleted_after_its_report(env):
    csrf = env.login("reg")
    r = _upload(env, csrf, GOOD.replace("2026-03-01", "2026-02-30"))
    assert r.status_code == 422 and "is not a date" in r.text
    assert str(env.settings.data_dir.resolve()) not in r.text and "records-" in r.text
    assert _uploads(env) == []


def test_a_withdrawn_import_loses_its_file_and_the_audit_keeps_its_hash(env):
    csrf = env.login("reg")
    assert _upload(env, csrf, GOOD).status_code == 303
    [kept] = _uploads(env)
    import hashlib

    digest = hashlib.sha256(kept.read_bytes()).hexdigest()
    imports = env.client.get("/api/v1/programme").json()["imports"]
    mine = next(b for b in imports if b["organisation"] == "REGIONAL-HEALTH-AN")
    r = env.client.delete(f"/api/v1/programme/imports/{mine['id']}", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and _uploads(env) == []
    env.login("admin")
    entries = env.client.get("/api/v1/audit").json()["data"]
    w = next(e for e in entries if e["action"] == "training.withdraw")
    assert w["detail"]["sha256"] == digest and w["detail"]["file"] == kept.name
    assert (env.settings.data_dir / "corridor.sqlite").exists()  # only the upload went


def test_a_form_that_is_refused_leaves_no_file(env):
    from svc_helpers import training_form

    csrf = env.login("reg")
    data = training_form(csrf)
    data["date"] = "not a date"
    assert env.client.post("/programme/trainings", data=data).status_code == 422
    assert _uploads(env) == []


def test_the_storage_quota_is_kept(tmp_path, template_data):
    for env in make_env(tmp_path, template_data, uploads_quota_bytes=len(GOOD) + 10):
        csrf = env.login("reg")
        assert _upload(env, csrf, GOOD).status_code == 303
        r = _upload(env, csrf, GOOD.replace("R1", "R2").replace("Q1", "Q2").replace("Sur", "Norte"))
        assert r.status_code == 507 and "storage for uploads is full" in r.text
        r = env.client.post(
            "/sources",
            data={"csrf_token": env.login("ana"), "name": "s"},
            files={"file": ("s.csv", io.BytesIO(b"a,b\n" + b"1,2\n" * 50), "text/csv")},
        )
        assert r.status_code == 507
        assert len(_uploads(env)) == 1


def test_one_import_at_a_time_per_user(env):
    csrf = env.login("reg")
    with env.client.app.state.services.imports.hold("reg"):
        r = _upload(env, csrf, GOOD)
        assert r.status_code == 429 and "still being processed" in r.text
        env.login("loc")  # another user is not held up
    csrf = env.login("reg")
    assert _upload(env, csrf, GOOD).status_code == 303


def test_bodies_over_their_route_limit(env):
    token = env.token("reg")
    h = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    big = b'{"session_id": "' + b"x" * (env.settings.api_max_bytes + 10) + b'"}'
    r = env.client.post("/api/v1/programme/trainings", content=big, headers=h)
    assert r.status_code == 413 and set(r.json()) == {"error", "hint"} and "1 MiB" in r.json()["error"]
    r = env.client.post("/login", content=b"username=" + b"a" * 20_000, headers={"Accept": "text/html"})
    assert r.status_code == 413 and "<html" in r.text and "8 KiB" in r.text
    env.client.app.state.services.settings.upload_max_bytes = 1000  # the request limit was set at start


def test_interrupted_runs_and_orphan_uploads_are_cleaned_at_start(tmp_path, template_data):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(template_data, data)
    (data / "profiles" / ".tmp-20260101T000000-abcdef").mkdir()
    (data / "profiles" / ".tmp-20260101T000000-abcdef" / "indicators.parquet").write_bytes(b"PAR1")
    (data / "uploads" / "half-written-0123456789.csv").write_text("session_id\n", encoding="utf-8")
    for env in make_env(tmp_path / "second", data):
        assert not list((env.settings.data_dir / "profiles").glob(".tmp-*"))
        assert _uploads(env) == []
        assert env.client.get("/health").json()["profiles"] == 1


def test_a_files_problems_read_in_the_pages_language(env):
    """corridor's catalogue messages (here a bounded read's) follow the request's language."""
    csrf = env.login("reg")
    wide = GOOD + "R2," + "x" * (200 * 1024) + "\n"
    for lang, words in (("fr", "ligne 3"), ("es", "línea 3"), ("en", "line 3")):
        r = env.client.post(
            f"/programme/trainings/upload?lang={lang}",
            data={"csrf_token": csrf},
            files={"file": ("wide.csv", io.BytesIO(wide.encode()), "text/csv")},
            follow_redirects=False,
        )
        assert r.status_code == 422 and words in r.text, (lang, r.text[-1500:])
    assert _uploads(env) == []
