"""The worker as it runs in production: the CLI commands, the development sink, SIGTERM."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.mail.models import MailStatus, OutboxMail
from app.mail.services import queue_mail

ROOT = Path(__file__).resolve().parents[2]
CTX = {"user": {"name": "Amina", "email": "a@example.org"}, "link": "http://localhost/x", "hours": 72}


def test_sink_writes_eml_files_and_logs(app, tmp_path, runner, caplog):
    app.config.update(MAIL_TRANSPORT="sink", MAIL_SINK_DIR=str(tmp_path / "mail"))
    with app.app_context():
        queue_mail("confirm_address", to="amina@example.org", context=CTX)
        db.session.commit()
    result = runner.invoke(args=["mail", "send-pending"])
    assert result.exit_code == 0 and "sent 1" in result.output
    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1
    content = files[0].read_bytes()
    assert b"amina@example.org" in content and b"Message-ID: <outbox-1@willkommen>" in content
    assert any("mail sink" in r.getMessage() for r in caplog.records)
    with app.app_context():
        assert db.session.scalar(select(OutboxMail.status)) == MailStatus.SENT


def test_worker_process_stops_cleanly_on_sigterm(tmp_path):
    """A real `flask mail worker` process: sends what is queued, exits 0 on SIGTERM."""
    db_url = f"sqlite:///{tmp_path / 'worker.sqlite'}"
    env = {**os.environ, "APP_ENV": "development", "DATABASE_URL": db_url, "MAIL_TRANSPORT": "sink",
           "MAIL_SINK_DIR": str(tmp_path / "mail"), "MAIL_POLL_SECONDS": "1", "LOG_LEVEL": "INFO"}
    env.pop("TEST_DATABASE_URL", None)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    from app import create_app
    from config import DevelopmentConfig

    app = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=db_url)
    with app.app_context():
        for i in range(3):
            queue_mail("confirm_address", to=f"p{i}@example.org", context=CTX)
        db.session.commit()
    proc = subprocess.Popen(flask + ["mail", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 30
        while time.time() < deadline and len(list((tmp_path / "mail").glob("*.eml"))) < 3:
            time.sleep(0.2)
        assert len(list((tmp_path / "mail").glob("*.eml"))) == 3
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert "stopped" in output
    with app.app_context():
        assert set(db.session.scalars(select(OutboxMail.status))) == {MailStatus.SENT}
        db.engine.dispose()
