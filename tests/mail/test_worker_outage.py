"""The mail worker while the database is away (issue 10, point 13): it stops at once on
SIGTERM even while a connection attempt hangs, and it logs one line per back-off step."""
from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from app.extensions import db
from tests.core.test_outage import REFUSED_URL, BlackHole, database_at

ROOT = Path(__file__).resolve().parents[2]


def test_worker_stops_on_sigterm_while_the_database_hangs(tmp_path):
    """A real `flask mail worker` against a database that accepts connections and never
    answers. The connect time-out is long on purpose: the worker must not sit it out."""
    with BlackHole() as hole:
        env = {**os.environ, "APP_ENV": "development", "DATABASE_URL": hole.url,
               "DB_CONNECT_TIMEOUT": "30", "MAIL_TRANSPORT": "sink",
               "MAIL_SINK_DIR": str(tmp_path / "mail"), "MAIL_POLL_SECONDS": "1", "LOG_LEVEL": "INFO"}
        env.pop("TEST_DATABASE_URL", None)
        proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "mail", "worker"],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        try:
            deadline = time.monotonic() + 20
            while hole.accepted == 0 and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.05)
            assert hole.accepted >= 1, "the worker never tried to connect"
            time.sleep(0.3)  # well inside the connection attempt
            proc.send_signal(signal.SIGTERM)
            sent = time.monotonic()
            output, _ = proc.communicate(timeout=10)
            took = time.monotonic() - sent
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0, output
    assert took < 3, f"{took:.1f} s after SIGTERM\n{output}"
    assert "stopped" in output
    assert "Traceback" not in output, output


def test_unreachable_database_one_line_per_growing_backoff_step(app, caplog):
    """Real connection errors (a refused port), the real loop in a thread: each failed round
    is one warning without a traceback, and the wait doubles."""
    from app.mail.worker import run_worker

    stop = threading.Event()

    def worker():
        with app.app_context():
            run_worker(stop=stop, poll_seconds=0.05)

    with database_at(app, REFUSED_URL), caplog.at_level(logging.INFO, logger="app.mail.worker"):
        thread = threading.Thread(target=worker)
        thread.start()
        time.sleep(1.0)
        stop.set()
        thread.join(5)
        assert not thread.is_alive()
    records = [r for r in caplog.records if r.name == "app.mail.worker"]
    lines = [r for r in records if "database unreachable" in r.getMessage()]
    assert 3 <= len(lines) <= 6, [r.getMessage() for r in records]  # not one per 50 ms poll
    assert not any(r.exc_info for r in records), "no tracebacks"
    waits = [float(re.search(r"next in ([\d.]+) s", r.getMessage()).group(1)) for r in lines]
    assert waits == sorted(waits) and waits[1] == 2 * waits[0]
    assert "Connection refused" in lines[0].getMessage()  # the reason, in one line


def test_worker_says_when_the_database_is_back(app, caplog):
    from app.mail.worker import run_worker

    stop = threading.Event()
    with app.app_context():
        engines = db._app_engines[app]
    good = engines[None]

    def worker():
        with app.app_context():
            run_worker(stop=stop, poll_seconds=0.05)

    with caplog.at_level(logging.INFO, logger="app.mail.worker"):
        with database_at(app, REFUSED_URL):
            thread = threading.Thread(target=worker)
            thread.start()
            time.sleep(0.3)
        assert engines[None] is good  # the database is back
        time.sleep(1.5)  # the back-off so far is at most 0.05 · 2^4 s
        stop.set()
        thread.join(5)
    messages = [r.getMessage() for r in caplog.records if r.name == "app.mail.worker"]
    assert any("database reachable again" in m for m in messages), messages
