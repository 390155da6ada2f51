"""PostgreSQL: a transaction that only read ends with COMMIT instead of ROLLBACK, so that psycopg
keeps the statements it has prepared on the connection.

psycopg prepares a statement on the server once a connection has run it a few times
(`prepare_threshold`, 5) and from then on skips parsing and planning — for a page's joined
statement most of its cost on the server (2.6 of 2.8 ms for "my next dates"). But psycopg forgets
every prepared statement on ROLLBACK (the schema may have changed), and every request ends its
transaction with one: the session's close and the pool's reset on return both roll back. So on
the pooled connections nothing was ever prepared and every statement of every request was planned
anew.

For a transaction that wrote nothing, COMMIT and ROLLBACK do the same: nothing to keep, locks and
snapshot released. So the dialect's rollback commits such a transaction instead. Two checks, both
must say "nothing written": every statement SQLAlchemy ran in it began with SELECT or SHOW (any
other — INSERT, UPDATE, DELETE, WITH …, SET LOCAL, SAVEPOINT, DDL — or a failed transaction means
a real ROLLBACK at once), and the server has given the transaction no transaction id
(`pg_current_xact_id_if_assigned()` is NULL: PostgreSQL assigns one at the first write of any
kind, also one made by a function called from a SELECT, by a second statement in the same
string, or through a raw cursor). What is left is a session setting changed by a SELECT of
`set_config(…, false)` inside the transaction, which a rollback would undo and a commit keeps:
the app never does that, and a statement naming set_config counts as a write. SQLite is left alone (it has no server-side plans to lose)."""
from __future__ import annotations

import weakref
from contextlib import contextmanager

from sqlalchemy import event

# Only these may precede a COMMIT in place of a ROLLBACK. (A SELECT … FOR UPDATE holds locks
# until either ends the transaction; a SELECT has no other effect this app relies on.)
_READS = ("SELECT", "SHOW")


def _is_read(statement: str) -> bool:
    head = statement.lstrip()[:6].upper()
    if not head.startswith(_READS) or ";" in statement:  # a second statement in the same string
        return False
    return "set_config" not in statement.lower()  # a session setting a rollback would undo


def install(engine) -> None:
    """Hook the engine's dialect (once per engine); a no-op for anything but PostgreSQL with
    psycopg."""
    dialect = engine.dialect
    if dialect.name != "postgresql" or dialect.driver != "psycopg" or getattr(dialect, "_wk_readcommit", False):
        return
    wrote: weakref.WeakSet = weakref.WeakSet()  # DBAPI connections whose transaction did more than read

    @event.listens_for(engine, "before_cursor_execute")
    def _note(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        if executemany or not _is_read(statement):
            wrote.add(cursor.connection)

    plain_rollback, plain_commit = dialect.do_rollback, dialect.do_commit

    def do_rollback(dbapi_connection) -> None:
        raw = getattr(dbapi_connection, "dbapi_connection", dbapi_connection)  # a pool's fairy, or the connection
        try:
            idle_in_transaction = raw.info.transaction_status == _INTRANS
        except AttributeError:  # not a psycopg connection after all
            idle_in_transaction = False
        if idle_in_transaction and raw not in wrote and _wrote_nothing(raw):
            raw.commit()  # only reads: the same as a rollback, and the prepared statements stay
            return
        wrote.discard(raw)
        plain_rollback(dbapi_connection)

    def do_commit(dbapi_connection) -> None:
        plain_commit(dbapi_connection)
        wrote.discard(getattr(dbapi_connection, "dbapi_connection", dbapi_connection))

    dialect.do_rollback, dialect.do_commit = do_rollback, do_commit
    dialect._wk_readcommit = True


def _wrote_nothing(raw) -> bool:
    """The server's word: this transaction has no transaction id, so it wrote nothing."""
    try:
        with raw.cursor() as cur:
            cur.execute("SELECT pg_current_xact_id_if_assigned() IS NULL")
            return bool(cur.fetchone()[0])
    except Exception:  # noqa: BLE001 - in doubt, a real rollback
        return False


try:
    from psycopg.pq import TransactionStatus

    _INTRANS = TransactionStatus.INTRANS
except ImportError:  # pragma: no cover - without psycopg there is nothing to hook
    _INTRANS = None


@contextmanager
def planned_each_time(conn):
    """Statements run inside on SQLAlchemy connection `conn` are not prepared (psycopg sends them
    as unnamed statements), so PostgreSQL plans each with its actual parameter values. For a
    statement whose best plan depends on them — the directory's search: `LIKE '%haddad%'` takes
    the trigram index, a generic plan for `LIKE $1` can't and reads all 20,000 accounts (4.6 →
    18 ms from the sixth run on, when PostgreSQL's plan cache switches to the generic plan).
    Statements prepared before stay prepared; elsewhere a no-op."""
    try:
        raw = conn.connection.driver_connection
        threshold = raw.prepare_threshold
    except AttributeError:  # not psycopg
        yield
        return
    raw.prepare_threshold = None
    try:
        yield
    finally:
        raw.prepare_threshold = threshold
