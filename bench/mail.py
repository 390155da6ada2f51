"""Mail throughput: a coordinator's message to 10,000 volunteers, then the worker sends it.

Prints how long the HTTP request that queues the message takes, and how many mails per second
the worker delivers to an aiosmtpd sink in another process (real SMTP over loopback).

    .venv/bin/python bench/mail.py                       # SQLite file under instance/
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/mail.py
    options: --recipients 10000 --workers 1
    --workers N > 1 starts N `flask mail send-pending` processes at once (needs PostgreSQL)
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db, mail  # noqa: E402
from bench.common import csrf_token, database_url, free_port, login  # noqa: E402
from config import TestingConfig  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    url, tmp = database_url("mail")
    port = free_port()
    # The sink runs in its own process, as a real mail server would.
    sink = subprocess.Popen([sys.executable, str(Path(__file__).with_name("smtp_sink.py")), str(port)],
                            stdout=subprocess.PIPE, text=True)
    assert sink.stdout.readline().strip() == "ready"

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, MAIL_TRANSPORT="smtp",
                     MAIL_SUPPRESS_SEND=False, MAIL_SERVER="127.0.0.1", MAIL_PORT=port,
                     RATELIMIT_ENABLED=False, SQLALCHEMY_ENGINE_OPTIONS={})
    mail.init_app(app)
    from app.accounts.models import Role, User
    from app.accounts.services import hash_password
    from app.core.timeutil import utcnow
    from app.mail.models import OutboxMail
    from app.offices.models import District, Office
    from app.people.models import VolunteerProfile

    with app.app_context():
        db.drop_all()
        db.create_all()
        office = Office(name="Bench", slug="bench", districts=[District(name="Bezirk")])
        coord = User(email="coord@example.org", name="Coord", role=Role.COORDINATOR,
                     password_hash=hash_password("bench-password"), confirmed_at=utcnow(), offices=[office])
        db.session.add_all([office, coord])
        db.session.commit()
        now = utcnow()
        db.session.execute(User.__table__.insert(), [
            {"email": f"v{i}@example.org", "name": f"Volunteer {i}", "password_hash": "x",
             "role": "volunteer", "locale": "de" if i % 4 else "en", "confirmed_at": now, "active": True,
             "session_version": 1, "created_at": now} for i in range(args.recipients)])
        ids = db.session.scalars(select(User.id).where(User.role == Role.VOLUNTEER)).all()
        db.session.execute(VolunteerProfile.__table__.insert(),
                           [{"user_id": i, "district_id": office.districts[0].id} for i in ids])
        db.session.commit()
        office_id = office.id

    client = app.test_client()
    login(client, "coord@example.org", "bench-password")
    token = csrf_token(client.get("/people/message").get_data(as_text=True))
    started = time.perf_counter()
    response = client.post("/people/message", data={
        "office": office_id, "district": 0, "language": "", "subject": "Sommerfest",
        "body": "Liebe Ehrenamtliche,\n\nwir suchen Helfende für das Brückenfest.", "send": "1",
        "csrf_token": token})
    request_ms = (time.perf_counter() - started) * 1000
    assert response.status_code == 302, response.status_code
    with app.app_context():
        queued = db.session.scalar(select(func.count()).select_from(OutboxMail))
    print(f"database: {url.split(':')[0]}")
    print(f"queue request: {request_ms:.0f} ms for {queued} recipients")

    from app.mail.worker import send_pending

    def work():
        with app.app_context():
            send_pending()

    started = time.perf_counter()
    if args.workers == 1:
        work()  # in this process, so a profiler sees it
    else:
        # Real worker processes, as in production: the CLI command, several at once.
        env = {**os.environ, "APP_ENV": "development", "DATABASE_URL": url, "MAIL_TRANSPORT": "smtp",
               "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port), "LOG_LEVEL": "WARNING"}
        flask = str(Path(sys.executable).with_name("flask"))
        procs = [subprocess.Popen([flask, "--app", "wsgi", "mail", "send-pending"], env=env,
                                  cwd=Path(__file__).resolve().parents[1], stdout=subprocess.PIPE, text=True)
                 for _ in range(args.workers)]
        for proc in procs:
            out, _ = proc.communicate()
            print("  worker process:", out.strip())
    seconds = time.perf_counter() - started
    with app.app_context():
        sent = db.session.scalar(select(func.count()).where(OutboxMail.status == "sent"))
    print(f"worker: {sent} sent in {seconds:.1f} s with {args.workers} worker(s) = {sent / seconds:.0f} mails/s")
    sink.send_signal(signal.SIGTERM)
    received = int(sink.stdout.read().split()[-1])
    sink.wait()
    print(f"sink received: {received} (duplicates: {received - sent})")
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
