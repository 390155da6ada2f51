"""A person's own mail settings: whether non-service mail (coordinators' messages) reaches them.

Unsubscribing (the link in every such mail) and the switch on the account page are the same
fact: a row in `suppressed_addresses`. A bounce is not the person's choice: it stays until an
admin clears it, and the account page says so."""
from __future__ import annotations

from dataclasses import dataclass

from app.extensions import db
from app.mail.models import SuppressedAddress


@dataclass(frozen=True)
class MailPreference:
    wanted: bool  # coordinators' messages reach this address
    bounced: bool  # the address bounced: nothing but service mail until an admin clears it


def mail_preference(email: str) -> MailPreference:
    row = db.session.get(SuppressedAddress, email.lower())
    return MailPreference(wanted=row is None, bounced=row is not None and row.reason == "bounced")


def set_mail_preference(email: str, wanted: bool) -> MailPreference:
    """Switch coordinators' messages on or off for this address (never clears a bounce)."""
    email = email.lower()
    row = db.session.get(SuppressedAddress, email)
    if wanted and row is not None and row.reason == "unsubscribed":
        db.session.delete(row)
    elif not wanted and row is None:
        db.session.add(SuppressedAddress(email=email, reason="unsubscribed"))
    db.session.commit()
    return mail_preference(email)
