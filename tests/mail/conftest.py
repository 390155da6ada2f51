"""A real SMTP server (aiosmtpd) inside the test, and an app whose outbox worker talks to it."""
from __future__ import annotations

import email
import socket
import threading
from email import policy

import pytest
from aiosmtpd.controller import Controller


class RecordingHandler:
    """Stores every accepted message; answers 4xx/5xx for addresses listed in `temp`/`perm`."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.peers: set = set()
        self.temp: dict[str, int] = {}  # address -> how many more times to answer 451
        self.perm: set[str] = set()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.perm:
            return "550 5.1.1 mailbox unavailable"
        with self.lock:
            if self.temp.get(address, 0) > 0:
                self.temp[address] -= 1
                return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(msg)
            self.peers.add(session.peer)
        return "250 Message accepted"

    def to(self, address: str):
        return [m for m in self.messages if address in m["To"]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    def __init__(self):
        self.port = free_port()
        self.handler = RecordingHandler()
        self.controller = None

    def start(self):
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_app(app, smtp):
    """The test app, with its worker sending over real SMTP to the in-test server."""
    app.config.update(MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port,
                      MAIL_SUPPRESS_SEND=False, MAIL_TIMEOUT=5)
    from app.extensions import mail

    mail.init_app(app)  # Flask-Mail reads its settings at init
    return app
