"""The service on PostgreSQL (the documented one-server deployment): schema, demo, a partner's write, audit.

Runs on the server of the ``postgres_url`` fixture: CORRIDOR_TEST_POSTGRES_URL when set, otherwise a
throw-away cluster the tests start themselves (tests/pg_server.py).
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from svc_helpers import FAST, PASSWORD, USERS, Env
from svc_helpers import training_form as _form

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_env(tmp_path: Path, profile_root: Path, postgres_url: str):
    url = postgres_url
    from fastapi.testclient import TestClient

    from corridor.programme import db as pdb
    from corridor.service import auth
    from corridor.service.app import create_app
    from corridor.service.settings import Settings
    from corridor.service.store import session_scope

    schema = f"svc_{uuid.uuid4().hex[:12]}"
    admin = pdb.make_engine(url)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    data = tmp_path / "data"
    shutil.copytree(profile_root, data / "profiles")
    sep = "&" if "?" in url else "?"
    s = Settings(
        data_dir=data, database_url=f"{url}{sep}options=-csearch_path%3D{schema}", seed_profile=False, **FAST
    )
    app = create_app(s)
    try:
        with TestClient(app) as client:
            with session_scope(app.state.services.engine) as session:
                for name, (role, org) in USERS.items():
                    auth.create_user(session, name, PASSWORD, role, org)
            yield Env(client, s, app.state.services.store.ids()[0])
    finally:
        app.state.services.runner.stop(timeout=1)
        app.state.services.engine.dispose()
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_partner_write_and_audit_on_postgres(pg_env):
    assert pg_env.client.app.state.services.engine.dialect.name == "postgresql"
    csrf = pg_env.login("reg")
    assert (
        pg_env.client.post("/programme/trainings", data=_form(csrf), follow_redirects=False).status_code
        == 303
    )
    rows = pg_env.client.get("/api/v1/programme/progress").json()["data"]
    assert (
        next(
            r["actual"]
            for r in rows
            if r["indicator"] == "OP3.1.1" and r["period"] == "2026" and not r["dimension"]
        )
        == 227
    )
    pg_env.login("admin")
    assert any(
        e["action"] == "training.record" and e["user"] == "reg"
        for e in pg_env.client.get("/api/v1/audit").json()["data"]
    )
