"""A display name can never change the meaning of the To header (issue 10, point 11).

The mails go through the real worker to a real SMTP server; each received mail's To header is
parsed as a mail client would and must hold exactly one address, the right one, with the
name shown exactly as it was given — and the SMTP envelope must name that address alone.
"""
from __future__ import annotations

import email
from email import policy
from email.header import decode_header, make_header
from email.utils import getaddresses

import pytest

from app.extensions import db, mail
from app.mail.services import queue_mail
from app.mail.worker import format_recipient, send_pending
from tests.mail.conftest import RecordingHandler, SmtpServer

CTX = {"user": {"name": "Amina", "email": "a@example.org"}, "link": "http://localhost/x", "hours": 72}

NASTY_NAMES = [
    '"a" <x@y>,',
    'a <evil@attacker.example>',
    'evil@attacker.example',
    'x@y, z@w',
    'Amina; Bcc <evil@attacker.example>;',
    'Müller, Jürgen; <jm@attacker.example>',
    'Ünal Öztürk',
    '=?utf-8?q?evil=40attacker.example?=',
    '=?utf-8?b?ZXZpbEBhdHRhY2tlci5leGFtcGxl?= <evil@attacker.example>',
    '=?utf-8?q?a=22_=3Cevil=40attacker.example=3E=2C?=',
    '"\\"',
    'back\\slash',
    'group: evil@attacker.example;',
    '(comment) <evil@attacker.example>',
    'alice@example.org)<bob@attacker.example>',
    'Иван Петров, "<ivan@attacker.example>"',
    'محمد <m@attacker.example>',
    'x' * 90 + ' <evil@attacker.example>',  # a long line (to_name holds 120)
]


class EnvelopeHandler(RecordingHandler):
    """Also keeps each mail's SMTP envelope recipients."""

    def __init__(self):
        super().__init__()
        self.envelopes: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.envelopes.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.handler = EnvelopeHandler()
    server.start()
    yield server
    server.stop()


def test_nasty_display_names_keep_exactly_one_recipient(app, smtp_server):
    app.config.update(MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port,
                      MAIL_SUPPRESS_SEND=False, MAIL_TIMEOUT=5)
    mail.init_app(app)
    expected = {}
    with app.app_context():
        for i, name in enumerate(NASTY_NAMES):
            address = f"person{i}@example.org"
            expected[address] = name
            queue_mail("confirm_address", to=address, to_name=name, context=CTX)
        db.session.commit()
        stats = send_pending()
    assert stats.sent == len(NASTY_NAMES), stats
    assert len(smtp_server.handler.envelopes) == len(NASTY_NAMES)
    for rcpt_tos, content in smtp_server.handler.envelopes:
        msg = email.message_from_bytes(content, policy=policy.default)  # as a client reads it
        raw = email.message_from_bytes(content, policy=policy.compat32)  # headers as sent
        to = msg["To"]
        assert len(to.addresses) == 1, (str(to), to.addresses)
        (only,) = to.addresses
        assert only.addr_spec in expected, str(to)
        name = expected[only.addr_spec]
        # Python 3.11's parser keeps the space between two adjacent encoded words (RFC 2047
        # says to drop it), so the exact name is checked with the RFC-conforming decoder below.
        assert only.display_name.replace(" ", "") == name.replace(" ", ""), str(to)
        assert len(getaddresses([raw["To"]])) == 1, raw["To"]
        ((raw_name, raw_address),) = getaddresses([raw["To"]])
        assert raw_address == only.addr_spec
        assert str(make_header(decode_header(raw_name))) == name, raw["To"]
        head = content.split(b"\r\n\r\n", 1)[0]
        assert all(len(line) <= 78 for line in head.split(b"\r\n")), head
        assert rcpt_tos == [only.addr_spec]  # the envelope too: nobody else gets it
        assert len(msg.get_all("To")) == 1 and msg["Cc"] is None and msg["Bcc"] is None
        sender = msg["From"]
        assert len(sender.addresses) == 1 and sender.addresses[0].addr_spec == "noreply@willkommen.example"


@pytest.mark.parametrize("name", NASTY_NAMES)
def test_recipient_string_parses_back_to_one_address(name):
    from email.utils import getaddresses, parseaddr

    formatted = format_recipient(name, "real@example.org")
    assert getaddresses([formatted]) == [(name, "real@example.org")]
    assert parseaddr(formatted) == (name, "real@example.org")


def test_plain_names_stay_plain():
    assert format_recipient("Amina Yilmaz", "a@example.org") == "Amina Yilmaz <a@example.org>"
    assert format_recipient("", "a@example.org") == "a@example.org"
    assert format_recipient(None, "a@example.org") == "a@example.org"


def test_sink_writes_nasty_names_safely(app, tmp_path):
    app.config.update(MAIL_TRANSPORT="sink", MAIL_SINK_DIR=str(tmp_path))
    with app.app_context():
        queue_mail("confirm_address", to="p@example.org", to_name='"a" <x@y>,', context=CTX)
        db.session.commit()
        assert send_pending().sent == 1
    (eml,) = tmp_path.glob("*.eml")
    to = email.message_from_bytes(eml.read_bytes(), policy=policy.default)["To"]
    assert [a.addr_spec for a in to.addresses] == ["p@example.org"]
    assert to.addresses[0].display_name == '"a" <x@y>,'


@pytest.mark.parametrize("name", NASTY_NAMES)
def test_reply_to_is_written_safely_as_well(app, name):
    from app.mail.worker import OutboxMessage

    with app.app_context():
        msg = OutboxMessage(subject="x", recipients=["p@example.org"], to=("", "p@example.org"),
                            body="x", sender="Büro <noreply@example.org>",
                            reply_to=(name, "coordinator@example.org"))
        content = msg.as_bytes()
    raw = email.message_from_bytes(content, policy=policy.compat32)
    ((raw_name, address),) = getaddresses([raw["Reply-To"]])
    assert address == "coordinator@example.org"
    assert str(make_header(decode_header(raw_name))) == name
    parsed = email.message_from_bytes(content, policy=policy.default)["Reply-To"]
    assert [a.addr_spec for a in parsed.addresses] == ["coordinator@example.org"]
