"""The kinds of mail: subject, whether it is a service mail, and example data for previews.

Bodies live in templates/email/<kind>.txt and .html and are translated through Babel, so one
template serves German and English; the subject is a lazy string rendered in the recipient's
language. Offices may override subject and body per language (MailTemplateOverride)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class MailKind:
    key: str
    label: Any
    subject: Any  # a lazy string with %(name)s-style placeholders from the context
    service: bool = True  # service mails are always sent, others honour unsubscribes
    example: dict[str, Any] = field(default_factory=dict)
    # Sent on behalf of one office, so that office may word it its own way (an override).
    # Account mails are network-wide; a coordinator's message is worded by the coordinator.
    per_office: bool = False
    # Sent only to people who agreed to be contacted about opportunities (an urgent call, a
    # matching proposal): a withdrawal skips those still queued, and the worker checks again
    # before it sends (app.mail.services.needs_contact_consent).
    needs_contact: bool = False


_EXAMPLE_USER = {"name": "Amina Haddad", "email": "amina@example.org"}

KINDS: dict[str, MailKind] = {
    k.key: k
    for k in [
        MailKind(
            "confirm_address",
            _l("Confirm your e-mail address"),
            _l("Please confirm your e-mail address"),
            example={"user": _EXAMPLE_USER, "link": "https://example.org/confirm/…", "hours": 72},
        ),
        MailKind(
            "account_exists",
            _l("Registration with a known address"),
            _l("You already have an account"),
            example={"user": _EXAMPLE_USER, "login_link": "https://example.org/login",
                     "reset_link": "https://example.org/reset"},
        ),
        MailKind(
            "password_reset",
            _l("Reset password"),
            _l("Reset your password"),
            example={"user": _EXAMPLE_USER, "link": "https://example.org/reset/…", "minutes": 120},
        ),
        MailKind(
            "email_change",
            _l("Confirm a new e-mail address"),
            _l("Confirm your new e-mail address"),
            example={"user": _EXAMPLE_USER, "link": "https://example.org/confirm/…", "hours": 72,
                     "new_email": "amina.new@example.org"},
        ),
        MailKind(
            "email_changed",
            _l("E-mail address changed (to the old address)"),
            _l("The e-mail address of your account was changed"),
            example={"user": _EXAMPLE_USER, "old_email": "amina@example.org",
                     "new_email": "amina.new@example.org", "undo_link": "https://example.org/undo/…",
                     "days": 14},
        ),
        MailKind(
            "colleague_invited",
            _l("Colleague invited"),
            _l("Your account at Willkommen Dortmund"),
            example={"user": _EXAMPLE_USER, "link": "https://example.org/reset/…",
                     "offices": "Brackel + Aplerbeck", "invited_by": "Jonas Becker", "minutes": 4320},
            per_office=True,
        ),
        MailKind(
            "reminder",
            _l("Reminder"),
            _l("Reminder: %(title)s"),
            example={"user": _EXAMPLE_USER, "title": "Sprachcafé Brackel", "when": "Di., 1. Dez. 2026, 14:00",
                     "place": "Gemeinderaum St. Clemens, Flughafenstraße 26", "details_link": "https://example.org/…"},
            per_office=True,
        ),
        MailKind(
            "coordinator_message",
            _l("Message from a coordinator"),
            _l("%(subject)s"),
            service=False,
            example={"user": _EXAMPLE_USER, "subject": "Sommerfest: Helfende gesucht",
                     "body": "Liebe Ehrenamtliche,\n\nam Samstag feiern wir …",
                     "sender": "Jonas Becker", "office": "Brackel + Aplerbeck",
                     "audience": "Ehrenamtliche in Brackel",
                     "unsubscribe_link": "https://example.org/unsubscribe/…"},
        ),
        MailKind(
            "organisation_approved",
            _l("Partner organisation approved"),
            _l("%(organisation)s is now a partner of the welcome network"),
            example={"user": _EXAMPLE_USER, "organisation": "Nachbarschaftshilfe Brackel e. V.",
                     "office": "Brackel + Aplerbeck", "office_email": "brackel@example.org",
                     "link": "https://example.org/partner/organisation"},
            per_office=True,
        ),
        MailKind(
            "organisation_refused",
            _l("Partner organisation refused"),
            _l("Your registration of %(organisation)s"),
            example={"user": _EXAMPLE_USER, "organisation": "Nachbarschaftshilfe Brackel e. V.",
                     "office": "Brackel + Aplerbeck", "office_email": "brackel@example.org",
                     "reason": "Wir konnten den Verein im Vereinsregister nicht finden.",
                     "link": "https://example.org/partner/organisation"},
            per_office=True,
        ),
        MailKind(
            "partner_invited",
            _l("Colleague invited to a partner organisation"),
            _l("Invitation: contact person of %(organisation)s"),
            example={"organisation": "Nachbarschaftshilfe Brackel e. V.", "invited_by": "Amina Haddad",
                     "link": "https://example.org/partner/join/…", "days": 7},
        ),
        MailKind(
            "organisation_account_exists",
            _l("Organisation registered with a known address"),
            _l("You already have an account"),
            example={"user": _EXAMPLE_USER, "organisation": "Nachbarschaftshilfe Brackel e. V.",
                     "login_link": "https://example.org/login", "register_link": "https://example.org/partner/register",
                     "reset_link": "https://example.org/reset"},
        ),
    ]
}
