"""Activities: what volunteers sign up for — courses, language cafés, theatre, round tables,
festival shifts.

The unit that holds places is a *slot*: one role on one date ("drinks stand" on the festival
day, "tutor" on the course's Tuesday 3 March). Every sign-up belongs to one slot; capacity is
the role's, checked per slot while the slot's row is locked (`app.activities.signup`), so two
processes never both take the last place. Times are stored as naive UTC, shown in Europe/Berlin.
"""
from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import (CheckConstraint, Column, ForeignKey, Index, SmallInteger, String, Table, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.timeutil import utcnow
from app.extensions import db
from app.people.models import ActivityKind

if TYPE_CHECKING:
    from app.accounts.models import User
    from app.offices.models import Office, SatelliteLocation
    from app.people.models import ChoiceItem, Organisation


def _enum(e: type[enum.Enum], length: int = 20):
    return db.Enum(e, native_enum=False, length=length, values_callable=lambda x: [m.value for m in x])


class ActivityType(str, enum.Enum):
    LANGUAGE_COURSE = "language_course"
    LANGUAGE_CAFE = "language_cafe"
    THEATRE = "theatre"
    ROUND_TABLE = "round_table"
    EVENT = "event"  # event or festival
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(ACTIVITY_TYPE_LABELS[self])

    @property
    def wanted_kind(self) -> ActivityKind:
        """The kind of activity a volunteer ticks in their profile that this belongs to."""
        return _WANTED[self]


ACTIVITY_TYPE_LABELS = {
    ActivityType.LANGUAGE_COURSE: _l("Language course"),
    ActivityType.LANGUAGE_CAFE: _l("Language café"),
    ActivityType.THEATRE: _l("Theatre project"),
    ActivityType.ROUND_TABLE: _l("Round table"),
    ActivityType.EVENT: _l("Event or festival"),
    ActivityType.OTHER: _l("Other offering"),
}
_WANTED = {
    ActivityType.LANGUAGE_COURSE: ActivityKind.LANGUAGE_COURSE,
    ActivityType.LANGUAGE_CAFE: ActivityKind.LANGUAGE_COURSE,
    ActivityType.THEATRE: ActivityKind.THEATRE,
    ActivityType.ROUND_TABLE: ActivityKind.ROUND_TABLE,
    ActivityType.EVENT: ActivityKind.EVENT,
    ActivityType.OTHER: ActivityKind.EVENT,
}


class ActivityState(str, enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return str(ACTIVITY_STATE_LABELS[self])


ACTIVITY_STATE_LABELS = {
    ActivityState.DRAFT: _l("draft"),
    ActivityState.PUBLISHED: _l("published"),
    ActivityState.CANCELLED: _l("cancelled"),
}


class PlaceKind(str, enum.Enum):
    OFFICE = "office"
    SATELLITE = "satellite"
    ADDRESS = "address"


activity_languages = Table(
    "activity_languages",
    db.metadata,
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column("code", String(8), primary_key=True, index=True),
)


class Activity(db.Model):
    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_state_office", "state", "office_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    kind: Mapped[ActivityType] = mapped_column(_enum(ActivityType, 30), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="RESTRICT"), index=True)
    # The place: the office itself, one of its satellite locations, or an address.
    place_kind: Mapped[PlaceKind] = mapped_column(_enum(PlaceKind), default=PlaceKind.OFFICE)
    satellite_id: Mapped[int | None] = mapped_column(ForeignKey("satellite_locations.id", ondelete="SET NULL"))
    place_name: Mapped[str] = mapped_column(String(160), default="")
    street: Mapped[str] = mapped_column(String(120), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(80), default="Dortmund")
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="SET NULL"), index=True)
    summary: Mapped[str] = mapped_column(String(300), default="")  # one line for lists
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown, shown sanitised
    # The organiser: the office (None) or an approved partner organisation.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"),
                                                        index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[ActivityState] = mapped_column(_enum(ActivityState), default=ActivityState.DRAFT)
    # Days before a date that the reminder goes out; None: REMINDER_DAYS_BEFORE.
    reminder_days: Mapped[int | None] = mapped_column(SmallInteger)
    published_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    office: Mapped[Office] = relationship()
    satellite: Mapped[SatelliteLocation | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    contact: Mapped[User | None] = relationship(foreign_keys=[contact_id])
    dates: Mapped[list[ActivityDate]] = relationship(back_populates="activity", order_by="ActivityDate.starts_at",
                                                     cascade="all, delete-orphan")
    roles: Mapped[list[Role]] = relationship(back_populates="activity", order_by="(Role.position, Role.id)",
                                             cascade="all, delete-orphan")
    series: Mapped[list[DateSeries]] = relationship(back_populates="activity", cascade="all, delete-orphan")

    @property
    def is_published(self) -> bool:
        return self.state == ActivityState.PUBLISHED

    def place_lines(self) -> list[str]:
        """The place as lines for a page, a mail or a calendar entry."""
        if self.place_kind == PlaceKind.SATELLITE and self.satellite is not None:
            s = self.satellite
            return [s.name, s.street, f"{s.postcode} {s.city}".strip()]
        if self.place_kind == PlaceKind.ADDRESS:
            return [x for x in (self.place_name, self.street, f"{self.postcode} {self.city}".strip()) if x]
        o = self.office
        return [x for x in (o.name, o.street, f"{o.postcode} {o.city}".strip()) if x]

    def place_text(self) -> str:
        return ", ".join(x for x in self.place_lines() if x)


class DateSeries(db.Model):
    """A weekly rule ("every Tuesday 17:00–18:30 from … to …, not in the school holidays"),
    expanded into ActivityDate rows (`app.activities.series`). Times are Europe/Berlin wall
    clock: across the change to summer time a 17:00 date stays at 17:00."""

    __tablename__ = "activity_series"
    __table_args__ = (CheckConstraint("weekdays > 0 AND weekdays < 128", name="weekdays_range"),
                      CheckConstraint("interval_weeks BETWEEN 1 AND 8", name="interval_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    weekdays: Mapped[int] = mapped_column(SmallInteger)  # bit 0 = Monday … bit 6 = Sunday
    interval_weeks: Mapped[int] = mapped_column(SmallInteger, default=1)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    start_time: Mapped[time]
    end_time: Mapped[time]
    skip_dates: Mapped[list] = mapped_column(db.JSON, default=list)  # ["2027-04-06", …]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    activity: Mapped[Activity] = relationship(back_populates="series")


class ActivityDate(db.Model):
    __tablename__ = "activity_dates"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="date_order"),
                      CheckConstraint("newcomers >= 0", name="newcomers_positive"),
                      Index("ix_activity_dates_activity_start", "activity_id", "starts_at"),
                      Index("ix_activity_dates_start", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("activity_series.id", ondelete="SET NULL"),
                                                  index=True)
    starts_at: Mapped[datetime]  # UTC
    ends_at: Mapped[datetime]
    # Moved once or more: where it was first, so the mail and the calendar can say so.
    original_starts_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(String(300), default="")
    # RFC 5545 SEQUENCE: grows with every change, so calendars replace the event.
    sequence: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(String(200), default="")
    # How many newcomers took part (a number, never names), for the yearly figures.
    newcomers: Mapped[int | None]

    activity: Mapped[Activity] = relationship(back_populates="dates")
    slots: Mapped[list[Slot]] = relationship(back_populates="date", cascade="all, delete-orphan")

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class Role(db.Model):
    """What one signs up as: "tutor", "stage help", "drinks stand 14:00–16:00", "delegate"."""

    __tablename__ = "activity_roles"
    __table_args__ = (CheckConstraint("capacity >= 0", name="capacity_positive"),
                      CheckConstraint("deadline_hours >= 0", name="deadline_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(500), default="")
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    capacity: Mapped[int]
    # A shift: its own time on each date (local wall clock); None: the date's own times.
    slot_start: Mapped[time | None]
    slot_end: Mapped[time | None]
    # Sign-up opens at a set time (a fair start) and closes at a set time and/or N hours before
    # each date begins.
    signup_opens_at: Mapped[datetime | None]
    signup_closes_at: Mapped[datetime | None]
    deadline_hours: Mapped[int] = mapped_column(SmallInteger, default=0)
    # Requirements, explained to whoever doesn't meet them.
    required_language: Mapped[str | None] = mapped_column(String(8))
    required_level: Mapped[int | None] = mapped_column(SmallInteger)  # LanguageLevel
    required_skill_id: Mapped[int | None] = mapped_column(ForeignKey("choice_items.id", ondelete="SET NULL"))
    # Delegate places of a round table: partner contacts sign up named people of their
    # organisation, at most this many per organisation and date.
    for_partners: Mapped[bool] = mapped_column(default=False)
    max_per_organisation: Mapped[int | None] = mapped_column(SmallInteger)
    # Past capacity people wait; a freed place is offered (held, with a deadline) to the first
    # in line — or, with this set, given to them at once.
    auto_move_up: Mapped[bool] = mapped_column(default=False)
    # A hand-over of a place to someone else waits for a coordinator's approval.
    handover_needs_approval: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    activity: Mapped[Activity] = relationship(back_populates="roles")
    required_skill: Mapped[ChoiceItem | None] = relationship()
    slots: Mapped[list[Slot]] = relationship(back_populates="role", cascade="all, delete-orphan")


class Slot(db.Model):
    """One role on one date: the row that is locked while a place is taken or given back."""

    __tablename__ = "activity_slots"
    __table_args__ = (UniqueConstraint("role_id", "date_id"), Index("ix_activity_slots_date", "date_id"),
                      Index("ix_activity_slots_starts", "starts_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("activity_roles.id", ondelete="CASCADE"))
    date_id: Mapped[int] = mapped_column(ForeignKey("activity_dates.id", ondelete="CASCADE"))
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]  # UTC; the role's shift on that date, else the date's times
    ends_at: Mapped[datetime]
    # Its length, kept by sync_slots: hours are sums of it (no date arithmetic in SQL).
    duration_minutes: Mapped[int] = mapped_column(default=0)
    # Bumped by every change of its sign-ups (the UPDATE that takes the lock): cache keys, ETags.
    version: Mapped[int] = mapped_column(default=0)

    role: Mapped[Role] = relationship(back_populates="slots")
    date: Mapped[ActivityDate] = relationship(back_populates="slots")


class Attendance(str, enum.Enum):
    PRESENT = "present"
    ABSENT = "absent"  # unexcused
    EXCUSED = "excused"

    @property
    def label(self) -> str:
        return str(ATTENDANCE_LABELS[self])


ATTENDANCE_LABELS = {
    Attendance.PRESENT: _l("present"),
    Attendance.ABSENT: _l("absent"),
    Attendance.EXCUSED: _l("excused"),
}


class SignupState(str, enum.Enum):
    CONFIRMED = "confirmed"
    WAITING = "waiting"
    OFFERED = "offered"  # a freed place held for this person until offer_expires_at
    CANCELLED = "cancelled"  # by the person
    REMOVED = "removed"  # by the organiser
    DECLINED = "declined"  # an offered place the person said no to
    EXPIRED = "expired"  # an offered place not taken in time
    HANDED_OVER = "handed_over"  # the place went to a colleague who took it over

    @property
    def label(self) -> str:
        return str(SIGNUP_STATE_LABELS[self])


SIGNUP_STATE_LABELS = {
    SignupState.CONFIRMED: _l("signed up"),
    SignupState.WAITING: _l("waiting list"),
    SignupState.OFFERED: _l("place offered"),
    SignupState.CANCELLED: _l("cancelled"),
    SignupState.REMOVED: _l("removed by the organiser"),
    SignupState.DECLINED: _l("offer declined"),
    SignupState.EXPIRED: _l("offer expired"),
    SignupState.HANDED_OVER: _l("handed over"),
}
# States that take a place (count against capacity) and states that are "on the list".
HOLDING = (SignupState.CONFIRMED, SignupState.OFFERED)
ACTIVE = (SignupState.CONFIRMED, SignupState.OFFERED, SignupState.WAITING)


class Signup(db.Model):
    """A person on one slot. One row per person and slot for ever (the unique constraint is the
    rule "one place per role and date"): signing up again after cancelling reuses it."""

    __tablename__ = "activity_signups"
    __table_args__ = (
        UniqueConstraint("slot_id", "user_id", name="uq_activity_signups_slot_user"),
        UniqueConstraint("slot_id", "queue_no", name="uq_activity_signups_slot_queue"),
        Index("ix_activity_signups_slot_state", "slot_id", "state"),
        Index("ix_activity_signups_user_state", "user_id", "state"),
        Index("ix_activity_signups_offer_due", "state", "offer_expires_at"),
        CheckConstraint("minutes >= 0", name="minutes_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("activity_slots.id", ondelete="CASCADE"))
    # None for a named delegate without an account, and after the person deleted their account
    # (the row stays, anonymous, for the statistics).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"),
                                                        index=True)
    delegate_name: Mapped[str] = mapped_column(String(120), default="")
    state: Mapped[SignupState] = mapped_column(_enum(SignupState))
    # Order on the waiting list: given under the slot's lock; the position shown is the rank
    # among those still waiting (1, 2, 3 … without gaps).
    queue_no: Mapped[int | None]
    offered_at: Mapped[datetime | None]
    offer_expires_at: Mapped[datetime | None]
    offer_count: Mapped[int] = mapped_column(default=0)  # binds an offer link to one offer
    confirmed_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]  # cancelled, removed, declined, expired
    # Placed by a coordinator beyond capacity, deliberately (shown on the roster, audited).
    over_capacity: Mapped[bool] = mapped_column(default=False)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # On the day: present, absent or excused (app.activities.attendance); hours follow from it.
    attendance: Mapped[Attendance | None] = mapped_column(_enum(Attendance))
    attendance_at: Mapped[datetime | None]
    attendance_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Corrected time given, in minutes (None: the slot's length), with the reason when it is
    # more than the slot's length.
    minutes: Mapped[int | None]
    minutes_reason: Mapped[str] = mapped_column(String(200), default="")
    walk_in: Mapped[bool] = mapped_column(default=False)  # helped without being on the roster

    slot: Mapped[Slot] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    organisation: Mapped[Organisation | None] = relationship()

    @property
    def display_name(self) -> str:
        if self.user is not None:
            return self.user.name
        return self.delegate_name


class HandoverState(str, enum.Enum):
    OPEN = "open"  # offered, nobody took it yet
    PENDING = "pending"  # taken, waiting for the coordinator's approval
    DONE = "done"
    WITHDRAWN = "withdrawn"  # the volunteer took the offer back
    REFUSED = "refused"  # the coordinator said no
    EXPIRED = "expired"  # the date began first

    @property
    def label(self) -> str:
        return str(HANDOVER_STATE_LABELS[self])


HANDOVER_STATE_LABELS = {
    HandoverState.OPEN: _l("offered"),
    HandoverState.PENDING: _l("waiting for approval"),
    HandoverState.DONE: _l("handed over"),
    HandoverState.WITHDRAWN: _l("withdrawn"),
    HandoverState.REFUSED: _l("refused"),
    HandoverState.EXPIRED: _l("expired"),
}


class Handover(db.Model):
    """A volunteer who can't come offers their place to a named colleague or to everyone who
    fits (the waiting list and the "for me" ranking). The first to accept takes the place over
    (app.activities.handover); until then the place stays the original volunteer's."""

    __tablename__ = "activity_handovers"
    __table_args__ = (UniqueConstraint("open_signup_id", name="uq_activity_handovers_open"),
                      Index("ix_activity_handovers_slot_state", "slot_id", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    signup_id: Mapped[int] = mapped_column(ForeignKey("activity_signups.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("activity_slots.id", ondelete="CASCADE"))
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A named colleague, or None: everyone on the waiting list and everyone who fits.
    to_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # = signup_id while the hand-over is open or pending: one at a time per place.
    open_signup_id: Mapped[int | None]
    state: Mapped[HandoverState] = mapped_column(_enum(HandoverState), default=HandoverState.OPEN)
    note: Mapped[str] = mapped_column(String(300), default="")
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    taken_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    signup: Mapped[Signup] = relationship(foreign_keys=[signup_id])
    slot: Mapped[Slot] = relationship()
    from_user: Mapped[User | None] = relationship(foreign_keys=[from_user_id])
    to_user: Mapped[User | None] = relationship(foreign_keys=[to_user_id])
    taken_by: Mapped[User | None] = relationship(foreign_keys=[taken_by_id])


class CalendarFeed(db.Model):
    """The secret of a volunteer's private calendar feed URL; renewing it kills the old URL."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = ["ACTIVE", "HOLDING", "Activity", "Attendance", "Handover", "HandoverState", "ActivityDate", "ActivityState", "ActivityType", "CalendarFeed",
           "DateSeries", "PlaceKind", "Role", "Signup", "SignupState", "Slot", "activity_languages"]


class UrgentOutcome(str, enum.Enum):
    ACCEPTED = "accepted"  # took a place through the link
    DECLINED = "declined"  # said "I can't"
    TOO_LATE = "too_late"  # opened the link after the places were filled

    @property
    def label(self) -> str:
        return str(URGENT_OUTCOME_LABELS[self])


URGENT_OUTCOME_LABELS = {
    UrgentOutcome.ACCEPTED: _l("took a place"),
    UrgentOutcome.DECLINED: _l("can't come"),
    UrgentOutcome.TOO_LATE: _l("too late"),
}


class UrgentCall(db.Model):
    """A coordinator's urgent call for a slot that is short shortly before its date: mailed to the
    best-fitting few free volunteers only (app.activities.urgent). It ends when the places wanted
    are filled, when the coordinator ends it, or when the date begins."""

    __tablename__ = "activity_urgent_calls"
    __table_args__ = (Index("ix_activity_urgent_calls_slot", "slot_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("activity_slots.id", ondelete="CASCADE"))
    places: Mapped[int] = mapped_column(SmallInteger)  # places wanted
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]

    slot: Mapped[Slot] = relationship()
    created_by: Mapped[User | None] = relationship()
    invites: Mapped[list[UrgentInvite]] = relationship(back_populates="call", order_by="UrgentInvite.id")


class UrgentInvite(db.Model):
    """One person asked by an urgent call, with their signed single-use link's answer."""

    __tablename__ = "activity_urgent_invites"
    __table_args__ = (UniqueConstraint("call_id", "user_id", name="uq_activity_urgent_invites_person"),
                      Index("ix_activity_urgent_invites_user_sent", "user_id", "sent_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("activity_urgent_calls.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]  # when the link was spent (or the person said no)
    outcome: Mapped[UrgentOutcome | None] = mapped_column(_enum(UrgentOutcome))
    score: Mapped[int] = mapped_column(SmallInteger, default=0)  # the fit when asked (shown to staff)

    call: Mapped[UrgentCall] = relationship(back_populates="invites")
    user: Mapped[User] = relationship()
