"""The round tables' kinds of mail (templates in app/roundtables/templates/email/)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.mail.kinds import KINDS, MailKind

_BASE = {"user": {"name": "Amina Haddad", "email": "amina@example.org"}, "title": "Runder Tisch Brackel",
         "when": "Dienstag, 2. März 2027, 17:00–19:00", "place": "Bürgerhaus Brackel, Brackeler Hellweg 150",
         "office": "Brackel + Aplerbeck", "link": "https://example.org/round-tables/meetings/1"}
ROUNDTABLE_KINDS = [
    MailKind("roundtable_invitation", _l("Invitation to a round-table meeting"), _l("Invitation: %(title)s, %(when)s"),
             example={**_BASE, "agenda": "1. Begrüßung\n2. Sommerfest", "proposals_until": "Freitag, 26. Februar 2027",
                      "delegates_link": "https://example.org/activities/1"}, per_office=True),
    MailKind("roundtable_minutes", _l("Minutes of a round-table meeting"), _l("Minutes: %(title)s, %(when)s"),
             example={**_BASE, "minutes": "Anwesend: 9 Organisationen.\nSommerfest am 5. Juni."}, per_office=True),
    MailKind("roundtable_item_decided", _l("A proposed agenda item was decided"),
             _l("Your agenda item: %(item)s"),
             example={**_BASE, "item": "Sommerfest", "accepted": False, "reason": "Thema der nächsten Sitzung."},
             per_office=True),
]
for _kind in ROUNDTABLE_KINDS:
    KINDS[_kind.key] = _kind
