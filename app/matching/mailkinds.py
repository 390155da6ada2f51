"""The matching area's kinds of mail (templates in app/matching/templates/email/), worded per office."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.mail.kinds import KINDS, MailKind

_USER = {"name": "Amina Haddad", "email": "amina@example.org"}
_NEED = {"user": _USER, "category": "Begleitung zu einem Amt oder Arzt", "district": "Hörde",
         "when": "Dienstag, 2. März 2027, 09:30", "office": "Hörde + Hombruch", "office_email": "hoerde@example.org",
         "ongoing": False}
_STAFF = {**_NEED, "volunteer": "Jonas Becker", "case_code": "HH-2027-014",
          "need_link": "https://example.org/matching/needs/1"}

MATCHING_KINDS = [
    MailKind("matching_proposal", _l("A need proposed to a volunteer"), _l("Can you help? %(category)s"),
             example={**_NEED, "shared_text": "Eine Familie braucht Begleitung zur Ausländerbehörde, Arabisch hilft.",
                      "deadline": "Freitag, 26. Februar 2027, 18:00",
                      "answer_link": "https://example.org/matching/answer/…"}, per_office=True, needs_contact=True),
    MailKind("matching_accepted", _l("A volunteer accepted a need"), _l("Accepted: %(category)s"),
             example=_STAFF, per_office=True),
    MailKind("matching_declined", _l("A volunteer declined a need"), _l("Declined: %(category)s"),
             example=_STAFF, per_office=True),
    MailKind("matching_check_in", _l("Partnership check-in due"),
             _l("Check-in after %(weeks)s weeks: %(category)s"),
             example={**_STAFF, "weeks": 4, "since": "2. März 2027"}, per_office=True),
]
for _kind in MATCHING_KINDS:
    KINDS[_kind.key] = _kind
