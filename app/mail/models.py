"""The outbox: every mail is a row, written in the same transaction as the change causing it."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.timeutil import utcnow
from app.extensions import db


class MailStatus(str, enum.Enum):
    QUEUED = "queued"  # waiting to be sent (or to be retried at next_attempt_at)
    SENDING = "sending"  # claimed by a worker
    SENT = "sent"
    FAILED = "failed"  # permanent failure, reason in last_error
    SKIPPED = "skipped"  # not sent on purpose: unsubscribed or bounced address


def _enum(e: type[enum.Enum], length: int = 20):
    return db.Enum(e, native_enum=False, length=length, values_callable=lambda x: [m.value for m in x])


class Message(db.Model):
    """A message a coordinator wrote to a group; its recipients are OutboxMail rows."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="SET NULL"), index=True)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # Why the recipients get it, shown in every copy ("You are a volunteer registered in ...").
    audience: Mapped[str] = mapped_column(String(255))
    # The same as data ({"key": "volunteers", "place": …, "language": …}), so that every
    # recipient reads it in their own language (app.mail.services.describe_audience). Messages
    # without it show `audience` as written.
    audience_data: Mapped[dict | None] = mapped_column(db.JSON)
    recipient_count: Mapped[int] = mapped_column(default=0)
    # A random token from the compose form: a double click or a resubmit sends nothing twice.
    client_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sender = relationship("User")
    office = relationship("Office")


class OutboxMail(db.Model):
    __tablename__ = "outbox_mails"
    __table_args__ = (
        # The worker's query: due mails in order. Partial indexes would be nicer on PostgreSQL,
        # but one plain index keeps SQLite and PostgreSQL migrations identical.
        Index("ix_outbox_mails_due", "status", "next_attempt_at"),
        # "How many mails did this address get lately?" (per-address limits against mail bombing)
        Index("ix_outbox_mails_recent", "to_address", "created_at"),
        UniqueConstraint("dedupe_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(120), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    locale: Mapped[str] = mapped_column(String(8), default="de")
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="SET NULL"))
    # Rendered at queue time for single mails; for a Message rendered per recipient when sent.
    subject: Mapped[str | None] = mapped_column(String(255))
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    # Service mails (confirmations, resets) are always sent; others honour unsubscribes.
    is_service: Mapped[bool] = mapped_column(default=True)
    # Makes "exactly once" a database fact, e.g. "reminder:<session>:<user>".
    dedupe_key: Mapped[str | None] = mapped_column(String(120))

    status: Mapped[MailStatus] = mapped_column(_enum(MailStatus), default=MailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)  # tries that failed because of this mail
    # Rounds put off because the server was unreachable or refused us: not the mail's fault, so
    # they only grow the back-off and never make the mail fail.
    deferrals: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    message: Mapped[Message | None] = relationship()
    # Files sent with the mail (an .ics calendar entry); loaded for a whole batch at once.
    attachments: Mapped[list[OutboxAttachment]] = relationship(
        back_populates="mail", cascade="all, delete-orphan",
        order_by="OutboxAttachment.id")

    @property
    def message_id_header(self) -> str:
        """Stable per outbox row: a resend after a crash carries the same Message-ID."""
        return f"<outbox-{self.id}@willkommen>"


class OutboxAttachment(db.Model):
    """A file sent with an outbox mail, as the bytes that go out (checked by
    app.mail.services.check_attachments: a plain file name, at most 5 files, 1 MB together)."""

    __tablename__ = "outbox_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    mail_id: Mapped[int] = mapped_column(ForeignKey("outbox_mails.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(100))  # type/subtype, no parameters
    data: Mapped[bytes] = mapped_column(LargeBinary)

    mail: Mapped[OutboxMail] = relationship(back_populates="attachments")


class SuppressedAddress(db.Model):
    """Addresses that get no non-service mail: unsubscribed, or bounced permanently."""

    __tablename__ = "suppressed_addresses"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    reason: Mapped[str] = mapped_column(String(20))  # "unsubscribed" | "bounced"
    note: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MailTemplateOverride(db.Model):
    """An office's own subject and body for one kind of mail in one language."""

    __tablename__ = "mail_template_overrides"
    __table_args__ = (UniqueConstraint("office_id", "kind", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
