"""The own connection's reads (app.core.ownread) on PostgreSQL, straight through libpq.

These reads run on every signed-in request and are one small, fixed SELECT each. psycopg's
cursor spends about 90 µs of Python per statement around the database's answer (a cursor made
and closed, the query parsed for placeholders, parameters adapted, the prepared-statement
bookkeeping, a generator loop around the wait); libpq itself needs about a third of that. Here
each statement is prepared once per connection under its own name, run with
`PGconn.exec_prepared` (parameters as text) and its rows loaded by psycopg's own `Transformer`
(the C loaders the cursor uses), so the values and types are exactly the cursor's.

Only for statements whose parameters are strings (without NUL), integers, booleans, dates,
naive datetimes or NULL, each cast to its type in the SQL (SQLAlchemy writes `%(name)s::TYPE`)
or standing in a LIMIT/OFFSET; anything else (and every error) is left to the cursor's way, and an error drops
the connection as before (`ownread._fetch`)."""
from __future__ import annotations

import re
from datetime import date, datetime

from psycopg import pq
from psycopg.adapt import Transformer

NOT_HERE = object()  # fetch's answer: not for this way, use the cursor

_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")
_INFERRED = re.compile(r"(?:\bLIMIT|\bOFFSET|[^<>!=]=|<>|!=|>=|<=)\s*$")
_numbered: dict[str, tuple[bytes, tuple[str, ...]] | None] = {}


def usable(dbapi_connection) -> bool:
    """A psycopg 3 connection with its libpq connection at hand."""
    return getattr(dbapi_connection, "pgconn", None) is not None and hasattr(dbapi_connection.pgconn, "exec_prepared")


def _to_numbered(sql: str) -> tuple[bytes, tuple[str, ...]] | None:
    """`%(name)s` → `$n` (one number per name, in order of first appearance), `%%` → `%`."""
    if sql in _numbered:
        return _numbered[sql]
    if "POSTCOMPILE" in sql:
        _numbered[sql] = None
        return None
    names: list[str] = []
    untyped = False

    def number(match: re.Match) -> str:
        nonlocal untyped
        if match.group(0) == "%%":
            return "%"
        name = match.group(1)
        if name not in names:
            names.append(name)
        # The parameters go as text of no type, so the server infers each from where it stands:
        # right for one cast to its type (`::INTEGER`, as SQLAlchemy writes them), one compared
        # with something typed (`users.role = $1`: the column's type) or a LIMIT or OFFSET, not
        # for a bare `SELECT %(x)s` (text, where the cursor's would be an int).
        if not sql.startswith("::", match.end()) and not _INFERRED.search(sql, 0, match.start()):
            untyped = True
        return f"${names.index(name) + 1}"

    numbered = _PLACEHOLDER.sub(number, sql).encode()
    out = _numbered[sql] = None if untyped else (numbered, tuple(names))
    return out


def _text(value) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, str):
        if "\x00" in value:  # libpq would cut the text there; the cursor refuses it
            raise TypeError("NUL in text")
        return value.encode()
    if isinstance(value, bool):
        return b"t" if value else b"f"
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, datetime):
        if value.tzinfo is not None:  # psycopg would send a timestamptz: leave it to the cursor
            raise TypeError("aware datetime")
        return value.isoformat().encode()  # the SQL casts it (SQLAlchemy renders the bind's type)
    if isinstance(value, date):
        return value.isoformat().encode()
    raise TypeError(type(value))


def _prepared_name(conn, pgconn, numbered: bytes) -> bytes:
    prepared: dict[bytes, bytes] = conn.info.setdefault("ownread_prepared", {})
    name = prepared.get(numbered)
    if name is None:
        name = f"wk_own_{len(prepared)}".encode()
        result = pgconn.prepare(name, numbered)
        if result.status != pq.ExecStatus.COMMAND_OK:
            raise RuntimeError(pgconn.get_error_message())
        prepared[numbered] = name
    return name


def fetch(conn, sql: str, args, one: bool, prepare: bool = True):
    """The rows (tuples) of `sql` with `args` (a dict, or None for SQL without parameters) on the
    pooled connection `conn` (SQLAlchemy's wrapper, autocommit), or NOT_HERE. prepare=False: sent
    with its values and planned for them each time (`PGconn.exec_params`), for a statement whose
    best plan depends on the values (app.core.readcommit.planned_each_time)."""
    params = None
    if args is None:
        numbered = sql.encode()
    else:
        if not isinstance(args, dict):
            return NOT_HERE
        found = _to_numbered(sql)
        if found is None:
            return NOT_HERE
        numbered, names = found
        try:
            params = [_text(args[name]) for name in names]
        except (KeyError, TypeError):
            return NOT_HERE
    dbapi = conn.dbapi_connection
    pgconn = dbapi.pgconn
    if prepare:
        result = pgconn.exec_prepared(_prepared_name(conn, pgconn, numbered), params)
    else:
        result = pgconn.exec_params(numbered, params)
    if result.status != pq.ExecStatus.TUPLES_OK:
        raise RuntimeError(pgconn.get_error_message())
    transformer = conn.info.get("ownread_transformer")
    if transformer is None:
        transformer = conn.info["ownread_transformer"] = Transformer(dbapi)
    transformer.set_pgresult(result)
    count = result.ntuples
    return transformer.load_rows(0, min(count, 1) if one else count, tuple)
