"""Managing activities: what coordinators (and partner contacts, for their organisation's drafts)
do to activities, dates and roles, and the roster of one slot.

Every operation takes plain arguments and an `actor` (a user; None for the command line), checks
what it is given, changes the database in one transaction and commits; on bad input it raises
`ManageError(field, message)` before anything is stored. Staff changes are audited; every change
tells `events.changed` (caches) and role/date changes re-sync the slots
(`structure.sync_slots`). Mails to the people on an activity go through
`app.activities.notifications` in the same transaction.

Who may act on which activity is decided here too (`may_manage`, `may_edit`, `may_publish`),
through `app.core.permissions` for staff; a partner contact acts only for their own, approved
organisation, and only on drafts."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, false, func, or_, select
from sqlalchemy.orm import selectinload

from app.accounts.models import Role as UserRole
from app.accounts.models import User, coordinator_offices
from app.activities import events
from app.activities.models import (ACTIVE, HOLDING, Activity, ActivityDate, ActivityState, ActivityType,
                                   DateSeries, Handover, HandoverState, PlaceKind, Role, Signup, SignupState, Slot,
                                   activity_languages)
from app.activities.series import SeriesError, expand, local_to_utc, span, utc_to_local
from app.activities.structure import sync_slots
from app.core import audit
from app.core.permissions import can_act_in_office, office_scope, scope_to_offices
from app.core.timeutil import utcnow
from app.extensions import db
from app.offices.models import District, Office, SatelliteLocation
from app.people import languages as language_catalogue
from app.people.models import ChoiceItem, LanguageLevel, Organisation, OrganisationState, organisation_districts

MAX_CAPACITY = 1000
MAX_DEADLINE_HOURS = 24 * 30
MAX_REMINDER_DAYS = 30
MAX_COPY_WEEKS = 104


class ManageError(ValueError):
    """Bad input for a management operation: `field` names the form field (or None)."""

    def __init__(self, field: str | None, message):
        super().__init__(str(message))
        self.field, self.message = field, message


# ---------------------------------------------------------------- who may do what
def is_staff(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.role in (
        UserRole.COORDINATOR, UserRole.ADMIN)


def partner_organisation_id(user) -> int | None:
    """The organisation a partner contact acts for: only their own, and only when approved."""
    if user is None or not getattr(user, "is_authenticated", False) or user.role != UserRole.PARTNER:
        return None
    if user.organisation_id is None:
        return None
    state = db.session.scalar(select(Organisation.state).where(Organisation.id == user.organisation_id))
    return user.organisation_id if state == OrganisationState.APPROVED else None


def may_manage(user, activity: Activity) -> bool:
    """May see the activity's management page and rosters."""
    if user is None:
        return True  # the command line
    if is_staff(user):
        return can_act_in_office(user, activity.office_id)
    org_id = partner_organisation_id(user)
    return org_id is not None and activity.organisation_id == org_id


def may_edit(user, activity: Activity) -> bool:
    """May change fields, dates and roles: staff of the office while not cancelled; the
    organisation's contacts while it is a draft."""
    if activity.state == ActivityState.CANCELLED:
        return False
    if user is None or is_staff(user):
        return may_manage(user, activity)
    return activity.state == ActivityState.DRAFT and may_manage(user, activity)


def may_publish(user, activity: Activity) -> bool:
    """Publishing, cancelling, copying and rosters' changes are for the office's coordinators."""
    return (user is None or is_staff(user)) and may_manage(user, activity)


def manageable_activities(user) -> Select:
    """Activities a user may manage, as a SELECT to filter further (in SQL)."""
    stmt = select(Activity)
    if user is None:
        return stmt
    if is_staff(user):
        return scope_to_offices(stmt, Activity.office_id, user)
    org_id = partner_organisation_id(user)
    if org_id is None:
        return stmt.where(false())
    return stmt.where(Activity.organisation_id == org_id)


def offices_for(user) -> list[Office]:
    """The offices a user may create activities in: staff their scope; a partner contact the
    offices covering the organisation's districts."""
    stmt = select(Office).order_by(Office.name)
    if user is None:
        return list(db.session.scalars(stmt))
    if is_staff(user):
        return list(db.session.scalars(scope_to_offices(stmt, Office.id, user)))
    org_id = partner_organisation_id(user)
    if org_id is None:
        return []
    return list(db.session.scalars(stmt.where(Office.id.in_(
        select(District.office_id).join(organisation_districts, organisation_districts.c.district_id == District.id)
        .where(organisation_districts.c.organisation_id == org_id)))))


def _audit(actor, action: str, activity: Activity, **detail: Any) -> None:
    """Staff and the command line are audited; a partner contact's own drafts are not."""
    if actor is not None and not is_staff(actor):
        return
    audit.record(actor, action, record_type="activities", record_id=activity.id, office_id=activity.office_id,
                 title=activity.title, **detail)


def _activity(activity_id: int, lock: bool = False) -> Activity:
    stmt = select(Activity).where(Activity.id == activity_id)
    if lock:
        stmt = stmt.with_for_update()
    activity = db.session.scalar(stmt)
    if activity is None:
        raise ManageError(None, _l("This activity does not exist."))
    return activity


def _require(ok: bool) -> None:
    if not ok:
        raise ManageError(None, _l("You may not change this activity."))


# ---------------------------------------------------------------- the activity
@dataclass
class ActivityData:
    title: str
    kind: ActivityType
    office_id: int
    place_kind: PlaceKind = PlaceKind.OFFICE
    satellite_id: int | None = None
    place_name: str = ""
    street: str = ""
    postcode: str = ""
    city: str = "Dortmund"
    district_id: int | None = None
    summary: str = ""
    description: str = ""
    languages: list[str] = field(default_factory=lambda: ["de"])
    organisation_id: int | None = None
    contact_id: int | None = None
    reminder_days: int | None = None


ACTIVITY_FIELDS = ("title", "kind", "office_id", "place_kind", "satellite_id", "place_name", "street", "postcode",
                   "city", "district_id", "summary", "description", "organisation_id", "contact_id",
                   "reminder_days")


def _clean_activity(actor, data: ActivityData, activity: Activity | None) -> dict[str, Any]:
    values = {f: getattr(data, f) for f in ACTIVITY_FIELDS}
    for f in ("title", "place_name", "street", "postcode", "city", "summary"):
        values[f] = (values[f] or "").strip()
    values["description"] = (values["description"] or "").strip()
    if not values["title"]:
        raise ManageError("title", _l("Please enter a title."))
    if len(values["title"]) > 160:
        raise ManageError("title", _l("Please write at most %(max)d characters.", max=160))
    if len(values["summary"]) > 300:
        raise ManageError("summary", _l("Please write at most %(max)d characters.", max=300))
    if len(values["description"]) > 20000:
        raise ManageError("description", _l("Please write at most %(max)d characters.", max=20000))
    try:
        values["kind"] = ActivityType(values["kind"])
    except ValueError:
        raise ManageError("kind", _l("Please choose a kind from the list.")) from None
    try:
        values["place_kind"] = PlaceKind(values["place_kind"])
    except ValueError:
        raise ManageError("place_kind", _l("Please choose where it takes place.")) from None

    allowed_offices = {o.id: o for o in offices_for(actor)}
    office = allowed_offices.get(values["office_id"])
    if office is None:
        raise ManageError("office_id", _l("Please choose one of your offices."))
    if values["place_kind"] == PlaceKind.SATELLITE:
        sat = db.session.get(SatelliteLocation, values["satellite_id"]) if values["satellite_id"] else None
        if sat is None or sat.office_id != office.id:
            raise ManageError("satellite_id", _l("Please choose one of the office's satellite locations."))
    else:
        values["satellite_id"] = None
    if values["place_kind"] == PlaceKind.ADDRESS:
        if not values["street"]:
            raise ManageError("street", _l("Please enter the street."))
        if not (len(values["postcode"]) == 5 and values["postcode"].isascii() and values["postcode"].isdigit()):
            raise ManageError("postcode", _l("A postcode has five digits."))
        if not values["city"]:
            values["city"] = "Dortmund"
        for f, limit in (("place_name", 160), ("street", 120), ("city", 80)):
            if len(values[f]) > limit:
                raise ManageError(f, _l("Please write at most %(max)d characters.", max=limit))
    else:
        values.update(place_name="", street="", postcode="", city="Dortmund")
    district_ids = {d.id for d in office.districts}
    if values["district_id"] is None:
        values["district_id"] = office.districts[0].id if office.districts else None
    elif values["district_id"] not in district_ids:
        raise ManageError("district_id", _l("Please choose one of the office's districts."))

    partner_org = None if (actor is None or is_staff(actor)) else partner_organisation_id(actor)
    if actor is not None and not is_staff(actor):
        if partner_org is None:
            raise ManageError(None, _l("You may not change this activity."))
        values["organisation_id"] = partner_org  # a partner organises for their own organisation only
    elif values["organisation_id"] is not None:
        state = db.session.scalar(select(Organisation.state).where(Organisation.id == values["organisation_id"]))
        unchanged = activity is not None and activity.organisation_id == values["organisation_id"]
        if state != OrganisationState.APPROVED and not unchanged:
            raise ManageError("organisation_id", _l("Please choose an approved partner organisation."))
    if values["contact_id"] is not None:
        ok = db.session.scalar(select(User.id).join(coordinator_offices, coordinator_offices.c.user_id == User.id)
                               .where(User.id == values["contact_id"], User.role == UserRole.COORDINATOR,
                                      coordinator_offices.c.office_id == office.id))
        if ok is None:
            raise ManageError("contact_id", _l("Please choose a coordinator of this office."))
    if values["reminder_days"] is not None and not 0 <= values["reminder_days"] <= MAX_REMINDER_DAYS:
        raise ManageError("reminder_days", _l("Please enter a number from %(min)s to %(max)s.",
                                              min=0, max=MAX_REMINDER_DAYS))
    return values


def _clean_languages(codes: Iterable[str]) -> list[str]:
    out: list[str] = []
    for code in codes:
        code = (code or "").strip()
        if not code:
            continue
        if not language_catalogue.is_known(code) or len(code) > 8:
            raise ManageError("languages", _l("Please choose languages from the list."))
        if code in out:
            raise ManageError("languages", _l("Each language only once, please."))
        out.append(code)
    if not out:
        raise ManageError("languages", _l("Please choose at least one language."))
    return out


def languages_of(activity_id: int) -> list[str]:
    return list(db.session.scalars(select(activity_languages.c.code)
                                   .where(activity_languages.c.activity_id == activity_id)
                                   .order_by(activity_languages.c.code)))


def _set_languages(activity_id: int, codes: list[str]) -> None:
    db.session.execute(activity_languages.delete().where(activity_languages.c.activity_id == activity_id))
    if codes:
        db.session.execute(activity_languages.insert(), [{"activity_id": activity_id, "code": c} for c in codes])


def create_activity(actor, data: ActivityData) -> Activity:
    """A new draft activity (audited as activity.created)."""
    values = _clean_activity(actor, data, None)
    codes = _clean_languages(data.languages)
    activity = Activity(**values, state=ActivityState.DRAFT, created_by_id=getattr(actor, "id", None))
    db.session.add(activity)
    db.session.flush()
    _set_languages(activity.id, codes)
    _audit(actor, "activity.created", activity)
    events.changed(activity.id)
    db.session.commit()
    return activity


def update_activity(actor, activity_id: int, data: ActivityData) -> Activity:
    """Change an activity's fields and languages (audited as activity.updated with the changed
    field names; nothing is recorded when nothing changed)."""
    activity = _activity(activity_id, lock=True)
    _require(may_edit(actor, activity))
    values = _clean_activity(actor, data, activity)
    codes = _clean_languages(data.languages)
    fields = audit.changed_fields(activity, values, ACTIVITY_FIELDS)
    old_codes = languages_of(activity.id)
    if sorted(old_codes) != sorted(codes):
        fields.append("languages")
        _set_languages(activity.id, codes)
    for f, value in values.items():
        setattr(activity, f, value)
    if fields:
        _audit(actor, "activity.updated", activity, fields=fields)
        events.changed(activity.id)
    db.session.commit()
    return activity


def publish(actor, activity_id: int) -> Activity:
    activity = _activity(activity_id, lock=True)
    _require(may_publish(actor, activity))
    if activity.state != ActivityState.DRAFT:
        raise ManageError(None, _l("Only a draft can be published."))
    if not db.session.scalar(select(func.count()).select_from(ActivityDate).where(
            ActivityDate.activity_id == activity.id, ActivityDate.cancelled_at.is_(None))):
        raise ManageError(None, _l("Please add at least one date before publishing."))
    activity.state = ActivityState.PUBLISHED
    activity.published_at = utcnow()
    db.session.flush()
    from app.activities import signup

    signup.hand_on_free_places(db.session.scalars(select(Slot.id).where(Slot.activity_id == activity.id)))
    _audit(actor, "activity.published", activity)
    events.changed(activity.id)
    db.session.commit()
    return activity


def cancel_activity(actor, activity_id: int, reason: str) -> Activity:
    """Cancel the whole activity; everyone on it is told by mail (with the reason)."""
    from app.activities import notifications

    activity = _activity(activity_id, lock=True)
    _require(may_publish(actor, activity))
    reason = (reason or "").strip()
    if activity.state == ActivityState.CANCELLED:
        raise ManageError(None, _l("This activity is cancelled already."))
    if not reason:
        raise ManageError("reason", _l("Please say why. The people signed up get this reason by mail."))
    if len(reason) > 500:
        raise ManageError("reason", _l("Please write at most %(max)d characters.", max=500))
    was_published = activity.state == ActivityState.PUBLISHED
    activity.state = ActivityState.CANCELLED
    activity.cancelled_at = utcnow()
    activity.cancel_reason = reason
    db.session.flush()
    if was_published:
        notifications.activity_cancelled(activity)
    _audit(actor, "activity.cancelled", activity, reason=reason)
    events.changed(activity.id)
    db.session.commit()
    return activity


def _shift(value: datetime, weeks: int) -> datetime:
    """A UTC moment N weeks later at the same Berlin wall-clock time (DST-safe)."""
    local = utc_to_local(value)
    return local_to_utc(local.date() + timedelta(weeks=weeks), local.time().replace(tzinfo=None))


def copy_activity(actor, activity_id: int, weeks: int, title: str | None = None) -> Activity:
    """A draft copy (next term's course from this term's): fields, languages, roles and the
    dates that are not cancelled, shifted by `weeks` weeks at the same local time."""
    source = db.session.scalar(select(Activity).where(Activity.id == activity_id).options(
        selectinload(Activity.roles), selectinload(Activity.dates), selectinload(Activity.series)))
    if source is None:
        raise ManageError(None, _l("This activity does not exist."))
    _require(may_publish(actor, source))
    if not isinstance(weeks, int) or not 0 <= weeks <= MAX_COPY_WEEKS:
        raise ManageError("weeks", _l("Please enter a number from %(min)s to %(max)s.", min=0, max=MAX_COPY_WEEKS))
    copy = Activity(**{f: getattr(source, f) for f in ACTIVITY_FIELDS}, state=ActivityState.DRAFT,
                    created_by_id=getattr(actor, "id", None))
    if title:
        copy.title = title.strip()[:160]
    db.session.add(copy)
    db.session.flush()
    _set_languages(copy.id, languages_of(source.id))
    for role in source.roles:
        db.session.add(Role(
            activity_id=copy.id, name=role.name, description=role.description, position=role.position,
            capacity=role.capacity, slot_start=role.slot_start, slot_end=role.slot_end,
            signup_opens_at=_shift(role.signup_opens_at, weeks) if role.signup_opens_at else None,
            signup_closes_at=_shift(role.signup_closes_at, weeks) if role.signup_closes_at else None,
            deadline_hours=role.deadline_hours, required_language=role.required_language,
            required_level=role.required_level, required_skill_id=role.required_skill_id,
            for_partners=role.for_partners, max_per_organisation=role.max_per_organisation,
            auto_move_up=role.auto_move_up))
    new_series: dict[int, DateSeries] = {}
    for s in source.series:
        ns = DateSeries(activity_id=copy.id, weekdays=s.weekdays, interval_weeks=s.interval_weeks,
                        starts_on=s.starts_on + timedelta(weeks=weeks), ends_on=s.ends_on + timedelta(weeks=weeks),
                        start_time=s.start_time, end_time=s.end_time,
                        skip_dates=[(date.fromisoformat(d) + timedelta(weeks=weeks)).isoformat()
                                    for d in (s.skip_dates or [])])
        db.session.add(ns)
        new_series[s.id] = ns
    db.session.flush()
    for d in source.dates:
        if d.is_cancelled:
            continue
        db.session.add(ActivityDate(activity_id=copy.id, starts_at=_shift(d.starts_at, weeks),
                                    ends_at=_shift(d.ends_at, weeks), note=d.note,
                                    series_id=new_series[d.series_id].id if d.series_id in new_series else None))
    db.session.flush()
    sync_slots(copy.id)
    _audit(actor, "activity.copied", copy, source_id=source.id, weeks=weeks)
    events.changed(copy.id)
    db.session.commit()
    return copy


# ---------------------------------------------------------------- dates
def _check_future(starts_at: datetime, now: datetime | None, field_name: str = "day") -> None:
    if starts_at <= (now or utcnow()):
        raise ManageError(field_name, _l("This date is in the past. Please choose a later one."))


def add_date(actor, activity_id: int, day: date, start: time, end: time, note: str = "",
             now: datetime | None = None) -> ActivityDate:
    activity = _activity(activity_id, lock=True)
    _require(may_edit(actor, activity))
    if start == end:
        raise ManageError("end_time", _l("The end must be after the start."))
    starts, ends = span(day, start, end)
    _check_future(starts, now)
    note = (note or "").strip()
    if len(note) > 200:
        raise ManageError("note", _l("Please write at most %(max)d characters.", max=200))
    clash = db.session.scalar(select(ActivityDate.id).where(
        ActivityDate.activity_id == activity.id, ActivityDate.starts_at == starts, ActivityDate.cancelled_at.is_(None)))
    if clash is not None:
        raise ManageError("day", _l("The activity has a date at this time already."))
    d = ActivityDate(activity_id=activity.id, starts_at=starts, ends_at=ends, note=note)
    db.session.add(d)
    db.session.flush()
    sync_slots(activity.id)
    _audit(actor, "activity.date_added", activity, date_id=d.id, starts_at=starts.isoformat())
    events.changed(activity.id)
    db.session.commit()
    return d


@dataclass
class SeriesRule:
    weekdays_mask: int
    starts_on: date
    ends_on: date
    start_time: time
    end_time: time
    interval_weeks: int = 1
    skip: frozenset[date] = frozenset()


def preview_series(rule: SeriesRule, now: datetime | None = None) -> list[tuple[datetime, datetime]]:
    """The dates a rule gives, in UTC, without storing anything (SeriesError → ManageError);
    dates already past are left out."""
    try:
        pairs = expand(weekdays_mask=rule.weekdays_mask, starts_on=rule.starts_on, ends_on=rule.ends_on,
                       start_time=rule.start_time, end_time=rule.end_time, interval_weeks=rule.interval_weeks,
                       skip=rule.skip)
    except SeriesError as exc:
        raise ManageError(exc.field, exc.message) from None
    moment = now or utcnow()
    future = [p for p in pairs if p[0] > moment]
    if not future:
        raise ManageError("ends_on", _l("All dates of this rule are in the past."))
    return future


def add_series(actor, activity_id: int, rule: SeriesRule, now: datetime | None = None) -> list[ActivityDate]:
    """A weekly series: the rule is stored and expanded into dates (those already past and those
    the activity has at the same time already are left out)."""
    activity = _activity(activity_id, lock=True)
    _require(may_edit(actor, activity))
    pairs = preview_series(rule, now)
    existing = set(db.session.scalars(select(ActivityDate.starts_at).where(
        ActivityDate.activity_id == activity.id, ActivityDate.cancelled_at.is_(None))))
    pairs = [p for p in pairs if p[0] not in existing]
    if not pairs:
        raise ManageError("starts_on", _l("The activity has all these dates already."))
    series = DateSeries(activity_id=activity.id, weekdays=rule.weekdays_mask, interval_weeks=rule.interval_weeks,
                        starts_on=rule.starts_on, ends_on=rule.ends_on, start_time=rule.start_time,
                        end_time=rule.end_time, skip_dates=sorted(d.isoformat() for d in rule.skip))
    db.session.add(series)
    db.session.flush()
    dates = [ActivityDate(activity_id=activity.id, series_id=series.id, starts_at=s, ends_at=e) for s, e in pairs]
    db.session.add_all(dates)
    db.session.flush()
    sync_slots(activity.id)
    _audit(actor, "activity.series_added", activity, series_id=series.id, dates=len(dates))
    events.changed(activity.id)
    db.session.commit()
    return dates


def _date(date_id: int, activity_id: int | None = None) -> ActivityDate:
    d = db.session.scalar(select(ActivityDate).where(ActivityDate.id == date_id).with_for_update())
    if d is None or (activity_id is not None and d.activity_id != activity_id):
        raise ManageError(None, _l("This date does not exist."))
    return d


def move_date(actor, date_id: int, day: date, start: time, end: time, now: datetime | None = None,
              activity_id: int | None = None) -> ActivityDate:
    """Move one date; the people on it are told (old and new time). Its calendar entry gets a
    higher SEQUENCE; the first original time is kept."""
    from app.activities import notifications

    d = _date(date_id, activity_id)
    activity = _activity(d.activity_id, lock=True)
    _require(may_edit(actor, activity))
    if d.is_cancelled:
        raise ManageError(None, _l("This date is cancelled."))
    if d.starts_at <= (now or utcnow()):
        raise ManageError(None, _l("This date is over; it cannot be moved any more."))
    if start == end:
        raise ManageError("end_time", _l("The end must be after the start."))
    starts, ends = span(day, start, end)
    _check_future(starts, now)
    if (starts, ends) == (d.starts_at, d.ends_at):
        raise ManageError("day", _l("This is the date's time already."))
    old, old_ends = d.starts_at, d.ends_at
    if d.original_starts_at is None:
        d.original_starts_at = old
    d.starts_at, d.ends_at = starts, ends
    d.sequence += 1
    db.session.flush()
    sync_slots(activity.id)
    if activity.state == ActivityState.PUBLISHED:
        notifications.date_moved(d, old, old_ends_at=old_ends)
    _audit(actor, "activity.date_moved", activity, date_id=d.id, old_starts_at=old.isoformat(),
           starts_at=starts.isoformat())
    events.changed(activity.id)
    db.session.commit()
    return d


def cancel_date(actor, date_id: int, reason: str = "", activity_id: int | None = None) -> ActivityDate:
    from app.activities import notifications

    d = _date(date_id, activity_id)
    activity = _activity(d.activity_id, lock=True)
    _require(may_edit(actor, activity))
    if d.is_cancelled:
        raise ManageError(None, _l("This date is cancelled already."))
    reason = (reason or "").strip()
    if len(reason) > 300:
        raise ManageError("reason", _l("Please write at most %(max)d characters.", max=300))
    d.cancelled_at = utcnow()
    d.cancel_reason = reason
    d.sequence += 1
    db.session.flush()
    if activity.state == ActivityState.PUBLISHED:
        notifications.date_cancelled(d)
    _audit(actor, "activity.date_cancelled", activity, date_id=d.id, starts_at=d.starts_at.isoformat(),
           reason=reason)
    events.changed(activity.id)
    db.session.commit()
    return d


# ---------------------------------------------------------------- roles
@dataclass
class RoleData:
    name: str
    capacity: int
    description: str = ""
    slot_start: time | None = None
    slot_end: time | None = None
    signup_opens_at: datetime | None = None  # UTC
    signup_closes_at: datetime | None = None
    deadline_hours: int = 0
    required_language: str | None = None
    required_level: int | None = None
    required_skill_id: int | None = None
    for_partners: bool = False
    max_per_organisation: int | None = None
    auto_move_up: bool = False


ROLE_FIELDS = ("name", "description", "capacity", "slot_start", "slot_end", "signup_opens_at", "signup_closes_at",
               "deadline_hours", "required_language", "required_level", "required_skill_id", "for_partners",
               "max_per_organisation", "auto_move_up")


def skill_choices(current_id: int | None = None) -> list[ChoiceItem]:
    """The admins' skill list: the active entries (and a retired one a role has already)."""
    return list(db.session.scalars(select(ChoiceItem).where(
        ChoiceItem.list_name == ChoiceItem.SKILLS,
        or_(ChoiceItem.active.is_(True), ChoiceItem.id == (current_id or -1)))
        .order_by(ChoiceItem.position, ChoiceItem.id)))


def _clean_role(data: RoleData, role: Role | None) -> dict[str, Any]:
    v = {f: getattr(data, f) for f in ROLE_FIELDS}
    v["name"] = (v["name"] or "").strip()
    v["description"] = (v["description"] or "").strip()
    if not v["name"]:
        raise ManageError("name", _l("Please enter a name."))
    if len(v["name"]) > 120:
        raise ManageError("name", _l("Please write at most %(max)d characters.", max=120))
    if len(v["description"]) > 500:
        raise ManageError("description", _l("Please write at most %(max)d characters.", max=500))
    if v["capacity"] is None or not 0 <= v["capacity"] <= MAX_CAPACITY:
        raise ManageError("capacity", _l("Please enter a number from %(min)s to %(max)s.", min=0, max=MAX_CAPACITY))
    if (v["slot_start"] is None) != (v["slot_end"] is None):
        raise ManageError("slot_end" if v["slot_start"] else "slot_start",
                          _l("Please give both the start and the end of the shift, or neither."))
    if v["slot_start"] is not None and v["slot_start"] == v["slot_end"]:
        raise ManageError("slot_end", _l("The end must be after the start."))
    if v["signup_opens_at"] and v["signup_closes_at"] and v["signup_closes_at"] <= v["signup_opens_at"]:
        raise ManageError("signup_closes_at", _l("Sign-up must close after it opens."))
    if v["deadline_hours"] is None:
        v["deadline_hours"] = 0
    if not 0 <= v["deadline_hours"] <= MAX_DEADLINE_HOURS:
        raise ManageError("deadline_hours", _l("Please enter a number from %(min)s to %(max)s.",
                                               min=0, max=MAX_DEADLINE_HOURS))
    if v["required_language"]:
        if not language_catalogue.is_known(v["required_language"]):
            raise ManageError("required_language", _l("Please choose languages from the list."))
        if v["required_level"] is None:
            v["required_level"] = int(LanguageLevel.BASIC)
        if v["required_level"] not in {int(x) for x in LanguageLevel}:
            raise ManageError("required_level", _l("Please choose a level from the list."))
    else:
        v["required_language"], v["required_level"] = None, None
    if v["required_skill_id"] is not None:
        current = role.required_skill_id if role is not None else None
        if v["required_skill_id"] not in {s.id for s in skill_choices(current)}:
            raise ManageError("required_skill_id", _l("Please choose a skill from the list."))
    if v["for_partners"]:
        mpo = v["max_per_organisation"]
        if mpo is not None and not 1 <= mpo <= 50:
            raise ManageError("max_per_organisation", _l("Please enter a number from %(min)s to %(max)s.",
                                                         min=1, max=50))
    else:
        v["max_per_organisation"] = None
    v["for_partners"], v["auto_move_up"] = bool(v["for_partners"]), bool(v["auto_move_up"])
    return v


def _role(role_id: int, activity_id: int | None) -> Role:
    role = db.session.scalar(select(Role).where(Role.id == role_id))
    if role is None or (activity_id is not None and role.activity_id != activity_id):
        raise ManageError(None, _l("This role does not exist."))
    return role


def add_role(actor, activity_id: int, data: RoleData) -> Role:
    activity = _activity(activity_id, lock=True)
    _require(may_edit(actor, activity))
    values = _clean_role(data, None)
    position = db.session.scalar(select(func.coalesce(func.max(Role.position), -1) + 1)
                                 .where(Role.activity_id == activity.id))
    role = Role(activity_id=activity.id, position=position, **values)
    db.session.add(role)
    db.session.flush()
    sync_slots(activity.id)
    _audit(actor, "activity.role_added", activity, role_id=role.id, name=role.name, capacity=role.capacity)
    events.changed(activity.id)
    db.session.commit()
    return role


@dataclass
class RoleChange:
    role: Role
    fields: list[str]
    over: int  # confirmed people beyond the capacity on the fullest date (0: none)
    dates_over: int  # on how many dates


def confirmed_per_slot(role_id: int) -> dict[int, int]:
    return dict(db.session.execute(
        select(Slot.id, func.count(Signup.id)).join(Signup, and_(Signup.slot_id == Slot.id,
                                                                 Signup.state.in_(HOLDING)))
        .where(Slot.role_id == role_id).group_by(Slot.id)).all())


def update_role(actor, role_id: int, data: RoleData, activity_id: int | None = None) -> RoleChange:
    """Change a role. Lowering the capacity below the people already confirmed is allowed (nobody
    is removed); the answer says how many are over."""
    role = _role(role_id, activity_id)
    activity = _activity(role.activity_id, lock=True)
    _require(may_edit(actor, activity))
    values = _clean_role(data, role)
    fields = audit.changed_fields(role, values, ROLE_FIELDS)
    grew = values["capacity"] > role.capacity
    for f, value in values.items():
        setattr(role, f, value)
    db.session.flush()
    if fields:
        sync_slots(activity.id)
        if grew and activity.state == ActivityState.PUBLISHED:
            from app.activities import signup

            # the new places go to the first in line (offered, or given with auto move-up)
            signup.hand_on_free_places(db.session.scalars(select(Slot.id).where(Slot.role_id == role.id)))
        _audit(actor, "activity.role_updated", activity, role_id=role.id, name=role.name, fields=fields)
        events.changed(activity.id)
    held = confirmed_per_slot(role.id)
    excess = [n - role.capacity for n in held.values() if n > role.capacity]
    db.session.commit()
    return RoleChange(role, fields, max(excess, default=0), len(excess))


def delete_role(actor, role_id: int, activity_id: int | None = None) -> None:
    """Remove a role — only while nobody ever signed up for it (their history stays otherwise)."""
    role = _role(role_id, activity_id)
    activity = _activity(role.activity_id, lock=True)
    _require(may_edit(actor, activity))
    taken = db.session.scalar(select(func.count()).select_from(Signup).join(Slot, Slot.id == Signup.slot_id)
                              .where(Slot.role_id == role.id))
    if taken:
        raise ManageError(None, _l("People have signed up for this role, so it cannot be removed. "
                                   "Set its capacity to 0 to take no more sign-ups."))
    _audit(actor, "activity.role_removed", activity, role_id=role.id, name=role.name)
    db.session.delete(role)
    events.changed(activity.id)
    db.session.commit()


# ---------------------------------------------------------------- lists and pages
@dataclass
class ListFilter:
    state: ActivityState | None = None
    kind: ActivityType | None = None
    office_id: int | None = None


def list_stmt(user, flt: ListFilter, now: datetime | None = None) -> Select:
    """The manager's list: activities with their next date (NULL after the last), upcoming first
    (soonest next date), then those without upcoming dates (newest first). In SQL, to paginate."""
    moment = now or utcnow()
    next_date = (select(func.min(ActivityDate.starts_at))
                 .where(ActivityDate.activity_id == Activity.id, ActivityDate.starts_at >= moment,
                        ActivityDate.cancelled_at.is_(None))
                 .correlate(Activity).scalar_subquery().label("next_starts_at"))
    stmt = manageable_activities(user).add_columns(next_date)
    if flt.state is not None:
        stmt = stmt.where(Activity.state == flt.state)
    if flt.kind is not None:
        stmt = stmt.where(Activity.kind == flt.kind)
    if flt.office_id is not None:
        stmt = stmt.where(Activity.office_id == flt.office_id)
    return stmt.order_by(case((next_date.is_(None), 1), else_=0), next_date, Activity.created_at.desc(),
                         Activity.id.desc())


def overview(activity_id: int) -> Activity | None:
    """An activity with office, roles (and their skill), dates and languages for its page."""
    return db.session.scalar(select(Activity).where(Activity.id == activity_id).options(
        selectinload(Activity.roles).selectinload(Role.required_skill), selectinload(Activity.dates),
        selectinload(Activity.office).selectinload(Office.districts), selectinload(Activity.satellite),
        selectinload(Activity.organisation), selectinload(Activity.contact)))


def slot_counts(activity_id: int) -> dict[int, dict[str, int]]:
    """Per slot of the activity: confirmed (incl. held offers), waiting — one grouped statement."""
    rows = db.session.execute(
        select(Slot.id, Slot.role_id, Slot.date_id,
               func.count(Signup.id).filter(Signup.state.in_(HOLDING)),
               func.count(Signup.id).filter(Signup.state == SignupState.WAITING))
        .outerjoin(Signup, Signup.slot_id == Slot.id).where(Slot.activity_id == activity_id)
        .group_by(Slot.id, Slot.role_id, Slot.date_id))
    return {(role_id, date_id): {"slot": slot_id, "taken": taken, "waiting": waiting}
            for slot_id, role_id, date_id, taken, waiting in rows}


# ---------------------------------------------------------------- the roster
@dataclass
class RosterRow:
    """One sign-up on a roster (attendance and exports add columns to this, keyed by `id`)."""

    id: int
    user_id: int | None
    name: str
    email: str
    phone: str
    organisation: str
    state: SignupState
    queue_no: int | None
    position: int | None
    offer_expires_at: datetime | None
    over_capacity: bool
    created_at: datetime
    contact_shared: bool
    # An open or pending hand-over of this place (app.activities.handover), if any.
    handover_id: int | None = None
    handover_state: HandoverState | None = None
    handover_taker: str = ""
    photos: bool = True  # may appear in photos (consent 3); an organisation's delegate: True


@dataclass
class Roster:
    slot: Slot
    role: Role
    date: ActivityDate
    activity: Activity
    confirmed: list[RosterRow]
    offered: list[RosterRow]
    waiting: list[RosterRow]
    ended: list[RosterRow]

    @property
    def taken(self) -> int:
        return len(self.confirmed) + len(self.offered)

    @property
    def free(self) -> int:
        return max(0, self.role.capacity - self.taken)

    @property
    def over(self) -> int:
        return max(0, self.taken - self.role.capacity)


_ROSTER_SLOT = None


def roster_slot(slot_id: int) -> Slot | None:
    """The slot with its role, date, activity and office in one statement (built once)."""
    global _ROSTER_SLOT
    if _ROSTER_SLOT is None:
        from sqlalchemy import bindparam
        from sqlalchemy.orm import contains_eager

        _ROSTER_SLOT = (
            select(Slot).join(Slot.role).join(Slot.date).join(Activity, Activity.id == Slot.activity_id)
            .options(contains_eager(Slot.role).contains_eager(Role.activity), contains_eager(Slot.date))
            .where(Slot.id == bindparam("slot_id")))
    return db.session.scalar(_ROSTER_SLOT, {"slot_id": slot_id})


@dataclass(frozen=True)
class SlotPlace:
    """Where a slot belongs, for the permission checks (`may_manage`, `may_keep_roster` take it
    as they take an activity): its activity, office and organisation, and when it begins."""

    activity_id: int
    office_id: int
    organisation_id: int | None
    starts_at: datetime


def slot_place(slot_id: int) -> SlotPlace | None:
    """One statement of four plain columns; None for no such slot."""
    row = db.session.execute(
        select(Slot.activity_id, Activity.office_id, Activity.organisation_id, Slot.starts_at)
        .join(Activity, Activity.id == Slot.activity_id).where(Slot.id == slot_id)).first()
    return SlotPlace(*row) if row is not None else None


def roster(slot: Slot, *, show_contact: str) -> Roster:
    """Every sign-up of a slot with the person's name, e-mail, phone and organisation in one
    statement. `show_contact`: "all" (the office's staff see e-mail and phone), "consent" (a
    partner organisation sees them only where the person agreed to share them with partners)."""
    from app.people.consent import consent_given, shares_with_partner, shown_name
    from app.people.models import ConsentPurpose
    from app.people.models import VolunteerProfile

    from sqlalchemy.orm import aliased

    shared = shares_with_partner(Signup.user_id).label("shared")
    photos = consent_given(ConsentPurpose.PHOTOS, Signup.user_id).label("photos")
    taker = aliased(User)
    stmt = (select(Signup.id, Signup.user_id, User.name, User.email, VolunteerProfile.phone, Organisation.name,
                   Signup.delegate_name, Signup.state, Signup.queue_no, Signup.offer_expires_at,
                   Signup.over_capacity, Signup.created_at, shared, Handover.id, Handover.state, taker.name, photos,
                   shares_with_partner(taker.id).label("taker_shared"))
            .outerjoin(User, User.id == Signup.user_id)
            .outerjoin(VolunteerProfile, VolunteerProfile.user_id == Signup.user_id)
            .outerjoin(Organisation, Organisation.id == Signup.organisation_id)
            .outerjoin(Handover, Handover.open_signup_id == Signup.id)
            .outerjoin(taker, taker.id == Handover.taken_by_id)
            .where(Signup.slot_id == slot.id)
            .order_by(Signup.queue_no.nulls_last(), Signup.created_at, Signup.id))
    confirmed, offered, waiting, ended = [], [], [], []
    for (sid, uid, name, email, phone, org, delegate, state, queue_no, expires, over, created,
         is_shared, h_id, h_state, h_taker, may_photo, taker_shared) in db.session.execute(stmt):
        # staff see everything; a partner the name and phone of those who agreed (consent 2 says
        # exactly that), never the e-mail, and of the others no name either
        staff = show_contact == "all"
        visible = staff or bool(is_shared)
        own_person = uid is not None and not org  # not an organisation's delegate
        if h_taker:  # who takes the place over: the same rule
            h_taker = shown_name(h_taker, shared=staff or bool(taker_shared))
        row = RosterRow(sid, uid, shown_name(name or delegate or "—", shared=visible, delegate=not own_person),
                        (email or "") if staff else "", (phone or "") if visible else "", org or "", state,
                        queue_no, None, expires, bool(over), created, visible, h_id, h_state, h_taker or "",
                        bool(may_photo) or not own_person)
        if state == SignupState.CONFIRMED:
            confirmed.append(row)
        elif state == SignupState.OFFERED:
            offered.append(row)
        elif state == SignupState.WAITING:
            row.position = len(waiting) + 1
            waiting.append(row)
        else:
            ended.append(row)
    return Roster(slot, slot.role, slot.date, slot.role.activity, confirmed, offered, waiting, ended)


def _like_pattern(q: str) -> str:
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_volunteers(actor, q: str, limit: int = 20) -> list[tuple[int, str, str]]:
    """(id, name, e-mail) of volunteers in the actor's office scope whose name or e-mail
    contains q (case-insensitive; % and _ are plain characters)."""
    from app.people.directory import viewer_scope, visible_volunteers

    q = (q or "").strip()
    if len(q) < 2:
        return []
    pattern = _like_pattern(q)
    ids = visible_volunteers(viewer_scope(actor))
    return [tuple(r) for r in db.session.execute(
        select(User.id, User.name, User.email).where(
            User.id.in_(ids), or_(func.lower(User.name).like(pattern, escape="\\"),
                                  func.lower(User.email).like(pattern, escape="\\")))
        .order_by(func.lower(User.name), User.id).limit(limit))]


def may_add_volunteer(actor, user_id: int) -> bool:
    from app.people.directory import may_see_volunteer

    return actor is None or may_see_volunteer(actor, user_id)


def register_audit_labels() -> None:
    audit.register_labels(
        actions={
            "activity.created": _l("Activity created"),
            "activity.updated": _l("Activity changed"),
            "activity.published": _l("Activity published"),
            "activity.cancelled": _l("Activity cancelled"),
            "activity.copied": _l("Activity copied"),
            "activity.date_added": _l("Date added to an activity"),
            "activity.series_added": _l("Weekly dates added to an activity"),
            "activity.date_moved": _l("Date of an activity moved"),
            "activity.date_cancelled": _l("Date of an activity cancelled"),
            "activity.role_added": _l("Role added to an activity"),
            "activity.role_updated": _l("Role of an activity changed"),
            "activity.role_removed": _l("Role removed from an activity"),
        },
        records={"activities": _l("Activity")},
        details={"title": _l("Title"), "date_id": _l("Date"), "role_id": _l("Role"), "starts_at": _l("Starts"),
                 "old_starts_at": _l("Started before"), "reason": _l("Reason"), "source_id": _l("Copied from"),
                 "weeks": _l("Weeks later"), "dates": _l("Dates"), "series_id": _l("Series"),
                 "capacity": _l("Places")},
        fields={"title": _l("Title"), "kind": _l("Kind"), "office_id": _l("Office"), "place_kind": _l("Place"),
                "satellite_id": _l("Satellite location"), "place_name": _l("Name of the place"),
                "city": _l("City"), "district_id": _l("District"), "summary": _l("Summary"),
                "description": _l("Description"), "organisation_id": _l("Organiser"),
                "contact_id": _l("Contact person"), "reminder_days": _l("Reminder"),
                "languages": _l("Languages"), "capacity": _l("Places"), "slot_start": _l("Shift from"),
                "slot_end": _l("Shift until"), "signup_opens_at": _l("Sign-up opens"),
                "signup_closes_at": _l("Sign-up closes"), "deadline_hours": _l("Deadline"),
                "required_language": _l("Required language"), "required_level": _l("Minimum level"),
                "required_skill_id": _l("Required skill"), "for_partners": _l("Delegate places"),
                "max_per_organisation": _l("Per organisation"), "auto_move_up": _l("Move up automatically")},
    )


register_audit_labels()

__all__ = ["ACTIVE", "ActivityData", "ListFilter", "ManageError", "RoleData", "Roster", "RosterRow", "SeriesRule"]


def optional_user_id(raw) -> int | None:
    """An id from a form or query string: ASCII digits of sensible length, else None."""
    raw = (raw or "").strip() if isinstance(raw, str) else ""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
