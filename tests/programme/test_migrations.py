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


def test_upgrade_from_0001_keeps_data_and_widens_the_checks(engine):
    """A database holding programme data at revision 0001 upgrades in place (both servers)."""
    from sqlalchemy import text

    dbm.upgrade(engine, "0001")
    with engine.begin() as c:
        c.execute(text("INSERT INTO programme (id, code, title, origin, destination, countries, status) "
                       "VALUES (1, 'P', '{\"en\": \"P\"}', 'COL', 'CHL', '[\"CHL\"]', 'pipeline')"))
        c.execute(text("INSERT INTO organisation (id, programme_id, code, name, kind) "
                       "VALUES (1, 1, 'IOM', '{\"en\": \"IOM\"}', 'international_organisation')"))
        c.execute(text("INSERT INTO import_batch (id, programme_id, kind, file_name, sha256, imported_at, rows_read, "
                       "rows_imported, rows_skipped_blank, sessions, synthetic) VALUES (1, 1, 'trainings', 'f.csv', "
                       "'x', '2016-01-01 00:00:00', 1, 1, 0, 1, false)"))
        c.execute(text("INSERT INTO training_session (id, programme_id, import_id, session_code, held_on, region, "
                       "facility, topic) VALUES (1, 1, 1, 'S1', '2016-05-01', 'CL-AN', 'F', 'T')"))
        c.execute(text("INSERT INTO training_participant (id, session_id, participant_code, profession, sex, "
                       "pre_score, post_score, source_row) VALUES (1, 1, 'P1', 'nurse', 'F', 50, 60, 2)"))
    dbm.upgrade(engine)
    with engine.begin() as c:
        assert c.execute(text("SELECT sex, age_band FROM training_participant")).one() == ("F", None)
        assert c.execute(text("SELECT course_id FROM training_session")).scalar_one() is None
        c.execute(text("INSERT INTO training_participant (id, session_id, participant_code, profession, sex, "
                       "pre_score, source_row) VALUES (2, 1, 'P2', 'nurse', 'U', 50, 3)"))
        c.execute(text("INSERT INTO result (id, programme_id, code, position, level, title, sdg) "
                       "VALUES (1, 1, 'A1', 1, 'activity', '{\"en\": \"A\"}', '[]')"))
        roles = c.execute(text("SELECT iati_roles FROM organisation")).scalar_one()
    assert roles in ([], "[]")
