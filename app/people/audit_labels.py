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


def _status(value) -> str:
    from app.people.models import STATUS_LABELS, VolunteerStatus

    return str(STATUS_LABELS[VolunteerStatus(value)])


def filter_words(value) -> str:
    """A directory filter as recorded (`DirectoryFilter.describe`), in words, for the print view
    and the audit log: "Sprache: Arabisch (mindestens gut); Status: aktiv; sortiert nach: Name"."""
    from app.core.templating import language_name
    from app.people.models import ACTIVITY_KIND_LABELS, LEVEL_LABELS, ActivityKind, LanguageLevel

    if not isinstance(value, dict):
        return str(value)
    parts = []
    for key, item in value.items():
        if key == "min_level":
            continue
        if key == "language":
            level = value.get("min_level")
            text = language_name(str(item))
            if isinstance(level, int) and level in {lv.value for lv in LanguageLevel}:
                text += f" ({_l('at least')} {LEVEL_LABELS[LanguageLevel(level)]})"
        elif key == "status":
            text = _status(item)
        elif key == "kind":
            text = str(ACTIVITY_KIND_LABELS[ActivityKind[str(item).upper()]])
        elif key == "sort":
            text = str(_SORTS.get(item, item))
        elif key in ("search", "contact"):
            text = str(_l("yes") if item else _l("no"))
        else:
            text = str(item)
        parts.append(f"{FILTER_WORDS.get(key, key)}: {text}")
    return "; ".join(parts)


_SORTS = {"name": _l("name"), "district": _l("district"), "status": _l("status"), "newest": _l("newest first")}
FILTER_WORDS = {
    "sort": _l("sorted by"), "search": _l("search text"), "language": _l("Language"), "skill": _l("Skill"),
    "district": _l("District"), "slot": _l("Time"), "office": _l("Office"), "contact": _l("May be contacted"),
    "status": _l("Status"), "kind": _l("Kind of activity"),
}

register_labels(
    details={
        "old": _l("Before"), "new": _l("Now"), "note_id": _l("Note number"), "length": _l("Length in characters"),
        "filter": _l("Filter used"), "rows": _l("Rows"), "format": _l("Format"), "section": _l("Part of the profile"),
        "list": _l("List"), "key": _l("Key"), "label_de": _l("German name"), "label_en": _l("English name"),
        "position": _l("Position"), "purpose": _l("Purpose"), "version": _l("Version"), "reason": _l("Reason"),
        "organisation": _l("Organisation"), "how": _l("Asked by"),
    },
    values={"old": _status, "new": _status, "filter": filter_words},
)
