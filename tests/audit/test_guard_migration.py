"""Migration 0009_audit_guard: on PostgreSQL the database itself refuses to change an entry."""
from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app import create_app
from app.extensions import db
from config import TestingConfig
from tests.conftest import PG_URL
from tests.core.test_migrations import empty_database_url  # noqa: F401  (fixture)


@pytest.mark.skipif(not PG_URL, reason="the trigger exists on PostgreSQL only")
def test_migration_installs_and_removes_the_guard(empty_database_url):  # noqa: F811
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        upgrade()
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO audit_entries (at, actor_name, action, record_type, detail) "
                              "VALUES (now(), 'system', 'office.updated', 'offices', '{}')"))
        for statement in ("UPDATE audit_entries SET action = 'x'", "DELETE FROM audit_entries"):
            with pytest.raises(DBAPIError, match="cannot be changed"):
                with db.engine.begin() as conn:
                    conn.execute(text(statement))
        with db.engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_entries"))  # no row trigger: tests may still clean up
        downgrade(revision="0008_org")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO audit_entries (at, actor_name, action, record_type, detail) "
                              "VALUES (now(), 'system', 'office.updated', 'offices', '{}')"))
            conn.execute(text("DELETE FROM audit_entries"))
        db.engine.dispose()
