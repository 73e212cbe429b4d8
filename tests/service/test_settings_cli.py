"""Configuration by file and environment, the error handler, and `corridor serve --check`."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from corridor.cli.serve import command
from corridor.errors import SpecError
from corridor.service.errors import Forbidden, RateLimited, status_of
from corridor.service.settings import load_settings


def test_file_then_environment_then_arguments(tmp_path):
    cfg = tmp_path / "corridor.toml"
    cfg.write_text('[service]\nport = 9000\nmin_n = 50\ndemo = false\nhost = "0.0.0.0"\n', encoding="utf-8")
    s = load_settings(cfg, env={"CORRIDOR_PORT": "9100", "CORRIDOR_SECURE_COOKIES": "true"}, host="127.0.0.1")
    assert (s.port, s.min_n, s.demo, s.secure_cookies, s.host) == (9100, 50, False, True, "127.0.0.1")


def test_bad_configuration_is_a_spec_error(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("prot = 1\n", encoding="utf-8")
    with pytest.raises(SpecError, match="unknown key"):
        load_settings(cfg, env={})
    with pytest.raises(SpecError, match="CORRIDOR_PORT"):
        load_settings(None, env={"CORRIDOR_PORT": "eighty"})


def test_status_mapping():
    from corridor.errors import ColumnNotFoundError, InputError, UnsupportedError

    assert status_of(InputError("x")) == 422 and status_of(ColumnNotFoundError("x")) == 422
    assert status_of(UnsupportedError("x")) == 501 and status_of(Forbidden("x")) == 403
    assert status_of(RateLimited("x")) == 429


def test_serve_check_creates_schema_and_first_admin(tmp_path):
    runner = CliRunner()
    data = tmp_path / "d"
    env = {
        "CORRIDOR_SEED_PROFILE": "false",
        "CORRIDOR_ADMIN_USER": "boss",
        "CORRIDOR_ADMIN_PASSWORD": "a long passphrase",
        "CORRIDOR_ARGON2_TIME_COST": "1",
        "CORRIDOR_ARGON2_MEMORY_KIB": "1024",
    }
    r = runner.invoke(command, ["--data-dir", str(data), "--check"], env=env)
    assert r.exit_code == 0, r.output
    assert (
        "ok: data folder" in r.output
        and (data / "corridor.sqlite").exists()
        and (data / "secret_key").exists()
    )
    from sqlalchemy import create_engine, text

    with create_engine(f"sqlite:///{data / 'corridor.sqlite'}").connect() as c:
        assert c.execute(text("SELECT username, role FROM svc_user")).all() == [("boss", "admin")]
        assert c.execute(text("SELECT code FROM programme")).scalar() == "CHL-COL-HEALTH-MIGRATION"


def test_serve_bad_config_exits_with_message(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("nope = 1\n", encoding="utf-8")
    r = CliRunner().invoke(command, ["--config", str(cfg), "--check"])
    assert r.exit_code != 0 and isinstance(r.exception, SpecError)


def test_serve_says_how_to_create_the_first_admin(tmp_path):
    env = {"CORRIDOR_SEED_PROFILE": "false", "CORRIDOR_DEMO": "false"}
    r = CliRunner().invoke(command, ["--data-dir", str(tmp_path / "d"), "--check"], env=env)
    assert r.exit_code == 0, r.output
    assert "there is no user yet" in r.output and "CORRIDOR_ADMIN_PASSWORD" in r.output


def test_every_request_thread_gets_a_database_connection_at_once(tmp_path):
    """A SQLite file: as many connections as request threads, all held at the same time without waiting
    (no ping: there is no server to lose them); a database server keeps the ping."""
    import threading

    from corridor.programme.db import make_engine
    from corridor.service.app import REQUEST_THREADS, engine_options

    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    assert "pool_pre_ping" not in engine_options(url)
    assert engine_options("postgresql+psycopg://u@h/db") == {"pool_pre_ping": True}
    assert engine_options("sqlite://") == {}
    engine = make_engine(url, pool_timeout=2, **engine_options(url))
    together = threading.Barrier(REQUEST_THREADS, timeout=20)
    failed: list[BaseException] = []

    def request() -> None:
        try:
            with engine.connect():
                together.wait()
        except BaseException as exc:  # noqa: BLE001 - reported below
            failed.append(exc)

    threads = [threading.Thread(target=request) for _ in range(REQUEST_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    assert not failed


def test_serve_check_leaves_the_first_profile_queued_for_the_real_start(tmp_path):
    """--check builds the service and exits: the first profile's job waits for the real start (it was
    started and killed at once, and stayed in the jobs list as failed)."""
    env = {"CORRIDOR_DEMO": "false", "CORRIDOR_ADMIN_USER": "boss", "CORRIDOR_ADMIN_PASSWORD": "a long passphrase",
           "CORRIDOR_ARGON2_TIME_COST": "1", "CORRIDOR_ARGON2_MEMORY_KIB": "1024"}
    data = tmp_path / "d"
    r = CliRunner().invoke(command, ["--data-dir", str(data), "--check"], env=env)
    assert r.exit_code == 0, r.output
    from sqlalchemy import create_engine, text

    with create_engine(f"sqlite:///{data / 'corridor.sqlite'}").connect() as c:
        assert c.execute(text("SELECT kind, status, error FROM svc_job")).all() == [("profile", "queued", None)]


def test_serve_speaks_the_users_language(tmp_path):
    from corridor.cli import main

    env = {"CORRIDOR_SEED_PROFILE": "false", "CORRIDOR_DEMO": "false", "CORRIDOR_LANG": "es"}
    # through `corridor`, as a user runs it: the command line takes its language from the environment
    r = CliRunner().invoke(main, ["serve", "--data-dir", str(tmp_path / "d"), "--check"], env=env)
    assert r.exit_code == 0, r.output
    assert "aún no hay usuarios" in r.output and "correcto: carpeta de datos" in r.output, r.output


def test_serve_runs_uvicorn_with_a_longer_switch_interval_and_keep_alive(tmp_path, monkeypatch):
    """The server hands the interpreter between request threads every 20 ms (not Python's 5 ms) and keeps
    idle connections 65 s (longer than a reverse proxy's 60 s)."""
    import sys

    import uvicorn

    from corridor.cli import serve

    seen: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw, interval=sys.getswitchinterval()))
    before = sys.getswitchinterval()
    try:
        env = {"CORRIDOR_SEED_PROFILE": "false", "CORRIDOR_DEMO": "false"}
        r = CliRunner().invoke(command, ["--data-dir", str(tmp_path / "d"), "--port", "8123"], env=env)
    finally:
        sys.setswitchinterval(before)
    assert r.exit_code == 0, r.output
    assert seen["interval"] == pytest.approx(0.02) == serve.SWITCH_INTERVAL
    assert seen["timeout_keep_alive"] == 65 and seen["port"] == 8123
