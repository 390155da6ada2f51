"""The outbox and its worker against a real SMTP server."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.core.timeutil import utcnow
from app.extensions import db
from app.mail.models import MailStatus, OutboxMail
from app.mail.services import mark_bounced, queue_mail
from app.mail.worker import claim_batch, send_pending, SendStats
from tests.conftest import PG_URL

CTX = {"user": {"name": "Amina", "email": "a@example.org"}, "link": "http://localhost/x", "hours": 72}


def queue(app, n: int, kind: str = "confirm_address", prefix: str = "p", **kw) -> list[int]:
    with app.app_context():
        rows = [queue_mail(kind, to=f"{prefix}{i}@example.org", context=CTX, **kw) for i in range(n)]
        db.session.commit()
        return [r.id for r in rows]


def statuses(app) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(select(OutboxMail.status, func.count()).group_by(OutboxMail.status)).all()
        return {s.value: n for s, n in rows}


def make_due(app):
    """Skip the back-off wait: everything queued is due now."""
    with app.app_context():
        db.session.execute(update(OutboxMail).where(OutboxMail.status == MailStatus.QUEUED)
                           .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()


def run(app, **kw) -> SendStats:
    with app.app_context():
        return send_pending(**kw)


def test_mail_and_change_commit_together_or_not_at_all(app):
    from app.accounts.models import User

    with app.app_context():
        db.session.add(User(email="x@example.org", name="X", password_hash="x"))
        queue_mail("confirm_address", to="x@example.org", context=CTX)
        db.session.rollback()  # the change fails …
        assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 0  # … no mail either


def test_sends_with_one_connection_per_batch(smtp_app, smtp):
    queue(smtp_app, 25)
    stats = run(smtp_app)
    assert stats.sent == 25
    assert len(smtp.handler.messages) == 25
    assert len(smtp.handler.peers) == 1  # one SMTP connection reused for the batch
    assert statuses(smtp_app) == {"sent": 25}


def test_outage_then_every_mail_arrives_exactly_once(smtp_app, smtp):
    smtp.stop()
    queue(smtp_app, 10)
    stats = run(smtp_app)
    assert stats.sent == 0 and stats.errors  # connection refused
    with smtp_app.app_context():
        rows = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
        assert all(r.status == MailStatus.QUEUED for r in rows)
        assert all(r.next_attempt_at > utcnow() for r in rows)  # backed off, not hammering
        # every mail of the batch waits; the outage is not counted against the mails
        assert all(r.attempts == 0 and r.deferrals == 1 and "connect" in r.last_error for r in rows)
    assert run(smtp_app).sent == 0  # nothing due yet during back-off
    smtp.start()
    make_due(smtp_app)
    assert run(smtp_app).sent == 10
    assert run(smtp_app).sent == 0
    ids = [m["Message-ID"] for m in smtp.handler.messages]
    assert len(ids) == 10 and len(set(ids)) == 10


def test_temporary_failure_is_retried_with_growing_backoff(smtp_app, smtp):
    smtp.handler.temp["p0@example.org"] = 2
    queue(smtp_app, 3)
    stats = run(smtp_app)
    assert stats.sent == 2 and stats.retried == 1
    with smtp_app.app_context():
        row = db.session.scalar(select(OutboxMail).where(OutboxMail.to_address == "p0@example.org"))
        first_wait = row.next_attempt_at - utcnow()
        assert row.status == MailStatus.QUEUED and row.attempts == 1 and row.last_error.startswith("451")
    make_due(smtp_app)
    run(smtp_app)
    with smtp_app.app_context():
        row = db.session.scalar(select(OutboxMail).where(OutboxMail.to_address == "p0@example.org"))
        assert row.attempts == 2 and (row.next_attempt_at - utcnow()) > first_wait
    make_due(smtp_app)
    run(smtp_app)
    assert len(smtp.handler.to("p0@example.org")) == 1
    assert statuses(smtp_app) == {"sent": 3}


def test_permanent_failure_is_marked_with_reason(smtp_app, smtp):
    smtp.handler.perm.add("p1@example.org")
    queue(smtp_app, 3)
    stats = run(smtp_app)
    assert stats.sent == 2 and stats.failed == 1
    with smtp_app.app_context():
        row = db.session.scalar(select(OutboxMail).where(OutboxMail.to_address == "p1@example.org"))
        assert row.status == MailStatus.FAILED and row.last_error.startswith("550")
    make_due(smtp_app)
    assert run(smtp_app).sent == 0  # never retried


def test_gives_up_after_max_attempts(smtp_app, smtp):
    smtp_app.config["MAIL_MAX_ATTEMPTS"] = 3
    smtp.handler.temp["p0@example.org"] = 99
    queue(smtp_app, 1)
    for _ in range(3):
        run(smtp_app)
        make_due(smtp_app)
    assert statuses(smtp_app) == {"failed": 1}


def test_bounced_address_gets_only_service_mail(smtp_app, smtp, make):
    from app.mail.services import send_message
    from app.people.services import volunteer_recipients

    office = make.office()
    vol = make.volunteer(district_id=office.district_ids[0])
    with smtp_app.app_context():
        mark_bounced(vol.email, "550 user unknown", actor=None)
        send_message(sender=None, office_id=office.id, subject="Fest", body="Hallo", audience="test",
                     recipients=volunteer_recipients(office.id))
        queue_mail("password_reset", to=vol.email, context={**CTX, "minutes": 5})
        db.session.commit()
    stats = run(smtp_app)
    assert stats.skipped == 1 and stats.sent == 1
    with smtp_app.app_context():
        skipped = db.session.scalar(select(OutboxMail).where(OutboxMail.status == MailStatus.SKIPPED))
        assert skipped.kind == "coordinator_message" and skipped.last_error == "bounced"


def test_crash_between_send_and_mark_resends_with_same_message_id(smtp_app, smtp):
    """At-least-once: a worker that dies after claiming leaves 'sending' rows; after the claim
    timeout another worker sends them again, with the same Message-ID."""
    queue(smtp_app, 2)
    with smtp_app.app_context():
        claimed = claim_batch("dead-worker", 10)  # … and the worker dies here
        assert len(claimed) == 2
    assert run(smtp_app).sent == 0  # not yet: the claim is fresh
    with smtp_app.app_context():
        db.session.execute(update(OutboxMail).values(claimed_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
    assert run(smtp_app).sent == 2
    assert statuses(smtp_app) == {"sent": 2}
    assert {m["Message-ID"] for m in smtp.handler.messages} == {
        f"<outbox-{i}@willkommen>" for i in (1, 2)} or len(smtp.handler.messages) == 2


def test_stop_finishes_mail_in_hand_and_returns_the_rest(smtp_app, smtp, monkeypatch):
    queue(smtp_app, 5)
    stop = threading.Event()
    from app.mail import worker

    original = worker.SmtpTransport.send

    def send_then_stop(self, msg):
        original(self, msg)
        stop.set()  # SIGTERM arrives while the first mail is being sent

    monkeypatch.setattr(worker.SmtpTransport, "send", send_then_stop)
    stats = run(smtp_app, stop=stop)
    assert stats.sent == 1
    with smtp_app.app_context():
        rows = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
        assert rows[0].status == MailStatus.SENT
        assert all(r.status == MailStatus.QUEUED and r.claimed_by is None for r in rows[1:])
    monkeypatch.setattr(worker.SmtpTransport, "send", original)
    assert run(smtp_app).sent == 4
    assert len(smtp.handler.messages) == 5


def test_recipient_language(smtp_app, smtp, make, client):
    from tests.conftest import submit

    en = make.volunteer(locale="en", email="en@example.org")
    de = make.volunteer(locale="de", email="de@example.org")
    for user in (en, de):
        submit(smtp_app.test_client(), "/forgot-password", {"email": user.email})
    run(smtp_app)
    assert smtp.handler.to("en@example.org")[0]["Subject"] == "Reset your password"
    assert smtp.handler.to("de@example.org")[0]["Subject"] != "Reset your password"
    body = smtp.handler.to("de@example.org")[0].get_body(("plain",)).get_content()
    assert "Hallo" in body


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="several workers at once are proven on PostgreSQL (set TEST_DATABASE_URL)")
def test_several_workers_never_send_a_mail_twice(smtp_app, smtp):
    smtp_app.config["MAIL_BATCH_SIZE"] = 20
    queue(smtp_app, 400)
    results: list[SendStats] = []
    errors: list[BaseException] = []

    def work():
        try:
            with smtp_app.app_context():
                results.append(send_pending())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sum(r.sent for r in results) == 400
    ids = [m["Message-ID"] for m in smtp.handler.messages]
    assert len(ids) == 400 and len(set(ids)) == 400
    assert statuses(smtp_app) == {"sent": 400}
    assert sum(1 for r in results if r.sent) >= 2  # the work really was shared


def test_line_break_in_header_fails_that_mail_alone(smtp_app, smtp):
    with smtp_app.app_context():
        queue_mail("confirm_address", to="evil@example.org", to_name="Evil\nBcc: x@example.org", context=CTX)
        db.session.commit()
    queue(smtp_app, 3)
    stats = run(smtp_app)
    assert stats.sent == 3 and stats.failed == 1
    with smtp_app.app_context():
        bad = db.session.scalar(select(OutboxMail).where(OutboxMail.to_address == "evil@example.org"))
        assert bad.status == MailStatus.FAILED and "bad header" in bad.last_error
    assert not any("Bcc" in str(m) for m in smtp.handler.messages)


class RefusingSender:
    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        return "530 5.7.0 Authentication required"


def test_sender_refused_is_a_server_problem_not_the_mails(smtp_app, smtp):
    from aiosmtpd.controller import Controller

    from tests.mail.conftest import free_port

    port = free_port()
    controller = Controller(RefusingSender(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        smtp_app.config["MAIL_PORT"] = port
        from app.extensions import mail

        mail.init_app(smtp_app)
        queue(smtp_app, 5)
        stats = run(smtp_app)
    finally:
        controller.stop()
    assert stats.failed == 0 and stats.errors
    with smtp_app.app_context():
        rows = db.session.scalars(select(OutboxMail)).all()
        assert all(r.status == MailStatus.QUEUED and "530" in r.last_error for r in rows)


def test_silent_server_times_out_instead_of_hanging(smtp_app):
    import socket as socketlib
    import time as timelib

    listener = socketlib.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)  # accepts connections, never greets
    try:
        smtp_app.config.update(MAIL_PORT=listener.getsockname()[1], MAIL_TIMEOUT=1)
        from app.extensions import mail

        mail.init_app(smtp_app)
        queue(smtp_app, 2)
        started = timelib.monotonic()
        stats = run(smtp_app)
        assert timelib.monotonic() - started < 10
    finally:
        listener.close()
    assert stats.sent == 0 and stats.errors
    assert statuses(smtp_app) == {"queued": 2}


def test_slow_worker_keeps_its_claim(smtp_app, smtp, monkeypatch):
    """A living worker renews its claim; another worker never takes over its mails."""
    import time as timelib

    from app.mail import worker

    smtp_app.config.update(MAIL_CLAIM_TIMEOUT=3)  # with a margin for a machine under load
    queue(smtp_app, 4)
    original = worker.SmtpTransport.send
    others: list[int] = []

    def slow_send(self, msg):
        timelib.sleep(0.9)  # 4 mails take longer than the claim timeout
        with smtp_app.app_context():  # meanwhile a second worker looks for work
            others.append(len(claim_batch("other-worker", 10)))
        original(self, msg)

    monkeypatch.setattr(worker.SmtpTransport, "send", slow_send)
    stats = run(smtp_app)
    assert stats.sent == 4 and others == [0, 0, 0, 0]
    assert len(smtp.handler.messages) == 4


def test_long_outage_then_greylisting_does_not_fail_the_mail(smtp_app, smtp):
    smtp_app.config["MAIL_MAX_ATTEMPTS"] = 3
    smtp.stop()
    queue(smtp_app, 1, prefix="old")
    for _ in range(6):  # a long outage: more rounds than MAIL_MAX_ATTEMPTS
        run(smtp_app)
        make_due(smtp_app)
    queue(smtp_app, 1, prefix="fresh")
    run(smtp_app)
    with smtp_app.app_context():
        old, fresh = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
        assert old.deferrals == 7 and fresh.deferrals == 1 and old.attempts == fresh.attempts == 0
        # each waits by its own history: the fresh mail is not held back like the old one
        assert fresh.next_attempt_at < old.next_attempt_at
    smtp.start()
    smtp.handler.temp["old0@example.org"] = 1  # greylisting once when the server is back
    make_due(smtp_app)
    run(smtp_app)
    make_due(smtp_app)
    run(smtp_app)
    assert statuses(smtp_app) == {"sent": 2}
