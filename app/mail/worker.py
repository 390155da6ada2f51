"""The outbox worker: claims due mails, sends them, records the outcome.

Delivery is *at-least-once*: a mail is claimed (status 'sending') in its own short transaction,
sent, then marked 'sent' in another. Two workers never claim the same row (row locks with
SKIP LOCKED on PostgreSQL, plus a conditional UPDATE). Only if a worker dies between the SMTP
server accepting a mail and the 'sent' commit is the mail sent again — after MAIL_CLAIM_TIMEOUT,
with the same Message-ID header so mail clients can drop the copy.
"""
from __future__ import annotations

import base64
import logging
import os
import re
import signal
import smtplib
import socket
import ssl
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Callable, Iterable

from flask import current_app
from flask_babel import force_locale
import flask_mail
from flask_mail import Message as FlaskMailMessage
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from app.core.errors import rollback_quietly as _rollback_quietly
from app.core.jobs import run_due_jobs
from app.core.timeutil import utcnow
from app.extensions import db
from app.mail.models import MailStatus, OutboxMail, SuppressedAddress

log = logging.getLogger(__name__)


class TemporaryMailError(Exception):
    """This mail: try again later (SMTP 4xx on its recipient or content)."""


class PermanentMailError(Exception):
    """This mail will never work (SMTP 5xx on its recipient or content): failed, with reason."""


class ConnectionLost(Exception):
    """The server or our account with it is the problem (refused, time-out, 421, sender or log-in
    refused), not the mail: the whole batch waits, with growing back-off, and is never failed
    for it — mails survive an outage of any length."""


@dataclass
class SendStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "retried": self.retried, "failed": self.failed,
                "skipped": self.skipped}


# ---------------------------------------------------------------- transports
class _Connection(flask_mail.Connection):
    """Flask-Mail's connection with what it lacks: a time-out (a silent server must not hang
    the worker past SIGTERM) and certificate checks for STARTTLS/SSL."""

    def configure_host(self):
        timeout = current_app.config["MAIL_TIMEOUT"]
        context = ssl.create_default_context()
        if self.mail.use_ssl:
            host = smtplib.SMTP_SSL(self.mail.server, self.mail.port, timeout=timeout, context=context)
        else:
            host = smtplib.SMTP(self.mail.server, self.mail.port, timeout=timeout)
        host.set_debuglevel(int(self.mail.debug))
        if self.mail.use_tls:
            host.starttls(context=context)
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


class SmtpTransport:
    """Flask-Mail over SMTP, one connection reused for a whole batch."""

    def __enter__(self):
        self.conn = _Connection(current_app.extensions["mail"])
        try:
            self.conn.__enter__()
        except (OSError, smtplib.SMTPException) as exc:
            raise ConnectionLost(f"connect: {exc}") from exc
        return self

    def __exit__(self, *exc):
        try:
            if self.conn.host is not None:
                self.conn.host.quit()
        except (OSError, smtplib.SMTPException):
            pass  # the server went away while we said goodbye; what was sent is recorded

    def send(self, msg: FlaskMailMessage) -> None:
        try:
            self.conn.send(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reason = next(iter(exc.recipients.values()))
            _raise_for_code(code, reason)
        except smtplib.SMTPSenderRefused as exc:
            # Our sender address or account is refused: a configuration problem, not this mail's.
            raise ConnectionLost(f"sender refused: {exc.smtp_code} {_text(exc.smtp_error)}") from exc
        except smtplib.SMTPResponseException as exc:
            _raise_for_code(exc.smtp_code, exc.smtp_error)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise ConnectionLost(f"connection: {exc}") from exc


def _text(reason: bytes | str) -> str:
    return reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)


def _raise_for_code(code: int, reason: bytes | str) -> None:
    text = f"{code} {_text(reason)}"
    if code in (421, 530, 535) or code < 200:
        raise ConnectionLost(text)  # service closing, authentication required/failed
    if 400 <= code < 500:
        raise TemporaryMailError(text)
    raise PermanentMailError(text)


class SinkTransport:
    """Development: nothing leaves the machine. Each mail is written as .eml under
    MAIL_SINK_DIR and logged."""

    def __enter__(self):
        self.dir = Path(current_app.config["MAIL_SINK_DIR"])
        self.dir.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc):
        return None

    def send(self, msg: FlaskMailMessage) -> None:
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{msg.msgId.strip('<>').split('@')[0]}.eml"
        (self.dir / name).write_bytes(msg.as_bytes())
        log.info("mail sink: to=%s subject=%r file=%s", ", ".join(map(str, msg.recipients)),
                 msg.subject, name)


def make_transport():
    kind = current_app.config["MAIL_TRANSPORT"]
    if kind == "sink":
        return SinkTransport()
    if kind == "smtp":
        return SmtpTransport()
    raise RuntimeError(f"MAIL_TRANSPORT must be 'sink' or 'smtp', not {kind!r}")


# ---------------------------------------------------------------- building a mail
_SPECIALS = set('()<>[]:;@\\,."')
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 '-]{0,59}")
_MAX_LINE = 78  # RFC 5322's recommended limit; longer lines are refolded by Python (see below)


def format_recipient(name: str | None, address: str) -> str:
    """`Name <address>` as the entry of Flask-Mail's recipient list (its envelope address is
    parsed from it): quoted where needed, never pre-encoded, and checked by parsing it back
    exactly as Flask-Mail and smtplib do. A name that does not come back unchanged is dropped
    rather than risked. The To header itself is written by `address_header`."""
    name = (name or "").strip()
    if not name:
        return address
    if "\r" in name or "\n" in name:
        return f"{name} <{address}>"  # refused as a bad header: this mail fails, visibly
    if _SPECIALS & set(name):
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        candidate = f'"{quoted}" <{address}>'
    else:
        candidate = f"{name} <{address}>"
    if parseaddr(candidate) == (name, address) and len(getaddresses([candidate])) == 1:
        return candidate
    log.warning("recipient name of %s cannot be written safely; sent without it", address)
    return address


def _encoded_words(text: str) -> list[str]:
    """RFC 2047 encoded words (UTF-8, base64), each at most 64 characters (so the first fits
    after "Reply-To: "), split only between characters, never inside one."""
    # Split before a space where possible: RFC 2047 decoders drop the folding between encoded
    # words, so a split inside a word is invisible to them, but some (Python's own parser)
    # show it as a space ("f ür"); before a space, both read right.
    words, chunk = [], b""
    for char in text:
        encoded = char.encode("utf-8")
        if len(chunk) + len(encoded) > 39:  # 39 bytes → 52 base64 characters
            cut = chunk.rfind(b" ")
            if cut > 0:
                words.append(chunk[:cut])
                chunk = chunk[cut:]
            else:
                words.append(chunk)
                chunk = b""
        chunk += encoded
    words.append(chunk)
    return [f"=?utf-8?b?{base64.b64encode(w).decode('ascii')}?=" for w in words if w]


def address_header(name: str, address: str, header: str = "To") -> str | None:
    """The value of an address header holding exactly one address, whatever the display name
    contains (quotes, angle brackets, commas, semicolons, non-ASCII, encoded-word look-alikes).

    Flask-Mail's own To header is not safe: it encodes the name, and when the line is longer
    than 78 characters Python's email package (3.11) decodes and refolds it — dropping the
    quotes, so `x…x <evil@example.org>` became the address. Here every name that is not plain
    text becomes encoded words (whose decoded text is literal, even if it looks like an encoded
    word itself), folded by us into lines short enough that nothing refolds them. None if that
    is not possible (an address too long for one line): then the name is left out.
    """
    name = (name or "").strip()
    target = f"<{address}>"
    if not name:
        return address if len(header) + 2 + len(address) <= _MAX_LINE else None
    tokens = [name] if _PLAIN_NAME.fullmatch(name) else _encoded_words(name)
    tokens.append(target)
    lines, current = [], tokens[0]
    limit = _MAX_LINE - len(header) - 2  # "To: " on the first line
    for token in tokens[1:]:
        if len(current) + 1 + len(token) <= limit:
            current += " " + token
        else:
            lines.append(current)
            current, limit = token, _MAX_LINE - 1  # continuation lines start with a space
    lines.append(current)
    if any(len(line) > _MAX_LINE - 1 for line in lines) or len(lines[0]) > _MAX_LINE - len(header) - 2:
        return None
    return "\r\n ".join(lines)


class OutboxMessage(FlaskMailMessage):
    """Flask-Mail's message with its To, From and Reply-To headers written by `address_header`
    (pass `reply_to` as a (name, address) pair or a string that parses back to one)."""

    def __init__(self, *args, to: tuple[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.to_pair = to

    def has_bad_headers(self) -> bool:
        if self.to_pair and any(c in self.to_pair[0] for c in "\r\n"):
            return True
        return super().has_bad_headers()

    def _message(self):
        msg = super()._message()
        def pair(value):
            return parseaddr(value) if isinstance(value, str) else tuple(value)

        pairs = {"From": pair(self.sender)}
        if self.to_pair:
            pairs["To"] = self.to_pair
        if self.reply_to:
            pairs["Reply-To"] = pair(self.reply_to)
        for header, (name, address) in pairs.items():
            if not address:
                continue
            value = address_header(name, address, header) or address
            # Stored as the finished, folded text: Python's refolding (see address_header) must
            # not touch it. The generator writes lines of at most 78 characters as they are.
            msg._headers = [(k, value if k.lower() == header.lower() else v) for k, v in msg._headers]
        for part, attachment in zip(msg.get_payload()[1:] if self.attachments else (), self.attachments):
            # Flask-Mail labels a non-ASCII file name "UTF8"; RFC 2231 wants the charset's name.
            name = attachment.filename
            if name and not name.isascii():
                del part["Content-Disposition"]
                part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", name))
        return msg


def build_message(row: OutboxMail) -> FlaskMailMessage:
    from app.mail.services import render_message_mail

    subject, text, html = (row.subject, row.body_text, row.body_html)
    from app.mail.services import reply_to_address

    headers: dict[str, str] = {}
    reply = None
    if row.message_id is not None:
        subject, text, html, headers = render_message_mail(row)
        # written by address_header like To and From (a long or non-ASCII name stays one address)
        headers.pop("Reply-To", None)
        reply = reply_to_address(row.message.sender, row.message.office)
    msg = OutboxMessage(
        subject=subject or "",
        recipients=[format_recipient(row.to_name, row.to_address)],
        to=(row.to_name or "", row.to_address),
        body=text,
        html=html,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        reply_to=reply,
        extra_headers=headers or None,
    )
    msg.msgId = row.message_id_header
    for attachment in row.attachments:  # loaded with the batch (claim_batch), no query here
        msg.attach(attachment.filename, attachment_content_type(attachment.content_type),
                   attachment.data, disposition="attachment")
    return msg


def attachment_content_type(stored: str) -> str:
    """The Content-Type an attachment goes out with: text types say their charset (an .ics is
    plain `text/calendar; charset=utf-8`, no `method`: a file to import, not an iTIP request)."""
    return f"{stored}; charset=utf-8" if stored.startswith("text/") else stored


# ---------------------------------------------------------------- the outbox cycle
def backoff(attempts: int) -> timedelta:
    """1, 2, 4, ... minutes (base configurable), capped at six hours."""
    base = current_app.config["MAIL_RETRY_BASE_SECONDS"]
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def claim_batch(worker_id: str, limit: int) -> list[OutboxMail]:
    """Claim up to `limit` due mails for this worker in one short transaction."""
    now = utcnow()
    stale = now - timedelta(seconds=current_app.config["MAIL_CLAIM_TIMEOUT"])
    due = or_(
        and_(OutboxMail.status == MailStatus.QUEUED, OutboxMail.next_attempt_at <= now),
        and_(OutboxMail.status == MailStatus.SENDING, OutboxMail.claimed_at < stale),
    )
    with _waiting_for_database():  # nothing claimed yet: SIGTERM may end the wait at once
        ids = db.session.scalars(
            select(OutboxMail.id)
            .where(due)
            .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not ids:
            db.session.commit()
            return []
    # The repeated `due` condition keeps this safe where FOR UPDATE is a no-op (SQLite).
    db.session.execute(
        update(OutboxMail)
        .where(OutboxMail.id.in_(ids), due)
        # the claim's age counts from now, not from the start of a select that may have waited
        .values(status=MailStatus.SENDING, claimed_by=worker_id, claimed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return list(
        db.session.scalars(
            select(OutboxMail)
            .where(OutboxMail.id.in_(ids), OutboxMail.claimed_by == worker_id,
                   OutboxMail.status == MailStatus.SENDING)
            # one statement each for the batch's messages and attachments, however many mails
            .options(selectinload(OutboxMail.message), selectinload(OutboxMail.attachments))
            .order_by(OutboxMail.id)
        )
    )


@dataclass
class _Claimed:
    """What the send loop needs of a row, read before the first commit expires the ORM objects."""

    id: int
    attempts: int
    deferrals: int
    address: str
    is_service: bool
    msg: FlaskMailMessage | None = None
    error: str | None = None  # cannot be built (bad header, broken template): fails alone


def _finish(item: _Claimed, worker_id: str, **values) -> bool:
    """Record the outcome, if this worker still holds the claim (it renews it, see _renew)."""
    result = db.session.execute(
        update(OutboxMail)
        .where(OutboxMail.id == item.id, OutboxMail.claimed_by == worker_id)
        .values(claimed_by=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount == 0:
        log.warning("mail %s: claim was lost before its outcome was recorded", item.id)
    return result.rowcount > 0


def _renew(items: list[_Claimed], worker_id: str) -> list[_Claimed]:
    """Refresh the claim on the mails still to send; drop any another worker has taken over."""
    if not items:
        return items
    kept = set(db.session.scalars(
        update(OutboxMail)
        .where(OutboxMail.id.in_([i.id for i in items]), OutboxMail.claimed_by == worker_id,
               OutboxMail.status == MailStatus.SENDING)
        .values(claimed_at=utcnow())
        .returning(OutboxMail.id)
        .execution_options(synchronize_session=False)
    ))
    db.session.commit()
    return [i for i in items if i.id in kept]


def release(items: Iterable[_Claimed], worker_id: str) -> None:
    """Hand claimed but unsent mails back to the queue untouched (shutdown, unexpected error)."""
    ids = [i.id for i in items]
    if not ids:
        return
    db.session.execute(
        update(OutboxMail)
        .where(OutboxMail.id.in_(ids), OutboxMail.claimed_by == worker_id,
               OutboxMail.status == MailStatus.SENDING)
        .values(status=MailStatus.QUEUED, claimed_by=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def defer(items: list[_Claimed], worker_id: str, reason: str) -> None:
    """The server is the problem: each mail waits by its own count of deferrals (a fresh reset
    mail is not held back as long as one that has waited through a long outage)."""
    now = utcnow()
    by_count: dict[int, list[int]] = {}
    for item in items:
        by_count.setdefault(item.deferrals, []).append(item.id)
    for count, ids in by_count.items():  # a handful of distinct counts per batch
        db.session.execute(
            update(OutboxMail)
            .where(OutboxMail.id.in_(ids), OutboxMail.claimed_by == worker_id,
                   OutboxMail.status == MailStatus.SENDING)
            .values(status=MailStatus.QUEUED, claimed_by=None, claimed_at=None,
                    deferrals=count + 1, next_attempt_at=now + backoff(count + 1),
                    last_error=reason[:500])
            .execution_options(synchronize_session=False)
        )
    db.session.commit()


def _temporary(item: _Claimed, worker_id: str, reason: str, stats: SendStats) -> None:
    attempts = item.attempts + 1
    if attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        _finish(item, worker_id, status=MailStatus.FAILED, attempts=attempts,
                last_error=f"gave up after {attempts} attempts: {reason}"[:500])
        stats.failed += 1
        return
    _finish(item, worker_id, status=MailStatus.QUEUED, attempts=attempts,
            next_attempt_at=utcnow() + backoff(attempts), last_error=reason[:500])
    stats.retried += 1


def _prepare(rows: list[OutboxMail]) -> list[_Claimed]:
    items = []
    for row in rows:
        item = _Claimed(row.id, row.attempts, row.deferrals, row.to_address.lower(), row.is_service)
        try:
            with force_locale(row.locale):
                item.msg = build_message(row)
            if item.msg.has_bad_headers():  # a line break in a name or subject
                item.msg, item.error = None, "bad header: line break in subject or recipient name"
        except SQLAlchemyError:
            raise  # the database, not the mail: the round fails and the claim expires
        except Exception as exc:  # a broken template must not block the queue behind it
            log.exception("mail %s: cannot build", row.id)
            item.error = f"cannot build mail: {exc}"
        items.append(item)
    # From here on only ids are used; dropping the objects keeps each commit from expiring
    # (and walking) the whole batch.
    db.session.expunge_all()
    return items


# Checks right before a batch goes out, registered by the areas that know why a queued mail may
# no longer be sent (app.people.consent: one that needs the consent to be contacted, after a
# withdrawal that came in while it was being queued). Each takes the batch's mail ids and answers
# {id: reason} for those to skip; one statement per batch.
_WITHHOLD: list[Callable[[list[int]], dict[int, str]]] = []


def register_withhold(check: Callable[[list[int]], dict[int, str]]) -> Callable[[list[int]], dict[int, str]]:
    _WITHHOLD.append(check)
    return check


def _withheld(ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for check in _WITHHOLD:
        out.update(check(ids))
    return out


def process_batch(rows: list[OutboxMail], worker_id: str, stats: SendStats,
                  stop: threading.Event | None = None) -> None:
    withheld = _withheld([row.id for row in rows]) if rows else {}
    pending = _prepare(rows)
    suppressed = _suppressed({i.address for i in pending if not i.is_service})
    # Renew the claim well before it could expire, so a slow but living worker keeps its mails.
    renew_every = current_app.config["MAIL_CLAIM_TIMEOUT"] / 4
    renewed = time.monotonic()
    try:
        with make_transport() as transport:
            while pending:
                if stop is not None and stop.is_set():
                    break
                if time.monotonic() - renewed > renew_every:
                    pending, renewed = _renew(pending, worker_id), time.monotonic()
                    if not pending:
                        break
                item = pending[0]
                reason = withheld.get(item.id) or (suppressed.get(item.address) if not item.is_service else None)
                if reason:
                    if _finish(item, worker_id, status=MailStatus.SKIPPED, last_error=reason):
                        stats.skipped += 1
                elif item.error:
                    if _finish(item, worker_id, status=MailStatus.FAILED, last_error=item.error[:500]):
                        stats.failed += 1
                else:
                    try:
                        transport.send(item.msg)
                    except ConnectionLost:
                        raise
                    except TemporaryMailError as exc:
                        _temporary(item, worker_id, str(exc), stats)
                    except PermanentMailError as exc:
                        if _finish(item, worker_id, status=MailStatus.FAILED,
                                   attempts=item.attempts + 1, last_error=str(exc)[:500]):
                            stats.failed += 1
                    except Exception as exc:  # anything else is this mail's problem alone
                        log.exception("mail %s: cannot send", item.id)
                        if _finish(item, worker_id, status=MailStatus.FAILED,
                                   attempts=item.attempts + 1, last_error=f"cannot send: {exc}"[:500]):
                            stats.failed += 1
                    else:
                        if _finish(item, worker_id, status=MailStatus.SENT, sent_at=utcnow(),
                                   attempts=item.attempts + 1, last_error=None):
                            stats.sent += 1
                pending.pop(0)
    except ConnectionLost as exc:
        log.warning("mail: %s; %d mail(s) wait for the next attempt", exc, len(pending))
        stats.errors.append(str(exc))
        stats.retried += len(pending)
        defer(pending, worker_id, str(exc))
        return
    except BaseException:
        # Something unexpected (the database went away, a bug): hand back what is unsent, if
        # we still can, so it doesn't wait for the claim to expire; the round reports the error.
        try:
            db.session.rollback()
            release(pending[1:], worker_id)
        except Exception as exc:
            from app.core.errors import is_database_unavailable

            if not is_database_unavailable(exc):
                log.exception("mail: could not hand back %d claimed mail(s)", len(pending))
            else:  # one line: the round's own error says the rest
                log.warning("mail: could not hand back %d claimed mail(s), the database is "
                            "unreachable; they return after MAIL_CLAIM_TIMEOUT", len(pending))
        raise
    release(pending, worker_id)  # stopped: unsent mails go back to the queue untouched


def _suppressed(addresses: set[str]) -> dict[str, str]:
    if not addresses:
        return {}
    rows = db.session.execute(
        select(SuppressedAddress.email, SuppressedAddress.reason).where(
            SuppressedAddress.email.in_(addresses)
        )
    ).all()
    return {email: reason for email, reason in rows}


def new_worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def send_pending(limit: int | None = None, stop: threading.Event | None = None,
                 worker_id: str | None = None) -> SendStats:
    """Send everything that is due now, batch by batch; return what happened."""
    worker_id = worker_id or new_worker_id()
    batch = current_app.config["MAIL_BATCH_SIZE"]
    if current_app.config["MAIL_CLAIM_TIMEOUT"] < 4 * current_app.config["MAIL_TIMEOUT"]:
        # One SMTP call may take MAIL_TIMEOUT; the claim is renewed every quarter of its life.
        log.warning("MAIL_CLAIM_TIMEOUT should be at least 4 × MAIL_TIMEOUT, or a slow server "
                    "can make another worker send a mail again")
    stats = SendStats()
    done = 0
    while not (stop is not None and stop.is_set()):
        size = batch if limit is None else min(batch, limit - done)
        if size <= 0:
            break
        rows = claim_batch(worker_id, size)
        if not rows:
            break
        process_batch(rows, worker_id, stats, stop)
        done += len(rows)
        if stats.errors:
            break  # connection trouble: let the back-off work instead of hammering the server
    return stats


# ---------------------------------------------------------------- the long-running worker
class _Interrupted(BaseException):
    """SIGTERM/SIGINT arrived while the worker only waited for the database, with no mail in
    hand: it stops at once instead of after the connect or statement time-out."""


class _SignalState:
    handler_installed = False
    waiting = False


_signals = _SignalState()


@contextmanager
def _waiting_for_database():
    """Mark a database wait that a stop signal may cut short (no mail claimed or in hand)."""
    if not _signals.handler_installed:
        yield
        return
    _signals.waiting = True
    try:
        yield
    finally:
        _signals.waiting = False


# A worker that cannot reach the database waits poll, 2 × poll, 4 × poll … up to this long.
DB_BACKOFF_MAX_SECONDS = 60


def run_worker(stop: threading.Event | None = None, poll_seconds: float | None = None) -> None:
    """Loop until SIGTERM/SIGINT; finish the mail in hand, hand the rest of the batch back.
    Each round first runs the periodic jobs that are due (app.core.jobs; JOBS_ENABLED=0 leaves
    them to `flask jobs run` from cron), then sends what is due.

    A signal that arrives while the worker waits for the database (connecting, or claiming
    the next batch) ends the wait at once, so a hanging database cannot hold the worker past
    SIGTERM. While the database is unreachable the worker logs one line per attempt and waits
    longer each time (poll, 2 × poll, … up to a minute)."""
    from app.core.errors import is_database_unavailable, short_reason

    stop = stop or threading.Event()
    poll = poll_seconds if poll_seconds is not None else current_app.config["MAIL_POLL_SECONDS"]
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        def on_signal(signum, frame):
            stop.set()
            if _signals.waiting:
                _signals.waiting = False
                raise _Interrupted()

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, on_signal)
        _signals.handler_installed = True
    worker_id = new_worker_id()
    log.info("mail worker %s started", worker_id)
    failures = 0
    interrupted = False
    try:
        while not stop.is_set():
            wait = poll
            try:
                if current_app.config["JOBS_ENABLED"]:
                    # The periodic jobs first, so a reminder they queue goes out this round.
                    run_due_jobs(worker_id=worker_id, claim_context=_waiting_for_database)
                stats = send_pending(stop=stop, worker_id=worker_id)
            except _Interrupted:
                interrupted = True
                break
            except Exception as exc:  # a database hiccup must not kill the worker
                stats = SendStats()
                if is_database_unavailable(exc):
                    failures += 1
                    wait = min(max(poll, 0.01) * 2 ** (failures - 1), max(poll, DB_BACKOFF_MAX_SECONDS))
                    log.warning("mail worker: database unreachable (%s); attempt %d, next in %g s",
                                short_reason(exc), failures, wait)
                else:
                    log.exception("mail worker: round failed")
                _rollback_quietly()
            else:
                if failures:
                    log.info("mail worker: database reachable again after %d failed attempt(s)", failures)
                    failures = 0
            if stats.sent or stats.failed or stats.retried or stats.skipped:
                log.info("mail worker: %s", stats.as_dict())
            stop.wait(wait)
    finally:
        if in_main:
            _signals.handler_installed = _signals.waiting = False
    if interrupted or failures:
        # Connections may hang in mid-handshake or mid-query: drop them, don't say goodbye.
        _invalidate_quietly()
    log.info("mail worker %s stopped", worker_id)


def _invalidate_quietly() -> None:
    try:
        db.session.invalidate()
    except Exception:
        pass
