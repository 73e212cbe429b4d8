"""Alembic migrations of the programme schema (applied by corridor.programme.db)."""
