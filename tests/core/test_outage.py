"""The database away: refused, or accepting connections and never answering.

Error pages render without the database (503, Retry-After, in the layout, for anonymous and
logged-in visitors); PostgreSQL time-outs make a hanging database cost seconds, not a worker.
"""
from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy import text

from app.extensions import db
from config import engine_options
from tests.conftest import PG_URL

REFUSED_URL = "postgresql+psycopg://nobody@127.0.0.1:1/none"


class BlackHole:
    """A TCP server that accepts every connection and never says a word: a database host
    whose server hangs (or a firewall that lets the handshake through)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.accepted = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://nobody@127.0.0.1:{self.port}/none"

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self.held.append(conn)  # keep it open, answer nothing

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.sock.close()
        for conn in self.held:
            conn.close()


@contextmanager
def database_at(app, url: str):
    """Point the app's engine at another database for a while (built with the app's own
    engine options for that URL, time-outs included)."""
    with app.app_context():
        engines = db._app_engines[app]
        old = engines[None]
        engines[None] = sa.create_engine(url, **engine_options(url))
    try:
        yield
    finally:
        with app.app_context():
            db.session.remove()
            engines[None].dispose()
            engines[None] = old


def in_time(seconds: float, fn, *args, **kwargs):
    """Run fn in a thread; fail (instead of hanging the suite) if it takes longer."""
    result: dict = {}

    def run():
        try:
            result["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # pragma: no cover - reported below
            result["error"] = exc

    started = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still waiting after {seconds} s"
    if "error" in result:
        raise result["error"]
    return result["value"], time.monotonic() - started


@pytest.fixture
def short_timeouts(monkeypatch):
    monkeypatch.setenv("DB_CONNECT_TIMEOUT", "2")  # libpq's minimum
    monkeypatch.setenv("DB_POOL_TIMEOUT", "2")
    monkeypatch.setenv("DB_STATEMENT_TIMEOUT_MS", "500")
    monkeypatch.setenv("DB_LOCK_TIMEOUT_MS", "500")


def assert_outage_page(r):
    body = r.get_data(as_text=True)
    assert r.status_code == 503, body[:300]
    assert r.headers["Retry-After"].isdigit()
    assert 'class="skip-link"' in body and 'class="site-footer"' in body  # the normal layout
    assert "Internal Server Error" not in body
    return body


# ---------------------------------------------------------------- point 12: unreachable
def test_logged_in_person_gets_the_outage_page_not_a_bare_500(app, client, auth, make, caplog):
    user = make.volunteer(locale="en")
    assert auth.login(user).status_code == 302
    assert client.get("/home").status_code == 200
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production
    with database_at(app, REFUSED_URL):
        for path in ("/home", "/", "/account", "/offices/", "/does-not-exist"):
            r = client.get(path, headers={"Accept-Language": "de"})
            if path == "/does-not-exist":
                assert r.status_code in (404, 503) and 'class="skip-link"' in r.get_data(as_text=True)
                continue
            body = assert_outage_page(r)
            assert "Vorübergehend nicht erreichbar" in body  # in German by the browser
            assert "Log out" not in body and "Abmelden" not in body  # the user is not loaded
        r = client.get("/home", headers={"Accept": "application/json"})
        assert r.status_code == 503 and r.json == {"error": "Vorübergehend nicht erreichbar"}
    # one line per failed request, no traceback
    lines = [rec for rec in caplog.records if "database unavailable" in rec.getMessage()]
    assert lines and not any(rec.exc_info for rec in lines)
    # and when the database is back, the person is still logged in
    assert client.get("/home").status_code == 200


def test_anonymous_visitor_gets_the_outage_page(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with database_at(app, REFUSED_URL):
        for path in ("/", "/login"):
            r = client.get(path, headers={"Accept-Language": "en"})
            if r.status_code == 200:  # pages that need no database still work
                continue
            assert "Temporarily unavailable" in assert_outage_page(r)
        assert client.get("/healthz").status_code == 503


def test_outage_page_also_in_testing_mode(app, client, auth, make):
    """No PROPAGATE_EXCEPTIONS needed: the outage is handled, not an error that escapes."""
    assert auth.login(make.admin()).status_code == 302
    with database_at(app, REFUSED_URL):
        assert_outage_page(client.get("/home"))


def test_other_database_errors_are_still_500s(app, client):
    from sqlalchemy.exc import IntegrityError

    @app.get("/integrity")
    def integrity():
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    app.config["PROPAGATE_EXCEPTIONS"] = False
    r = client.get("/integrity")
    assert r.status_code == 500 and "Retry-After" not in r.headers


# ---------------------------------------------------------------- point 13: hanging
def test_engine_options_carry_timeouts_for_postgresql_only(monkeypatch):
    monkeypatch.setenv("DB_CONNECT_TIMEOUT", "3")
    monkeypatch.setenv("DB_STATEMENT_TIMEOUT_MS", "1234")
    pg = engine_options("postgresql+psycopg://u@h/d")
    assert pg["connect_args"]["connect_timeout"] == 3
    assert "-c statement_timeout=1234" in pg["connect_args"]["options"]
    assert "-c lock_timeout=" in pg["connect_args"]["options"]
    assert "-c idle_in_transaction_session_timeout=" in pg["connect_args"]["options"]
    assert pg["pool_timeout"] == 5
    assert engine_options("sqlite://") == {"pool_pre_ping": True}


def test_healthz_answers_503_within_seconds_when_the_database_hangs(app, client, short_timeouts):
    with BlackHole() as hole, database_at(app, hole.url):
        r, took = in_time(10, client.get, "/healthz")
        assert hole.accepted >= 1  # it really connected and waited
    assert r.status_code == 503 and r.json["database"] == "unreachable"
    assert took < 6


def test_logged_in_page_answers_503_within_seconds_when_the_database_hangs(
        app, client, auth, make, short_timeouts):
    assert auth.login(make.volunteer()).status_code == 302
    with BlackHole() as hole, database_at(app, hole.url):
        r, took = in_time(10, client.get, "/home")
    assert_outage_page(r)
    assert took < 6  # one connection attempt, not one per current_user


@pytest.mark.skipif(not PG_URL, reason="statement_timeout is PostgreSQL's (set TEST_DATABASE_URL)")
def test_statement_timeout_ends_a_hanging_query(app, client, short_timeouts):
    @app.get("/slow")
    def slow():
        db.session.execute(text("SELECT pg_sleep(5)"))
        return "done"

    with database_at(app, PG_URL):
        with app.app_context():
            started = time.monotonic()
            with pytest.raises(sa.exc.OperationalError, match="statement timeout"):
                db.session.execute(text("SELECT pg_sleep(5)"))
            assert time.monotonic() - started < 3
            db.session.rollback()
            assert db.session.scalar(text("SHOW lock_timeout")) == "500ms"
        r, took = in_time(10, client.get, "/slow")
    assert_outage_page(r)
    assert took < 3
