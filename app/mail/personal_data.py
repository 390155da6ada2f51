""""My data": the mails sent to the person (from the outbox), and what deleting the account
does to them: queued mails are withdrawn (never sent), sent ones lose address, name, body and
attachments."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update

from app.core.personal_data import register_section
from app.extensions import db
from app.mail.kinds import KINDS
from app.mail.models import MailStatus, Message, OutboxAttachment, OutboxMail, SuppressedAddress

WITHDRAWN_REASON = "account deleted"


def _iso(value) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def _theirs(user):
    return or_(OutboxMail.user_id == user.id, OutboxMail.to_address == user.email)


def collect_mails(user) -> list[dict]:
    rows = db.session.execute(
        select(OutboxMail.kind, func.coalesce(OutboxMail.subject, Message.subject), OutboxMail.status,
               OutboxMail.created_at, OutboxMail.sent_at, OutboxMail.to_address)
        .outerjoin(Message, Message.id == OutboxMail.message_id)
        .where(_theirs(user))
        .order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc())).all()
    return [{"subject": subject or "", "kind": kind, "kind_name": str(KINDS[kind].label) if kind in KINDS else kind,
             "status": status.value, "queued_at": _iso(created), "sent_at": _iso(sent), "to": to}
            for kind, subject, status, created, sent, to in rows]


def erase_mails(user, actor) -> None:
    """Queued mails to the person are marked skipped ("account deleted": the worker never takes
    them; a worker holding one in hand cannot mark it sent any more); every row of theirs loses
    address, name, rendered body and attachments (a calendar file names dates and places of the
    person). An unsubscribe is forgotten with the account; a bounce stays
    (the address must not be mailed again until an admin clears it)."""
    placeholder = f"deleted-{user.id}@invalid"
    db.session.execute(
        update(OutboxMail).where(_theirs(user), OutboxMail.status.in_([MailStatus.QUEUED, MailStatus.SENDING]))
        .values(status=MailStatus.SKIPPED, last_error=WITHDRAWN_REASON, claimed_by=None)
        .execution_options(synchronize_session=False))
    db.session.execute(
        delete(OutboxAttachment).where(OutboxAttachment.mail_id.in_(select(OutboxMail.id).where(_theirs(user))))
        .execution_options(synchronize_session=False))
    db.session.execute(
        update(OutboxMail).where(_theirs(user))
        .values(to_address=placeholder, to_name="", body_text=None, body_html=None)
        .execution_options(synchronize_session=False))
    db.session.execute(delete(SuppressedAddress).where(SuppressedAddress.email == user.email.lower(),
                                                       SuppressedAddress.reason == "unsubscribed"))


def collect_mail_block(user) -> dict | None:
    """Whether coordinators' messages are switched off for the address, and why."""
    row = db.session.get(SuppressedAddress, user.email.lower())
    if row is None:
        return None
    return {"address": row.email, "reason": row.reason, "since": _iso(row.created_at)}


register_section("mails", _l("Mails sent to you"), collect=collect_mails, erase=erase_mails, order=80)
register_section("mail_block", _l("Messages switched off for your address"), collect=collect_mail_block,
                 order=81)
