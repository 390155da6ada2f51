"""Small reads that must see the latest commit and should cost next to nothing: the areas' cache
versions, read on every request that may be answered from a cache (`read_int`), and the signed-in
person's account and session, read on every signed-in request (`first_row`).

One DBAPI connection per thread and process just for these reads, in autocommit (each read sees
the latest commit: PostgreSQL's autocommit, SQLite's implicit transactions begin only for
writes), so that a request answered from a cache never checks a connection out of the pool nor
opens a transaction. Not for an in-memory SQLite database (a second connection would be another
database): there `read_int` answers None and the caller reads the usual way."""
from __future__ import annotations

import logging
import os
import threading
from contextlib import nullcontext
from typing import Callable

from flask import g, has_app_context

from app.core.readcommit import planned_each_time
from app.extensions import db

log = logging.getLogger(__name__)

UNAVAILABLE = object()  # first_row's answer when there is no own connection to read on

# Called with each statement's SQL before it runs on an own connection (the benchmarks count
# statements with SQLAlchemy's events, which don't see these raw reads).
on_read = None

_own = threading.local()

try:  # PostgreSQL through psycopg 3: the reads go to libpq directly (app.core.ownread_pg)
    from app.core import ownread_pg as _libpq
except ImportError:  # psycopg not installed (SQLite only)
    _libpq = None


def _connection():
    engine = db.engine
    if engine.url.get_backend_name() == "sqlite" and engine.url.database in (None, "", ":memory:"):
        return None
    pid = os.getpid()
    conn = getattr(_own, "conn", None)
    if conn is not None and _own.engine is engine and _own.pid == pid:
        return conn
    if conn is not None and _own.pid == pid:  # another app's engine (tests): close the old one
        try:
            conn.close()
        except Exception:  # noqa: BLE001
            pass
    _own.conn = None
    try:
        conn = engine.raw_connection()
        conn.detach()  # ours for good: not counted in, nor returned to, the pool
        if engine.url.get_backend_name() == "postgresql":
            conn.dbapi_connection.autocommit = True
            conn.info["ownread_libpq"] = _libpq is not None and _libpq.usable(conn.dbapi_connection)
    except Exception as exc:  # noqa: BLE001 - the caller falls back to the request's connection
        log.warning("no own connection for version reads: %s", exc)
        return None
    _own.conn, _own.engine, _own.pid = conn, engine, pid
    return conn


# Riders: small scalars that every signed-in request reads anyway (the caches' versions; the
# viewer's own profile state, correlated to the account's row), read along with the signed-in person's account in the same statement — one round trip
# to the database instead of two. An area registers its rider (at import); the account's read
# hands the values on (keep_riders) and the area takes its own (take_rider) at its first read in
# the request. A bump of that version drops it (drop_rider): what was read before a commit of
# this request must not be used after it.
_RIDERS: dict[str, Callable] = {}
NOT_READ = object()  # take_rider's answer when the value did not come along


def register_rider(name: str, column: Callable) -> None:
    """`column()`: a scalar subquery without parameters, at most correlated to `users` (built
    when the account's statement is)."""
    _RIDERS[name] = column


def rider_columns() -> list:
    return [column().label(f"rider_{name}") for name, column in sorted(_RIDERS.items())]


def keep_riders(row) -> None:
    mapping = row._mapping
    g._ownread_riders = {name: mapping[f"rider_{name}"] for name in _RIDERS if f"rider_{name}" in mapping}


def take_rider(name: str):
    """The rider's value read with the account in this request (once), or NOT_READ."""
    riders = g.get("_ownread_riders") if has_app_context() else None
    return riders.pop(name, NOT_READ) if riders else NOT_READ


def drop_rider(name: str) -> None:
    take_rider(name)


def bump(table) -> None:
    """Add one to a cache's version (a one-row table with columns id = 1 and version) in its own
    short transaction, right after the commit that changed what the cache shows; the first bump
    inserts the row. The areas' caches (activities, people) read it with read_values."""
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError, SQLAlchemyError

    step = update(table).where(table.c.id == 1).values(version=table.c.version + 1)
    try:
        with db.engine.begin() as conn:
            if conn.execute(step).rowcount == 0:
                conn.execute(table.insert().values(id=1, version=1))
    except IntegrityError:  # two first bumps at once: the other inserted it
        with db.engine.begin() as conn:
            conn.execute(step)
    except SQLAlchemyError as exc:  # the database is away: entries still expire by time
        log.warning("could not bump %s: %s", table.name, exc)


def read_values(sql: str) -> tuple | None:
    """The first row of `sql` (a fixed SELECT without parameters, of numbers) as ints (0 for
    NULL; () for no row), read on this thread's own connection; None when there is no
    connection to read on or the read failed (the connection is dropped and made anew next time)."""
    rows = _fetch(sql, None, one=True)
    if rows is UNAVAILABLE:
        return None
    return tuple(int(v or 0) for v in rows[0]) if rows else ()


def _fetch(sql: str, args, one: bool, prepare: bool = True):
    """The raw rows of `sql` on this thread's own connection, or UNAVAILABLE. prepare=False:
    never as a prepared statement (PostgreSQL plans it for its values each time)."""
    conn = _connection()
    if conn is None:
        return UNAVAILABLE
    if on_read is not None:
        on_read(sql)
    try:
        if _libpq is not None and conn.info.get("ownread_libpq"):
            rows = _libpq.fetch(conn, sql, args, one, prepare)
            if rows is not _libpq.NOT_HERE:
                return rows
        cur = conn.cursor()
        try:
            unprepared = {} if prepare or _libpq is None or not _libpq.usable(conn.dbapi_connection) \
                else {"prepare": False}
            if args is None:
                cur.execute(sql, **unprepared)
            else:
                cur.execute(sql, args, **unprepared)
            return cur.fetchmany(1) if one else cur.fetchall()
        finally:
            cur.close()
    except Exception as exc:  # noqa: BLE001 - a broken connection: drop it, read the usual way
        _own.conn = None
        try:
            conn.close()
        except Exception:  # noqa: BLE001
            pass
        log.info("read failed on its own connection, retrying on the request's: %s", exc)
        return UNAVAILABLE


def read_int(sql: str) -> int | None:
    """read_values for one number (0 for no row)."""
    values = read_values(sql)
    if values is None:
        return None
    return values[0] if values else 0


# For a statement with parameters and typed results (first_row): compiled once per statement and
# dialect into its SQL text, the order of its parameters and each column's result processor (the
# type's own conversion, e.g. SQLite's text into datetime, a string into an Enum member), then
# run on the same raw connection as read_int.
_prepared: dict = {}


class Row(dict):
    """A result row by column name: `row.name`, `row["name"]`, `row._mapping["name"]`."""

    __slots__ = ()

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def _mapping(self):
        return self


def _prepare(stmt, dialect):
    key = (id(stmt), type(dialect), dialect.paramstyle)
    prepared = _prepared.get(key)
    if prepared is None:
        compiled = stmt.compile(dialect=dialect)
        columns = list(stmt.selected_columns)
        processors = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
        order = tuple(compiled.positiontup) if compiled.positional else None
        binds = dict(compiled._bind_processors)  # the types' own conversion of parameters (an Enum member)
        prepared = _prepared[key] = (stmt, str(compiled), compiled, order, [c.key for c in columns], processors,
                                     binds)
    return prepared


def first_row(stmt, params: dict):
    """The first row of a SELECT (a Core statement whose parameters are plain strings and numbers)
    on this thread's own connection as a Row, None for no row; UNAVAILABLE when there is no such
    connection (an in-memory SQLite database) or the read failed — then the caller reads on the
    request's connection."""
    rows = _run(stmt, params, one=True)
    if rows is UNAVAILABLE:
        return UNAVAILABLE
    return Row(zip(_prepare(stmt, db.engine.dialect)[4], rows[0])) if rows else None


def all_rows(stmt, params: dict | None = None, prepare: bool = True):
    """Every row of such a SELECT as tuples (for small lists read on every request); UNAVAILABLE
    as for first_row."""
    rows = _run(stmt, params or {}, one=False, prepare=prepare)
    if rows is UNAVAILABLE:
        return UNAVAILABLE
    return rows


def rows(stmt, params: dict | None = None, prepare: bool = True) -> list[tuple]:
    """Every row of a SELECT as tuples: on this thread's own connection (each read sees the
    latest commit; the request's own uncommitted changes are not in it), else on the request's.
    prepare=False: planned for its values every time (`readcommit.planned_each_time`), where
    the best plan depends on them (a text search's trigrams)."""
    read = all_rows(stmt, params, prepare)
    if read is UNAVAILABLE:
        conn = db.session.connection()
        with nullcontext() if prepare else planned_each_time(conn):
            read = [tuple(r) for r in conn.execute(stmt, params or {})]
    return read


def row(stmt, params: dict | None = None):
    """The first row as first_row gives it (None for no row), read where `rows` reads."""
    read = first_row(stmt, params or {})
    if read is UNAVAILABLE:
        read = db.session.connection().execute(stmt, params or {}).first()
    return read


def _run(stmt, params: dict, one: bool, prepare: bool = True):
    _stmt, sql, compiled, order, _names, processors, binds = _prepare(stmt, db.engine.dialect)
    values = compiled.construct_params(params)
    for name, proc in binds.items():
        if name in values and values[name] is not None:
            values[name] = proc(values[name])
    raw = _fetch(sql, tuple(values[name] for name in order) if order is not None else values, one, prepare)
    if raw is UNAVAILABLE:
        return UNAVAILABLE
    return [tuple(proc(value) if proc is not None and value is not None else value
                  for proc, value in zip(processors, row)) for row in raw]
