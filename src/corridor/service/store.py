"""The service's own tables (users, sessions, API tokens, audit log, jobs, sources, record owners).

They live in the same database as the programme (SQLite file in the data folder by default,
PostgreSQL by configuration), prefixed ``svc_``, and are created on start when missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from corridor.i18n import Message


def utcnow() -> dt.datetime:
    """Now, in UTC, without tzinfo (as stored)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "pk": "pk_%(table_name)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s",
        }
    )


class User(Base):
    __tablename__ = "svc_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    organisation: Mapped[str | None] = mapped_column(String(80))  # organisation code (partners)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class WebSession(Base):
    __tablename__ = "svc_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("svc_user.id", ondelete="CASCADE"))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ApiToken(Base):
    __tablename__ = "svc_api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("svc_user.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # None: never
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(80))


class AuditEntry(Base):
    __tablename__ = "svc_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    username: Mapped[str | None] = mapped_column(String(80))
    role: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    address: Mapped[str | None] = mapped_column(String(64))


class Job(Base):
    __tablename__ = "svc_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued, running, done, failed
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str | None] = mapped_column(Text)  # in English (logs, older clients)
    error: Mapped[str | None] = mapped_column(Text)
    # the message and the error as catalogue ids with their parameters (Message.to_dict, CorridorError.to_dict),
    # rendered in each reader's language; None for a text the service writes itself (job_messages.*)
    message_data: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    error_data: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    result: Mapped[str | None] = mapped_column(String(80))  # profile run id
    created_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class RegisteredSource(Base):
    __tablename__ = "svc_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    path: Mapped[str] = mapped_column(Text)  # relative to the data folder
    format: Mapped[str] = mapped_column(String(20))
    spec: Mapped[str | None] = mapped_column(String(200))
    rows: Mapped[int | None] = mapped_column(Integer)
    columns: Mapped[list] = mapped_column(JSON, default=list)  # [{name, type}]
    ledger: Mapped[dict] = mapped_column(JSON, default=dict)
    registered_by: Mapped[str | None] = mapped_column(String(80))
    registered_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class RecordOwner(Base):
    """Which organisation recorded an activity import (partners edit only their own)."""

    __tablename__ = "svc_record_owner"
    __table_args__ = (UniqueConstraint("kind", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # "import_batch"
    record_id: Mapped[int] = mapped_column(Integer)
    organisation: Mapped[str | None] = mapped_column(String(80))
    username: Mapped[str | None] = mapped_column(String(80))


def get_or_404(session: Session, model: type, row_id: int, missing: Message, hint: Message):
    """The row ``row_id`` of ``model``, or NotFound (ids beyond the database's range name nothing)."""
    from corridor.service.errors import NotFound, check_id

    check_id(row_id, missing, hint)
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(missing, hint=hint)
    return row


def create_tables(engine: Engine) -> None:
    """Create the service tables that do not exist yet, and add the nullable columns a newer version
    introduced to tables an older one created (the service's tables only grow by such columns)."""
    from sqlalchemy import inspect, text

    Base.metadata.create_all(engine)
    insp = inspect(engine)
    with engine.begin() as con:
        for table in Base.metadata.sorted_tables:
            have = {c["name"] for c in insp.get_columns(table.name)}
            for col in table.columns:
                if col.name not in have and col.nullable:
                    kind = col.type.compile(dialect=engine.dialect)
                    con.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{col.name}" {kind}'))


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on error."""
    s = Session(engine, expire_on_commit=False)
    try:
        yield s
        s.commit()
    except BaseException:
        s.rollback()
        raise
    finally:
        s.close()
