"""How the audit page names the activities area's actions, records and details."""
from flask_babel import lazy_gettext as _l

from app.core.audit import register_labels

register_labels(
    actions={
        "signup.added": _l("Person added to a roster by staff"),
        "hours.certificate": _l("Certificate of hours issued"),
        "signup.over_capacity": _l("Person placed beyond capacity"),
        "signup.removed": _l("Person taken off a roster"),
        "signup.moved_up": _l("Person moved up from the waiting list by staff"),
        "urgent.sent": _l("Urgent call sent"),
        "urgent.ended": _l("Urgent call ended"),
        "urgent.accepted": _l("Place taken through an urgent call"),
    },
    records={
        "activity_signups": _l("Sign-up"),
        "activities": _l("Activity"),
        "activity_urgent_calls": _l("Urgent call"),
    },
    details={
        "activity": _l("Activity"),
        "slot": _l("Date and role"),
        "user": _l("Person"),
        "state": _l("State"),
        "was": _l("Before"),
        "reason": _l("Reason"),
        "places": _l("Places wanted"),
        "invited": _l("People asked"),
    },
)
