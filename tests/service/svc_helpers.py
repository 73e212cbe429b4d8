"""Helpers shared by the service tests (constants, a signed-in client wrapper, a live server, forms)."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from corridor.service import auth
from corridor.service.app import create_app
from corridor.service.settings import Settings
from corridor.service.store import session_scope

PASSWORD = "a long test passphrase"
USERS = {  # name: (role, organisation)
    "admin": ("admin", None),
    "ana": ("analyst", None),
    "vic": ("viewer", None),
    "reg": ("partner", "REGIONAL-HEALTH-AN"),
    "loc": ("partner", "LOCAL-HEALTH-AN"),
}

FAST = {"argon2_time_cost": 1, "argon2_memory_kib": 1024}  # a cheap Argon2id cost keeps the tests fast


@dataclass
class Env:
    client: TestClient
    settings: Settings
    run_id: str

    def login(self, name: str, password: str = PASSWORD) -> str:
        """Sign in through the form; return the session's CSRF token."""
        self.client.cookies.clear()
        page = self.client.get("/login")
        pre = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        r = self.client.post(
            "/login",
            data={"username": name, "password": password, "csrf_token": pre, "next": "/account"},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        return self.csrf()

    def csrf(self) -> str:
        page = self.client.get("/account")
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def token(self, name: str) -> str:
        """An API token for user ``name``."""
        with session_scope(self.client.app.state.services.engine) as s:
            from sqlalchemy import select

            from corridor.service.store import User

            user = s.scalar(select(User).where(User.username == name))
            secret, _ = auth.new_api_token(s, user, "test")
        return secret


@contextmanager
def live_server(tmp_path: Path, template: Path, **settings: object):
    """The app under uvicorn on 127.0.0.1 (a free port), with the test users; yields (base URL, app)."""
    import uvicorn

    data = tmp_path / "data"
    shutil.copytree(template, data)
    app = create_app(Settings(data_dir=data, seed_profile=False, **{**FAST, **settings}))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False))
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    for _ in range(400):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started, "the test server did not start"
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        srv.should_exit = True
        t.join(10)


SESSION = {
    "session_id": "WEB-001",
    "date": "2026-11-10",
    "region": "CL-AN",
    "facility": "Hospital Regional de Antofagasta",
    "course": "CULT-1",
    "topic": "Intercultural care",
    "trainers": "Team W",
    "line_of_work": "LW3",
}
PEOPLE = [
    ("W001", "nurse", "F", "55", "71"),
    ("W002", "physician", "M", "60", "75"),
    ("W003", "midwife", "F", "48", "66"),
]


def training_form(csrf: str) -> dict[str, str]:
    """The programme page's form for one session of three participants (two empty rows)."""
    data = {"csrf_token": csrf, **SESSION}
    for i, (pid, prof, sex, pre, post) in enumerate(PEOPLE, start=1):
        data.update(
            {
                f"p{i}_participant_id": pid,
                f"p{i}_profession": prof,
                f"p{i}_sex": sex,
                f"p{i}_pre_score": pre,
                f"p{i}_post_score": post,
            }
        )
    for i in range(len(PEOPLE) + 1, 6):
        data.update(
            {f"p{i}_{k}": "" for k in ("participant_id", "profession", "sex", "pre_score", "post_score")}
        )
    return data
