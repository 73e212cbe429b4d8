"""Profile jobs: queued by analysts, run in the background worker with progress, results stored as runs."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import corridor.service.jobs as jobs_mod


def test_job_runs_with_progress_and_its_result_is_published(env, monkeypatch, profile_root):
    """The worker and its bookkeeping (the profile build itself runs in the session fixture)."""
    seen = []
    src = next(p for p in profile_root.iterdir() if not p.name.startswith("."))

    def fake(params, root: Path, data, progress):
        for i in range(1, 5):
            progress(i / 5, f"step {i}")
            seen.append(i)
            time.sleep(0.05)
        run_id = jobs_mod.new_run_id()
        shutil.copytree(src, root / run_id)
        return run_id

    monkeypatch.setattr(jobs_mod, "run_profile", fake)
    env.client.app.state.services.runner.isolated = False  # the fake lives in this process only
    csrf = env.login("ana")
    r = env.client.post(
        "/api/v1/jobs", json={"origin": "col", "destination": "chl"}, headers={"X-CSRF-Token": csrf}
    )
    assert r.status_code == 202
    job = r.json()
    assert job["status"] == "queued" and job["params"]["origin"] == "COL" and job["created_by"] == "ana"
    env.client.app.state.services.runner.wait(timeout=20)
    done = env.client.get(f"/api/v1/jobs/{job['id']}").json()
    assert done["status"] == "done" and done["progress"] == 1.0 and seen == [1, 2, 3, 4]
    assert done["result"] in env.client.app.state.services.store.ids()
    page = env.client.get("/jobs").text
    assert f'id="job-{job["id"]}"' in page and f"/profiles/{done['result']}" in page


def test_failed_job_keeps_the_message(env, monkeypatch):
    from corridor.errors import InputError

    def fail(params, root, data, progress):
        raise InputError("region XX is not a region of CHL", hint="use CL-AN")

    monkeypatch.setattr(jobs_mod, "run_profile", fail)
    env.client.app.state.services.runner.isolated = False
    csrf = env.login("ana")
    job = env.client.post(
        "/jobs", data={"csrf_token": csrf, "origin": "COL", "destination": "CHL"}, follow_redirects=False
    )
    assert job.status_code == 303
    env.client.app.state.services.runner.wait(timeout=20)
    j = env.client.get("/api/v1/jobs").json()["data"][0]
    assert j["status"] == "failed" and j["error"] == "region XX is not a region of CHL (hint: use CL-AN)"


def test_failed_job_reads_in_the_readers_language(env, monkeypatch):
    """A profile's error is kept as catalogue data, not English text: the API and the jobs page give it in the
    language of whoever reads it; so are the profile's progress steps."""
    from corridor.errors import InputError
    from corridor.i18n import Message

    def fail(params, root, data, progress):
        progress(0.2, Message("profile.progress.microdata"))
        raise InputError(Message("profile.errors.region_elsewhere", region="PE-LIM", destination="CHL"),
                         hint=Message("profile.errors.region_elsewhere.hint"))

    monkeypatch.setattr(jobs_mod, "run_profile", fail)
    env.client.app.state.services.runner.isolated = False
    csrf = env.login("ana")
    r = env.client.post("/api/v1/jobs", json={"origin": "COL", "destination": "CHL"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 202
    env.client.app.state.services.runner.wait(timeout=20)
    jid = r.json()["id"]
    es = env.client.get(f"/api/v1/jobs/{jid}?lang=es").json()
    assert es["status"] == "failed"
    assert es["error"] == "region PE-LIM is not a region of CHL (hint: use an ISO 3166-2 code of the destination, e.g. CL-AN)"
    assert es["error_text"] == ("la región PE-LIM no es una región de CHL (sugerencia: use un código ISO 3166-2 del "
                                "destino, p. ej. CL-AN)")
    page = env.client.get("/jobs?lang=fr").text
    assert "la région PE-LIM n" in page and "pas une région de CHL" in page and "utilisez un code ISO 3166-2" in page

    # a step in progress: the same message in each reader's language
    from corridor.service.jobs import job_message
    from corridor.service.store import Job

    job = Job(message="opening survey microdata", message_data=Message("profile.progress.microdata").to_dict())
    assert (job_message(job, "es"), job_message(job, "fr")) == ("abriendo los microdatos de encuestas",
                                                                "ouverture des microdonnées d'enquête")


def test_bad_job_parameters_are_refused(env):
    env.client.headers["Accept-Language"] = "en"  # the service's default is Spanish; this test reads English
    csrf = env.login("ana")
    r = env.client.post("/api/v1/jobs", json={"origin": "C0L"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 422 and "alpha-3" in r.json()["error"]
    r = env.client.post("/api/v1/jobs", json={"source": 99}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 422 and "no registered source 99" in r.json()["error"]


def test_job_interrupted_by_a_restart_is_marked_failed(tmp_path, template_data):
    """A job the service was running when it stopped is not left 'running' for ever."""
    import shutil

    from fastapi.testclient import TestClient

    from corridor.service.app import create_app
    from corridor.service.settings import Settings
    from corridor.service.store import Job, session_scope

    data = tmp_path / "data"
    shutil.copytree(template_data, data)
    app = create_app(Settings(data_dir=data, seed_profile=False))
    with session_scope(app.state.services.engine) as s:
        from corridor.service.store import Base

        Base.metadata.create_all(app.state.services.engine)
        s.add(Job(kind="profile", params={}, status="running", progress=0.4, message="estimating"))
    with TestClient(app), session_scope(app.state.services.engine) as s:
        job = s.query(Job).one()
        assert job.status == "failed" and job.error == "interrupted: the service stopped while it ran"
    app.state.services.runner.stop(timeout=1)
