"""How the audit page names the round tables' actions and records."""
from flask_babel import lazy_gettext as _l

from app.core.audit import register_labels

register_labels(
    actions={
        "roundtable.invited": _l("Organisation invited to a round table"),
        "roundtable.uninvited": _l("Organisation no longer invited to a round table"),
        "roundtable.item_added": _l("Agenda item added"),
        "roundtable.item_removed": _l("Agenda item removed"),
        "roundtable.item_moved": _l("Agenda item moved"),
        "roundtable.item_accepted": _l("Proposed agenda item accepted"),
        "roundtable.item_declined": _l("Proposed agenda item declined"),
        "roundtable.deadline": _l("Deadline for proposals set"),
        "roundtable.invitation_sent": _l("Invitation to a meeting sent"),
        "roundtable.minutes_saved": _l("Minutes saved"),
        "roundtable.minutes_published": _l("Minutes published"),
    },
    records={
        "round_table_agenda_items": _l("Agenda item"),
        "round_table_meetings": _l("Round-table meeting"),
    },
)
