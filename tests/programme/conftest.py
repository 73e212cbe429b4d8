"""Fixtures for the programme tests: a migrated database on SQLite (always) and PostgreSQL (marked)."""

from __future__ import annotations

import importlib.util
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text

from corridor.programme import db as dbm
from corridor.programme import models as m

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "src" / "corridor" / "datasets" / "programme_demo"
DEMO_YAML = DEMO / "programme.yaml"
DEMO_TRAININGS = DEMO / "trainings_SYNTHETIC.csv"
DEMO_VALUES = DEMO / "values_SYNTHETIC.csv"
DEMO_PROFILE = DEMO / "profile_COL_CHL"


def load_cli():
    """The ``programme`` click group, loaded from its file so these tests do not depend on other sub-commands."""
    spec = importlib.util.spec_from_file_location("corridor_cli_programme", REPO / "src/corridor/cli/programme.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.command


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request) -> str:
    return request.param


def _pg_engine(url: str):
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = dbm.make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = dbm.make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    yield eng
    eng.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def engine(backend, tmp_path, request):
    """An empty database: a SQLite file, or a fresh schema on the PostgreSQL server."""
    if backend == "postgres":
        yield from _pg_engine(request.getfixturevalue("postgres_url"))
        return
    eng = dbm.make_engine(f"sqlite:///{tmp_path / 'programme.sqlite'}")
    yield eng
    eng.dispose()


def _load_file(eng) -> None:
    from corridor.programme.load import load_programme

    with dbm.session_scope(eng) as s:
        load_programme(s, DEMO_YAML)


def _load_demo(eng) -> None:
    from corridor.programme.demo import load_demo

    with dbm.session_scope(eng) as s:
        load_demo(s)


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory) -> dict[str, Path]:
    """Migrated and demo-loaded SQLite files, built once and copied by each test (the copy is the test's)."""
    root = tmp_path_factory.mktemp("templates")
    out = {}
    for name, fill in (("migrated", None), ("loaded", _load_file), ("demo", _load_demo)):
        path = root / f"{name}.sqlite"
        eng = dbm.make_engine(f"sqlite:///{path}")
        dbm.upgrade(eng)
        if fill:
            fill(eng)
        eng.dispose()
        out[name] = path
    return out


def _from_template(backend, tmp_path, templates, name, request=None):
    if backend == "postgres":
        gen = _pg_engine(request.getfixturevalue("postgres_url"))
        eng = next(gen)
        dbm.upgrade(eng)
        {"demo": _load_demo, "loaded": _load_file}.get(name, lambda e: None)(eng)
        yield eng
        next(gen, None)
        return
    path = tmp_path / f"{name}.sqlite"
    shutil.copyfile(templates[name], path)
    eng = dbm.make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()


@pytest.fixture
def migrated(backend, tmp_path, sqlite_templates, request):
    """A database at the newest migration, with no programme."""
    yield from _from_template(backend, tmp_path, sqlite_templates, "migrated", request)


@pytest.fixture
def loaded(backend, tmp_path, sqlite_templates, request):
    """The demo programme file loaded, without training records or entries."""
    yield from _from_template(backend, tmp_path, sqlite_templates, "loaded", request)


@pytest.fixture
def demo(backend, tmp_path, sqlite_templates, request):
    """The demo programme loaded with its SYNTHETIC training records (committed)."""
    yield from _from_template(backend, tmp_path, sqlite_templates, "demo", request)


def snapshot(engine) -> dict[str, int]:
    """Row count of every programme table (to show a failed operation changed nothing)."""
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in m.Base.metadata.sorted_tables if t.name in names}


def programme(session, code: str = "CHL-COL-HEALTH-MIGRATION") -> m.Programme:
    return session.scalars(select(m.Programme).where(m.Programme.code == code)).one()


@pytest.fixture
def demo_sqlite(tmp_path, sqlite_templates):
    """The demo on SQLite only, for outputs that do not depend on the database server (report, IATI)."""
    yield from _from_template("sqlite", tmp_path, sqlite_templates, "demo")


@pytest.fixture(scope="module")
def demo_module(sqlite_templates, tmp_path_factory):
    """The demo on SQLite, one copy shared by a module's read-only tests."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    shutil.copyfile(sqlite_templates["demo"], path)
    eng = dbm.make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()
