"""Fixtures of the service tests: one real profile run (built once), a started data folder, an app per test."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

warnings.filterwarnings("ignore", message=".*httpx.*")

from fastapi.testclient import TestClient
from svc_helpers import FAST, PASSWORD, USERS, Env

from corridor.service import auth
from corridor.service.app import create_app
from corridor.service.settings import Settings
from corridor.service.store import session_scope


@pytest.fixture(scope="session")
def profile_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real Colombia -> Chile profile run (shipped SYNTHETIC survey sample), built once by the job code."""
    from corridor.service.jobs import check_params, run_profile

    root = tmp_path_factory.mktemp("runs") / "profiles"
    root.mkdir()
    run_profile(
        check_params({"origin": "COL", "destination": "CHL", "pages": ["es"]}), root, None, lambda f, m: None
    )
    return root


@pytest.fixture(scope="session")
def template_data(tmp_path_factory: pytest.TempPathFactory, profile_root: Path) -> Path:
    """A data folder once started (migrations, demo programme, test users), copied by each test."""
    data = tmp_path_factory.mktemp("template") / "data"
    shutil.copytree(profile_root, data / "profiles")
    app = create_app(Settings(data_dir=data, seed_profile=False, **FAST))
    with TestClient(app), session_scope(app.state.services.engine) as session:
        for name, (role, org) in USERS.items():
            auth.create_user(session, name, PASSWORD, role, org)
    app.state.services.runner.stop(timeout=1)
    app.state.services.engine.dispose()
    return data


def make_env(tmp_path: Path, template: Path, **settings: object) -> Iterator[Env]:
    data = tmp_path / "data"
    shutil.copytree(template, data)
    s = Settings(data_dir=data, seed_profile=False, **{**FAST, **settings})
    app = create_app(s)
    with TestClient(app) as client:
        yield Env(client, s, app.state.services.store.ids()[0])
    app.state.services.runner.stop(timeout=1)
    app.state.services.engine.dispose()


@pytest.fixture
def env(tmp_path: Path, template_data: Path) -> Iterator[Env]:
    yield from make_env(tmp_path, template_data)
