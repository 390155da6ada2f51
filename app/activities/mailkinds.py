"""The activities area's kinds of mail, registered beside the others (app.mail.kinds.KINDS).
Templates: app/activities/templates/email/<kind>.txt and .html, translated through Babel; every
kind is worded per office (an office may override it)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.mail.kinds import KINDS, MailKind

_USER = {"name": "Amina Haddad", "email": "amina@example.org"}
_BASE = {"user": _USER, "title": "Sprachcafé Brackel", "place": "Gemeinderaum St. Clemens, Flughafenstraße 26, 44309 Dortmund",
         "dates": "Dienstag, 2. März 2027, 17:00–18:30 · Gesprächspartnerin", "office": "Brackel + Aplerbeck",
         "office_email": "brackel@example.org", "link": "https://example.org/activities/1",
         "mine_link": "https://example.org/my/activities"}

ACTIVITY_KINDS = [
    MailKind("activity_signed_up", _l("Signed up for an activity"), _l("You are signed up: %(title)s"),
             example={**_BASE, "by_staff": False}, per_office=True),
    MailKind("activity_waiting", _l("On the waiting list"), _l("Waiting list: %(title)s"),
             example={**_BASE, "dates": "Dienstag, 2. März 2027, 17:00–18:30 · Gesprächspartnerin · Platz 3"},
             per_office=True),
    MailKind("activity_offer", _l("A place is free (offer from the waiting list)"),
             _l("A place is free for you: %(title)s"),
             example={**_BASE, "offer_link": "https://example.org/activities/offer/…",
                      "deadline": "Donnerstag, 25. Februar 2027, 18:00"}, per_office=True),
    MailKind("activity_offer_expired", _l("Offered place not taken in time"), _l("The offered place has passed on: %(title)s"),
             example=_BASE, per_office=True),
    MailKind("activity_moved_up", _l("Moved up from the waiting list"), _l("You have a place: %(title)s"),
             example=_BASE, per_office=True),
    MailKind("activity_signup_cancelled", _l("Sign-up cancelled by the person"), _l("Cancelled: %(title)s"),
             example={**_BASE, "was_waiting": False}, per_office=True),
    MailKind("activity_signup_removed", _l("Taken off a roster by the organiser"), _l("Change to your sign-up: %(title)s"),
             example={**_BASE, "reason": "Der Kurs wurde zusammengelegt."}, per_office=True),
    MailKind("activity_date_moved", _l("A date was moved"), _l("New time: %(title)s"),
             example={**_BASE, "old_when": "Dienstag, 2. März 2027, 17:00–18:30",
                      "new_when": "Mittwoch, 3. März 2027, 17:00–18:30"}, per_office=True),
    MailKind("activity_date_cancelled", _l("A date was cancelled"), _l("Cancelled: %(title)s on %(when)s"),
             example={**_BASE, "when": "Dienstag, 2. März 2027, 17:00–18:30", "reason": "Der Raum ist nicht frei."},
             per_office=True),
    MailKind("activity_cancelled", _l("An activity was cancelled"), _l("Cancelled: %(title)s"),
             example={**_BASE, "reason": "Leider fehlen uns die Räume."}, per_office=True),
    MailKind("activity_delegates", _l("Delegates registered for a round table"), _l("Registered: %(title)s"),
             example={**_BASE, "dates": "Dienstag, 2. März 2027, 17:00–18:30 · Delegierte",
                      "names": "Amina Haddad (angemeldet)\nJonas Becker (Warteliste, Platz 1)",
                      "organisation": "Nachbarschaftshilfe Brackel e. V."}, per_office=True),
]
_HANDOVER = {"user": _USER, "title": "Brückenfest", "role": "Getränkestand 14:00–16:00",
             "when": "Samstag, 5. Juni 2027, 14:00–16:00", "place": "Hansaplatz, 44137 Dortmund",
             "from_name": "Jonas Becker", "note": "Ich bin leider krank.", "office": "Innenstadt-Nord",
             "link": "https://example.org/activities/1"}
ACTIVITY_KINDS += [
    MailKind("activity_handover_offered", _l("A place is offered for hand-over"),
             _l("Can you take over? %(title)s, %(when)s"),
             example={**_HANDOVER, "accept_link": "https://example.org/activities/handover/…"}, per_office=True),
    MailKind("activity_handover_done", _l("A place was handed over"), _l("Handed over: %(title)s, %(when)s"),
             example={**_HANDOVER, "taker": "Amina Haddad"}, per_office=True),
    MailKind("activity_handover_approval", _l("A hand-over waits for approval"),
             _l("Please approve a hand-over: %(title)s, %(when)s"),
             example={**_HANDOVER, "taker": "Amina Haddad", "manage_link": "https://example.org/manage/…"},
             per_office=True),
    MailKind("activity_handover_refused", _l("A hand-over was not approved"), _l("Not handed over: %(title)s"),
             example=_HANDOVER, per_office=True),
]
ACTIVITY_KINDS += [
    MailKind("activity_urgent_call", _l("Urgent call: a few fitting volunteers are asked for a short shift"),
             _l("Urgent: can you help? %(title)s, %(when)s"),
             example={**_HANDOVER, "accept_link": "https://example.org/activities/urgent/…",
                      "consents_link": "https://example.org/people/consents", "office_email": "brackel@example.org"},
             per_office=True, needs_contact=True),
]
for _kind in ACTIVITY_KINDS:
    KINDS[_kind.key] = _kind
