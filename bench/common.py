"""Shared by the benchmarks: where the database is, a free port, logging in with CSRF."""
from __future__ import annotations

import os
import re
import socket
import tempfile
from contextlib import contextmanager

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def database_url(name: str) -> tuple[str, tempfile.TemporaryDirectory | None]:
    """BENCH_DATABASE_URL (PostgreSQL), else a fresh SQLite file in a temporary folder."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url, None
    tmp = tempfile.TemporaryDirectory()
    return f"sqlite:///{tmp.name}/{name}.sqlite", tmp


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def csrf_token(html: str) -> str:
    return CSRF.search(html).group(1)


def login(client, email: str, password: str) -> None:
    """Log a Flask test client in through the real form."""
    token = csrf_token(client.get("/login").get_data(as_text=True))
    r = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert r.status_code == 302, r.status_code


@contextmanager
def statements_seen(engine):
    """The SQL of every statement run while inside: on the engine (SQLAlchemy's events) and on
    the connections of their own that the account and the cache versions are read on
    (app.core.ownread, raw reads the events don't see)."""
    from sqlalchemy import event

    from app.core import ownread

    seen: list[str] = []
    listener = lambda *a: seen.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    ownread.on_read = seen.append
    try:
        yield seen
    finally:
        ownread.on_read = None
        event.remove(engine, "before_cursor_execute", listener)
