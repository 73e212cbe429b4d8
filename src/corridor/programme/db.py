"""Database access for the programme layer: engine, sessions and migrations.

SQLite is the embedded default (one file, no server); PostgreSQL serves a
shared deployment (``postgresql+psycopg://user@host:port/dbname``). The schema
is created and upgraded only by the Alembic migrations shipped in
``corridor/programme/migrations``, applied programmatically.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from corridor._deps import import_optional
from corridor.errors import SourceError, SpecError
from corridor.i18n import Message

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

ENV_URL = "CORRIDOR_PROGRAMME_DB"
DEFAULT_URL = "sqlite:///corridor-programme.sqlite"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else ``$CORRIDOR_PROGRAMME_DB``, else a SQLite file in the cwd."""
    return url or os.environ.get(ENV_URL) or DEFAULT_URL


def make_engine(url: str | None = None, **kwargs: object) -> Engine:
    """Create an engine; SQLite connections enforce foreign keys (needed for cascades)."""
    sa = import_optional("sqlalchemy", feature="the programme database")
    url = database_url(url)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        engine = sa.create_engine(url, **kwargs)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise SpecError(Message("programme.errors.db.bad_url", url=repr(url), error=str(exc)),
                        hint=Message("programme.errors.db.bad_url.hint",
                                     examples="sqlite:///path/file.sqlite, postgresql+psycopg://user@host:port/dbname"),
                        ) from exc
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _fk_on(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

    return engine


def _alembic_config(connection: object):
    config_mod = import_optional("alembic.config", feature="programme migrations")
    cfg = config_mod.Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


@contextmanager
def _migrating(engine: Engine) -> Iterator:
    """A connection in one transaction for the migrations.

    SQLite alters a table by copying it into a new one and dropping the old one; with foreign keys
    enforced, that drop would cascade and delete the child rows (training participants with their
    sessions). So foreign keys are off while migrating (SQLite ignores the pragma inside a
    transaction, hence before it begins), and the result is checked before they are back on.
    """
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        try:
            with conn.begin():
                yield conn
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise SourceError(Message("programme.errors.db.orphans", count=len(broken), rows=str(broken[:5])),
                                          hint=Message("programme.errors.db.orphans.hint"))
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the Alembic migrations up to ``revision`` (from an empty database too)."""
    command = import_optional("alembic.command", feature="programme migrations")
    sa = import_optional("sqlalchemy")
    try:
        with _migrating(engine) as conn:
            command.upgrade(_alembic_config(conn), revision)
    except sa.exc.OperationalError as exc:
        raise SourceError(
            Message("programme.errors.db.cannot_open", url=engine.url.render_as_string(hide_password=True), error=str(exc.orig)),
            hint=Message("programme.errors.db.cannot_open.hint", variable=f"${ENV_URL}"),
        ) from exc


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Revert the migrations down to ``revision`` (``base`` drops every programme table)."""
    command = import_optional("alembic.command", feature="programme migrations")
    with _migrating(engine) as conn:
        command.downgrade(_alembic_config(conn), revision)


def current_revision(engine: Engine) -> str | None:
    """The migration revision the database is at, or None for an empty database."""
    migration = import_optional("alembic.runtime.migration")
    with engine.connect() as conn:
        return migration.MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    """The newest migration shipped with corridor."""
    script = import_optional("alembic.script")
    return script.ScriptDirectory.from_config(_alembic_config(None)).get_current_head()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    orm = import_optional("sqlalchemy.orm")
    session = orm.Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def ensure_schema(engine: Engine) -> None:
    """Upgrade the database to the newest migration if it is behind."""
    if current_revision(engine) != head_revision():
        upgrade(engine)
