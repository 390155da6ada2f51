"""How the audit page names the People area's actions and records."""
from flask_babel import lazy_gettext as _l

from app.core.audit import register_labels

register_labels(
    actions={
        "profile.updated": _l("Volunteer profile changed by staff"),
        "volunteer.status_changed": _l("Volunteer's status changed"),
        "volunteer.note_added": _l("Note about a volunteer added"),
        "directory.exported": _l("Volunteer list exported"),
        "directory.printed": _l("Volunteer list printed"),
        "list.item_added": _l("List entry added"),
        "list.item_renamed": _l("List entry renamed"),
        "list.item_moved": _l("List entry moved"),
        "list.item_retired": _l("List entry retired"),
        "list.item_reactivated": _l("List entry offered again"),
        "consent_text.published": _l("New version of a consent text published"),
        "organisation.approved": _l("Organisation approved"),
        "organisation.refused": _l("Organisation refused"),
        "organisation.updated": _l("Organisation changed by staff"),
        "organisation.deactivated": _l("Organisation deactivated"),
        "organisation.reactivated": _l("Organisation reactivated"),
        "person.deleted_on_request": _l("Account deleted at the person's request"),
    },
    records={
        "volunteer_profiles": _l("Volunteer"),
        "organisations": _l("Organisation"),
        "choice_items": _l("List entry"),
        "consent_texts": _l("Consent text"),
    },
)
