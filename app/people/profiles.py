"""The volunteer's own profile, and the lists admins edit (skills, need categories).

Services take plain arguments (ids, codes, numbers), check every one of them (a form may be
forged: unknown codes, ids from another list, retired entries, offices that don't exist), change
the profile in one transaction with the profile row locked, and commit. A change made by staff
on someone else's profile is written to the audit log in the same transaction; volunteers
editing themselves are not audited.

The first-time path and the edit page use the same sections (`SECTIONS`): where one lives, the
offices, languages, skills and kinds of activity, the weekly times and hours, the phone number.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.accounts.models import Role
from app.core import audit, ownread
from app.core.personal_data import register_section
from app.core.templating import weekday_name
from app.core.timeutil import utcnow
from app.extensions import db
from app.offices.models import District, Office
from app.people import languages as language_catalogue
from app.people.models import (ALL_SLOTS, DAY_PART_LABELS, DAY_PARTS, ActivityKind, ChoiceItem, LanguageLevel,
                               StatusChange, VolunteerLanguage, VolunteerNote, VolunteerProfile,
                               slot_bit, volunteer_offices, volunteer_skills)

# The first-time path, one section per screen; the edit page shows them all.
SECTIONS = ("district", "offices", "languages", "skills", "times", "phone")

MAX_LANGUAGES = 12
MAX_HOURS_PER_MONTH = 200
MAX_PHONE = 40
PHONE_RE = re.compile(r"[0-9 +/()\-]*")
LIST_NAMES = (ChoiceItem.SKILLS, ChoiceItem.NEED_CATEGORIES)
MAX_LABEL = 120
MAX_KEY = 40


class ProfileInputError(ValueError):
    """Input a service refuses; `field` names the form field (and `index` the row) it belongs to."""

    def __init__(self, field: str, message, index: int | None = None):
        super().__init__(str(message))
        self.field, self.message, self.index = field, message, index


# ---------------------------------------------------------------- loading
def _options():
    return (selectinload(VolunteerProfile.languages), selectinload(VolunteerProfile.offices),
            selectinload(VolunteerProfile.skills), selectinload(VolunteerProfile.district))


def get_profile(user_id: int) -> VolunteerProfile | None:
    """The profile with everything the pages show, in a constant number of statements."""
    return db.session.scalar(select(VolunteerProfile).where(VolunteerProfile.user_id == user_id)
                             .options(*_options()))


def ensure_profile(user) -> VolunteerProfile:
    """The volunteer's profile; created (empty, status "new") on first use."""
    if user.role != Role.VOLUNTEER:
        raise ValueError("only volunteers have a profile")
    profile = get_profile(user.id)
    if profile is None:
        db.session.add(VolunteerProfile(user_id=user.id))
        try:
            db.session.commit()
        except IntegrityError:  # created by a parallel request a moment ago
            db.session.rollback()
        profile = get_profile(user.id)
    return profile


_COMPLETE = select(VolunteerProfile.completed_at.is_not(None).label("complete")).where(VolunteerProfile.user_id == bindparam("uid"))


def is_complete(user_id: int) -> bool:
    return db.session.scalar(_COMPLETE, {"uid": user_id}) or False


def shows_complete(user_id: int, signed_in: bool = False) -> bool:
    """is_complete for a page about to be shown: `signed_in` (the person looking): as read along
    with their account (an ownread rider, dropped by any change to profiles in this request),
    else on the own connection of app.core.ownread (the latest commit; a page that only reads
    then checks nothing out of the pool)."""
    if signed_in:
        ridden = ownread.take_rider("profile_complete")
        if ridden is not ownread.NOT_READ:
            return bool(ridden)
    found = ownread.row(_COMPLETE, {"uid": user_id})
    return bool(found is not None and found.complete)


def _complete_rider():
    from app.accounts.models import User

    users = User.__table__
    return (select(VolunteerProfile.completed_at.is_not(None)).where(VolunteerProfile.user_id == users.c.id)
            .correlate(users).scalar_subquery())


ownread.register_rider("profile_complete", _complete_rider)


def _locked(user_id: int) -> VolunteerProfile:
    """The profile row, locked for this transaction (two tabs sending at once don't interleave)."""
    profile = db.session.scalar(select(VolunteerProfile).where(VolunteerProfile.user_id == user_id)
                                .with_for_update().execution_options(populate_existing=True))
    if profile is None:
        raise LookupError(user_id)
    return profile


def _office_of(profile: VolunteerProfile) -> int | None:
    if profile.offices:
        return profile.offices[0].id
    return profile.district.office_id if profile.district else None


def _finish(profile: VolunteerProfile, actor, section: str, **detail) -> None:
    """Audit when staff changed someone's profile, then commit."""
    if actor is not None and actor.id != profile.user_id:
        audit.record(actor, "profile.updated", profile, office_id=_office_of(profile), section=section, **detail)
    profile.updated_at = utcnow()
    db.session.commit()


# ---------------------------------------------------------------- sections
def set_district(user_id: int, district_id: int | None, actor) -> VolunteerProfile:
    """Where the person lives (None: not given / outside Dortmund). The first time, the offices
    are preset with the district's office."""
    profile = _locked(user_id)
    district = None
    if district_id:
        district = db.session.get(District, district_id)
        if district is None:
            raise ProfileInputError("district", _l("Please choose one of the districts."))
    profile.district_id = district.id if district else None
    if district is not None and district.office_id and not profile.offices:
        profile.offices = [db.session.get(Office, district.office_id)]
    _finish(profile, actor, "district", district=district.name if district else None)
    return profile


def set_offices(user_id: int, office_ids: Iterable[int], actor) -> VolunteerProfile:
    ids = set(office_ids)
    profile = _locked(user_id)
    offices = list(db.session.scalars(select(Office).where(Office.id.in_(ids)))) if ids else []
    if len(offices) != len(ids):
        raise ProfileInputError("offices", _l("Please choose among the offices shown."))
    profile.offices = offices
    _finish(profile, actor, "offices", offices=sorted(o.id for o in offices))
    return profile


def check_languages(entries: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    """The (code, level) pairs, checked: known codes, levels 1..4, each language once."""
    seen: set[str] = set()
    out = []
    for index, (code, level) in enumerate(entries):
        if not language_catalogue.is_known(code):
            raise ProfileInputError("code", _l("Please choose a language from the list."), index)
        if code in seen:
            raise ProfileInputError("code", _l("You have named this language already."), index)
        try:
            level = LanguageLevel(int(level))
        except (TypeError, ValueError):
            raise ProfileInputError("level", _l("Please choose how well you speak it."), index) from None
        seen.add(code)
        out.append((code, int(level)))
    if len(out) > MAX_LANGUAGES:
        raise ProfileInputError("code", _l("Please name at most %(n)d languages.", n=MAX_LANGUAGES), MAX_LANGUAGES)
    return out


def set_languages(user_id: int, entries: Iterable[tuple[str, int]], actor) -> VolunteerProfile:
    """Replace the languages with these (code, level) pairs."""
    checked = check_languages(list(entries))
    profile = _locked(user_id)
    current = {lang.code: lang for lang in db.session.scalars(
        select(VolunteerLanguage).where(VolunteerLanguage.user_id == user_id))}
    wanted = dict(checked)
    for code, lang in current.items():
        if code not in wanted:
            db.session.delete(lang)
    db.session.flush()
    for code, level in checked:
        if code in current:
            current[code].level = level
        else:
            db.session.add(VolunteerLanguage(user_id=user_id, code=code, level=level))
    db.session.flush()
    db.session.expire(profile, ["languages"])
    _finish(profile, actor, "languages", languages=[f"{c}:{lv}" for c, lv in checked])
    return profile


def offered_skills(profile: VolunteerProfile | None = None) -> list[ChoiceItem]:
    """Active skills, plus retired ones this profile still has (so they can be kept or removed)."""
    held = [s.id for s in profile.skills] if profile is not None else []
    cond = ChoiceItem.active.is_(True)
    if held:
        cond = cond | ChoiceItem.id.in_(held)
    return list(db.session.scalars(select(ChoiceItem).where(ChoiceItem.list_name == ChoiceItem.SKILLS, cond)
                                   .order_by(ChoiceItem.position, ChoiceItem.id)))


def set_skills(user_id: int, skill_ids: Iterable[int], kinds: Iterable[int], actor) -> VolunteerProfile:
    """Skills and interests (active entries of the skill list; a retired one only if held
    already) and the kinds of activity wanted (ActivityKind values)."""
    ids = set(skill_ids)
    bits = 0
    for value in kinds:
        try:
            bits |= ActivityKind(int(value)).bit
        except (TypeError, ValueError):
            raise ProfileInputError("kinds", _l("Please choose among the kinds shown.")) from None
    profile = _locked(user_id)
    held = set(db.session.scalars(select(volunteer_skills.c.item_id).where(volunteer_skills.c.user_id == user_id)))
    items = list(db.session.scalars(select(ChoiceItem).where(
        ChoiceItem.id.in_(ids), ChoiceItem.list_name == ChoiceItem.SKILLS,
        ChoiceItem.active.is_(True) | ChoiceItem.id.in_(held or {-1})))) if ids else []
    if len(items) != len(ids):
        raise ProfileInputError("skills", _l("Please choose among the skills shown."))
    profile.skills = items
    profile.wanted_kinds = bits
    _finish(profile, actor, "skills", skills=sorted(i.key for i in items), kinds=bits)
    return profile


def slots_to_bits(slots: Iterable[tuple[int, int]]) -> int:
    bits = 0
    for weekday, part in slots:
        if not (0 <= weekday <= 6 and 0 <= part <= 2):
            raise ProfileInputError("slots", _l("Please choose among the times shown."))
        bits |= slot_bit(weekday, part)
    return bits


def set_times(user_id: int, availability: int, hours_per_month: int | None, actor) -> VolunteerProfile:
    """Weekly availability (a slot_bit set; empty: no regular times) and hours per month."""
    if not isinstance(availability, int) or availability < 0 or availability & ~ALL_SLOTS:
        raise ProfileInputError("slots", _l("Please choose among the times shown."))
    if hours_per_month is not None and not (0 <= hours_per_month <= MAX_HOURS_PER_MONTH):
        raise ProfileInputError("hours", _l("Please enter a number from %(min)s to %(max)s.",
                                            min=0, max=MAX_HOURS_PER_MONTH))
    profile = _locked(user_id)
    profile.availability = availability
    profile.hours_per_month = hours_per_month
    _finish(profile, actor, "times", availability=availability, hours=hours_per_month)
    return profile


def check_phone(phone: str | None) -> str:
    phone = " ".join((phone or "").split())
    if len(phone) > MAX_PHONE:
        raise ProfileInputError("phone", _l("Please enter at most %(n)d characters.", n=MAX_PHONE))
    if not PHONE_RE.fullmatch(phone) or (phone and not any(ch.isdigit() for ch in phone)):
        raise ProfileInputError("phone", _l(
            "Please use only digits, spaces and the signs + / - ( ), e.g. 0231 123456."))
    return phone


def set_phone(user_id: int, phone: str | None, actor) -> VolunteerProfile:
    phone = check_phone(phone)
    profile = _locked(user_id)
    profile.phone = phone
    _finish(profile, actor, "phone")
    return profile


def complete(user_id: int) -> VolunteerProfile:
    """The person went through the steps once ("Profil vervollständigen" disappears)."""
    profile = _locked(user_id)
    if profile.completed_at is None:
        profile.completed_at = utcnow()
    db.session.commit()
    return profile


# ---------------------------------------------------------------- reading
def availability_slots(bits: int) -> list[tuple[int, int]]:
    return [(d, p) for d in range(7) for p in range(3) if bits & slot_bit(d, p)]


def slot_label(weekday: int, part: int) -> str:
    """E.g. "Dienstag vormittags" / "Tuesday morning"."""
    return f"{weekday_name(weekday)} {DAY_PART_LABELS[DAY_PARTS[part]]}"


def collect_profile(user) -> dict | None:
    """The "profile" section of "my data"."""
    if user.role != Role.VOLUNTEER:
        return None
    profile = get_profile(user.id)
    if profile is None:
        return None
    return {
        "district": profile.district.name if profile.district else None,
        "offices": [o.name for o in profile.offices],
        "languages": [{"code": lang.code, "language": language_catalogue.name_of(lang.code),
                       "level": lang.level_label} for lang in profile.languages],
        "skills": [s.label(_locale()) for s in profile.skills],
        "activity_kinds": [k.label for k in profile.wants()],
        "availability": [slot_label(d, p) for d, p in availability_slots(profile.availability)],
        "hours_per_month": profile.hours_per_month,
        "phone": profile.phone,
        "status": profile.status.label,
        "completed_at": profile.completed_at.isoformat() if profile.completed_at else None,
    }


def erase_profile(user, actor) -> None:
    """Account deletion: the profile row with its languages, skills, offices, notes and status
    history (explicitly, not relying on the database's cascades)."""
    uid = user.id
    for stmt in (delete(VolunteerLanguage).where(VolunteerLanguage.user_id == uid),
                 delete(volunteer_skills).where(volunteer_skills.c.user_id == uid),
                 delete(volunteer_offices).where(volunteer_offices.c.user_id == uid),
                 delete(VolunteerNote).where(VolunteerNote.user_id == uid),
                 delete(StatusChange).where(StatusChange.user_id == uid),
                 delete(VolunteerProfile).where(VolunteerProfile.user_id == uid)):
        db.session.execute(stmt.execution_options(synchronize_session=False))


def _locale() -> str:
    from flask_babel import get_locale

    try:
        return str(get_locale() or "de")
    except Exception:  # outside a request
        return "de"


register_section("profile", _l("Volunteer profile"), collect=collect_profile, erase=erase_profile, order=20)


# ---------------------------------------------------------------- admin-edited lists
def check_list(list_name: str) -> str:
    if list_name not in LIST_NAMES:
        raise LookupError(list_name)
    return list_name


def list_items(list_name: str) -> list[ChoiceItem]:
    check_list(list_name)
    return list(db.session.scalars(select(ChoiceItem).where(ChoiceItem.list_name == list_name)
                                   .order_by(ChoiceItem.position, ChoiceItem.id)))


def key_from_label(label: str) -> str:
    """"Begleitung zu Ämtern" → "begleitung_zu_aemtern" (ASCII, at most 40 characters)."""
    text = label.strip().lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(a, b)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")[:MAX_KEY].strip("_") or "entry"


def _check_labels(label_de: str | None, label_en: str | None) -> tuple[str, str]:
    label_de, label_en = " ".join((label_de or "").split()), " ".join((label_en or "").split())
    if not label_de:
        raise ProfileInputError("label_de", _l("Please enter the German label."))
    if not label_en:
        raise ProfileInputError("label_en", _l("Please enter the English label."))
    for name, value in (("label_de", label_de), ("label_en", label_en)):
        if len(value) > MAX_LABEL:
            raise ProfileInputError(name, _l("Please enter at most %(n)d characters.", n=MAX_LABEL))
    return label_de, label_en


def _lock_list(list_name: str) -> list[ChoiceItem]:
    return list(db.session.scalars(select(ChoiceItem).where(ChoiceItem.list_name == list_name)
                                   .order_by(ChoiceItem.position, ChoiceItem.id).with_for_update()))


def _item(list_name: str, item_id: int, items: list[ChoiceItem]) -> ChoiceItem:
    for item in items:
        if item.id == item_id:
            return item
    raise LookupError(item_id)


def _same_label(items: list[ChoiceItem], label_de: str, except_id: int | None = None) -> bool:
    return any(i.label_de.casefold() == label_de.casefold() and i.id != except_id for i in items)


def add_item(list_name: str, label_de: str, label_en: str, actor) -> ChoiceItem:
    """A new entry at the end; its key comes from the German label, unique within the list."""
    check_list(list_name)
    label_de, label_en = _check_labels(label_de, label_en)
    items = _lock_list(list_name)
    if _same_label(items, label_de):
        raise ProfileInputError("label_de", _l("This list has an entry with this label already."))
    base = key_from_label(label_de)
    keys = {i.key for i in items}
    key, n = base, 1
    while key in keys:
        n += 1
        suffix = f"_{n}"
        key = base[:MAX_KEY - len(suffix)] + suffix
    position = (db.session.scalar(select(func.max(ChoiceItem.position))
                                  .where(ChoiceItem.list_name == list_name)) or 0) + 1
    item = ChoiceItem(list_name=list_name, key=key, label_de=label_de, label_en=label_en,
                      position=position, active=True)
    db.session.add(item)
    db.session.flush()
    audit.record(actor, "list.item_added", item, list=list_name, key=key, label_de=label_de, label_en=label_en)
    db.session.commit()
    return item


def rename_item(list_name: str, item_id: int, label_de: str, label_en: str, actor) -> ChoiceItem:
    """New labels; the key stays (it is what other records and filters refer to)."""
    check_list(list_name)
    label_de, label_en = _check_labels(label_de, label_en)
    items = _lock_list(list_name)
    item = _item(list_name, item_id, items)
    if _same_label(items, label_de, except_id=item.id):
        raise ProfileInputError("label_de", _l("This list has an entry with this label already."))
    old = (item.label_de, item.label_en)
    item.label_de, item.label_en = label_de, label_en
    audit.record(actor, "list.item_renamed", item, list=list_name, key=item.key,
                 old=list(old), new=[label_de, label_en])
    db.session.commit()
    return item


def move_item(list_name: str, item_id: int, step: int, actor) -> ChoiceItem:
    """One place up (step -1) or down (+1); positions are renumbered 1..n on the way."""
    check_list(list_name)
    if step not in (-1, 1):
        raise ValueError(step)
    items = _lock_list(list_name)
    item = _item(list_name, item_id, items)
    index = items.index(item)
    other = index + step
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
        for position, entry in enumerate(items, start=1):
            entry.position = position
        audit.record(actor, "list.item_moved", item, list=list_name, key=item.key, position=item.position)
    db.session.commit()
    return item


def set_item_active(list_name: str, item_id: int, active: bool, actor) -> ChoiceItem:
    """Retire (no longer offered; profiles that have it keep it) or reactivate an entry."""
    check_list(list_name)
    items = _lock_list(list_name)
    item = _item(list_name, item_id, items)
    if item.active != active:
        item.active = active
        audit.record(actor, "list.item_reactivated" if active else "list.item_retired", item,
                     list=list_name, key=item.key)
    db.session.commit()
    return item
