"""Fixtures for the browser tests: the test app on a real HTTP port, and headless Chromium.

`live_server` serves the per-test `app` (see tests/conftest.py) with werkzeug on 127.0.0.1 and
a free port. The default test database is an in-memory SQLite database that lives in a single
shared connection, so nothing may touch it concurrently: the server is threaded (Chromium may
open speculative keep-alive connections that would block a single-threaded server) but every
call into the app holds `live_server.lock`. Test code that reads the database while the
browser might still be talking to the server uses `live_server.app_context()`, which takes the
same lock; the `deliver` fixture is wrapped here to take it too.

Chromium comes from the system (Debian package `chromium`), not from `playwright install`.
Without it the tests are skipped, unless REQUIRE_BROWSER=1 (set in CI), when they fail.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
GERMAN_CATALOG = Path(__file__).resolve().parents[2] / "app" / "translations" / "de" / "LC_MESSAGES" / "messages.mo"
DEFAULT_TIMEOUT_MS = 10_000
PHONE = {"width": 390, "height": 844}  # the phone every page must fit


def no_sideways_scroll(page, what: str | None = None) -> None:
    """The page fits the phone's width: nothing scrolls sideways. Measured once the page and its
    stylesheet have loaded (on a busy machine a page's text can be there before its CSS)."""
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{what or page.url}: {width}px wide"


def _browser_required() -> bool:
    return os.environ.get("REQUIRE_BROWSER", "").strip().lower() in {"1", "true", "yes", "on"}


def _unavailable(reason: str):
    if _browser_required():
        pytest.fail(f"{reason}; REQUIRE_BROWSER=1 is set, so the browser tests fail instead of "
                    "being skipped", pytrace=False)
    pytest.skip(f"{reason}; browser tests skipped")


# ---------------------------------------------------------------- live server
class LiveServer:
    def __init__(self, app, lock: threading.RLock, url: str):
        self.app = app
        self.lock = lock
        self.url = url

    def __call__(self, path: str = "/") -> str:
        """The absolute address of a path on this server."""
        return self.url + path

    @contextmanager
    def app_context(self):
        """An app context for looking into the database, serialized with the server's requests."""
        with self.lock, self.app.app_context():
            yield


@pytest.fixture
def live_server(app):
    lock = threading.RLock()

    def serialized(environ, start_response):
        # Flask tears down the request (and returns the DB connection) before returning, so
        # holding the lock for the call covers every database access of the request.
        with lock:
            return app(environ, start_response)

    server = make_server("127.0.0.1", 0, serialized, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, lock, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()  # serve_forever closes the socket on its way out
        thread.join(timeout=5)


@pytest.fixture
def deliver(deliver, live_server):
    """The outbox worker of tests/conftest.py, run while no request is being served."""

    def _deliver():
        with live_server.lock:
            return deliver()

    return _deliver


# ---------------------------------------------------------------- browser
@pytest.fixture(scope="module")
def browser():
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable("Chromium not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright not installed (pip install -r requirements-dev.txt)")
    if not GERMAN_CATALOG.exists():
        pytest.fail(f"{GERMAN_CATALOG} is missing; run `make translations` first "
                    "(the browser tests read the German UI).", pytrace=False)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_context(browser, live_server):
    """new_context(**options): a fresh browser context (own cookies) on the live server, in
    German unless told otherwise. All are closed after the test, before the server stops."""
    contexts = []

    def _new_context(**options):
        options = {"locale": "de-DE", "base_url": live_server.url, **options}
        context = browser.new_context(**options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context

    yield _new_context
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()
