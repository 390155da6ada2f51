"""Attendance and hours: who was there, how long, and how many newcomers took part.

The office's coordinators (and, for its own activities, the partner organisation's contacts)
mark each person on a date present, absent or excused — one tap, one statement, so a flaky
connection loses nothing but the tap in flight. Hours follow from attendance: the slot's length,
or a corrected number of minutes (more than the slot's length only with a reason). A person not
on the roster who helped is added on the spot ("walk-in"), placed under the slot's lock like any
sign-up and marked present. Every change is in the audit log."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, extract, func, select

from app.accounts.models import Role as AccountRole
from app.accounts.models import User
from app.activities import events
from app.activities.models import Activity, ActivityDate, Attendance, Signup, SignupState, Slot
from app.activities.signup import SignupError, _existing, _lock, _overlap, _tally
from app.core import audit
from app.core.permissions import can_act_in_office
from app.core.timeutil import utcnow
from app.extensions import db
from app.people.models import OrganisationState

MAX_MINUTES = 24 * 60
MAX_NEWCOMERS = 10000


def may_keep_roster(user, activity: Activity) -> bool:
    """Staff of the activity's office, or a contact of the approved organisation that runs it."""
    if user is None or not user.is_authenticated:
        return False
    if user.role in (AccountRole.ADMIN, AccountRole.COORDINATOR):
        return can_act_in_office(user, activity.office_id)
    if user.role == AccountRole.PARTNER and activity.organisation_id is not None:
        org = user.organisation
        return (user.organisation_id == activity.organisation_id and org is not None
                and org.state == OrganisationState.APPROVED)
    return False


def _signup_for(actor, signup_id: int, date_id: int | None = None,
                slot_id: int | None = None) -> tuple[Signup, Slot, Activity]:
    """The sign-up with its slot and activity, if the actor keeps that roster — and, when given,
    only on that date or that slot (the page's own: a sign-up of another role on the same date
    is not this list's)."""
    row = db.session.execute(
        select(Signup, Slot, Activity).join(Slot, Slot.id == Signup.slot_id)
        .join(Activity, Activity.id == Slot.activity_id).where(Signup.id == signup_id)).first()
    if (row is None or (date_id is not None and row[1].date_id != date_id)
            or (slot_id is not None and row[1].id != slot_id) or not may_keep_roster(actor, row[2])):
        raise SignupError("not_found", _l("This sign-up does not exist."))
    return row[0], row[1], row[2]


def mark(actor, signup_id: int, value: Attendance | str | None, *, date_id: int | None = None,
         slot_id: int | None = None, now: datetime | None = None) -> Signup:
    """Present, absent or excused (None: not marked). Only once the date has begun; only for
    people who had a place."""
    now = now or utcnow()
    try:
        value = Attendance(value) if value not in (None, "") else None
    except ValueError:
        raise SignupError("bad_value", _l("Please choose present, absent or excused."), field="attendance") from None
    signup, slot, activity = _signup_for(actor, signup_id, date_id, slot_id)
    if slot.starts_at > now:
        raise SignupError("future", _l("Attendance can be recorded once the date has begun."))
    if signup.state != SignupState.CONFIRMED:
        raise SignupError("not_confirmed", _l("Only people with a place can be marked."))
    was = signup.attendance
    signup.attendance = value
    signup.attendance_at, signup.attendance_by_id = now, actor.id
    audit.record(actor, "attendance.marked", signup, office_id=activity.office_id, activity=activity.id,
                 slot=slot.id, user=signup.user_id, was=was.value if was else None,
                 state=value.value if value else None)
    db.session.commit()
    return signup


def set_minutes(actor, signup_id: int, minutes: int | None, reason: str = "", *, date_id: int | None = None,
                slot_id: int | None = None, now: datetime | None = None) -> Signup:
    """Correct the time a person with a place gave (None: back to the slot's length)."""
    now = now or utcnow()
    reason = " ".join((reason or "").split())[:200]
    signup, slot, activity = _signup_for(actor, signup_id, date_id, slot_id)
    if signup.state != SignupState.CONFIRMED:
        raise SignupError("not_found", _l("This sign-up does not exist."))  # not on the attendance list
    if slot.starts_at > now:
        raise SignupError("future", _l("Hours can be recorded once the date has begun."), field="minutes")
    if minutes is not None:
        if not isinstance(minutes, int) or minutes < 0 or minutes > MAX_MINUTES:
            raise SignupError("bad_minutes", _l("Please enter the time in minutes, between 0 and %(n)d.",
                                                n=MAX_MINUTES), field="minutes")
        if minutes > slot.duration_minutes and not reason:
            raise SignupError("reason_needed", _l("That is longer than the date itself (%(n)d minutes): please "
                                                  "say why.", n=slot.duration_minutes), field="minutes_reason")
    signup.minutes, signup.minutes_reason = minutes, reason if minutes is not None else ""
    audit.record(actor, "attendance.hours_corrected", signup, office_id=activity.office_id, activity=activity.id,
                 slot=slot.id, user=signup.user_id, minutes=minutes, reason=reason)
    db.session.commit()
    return signup


def add_walk_in(actor, slot_id: int, user_id: int, now: datetime | None = None) -> Signup:
    """Someone who was not on the roster helped: on the list, marked present, beyond capacity
    when the places were full (visible as such)."""
    now = now or utcnow()
    try:
        slot, role, date, activity = _lock(slot_id)
        if not may_keep_roster(actor, activity):
            raise SignupError("not_found", _l("This date does not exist (any more)."))
        if slot.starts_at > now:
            raise SignupError("future", _l("People who helped can be added once the date has begun."))
        if date.cancelled_at is not None:
            raise SignupError("closed", _l("This date is cancelled."))
        person = db.session.get(User, user_id)
        if person is None or person.deleted_at is not None or person.role != AccountRole.VOLUNTEER:
            raise SignupError("unknown_person", _l("Please choose a volunteer."), field="user")
        existing = _existing(slot.id, person.id)
        if existing is not None and existing.state == SignupState.CONFIRMED:
            raise SignupError("already", _l("%(name)s is already on this list.", name=person.name), field="user")
        other = _overlap(person.id, slot)
        if other is not None and other.state == SignupState.CONFIRMED:
            raise SignupError("overlap", _l("%(name)s was signed up for “%(title)s” at that time.", name=person.name,
                                            title=other.slot.role.activity.title), field="user")
        holding, _, _ = _tally(slot.id)
        if existing is None:
            existing = Signup(slot_id=slot.id, user_id=person.id)
            db.session.add(existing)
        existing.state, existing.queue_no = SignupState.CONFIRMED, None
        existing.confirmed_at, existing.ended_at, existing.offer_expires_at = now, None, None
        existing.walk_in, existing.over_capacity = True, holding >= role.capacity
        existing.added_by_id = actor.id
        existing.attendance, existing.attendance_at, existing.attendance_by_id = Attendance.PRESENT, now, actor.id
        db.session.flush()
        audit.record(actor, "attendance.walk_in", existing, office_id=activity.office_id, activity=activity.id,
                     slot=slot.id, user=person.id)
        events.changed(activity.id)
        db.session.commit()
        return existing
    except Exception:
        db.session.rollback()
        raise


def set_newcomers(actor, date_id: int, count: int | None, now: datetime | None = None) -> ActivityDate:
    """How many newcomers took part in a date (a number, never names)."""
    now = now or utcnow()
    date = db.session.get(ActivityDate, date_id)
    if date is None or not may_keep_roster(actor, date.activity):
        raise SignupError("not_found", _l("This date does not exist (any more)."))
    if date.starts_at > now:
        raise SignupError("future", _l("This can be recorded once the date has begun."), field="newcomers")
    if count is not None and (not isinstance(count, int) or count < 0 or count > MAX_NEWCOMERS):
        raise SignupError("bad_count", _l("Please enter a number between 0 and %(n)d.", n=MAX_NEWCOMERS),
                          field="newcomers")
    date.newcomers = count
    audit.record(actor, "attendance.newcomers", date, office_id=date.activity.office_id, activity=date.activity_id,
                 count=count)
    db.session.commit()
    return date


# ---------------------------------------------------------------- hours
def minutes_given():
    """SQL: the minutes a sign-up counts — the correction, else the slot's length, for people
    marked present (nothing otherwise)."""
    return case((Signup.attendance == Attendance.PRESENT, func.coalesce(Signup.minutes, Slot.duration_minutes)),
                else_=0)


@dataclass(frozen=True)
class HoursLine:
    year: int
    activity_id: int
    title: str
    dates: int
    minutes: int

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)


def hours_select(user_id: int, since: datetime | None = None, until: datetime | None = None):
    """SELECT (year, activity id, title, dates, minutes) of a volunteer's hours per year and
    activity, unordered (for `hours_of`, and a UNION with other areas' hours)."""
    year = extract("year", Slot.starts_at)
    stmt = (select(year.label("year"), Activity.id.label("key"), Activity.title.label("title"),
                   func.count(Signup.id).label("dates"), func.sum(minutes_given()).label("minutes"))
            .join(Slot, Slot.id == Signup.slot_id).join(Activity, Activity.id == Slot.activity_id)
            .where(Signup.user_id == user_id, Signup.attendance == Attendance.PRESENT)
            .group_by(year, Activity.id, Activity.title))
    if since is not None:
        stmt = stmt.where(Slot.starts_at >= since)
    if until is not None:
        stmt = stmt.where(Slot.starts_at < until)
    return stmt


def hours_of(user_id: int, since: datetime | None = None, until: datetime | None = None) -> list[HoursLine]:
    """A volunteer's hours per year and activity (one statement), newest year first."""
    stmt = hours_select(user_id, since, until)
    stmt = stmt.order_by(stmt.selected_columns.year.desc(), Activity.title)
    return [HoursLine(int(r[0]), r[1], r[2], r[3], int(r[4] or 0)) for r in db.session.execute(stmt)]


def unexcused_absences(user_ids) -> dict[int, int]:
    """Unexcused absences per volunteer (for coordinators only), one statement."""
    ids = list(user_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(Signup.user_id, func.count(Signup.id)).where(
        Signup.user_id.in_(ids), Signup.attendance == Attendance.ABSENT).group_by(Signup.user_id))
    return {r[0]: r[1] for r in rows}


def attendance_record(user_ids) -> dict[int, tuple[int, int]]:
    """(dates present, dates marked) per volunteer — a reliability signal, one statement."""
    ids = list(user_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(
        Signup.user_id, func.count(Signup.id).filter(Signup.attendance == Attendance.PRESENT),
        func.count(Signup.id).filter(Signup.attendance.in_((Attendance.PRESENT, Attendance.ABSENT))))
        .where(Signup.user_id.in_(ids)).group_by(Signup.user_id))
    return {r[0]: (r[1], r[2]) for r in rows}


__all__ = ["HoursLine", "add_walk_in", "attendance_record", "hours_of", "hours_select", "mark", "may_keep_roster",
           "minutes_given", "set_minutes", "set_newcomers", "unexcused_absences"]
