"""Migrations apply from an empty database and produce exactly the ORM schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from corridor.programme import db as dbm
from corridor.programme.models import Base


def test_upgrade_from_empty_reaches_head_with_every_table(engine):
    assert dbm.current_revision(engine) is None
    dbm.upgrade(engine)
    assert dbm.current_revision(engine) == dbm.head_revision() == "0002"
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables


def test_migrated_schema_matches_the_models(migrated):
    with migrated.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, Base.metadata)
    assert diffs == []


def test_upgrade_is_idempotent_and_downgrade_empties(migrated):
    dbm.upgrade(migrated)
    assert dbm.current_revision(migrated) == "0002"
    dbm.downgrade(migrated, "base")
    with migrated.connect() as conn:
        left = set(inspect(conn).get_table_names()) & {t.name for t in Base.metadata.sorted_tables}
    assert left == set()
    assert dbm.current_revision(migrated) is None
