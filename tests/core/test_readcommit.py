"""A transaction that only read ends with COMMIT on PostgreSQL (app.core.readcommit), so psycopg's
prepared statements survive the end of a request; anything else is rolled back as before —
nothing a rollback would undo is ever kept."""
from __future__ import annotations

import pytest
from sqlalchemy import bindparam, create_engine, func, select, text

from app.accounts.models import Role, User
from app.core import readcommit
from app.extensions import db
from tests.conftest import PG_URL

pg_only = pytest.mark.skipif(not PG_URL, reason="psycopg's prepared statements are PostgreSQL's (set TEST_DATABASE_URL)")


def _users_elsewhere(app, email: str) -> int:
    """Counted on a connection of another engine: what has really been committed."""
    with app.app_context():
        engine = create_engine(db.engine.url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(User).where(User.email == email)).scalar()
    finally:
        engine.dispose()


@pg_only
def test_prepared_statements_survive_transactions_that_only_read(app, client, auth, make):
    auth.login(make.volunteer())
    for _ in range(6):
        assert client.get("/my/activities").status_code == 200  # a page's transactions end as before
    stmt = select(User.id).where(User.email == bindparam("email"))
    for i in range(30):  # psycopg prepares after 5 runs on a connection; the pool has a few
        with app.app_context():
            db.session.execute(stmt, {"email": "nobody@example.org"}).all()
            if i == 29:
                prepared = db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements "
                                                  "WHERE statement LIKE '%users.email = $1%'"))
        # leaving the context closes the session: its transaction ends — by COMMIT, since it read
    assert prepared >= 1


@pg_only
def test_a_transaction_that_wrote_is_still_rolled_back(app, make):
    with app.app_context():
        for _ in range(6):
            db.session.execute(select(User.id).limit(1))
            db.session.rollback()
        db.session.add(User(email="gone@example.org", name="Gone", role=Role.VOLUNTEER, password_hash="x"))
        db.session.flush()  # the INSERT runs
        db.session.execute(select(User.id).limit(1))  # a read after the write changes nothing
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "gone@example.org")) == 0
    assert _users_elsewhere(app, "gone@example.org") == 0


@pg_only
def test_a_failed_statement_and_a_set_local_end_in_a_rollback(app):
    with app.app_context():
        with pytest.raises(Exception):
            db.session.execute(text("SELECT * FROM no_such_table"))
        db.session.rollback()  # the transaction is in error: a real rollback, no exception
        db.session.execute(text("SET LOCAL statement_timeout = 1234"))
        db.session.rollback()
        assert db.session.scalar(text("SHOW statement_timeout")) != "1234ms"
        db.session.rollback()


@pg_only
def test_reads_then_rollback_keep_what_was_committed_before(app, make):
    user = make.volunteer()
    with app.app_context():
        db.session.get(User, user.id).name = "Neu"
        db.session.commit()
        db.session.execute(select(User.name).where(User.id == user.id))
        db.session.rollback()  # only read since the commit: a COMMIT of nothing
        assert db.session.get(User, user.id).name == "Neu"


def test_reads_are_told_from_writes():
    assert readcommit._is_read("SELECT 1") and readcommit._is_read("  select x FROM t FOR UPDATE")
    assert readcommit._is_read("SHOW jit")
    for statement in ("INSERT INTO t VALUES (1)", "UPDATE t SET x = 1", "DELETE FROM t", "SELECT 1; DELETE FROM t",
                      "SELECT set_config('statement_timeout', '1', false)",
                      "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "SET LOCAL jit = off",
                      "SAVEPOINT sa_1", "CREATE TABLE t (x int)", "LOCK TABLE t"):
        assert not readcommit._is_read(statement), statement


def test_sqlite_is_left_alone(app):
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            readcommit.install(db.engine)
            assert not getattr(db.engine.dialect, "_wk_readcommit", False)


@pg_only
def test_writes_the_statements_do_not_show_are_rolled_back_too(app):
    """What the statements' text can't tell — a SELECT of a function that writes, a raw cursor
    on the session's connection, a raw pooled connection handed back — the server can: the
    transaction got an id, so it ends in a real ROLLBACK."""
    with app.app_context():
        engine = db.engine
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS rc_probe")
        conn.exec_driver_sql("CREATE TABLE rc_probe (x int)")
        conn.exec_driver_sql("CREATE OR REPLACE FUNCTION rc_probe_add(v int) RETURNS int LANGUAGE sql AS "
                             "$$ INSERT INTO rc_probe VALUES (v) RETURNING x $$")

    def kept(x: int) -> int:
        with engine.connect() as conn:
            return conn.exec_driver_sql(f"SELECT count(*) FROM rc_probe WHERE x = {x}").scalar()

    try:
        with app.app_context():
            db.session.execute(text("SELECT rc_probe_add(1)"))
            db.session.rollback()
            db.session.execute(select(User.id).limit(1))
            db.session.connection().connection.dbapi_connection.cursor().execute("INSERT INTO rc_probe VALUES (2)")
            db.session.rollback()
        raw = engine.raw_connection()
        raw.cursor().execute("INSERT INTO rc_probe VALUES (3)")
        raw.close()  # the pool's reset on return
        assert (kept(1), kept(2), kept(3)) == (0, 0, 0)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP FUNCTION IF EXISTS rc_probe_add(int)")
            conn.exec_driver_sql("DROP TABLE IF EXISTS rc_probe")


@pg_only
def test_statements_planned_each_time_are_never_prepared_and_others_still_are(app):
    """The directory's statements (app.people.directory) run unprepared, so PostgreSQL plans
    each with its values (a generic plan for `LIKE $1` can't use the trigram index)."""
    mine = select(User.id.label("planned_each_time")).where(User.name == bindparam("name"))
    theirs = select(User.id.label("prepared_as_ever")).where(User.name == bindparam("name"))
    with app.app_context():
        conn = db.session.connection()
        threshold = conn.connection.driver_connection.prepare_threshold
        for _ in range(10):
            with readcommit.planned_each_time(conn):
                conn.execute(mine, {"name": "x"}).all()
            conn.execute(theirs, {"name": "x"}).all()
        assert conn.connection.driver_connection.prepare_threshold == threshold
        prepared = db.session.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()
    assert not any("planned_each_time" in s for s in prepared)
    assert any("prepared_as_ever" in s for s in prepared)


def test_planned_each_time_is_a_no_op_without_psycopg(app):
    with app.app_context():
        conn = db.session.connection()
        with readcommit.planned_each_time(conn):
            assert conn.execute(select(func.count()).select_from(User)).scalar() >= 0
