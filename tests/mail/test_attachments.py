"""Mails with attachments (the .ics of a sign-up): stored with the outbox row, checked when
queued, sent as proper MIME attachments, loaded for a whole batch at once, erased with the
person's data."""
from __future__ import annotations

import email
from email import policy

import pytest
from sqlalchemy import delete, func, select

from app.extensions import db
from app.mail.models import MailStatus, OutboxAttachment, OutboxMail
from app.mail.services import MAX_ATTACHMENT_BYTES, queue_mail, queue_mail_to_user
from app.mail.worker import claim_batch, send_pending
from tests.conftest import PG_URL, recorded_statements

CTX = {"user": {"name": "Amina", "email": "a@example.org"}, "link": "http://localhost/x", "hours": 72}
ICS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//willkommen//DE\r\nBEGIN:VEVENT\r\n"
       "UID:session-7@willkommen\r\nDTSTAMP:20261201T100000Z\r\nDTSTART:20261208T130000Z\r\n"
       "SUMMARY:Sprachcafé Brackel\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 4  # binary, every byte value


def parsed(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_ics_attachment_reaches_the_sink_intact(app, tmp_path):
    app.config.update(MAIL_TRANSPORT="sink", MAIL_SINK_DIR=str(tmp_path))
    with app.app_context():
        queue_mail("confirm_address", to="amina@example.org", context=CTX, attachments=[
            ("Sprachcafé.ics", "text/calendar; method=REQUEST", ICS),
            ("plan.pdf", "application/pdf", PDF),
        ])
        db.session.commit()
        assert send_pending().sent == 1
    [file] = tmp_path.glob("*.eml")
    msg = parsed(file.read_bytes())
    assert msg.get_content_type() == "multipart/mixed"
    assert "Hallo" in msg.get_body(("plain",)).get_content()  # text and HTML still there
    assert msg.get_body(("html",)) is not None
    ics, pdf = list(msg.iter_attachments())
    assert ics.get_content_type() == "text/calendar"
    assert ics.get_param("charset") == "utf-8"
    assert ics.get_param("method") is None  # a file to import, not an iTIP request
    assert ics.get_content_disposition() == "attachment"
    assert ics.get_filename() == "Sprachcafé.ics"
    assert ics.get_payload(decode=True) == ICS
    assert "SUMMARY:Sprachcafé Brackel" in ics.get_content()
    assert pdf.get_content_type() == "application/pdf" and pdf.get_filename() == "plan.pdf"
    assert pdf.get_payload(decode=True) == PDF


def test_attachment_over_smtp_and_to_a_user(smtp_app, smtp, make):
    volunteer = make.volunteer(locale="en")
    with smtp_app.app_context():
        from app.accounts.models import User

        user = db.session.get(User, volunteer.id)
        row = queue_mail_to_user("confirm_address", user, {"link": "http://localhost/x", "hours": 72},
                                 attachments=[("termin.ics", None, ICS)])
        db.session.commit()
        assert [a.content_type for a in row.attachments] == ["text/calendar"]
        assert send_pending().sent == 1
    [msg] = smtp.handler.messages
    [ics] = list(msg.iter_attachments())
    assert msg["To"].addresses[0].addr_spec == volunteer.email
    assert ics["Content-Type"] == 'text/calendar; charset="utf-8"'
    assert ics.get_filename() == "termin.ics" and ics.get_payload(decode=True) == ICS


def test_a_mail_without_attachments_stays_as_it_was(smtp_app, smtp):
    with smtp_app.app_context():
        queue_mail("confirm_address", to="p@example.org", context=CTX)
        db.session.commit()
        send_pending()
    [msg] = smtp.handler.messages
    assert list(msg.iter_attachments()) == []
    assert [p.get_content_type() for p in msg.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "text/html"]


@pytest.mark.parametrize("attachments, reason", [
    ([("../../etc/passwd", "text/plain", b"x")], "unsafe"),
    ([("a/b.ics", None, ICS)], "unsafe"),
    ([("a\\b.ics", None, ICS)], "unsafe"),
    ([("termin.ics\r\nBcc: x@example.org", None, ICS)], "unsafe"),
    ([("termin\n.ics", None, ICS)], "unsafe"),
    ([("..", None, b"x")], "unsafe"),
    ([("x" * 117 + ".ics", None, ICS)], "unsafe"),
    ([("", None, b"x")], "file name"),
    ([(" termin.ics", None, ICS)], "file name"),
    ([(None, None, b"x")], "file name"),
    ([("termin.ics", None, "BEGIN:VCALENDAR")], "bytes"),
    ([("a.txt", "text/plain\r\nX-Evil: 1", b"x")], "content type"),
    ([("termin.ics", None, "Café".encode("latin-1"))], "UTF-8"),
    ([("a.txt", "nonsense", b"x")], "content type"),
    ([("a.txt", b"x")], "triple"),
    ([(f"{i}.ics", None, ICS) for i in range(6)], "at most 5"),
    ([("a.bin", None, b"\0" * (MAX_ATTACHMENT_BYTES // 2)),
      ("b.bin", None, b"\0" * (MAX_ATTACHMENT_BYTES // 2 + 1))], "bytes"),
])
def test_bad_attachments_are_refused_and_nothing_is_queued(app, attachments, reason):
    with app.app_context():
        with pytest.raises(ValueError, match=reason):
            queue_mail("confirm_address", to="p@example.org", context=CTX, attachments=attachments)
        db.session.commit()
        assert count(OutboxMail) == 0 and count(OutboxAttachment) == 0


def test_limits_themselves_are_allowed(app):
    with app.app_context():
        files = [(f"{i}.bin", None, b"\0" * (MAX_ATTACHMENT_BYTES // 5)) for i in range(5)]
        queue_mail("confirm_address", to="p@example.org", context=CTX, attachments=files)
        db.session.commit()
        assert count(OutboxAttachment) == 5
        assert set(db.session.scalars(select(OutboxAttachment.content_type))) == {"application/octet-stream"}


def _queue(app, n: int, with_attachments: bool, prefix: str) -> None:
    with app.app_context():
        for i in range(n):
            files = [("termin.ics", None, ICS), ("plan.pdf", "application/pdf", PDF)] if with_attachments else None
            queue_mail("confirm_address", to=f"{prefix}{i}@example.org", context=CTX, attachments=files)
        db.session.commit()


def test_a_batch_loads_its_attachments_in_one_statement(app):
    def claim_statements(n: int, prefix: str) -> int:
        _queue(app, n, True, prefix)
        with recorded_statements(app) as statements, app.app_context():
            rows = claim_batch("w-" + prefix, 100)
            assert len(rows) == n and all(len(r.attachments) == 2 for r in rows)
            # used as the worker uses them: no lazy load left
            assert all(a.data for r in rows for a in r.attachments)
            db.session.commit()
        with app.app_context():
            db.session.execute(delete(OutboxAttachment))
            db.session.execute(delete(OutboxMail))
            db.session.commit()
        return len(statements)

    assert claim_statements(2, "a") == claim_statements(20, "b")

    def send_statements(with_attachments: bool, prefix: str) -> int:
        _queue(app, 5, with_attachments, prefix)
        with recorded_statements(app) as statements, app.app_context():
            assert send_pending().sent == 5
        return len(statements)

    # Building and sending mails with attachments asks the database nothing more per mail.
    assert send_statements(True, "c") == send_statements(False, "d")


def test_erasing_the_account_withdraws_the_mails_and_drops_their_attachments(app, make, deliver):
    volunteer = make.volunteer()
    other = make.volunteer()
    from app.accounts.models import User
    from app.mail.personal_data import erase_mails

    with app.app_context():
        user = db.session.get(User, volunteer.id)
        queue_mail_to_user("confirm_address", user, {"link": "x", "hours": 1},
                           attachments=[("termin.ics", None, ICS)])
        db.session.commit()
    assert len(deliver()) == 1  # one sent …
    with app.app_context():
        user = db.session.get(User, volunteer.id)
        queue_mail_to_user("confirm_address", user, {"link": "x", "hours": 1},
                           attachments=[("termin.ics", None, ICS)])  # … one still queued
        queue_mail_to_user("confirm_address", db.session.get(User, other.id), {"link": "x", "hours": 1},
                           attachments=[("termin.ics", None, ICS)])
        db.session.commit()
        erase_mails(db.session.get(User, volunteer.id), actor=None)
        db.session.commit()
        mails = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
        assert [m.status for m in mails] == [MailStatus.SENT, MailStatus.SKIPPED, MailStatus.QUEUED]
        owners = db.session.scalars(select(OutboxAttachment.mail_id)).all()
        assert owners == [mails[2].id]  # only the other person's mail keeps its file
    sent = deliver()
    assert len(sent) == 1 and other.email in sent[0].recipients[0] and len(sent[0].attachments) == 1


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="SQLite does not enforce foreign keys here (set TEST_DATABASE_URL)")
def test_deleting_a_mail_row_deletes_its_attachments_in_the_database(app):
    _queue(app, 2, True, "p")
    with app.app_context():
        db.session.execute(delete(OutboxMail).where(OutboxMail.to_address == "p0@example.org"))
        db.session.commit()
        assert count(OutboxAttachment) == 2  # ON DELETE CASCADE, without the ORM


def test_orm_delete_takes_the_attachments_along(app):
    _queue(app, 1, True, "p")
    with app.app_context():
        db.session.delete(db.session.scalar(select(OutboxMail)))
        db.session.commit()
        assert count(OutboxAttachment) == 0
