"""Partners record training sessions for their organisation, cannot touch others'; progress and audit follow."""

from __future__ import annotations

from svc_helpers import SESSION
from svc_helpers import training_form as _form


def _trained_2026(env):
    rows = env.client.get("/api/v1/programme/progress").json()["data"]
    return next(
        r["actual"]
        for r in rows
        if r["indicator"] == "OP3.1.1" and r["period"] == "2026" and not r["dimension"]
    )


def test_partner_records_session_and_progress_updates(env):
    """The demo's 2026 actual is 224 distinct professionals (SYNTHETIC records); three new ones make 227."""
    csrf = env.login("reg")
    before = _trained_2026(env)
    assert before == 224.0
    r = env.client.post("/programme/trainings", data=_form(csrf), follow_redirects=False)
    assert r.status_code == 303, r.text
    assert _trained_2026(env) == before + 3
    prog = env.client.get("/api/v1/programme").json()
    mine = [b for b in prog["imports"] if b["organisation"] == "REGIONAL-HEALTH-AN"]
    assert (
        len(mine) == 1
        and mine[0]["rows_read"] == 3
        and mine[0]["rows_imported"] == 3
        and mine[0]["recorded_by"] == "reg"
    )
    assert any(s["session_id"] == "WEB-001" and s["participants"] == 3 for s in prog["trainings"])
    env.login("admin")
    audit = env.client.get("/api/v1/audit").json()["data"]
    entry = next(e for e in audit if e["action"] == "training.record")
    assert (
        entry["user"] == "reg"
        and entry["role"] == "partner"
        and entry["detail"] == {"session": "WEB-001", "participants": 3}
    )
    assert entry["at"].endswith("Z")


def test_invalid_session_is_reported_and_nothing_written(env):
    csrf = env.login("reg")
    data = _form(csrf)
    data["p1_pre_score"] = "140"
    r = env.client.post("/programme/trainings?lang=en", data=data)
    assert r.status_code == 422
    assert "is above 100" in r.text and "nothing was imported" in r.text
    assert 'value="Hospital Regional de Antofagasta"' in r.text  # the form keeps what was typed
    assert _trained_2026(env) == 224.0


def test_partner_cannot_withdraw_another_organisations_import(env):
    csrf = env.login("reg")
    env.client.post("/programme/trainings", data=_form(csrf))
    batch = next(b["id"] for b in env.client.get("/api/v1/programme").json()["imports"] if b["organisation"])
    csrf = env.login("loc")
    r = env.client.post(f"/programme/imports/{batch}/withdraw", data={"csrf_token": csrf})
    assert r.status_code == 403 and "REGIONAL-HEALTH-AN" in r.text
    r = env.client.delete(f"/api/v1/programme/imports/{batch}", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 403
    # nor the demo import, which no partner organisation recorded
    assert env.client.delete("/api/v1/programme/imports/1", headers={"X-CSRF-Token": csrf}).status_code == 403
    csrf = env.login("reg")
    r = env.client.post(
        f"/programme/imports/{batch}/withdraw", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert r.status_code == 303
    assert _trained_2026(env) == 224.0


def test_partner_updates_only_its_own_commitments(env):
    csrf = env.login("reg")  # the demo's only commitment is owned by IOM
    r = env.client.put(
        "/api/v1/programme/commitments/PROPOSAL-OCT?lang=en", json={"status": "done"}, headers={"X-CSRF-Token": csrf}
    )
    assert r.status_code == 403
    assert "Forbidden" not in r.text and r.json()["error"].startswith(
        "commitment PROPOSAL-OCT belongs to organisation IOM"
    )


def test_partner_json_api_records_too(env):
    tok = env.token("loc")
    env.client.cookies.clear()
    body = {
        **SESSION,
        "session_id": "API-1",
        "facility": "CESFAM Norte",
        "participants": [
            {"participant_id": "A1", "profession": "nurse", "sex": "F", "pre_score": 50, "post_score": 60}
        ],
    }
    r = env.client.post("/api/v1/programme/trainings", json=body, headers={"Authorization": f"Bearer {tok}"})
    assert r.status_code == 201 and r.json()["participants"] == 1
    r = env.client.post("/api/v1/programme/trainings?lang=en", json=body, headers={"Authorization": f"Bearer {tok}"})
    assert r.status_code == 422 and "duplicate session" in r.json()["error"]
