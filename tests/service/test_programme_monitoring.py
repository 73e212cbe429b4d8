"""Monitoring in the service: partner entries (form and API), approval by role with an audited unlock,
locked periods refusing writes, commitments and meetings, and the evidence refresh job."""

from __future__ import annotations

import shutil

from svc_helpers import training_form


def _reach_2026(env) -> float:
    rows = env.client.get("/api/v1/programme/progress").json()["data"]
    return next(r["actual"] for r in rows if r["indicator"] == "OP1.1.1" and r["period"] == "2026" and not r["dimension"])


def test_partner_enters_values_by_form_and_api(env):
    csrf = env.login("reg")
    before = _reach_2026(env)
    data = {"csrf_token": csrf, "indicator": "OP1.1.1", "period": "2026", "area": "CL-TA", "value": "35", "sex": "F"}
    r = env.client.post("/programme/values", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    r = env.client.post("/programme/values", data={**data, "sex": "", "value": "60"}, follow_redirects=False)
    assert r.status_code == 303
    assert _reach_2026(env) == before + 60
    entries = env.client.get("/api/v1/programme/values").json()["entries"]
    assert entries[0]["organisation"] == "REGIONAL-HEALTH-AN" and entries[0]["entered_by"] == "reg"
    # a partner cannot enter for another organisation
    r = env.client.post("/api/v1/programme/values?lang=en", json={"indicator": "OP1.1.1", "period": "2026",
                                                                   "area": "CL-AN", "value": 5,
                                                                   "organisation": "CIVIL-SOCIETY"},
                        headers={"X-CSRF-Token": csrf})
    assert r.status_code == 403 and "not for CIVIL-SOCIETY" in r.json()["error"]
    # bad input is a 422 naming the field; the form keeps the page
    r = env.client.post("/programme/values?lang=en", data={**data, "area": "CL-XX"})
    assert r.status_code == 422 and "area &#39;CL-XX&#39; is not a region" in r.text
    revisions = env.client.get("/api/v1/programme/revisions").json()["data"]
    entered = [r for r in revisions if r["subject"] == "value"]
    assert entered and all(r["by"] == "reg" for r in entered[:2])
    assert any(r["subject"] == "actual" and r["code"] == "OP1.1.1" and r["period"] == "2026" for r in revisions)


def test_approval_by_role_and_locked_periods_refuse_writes(env):
    csrf = env.login("reg")
    h = {"X-CSRF-Token": csrf}
    # 2025 is submitted in the demo: a partner's entry is refused
    r = env.client.post("/api/v1/programme/values?lang=en", json={"indicator": "OP1.1.1", "period": "2025",
                                                                   "area": "CL-AN", "value": 5}, headers=h)
    assert r.status_code == 422 and "period 2025 of REGIONAL-HEALTH-AN is submitted" in r.json()["error"]
    # partners submit their own period, cannot approve, cannot act for others
    assert env.client.post("/api/v1/programme/periods/2026/REGIONAL-HEALTH-AN/submit", headers=h).json()["to"] == \
        "submitted"
    assert env.client.post("/api/v1/programme/periods/2026/REGIONAL-HEALTH-AN/approve", headers=h).status_code == 403
    assert env.client.post("/api/v1/programme/periods/2026/LOCAL-HEALTH-AN/submit", headers=h).status_code == 403
    r = env.client.post("/programme/trainings?lang=en", data=training_form(csrf))
    assert r.status_code == 422 and "period 2026 of REGIONAL-HEALTH-AN is submitted" in r.text
    csrf = env.login("ana")
    h = {"X-CSRF-Token": csrf}
    for action in ("approve", "lock"):
        assert env.client.post(f"/api/v1/programme/periods/2026/REGIONAL-HEALTH-AN/{action}", headers=h).status_code == 200
    assert env.client.post("/api/v1/programme/periods/2026/REGIONAL-HEALTH-AN/unlock", headers=h,
                           json={"reason": "x"}).status_code == 403  # analysts do not unlock
    csrf = env.login("admin")
    h = {"X-CSRF-Token": csrf}
    r = env.client.post("/api/v1/programme/periods/2026/REGIONAL-HEALTH-AN/unlock?lang=en", headers=h)
    assert r.status_code == 422 and "needs a reason" in r.json()["error"]
    r = env.client.post("/api/v1/programme/periods/2026/REGIONAL-HEALTH-AN/unlock", headers=h,
                        json={"reason": "late attendance sheets"})
    assert r.json() == {"period": "2026", "organisation": "REGIONAL-HEALTH-AN", "from": "locked", "to": "draft"}
    audit = env.client.get("/api/v1/audit").json()["data"]
    unlock = next(e for e in audit if e["action"] == "period.unlock")
    assert unlock["user"] == "admin" and unlock["detail"] == {"from": "locked", "to": "draft",
                                                              "reason": "late attendance sheets"}
    history = env.client.get("/api/v1/programme/periods").json()["history"]
    assert history[-1]["reason"] == "late attendance sheets" and history[-1]["by"] == "admin"
    page = env.client.get("/programme").text
    assert 'data-period="2023" data-org="REGIONAL-HEALTH-AN">' in page and "id=\"period-form\"" in page


def test_commitments_meetings_and_overdue_in_the_service(env):
    csrf = env.login("ana")
    h = {"X-CSRF-Token": csrf}
    prog = env.client.get("/api/v1/programme").json()
    assert next(c for c in prog["commitments"] if c["code"] == "PROPOSAL-OCT")["overdue"] is True
    r = env.client.post("/api/v1/programme/commitments", headers=h, json={
        "code": "FOCAL", "text": "Designar puntos focales", "lang": "es", "owner": "MINSAL-CHL", "due_date": "2027-03-31"})
    assert r.status_code == 201
    r = env.client.put("/api/v1/programme/meetings/STEERING-2026", headers=h, json={
        "title": "Steering committee 2026", "held_on": "2026-11-25", "participants": ["IOM", "MINSAL-CHL"],
        "minutes": "Reviewed 2026.", "decisions": ["Extend LW3 to Arica"]})
    assert r.status_code == 200 and r.json() == {"code": "STEERING-2026", "decisions": 1, "minutes": True}
    r = env.client.post("/programme/meetings/BINATIONAL-1", data={"csrf_token": csrf, "minutes": "Acta.",
                                                                   "decision": ""}, follow_redirects=False)
    assert r.status_code == 303
    prog = env.client.get("/api/v1/programme?lang=es").json()
    assert any(c["code"] == "FOCAL" and not c["overdue"] for c in prog["commitments"])
    assert next(m for m in prog["meetings"] if m["code"] == "BINATIONAL-1")["minutes"] == "Acta."


def test_refresh_job_revises_the_evidence_from_a_profile_run(env):
    csrf = env.login("ana")
    runs = env.settings.data_dir / "profiles"
    run = env.run_id
    # the same run, with one survey estimate changed: a second run of the profile on corrected data
    changed = runs / (run[:-6] + "abcdef")
    shutil.copytree(runs / run, changed)
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    t = pq.read_table(changed / "indicators.parquet")
    hit = pc.and_(pc.and_(pc.equal(t["indicator"], "uninsured_share"), pc.equal(t["population"], "corridor")),
                  pc.and_(pc.equal(t["area"], "CHL"), pc.equal(t["disaggregation"], "total")))
    est = pc.if_else(hit, pc.multiply(t["estimate"], 0.9), t["estimate"])
    pq.write_table(t.set_column(t.column_names.index("estimate"), "estimate", est), changed / "indicators.parquet")
    r = env.client.post("/api/v1/programme/refresh", headers={"X-CSRF-Token": csrf},
                        json={"run": changed.name, "reason": "corrected weights"})
    assert r.status_code == 202 and r.json()["kind"] == "programme_refresh"
    env.client.app.state.services.runner.wait(60)
    job = env.client.get(f"/api/v1/jobs/{r.json()['id']}").json()
    assert job["status"] == "done", job
    assert "1 revised" in job["result"]
    rev = env.client.get("/api/v1/programme/revisions").json()["data"][0]
    assert (rev["subject"], rev["code"], rev["by"]) == ("baseline", "OC1.1", "ana")
    assert rev["after"]["estimate"] == rev["before"]["estimate"] * 0.9 or \
        abs(rev["after"]["estimate"] - rev["before"]["estimate"] * 0.9) < 1e-9
    assert "corrected weights" in rev["why"]
    assert env.client.post("/api/v1/programme/refresh", headers={"X-CSRF-Token": csrf},
                           json={"run": "../etc"}).status_code == 422
