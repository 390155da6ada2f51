""""My activities": a person's dates, the private calendar feed's key, and what "my data" holds
and erases of the sign-ups.

Reading is one statement per list: the sign-ups with their slot, role, date, activity and place
joined, and the waiting-list position as a correlated subquery, so the page costs the same with
one date or fifty."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, bindparam, case, delete, func, literal, or_, select, type_coerce, union_all
from sqlalchemy.orm import aliased, contains_eager

from app.activities.models import (ACTIVE, HOLDING, Activity, ActivityDate, ActivityState, CalendarFeed, Role,
                                   Signup, SignupState, Slot)
from app.core.timeutil import utcnow
from app.extensions import db

PAST_LIMIT = 20
UPCOMING_LIMIT = 200


@dataclass
class MyDate:
    """One of the person's places (or waiting places) on one date, ready for the page."""

    signup: Signup
    position: int | None  # on the waiting list

    @property
    def slot(self) -> Slot:
        return self.signup.slot

    @property
    def role(self) -> Role:
        return self.signup.slot.role

    @property
    def activity(self) -> Activity:
        return self.signup.slot.role.activity

    @property
    def date(self) -> ActivityDate:
        return self.signup.slot.date

    @property
    def state(self) -> SignupState:
        return self.signup.state

    @property
    def called_off(self) -> bool:
        """The date or the whole activity is cancelled."""
        return self.date.cancelled_at is not None or self.activity.state == ActivityState.CANCELLED


def _position_column():
    other = aliased(Signup)
    ahead = (select(func.count(other.id)).where(other.slot_id == Signup.slot_id,
                                                  other.state == SignupState.WAITING,
                                                  other.queue_no <= Signup.queue_no)
             .correlate(Signup).scalar_subquery())
    return case((Signup.state == SignupState.WAITING, ahead), else_=None)


def _mine_stmt(*where, order):
    return (select(Signup, _position_column())
            .join(Signup.slot).join(Slot.role).join(Role.activity).join(Slot.date)
            .where(*where)
            .options(contains_eager(Signup.slot).contains_eager(Slot.role).contains_eager(Role.activity),
                     contains_eager(Signup.slot).contains_eager(Slot.date),
                     contains_eager(Signup.slot).contains_eager(Slot.role).contains_eager(Role.activity)
                     .joinedload(Activity.office),
                     contains_eager(Signup.slot).contains_eager(Slot.role).contains_eager(Role.activity)
                     .joinedload(Activity.satellite))
            .order_by(*order).limit(bindparam("lim")))


# The two lists' statements, built once per process with the person, the moment and the limit
# bound per call (building and keying this statement cost more than running it).
_STMTS: dict[str, object] = {}


def _statement(kind: str):
    stmt = _STMTS.get(kind)
    if stmt is None:
        uid, now = bindparam("uid"), bindparam("now")
        if kind == "upcoming":
            stmt = _mine_stmt(Signup.user_id == uid, Signup.state.in_(ACTIVE), Slot.ends_at > now,
                              order=(Slot.starts_at, Slot.id))
        else:
            stmt = _mine_stmt(Signup.user_id == uid, Signup.state == SignupState.CONFIRMED, Slot.ends_at <= now,
                              order=(Slot.starts_at.desc(), Slot.id.desc()))
        stmt = _STMTS[kind] = stmt
    return stmt


def _mine(kind: str, user_id: int, now: datetime, limit: int) -> list[MyDate]:
    rows = db.session.execute(_statement(kind), {"uid": user_id, "now": now, "lim": limit}).unique().all()
    return [MyDate(s, pos) for s, pos in rows]


def upcoming(user_id: int, now: datetime | None = None, limit: int = UPCOMING_LIMIT) -> list[MyDate]:
    """The person's places, offers and waiting places on dates not over yet, soonest first (one
    statement)."""
    return _mine("upcoming", user_id, now or utcnow(), limit)


@dataclass(frozen=True)
class NextDate:
    """One line of the overview's box "my next dates": only what it shows."""

    signup_id: int
    starts_at: datetime
    ends_at: datetime
    title: str
    role: str
    state: SignupState
    position: int | None
    called_off: bool


_NEXT_STMT = None


def _next_statement():
    """The box's statement as plain columns (no ORM entities: building three objects and their
    loaders per row cost more than the statement itself), built once per process."""
    global _NEXT_STMT
    if _NEXT_STMT is None:
        _NEXT_STMT = (
            select(Signup.id, Slot.starts_at, Slot.ends_at, Activity.title, Role.name,
                   type_coerce(Signup.state, String), _position_column(),
                   (ActivityDate.cancelled_at.is_not(None) | (Activity.state == ActivityState.CANCELLED)))
            .join(Slot, Slot.id == Signup.slot_id).join(Role, Role.id == Slot.role_id)
            .join(Activity, Activity.id == Role.activity_id).join(ActivityDate, ActivityDate.id == Slot.date_id)
            # the states one by one: an IN list would be expanded per call, which a statement
            # read on app.core.ownread's connection (compiled once) can't be
            .where(Signup.user_id == bindparam("uid"), or_(*(Signup.state == s for s in ACTIVE)),
                   Slot.ends_at > bindparam("now"))
            .order_by(Slot.starts_at, Slot.id).limit(bindparam("lim")))
    return _NEXT_STMT


def next_dates(user_id: int, limit: int = 3, now: datetime | None = None) -> list[NextDate]:
    """The person's next `limit` dates, as `upcoming` orders them: one statement, on the own
    connection of app.core.ownread where there is one (the overview only reads; it then checks
    nothing out of the pool)."""
    from app.core import ownread

    rows = ownread.rows(_next_statement(), {"uid": user_id, "now": now or utcnow(), "lim": limit})
    return [NextDate(r[0], r[1], r[2], r[3], r[4], SignupState(r[5]), r[6], bool(r[7])) for r in rows]


def past(user_id: int, now: datetime | None = None, limit: int = PAST_LIMIT) -> list[MyDate]:
    """Dates the person had a place on, most recent first (one statement)."""
    return _mine("past", user_id, now or utcnow(), limit)


# ---------------------------------------------------------------- the private calendar feed
def _new_key() -> str:
    return secrets.token_urlsafe(32)


def feed_key(user_id: int, create: bool = True) -> str | None:
    """The secret of the person's feed URL; made on first use (commits then)."""
    key = db.session.scalar(select(CalendarFeed.key).where(CalendarFeed.user_id == user_id))
    if key is None and create:
        key = _new_key()
        db.session.add(CalendarFeed(user_id=user_id, key=key))
        db.session.commit()
    return key


def renew_feed(user_id: int) -> str:
    """A new secret: the old feed URL answers 404 from now on (commits)."""
    feed = db.session.get(CalendarFeed, user_id)
    key = _new_key()
    if feed is None:
        db.session.add(CalendarFeed(user_id=user_id, key=key))
    else:
        feed.key, feed.created_at = key, utcnow()
    db.session.commit()
    return key


def feed_owner(key: str) -> int | None:
    """Whose feed this secret opens (one statement); None for an unknown or renewed one."""
    if not key or len(key) > 64:
        return None
    return db.session.scalar(select(CalendarFeed.user_id).where(CalendarFeed.key == key))


# ---------------------------------------------------------------- my data
def collect_signups(user) -> dict | None:
    """Every sign-up of the person (activity, role, date, state) and whether a calendar feed
    address exists: one statement (a UNION), whatever the number of sign-ups."""
    from flask_babel import lazy_gettext as _l

    rows = db.session.execute(union_all(
        select(literal(0).label("k"), Activity.title, Role.name, Slot.starts_at, Slot.ends_at,
               type_coerce(Signup.state, String).label("state"), Signup.created_at, Signup.id.label("n"))
        .join(Slot, Slot.id == Signup.slot_id).join(Role, Role.id == Slot.role_id)
        .join(Activity, Activity.id == Slot.activity_id).where(Signup.user_id == user.id),
        select(literal(1), literal(""), literal(""), CalendarFeed.created_at, CalendarFeed.created_at,
               literal(""), CalendarFeed.created_at, literal(0))
        .where(CalendarFeed.user_id == user.id),
    ).order_by("k", Slot.starts_at.name, "n")).all()
    signups = [{"activity": r[1], "role": r[2], "starts_at": _iso(r[3], "minutes"),
                "ends_at": _iso(r[4], "minutes"), "status": SignupState(r[5]).label,
                "created_at": _iso(r[6], "seconds")} for r in rows if r[0] == 0]
    feed = [r for r in rows if r[0] == 1]
    if not signups and not feed:
        return None
    out: dict = {"signups": signups}
    if feed:
        out["calendar_feed"] = {"created_at": _iso(feed[0][6], "seconds"),
                                "note": str(_l("The private address of your calendar subscription (it is "
                                               "deleted with your account)."))}
    return out


def _iso(value, spec: str) -> str:
    if isinstance(value, str):  # SQLite hands back a UNION's datetimes as text
        value = datetime.fromisoformat(value)
    return value.isoformat(timespec=spec)


def erase_signups(user, actor=None, now: datetime | None = None) -> None:
    """Account deletion (in the caller's transaction): the person's places and waiting places on
    dates still to come are given back under each slot's lock and freed places handed on, as if
    they had cancelled (without a mail to them); every sign-up stays as an anonymous row (no
    person) for the statistics; the calendar feed's key goes."""
    from app.activities import events
    from app.activities.signup import _advance, _lock

    now = now or utcnow()
    live = db.session.execute(
        select(Signup.id, Signup.slot_id).join(Slot, Slot.id == Signup.slot_id)
        .where(Signup.user_id == user.id, Signup.state.in_(ACTIVE), Slot.starts_at > now)
        .order_by(Signup.slot_id)).all()
    for signup_id, slot_id in live:  # in slot order, like every other taker of these locks
        slot, role, date, activity = _lock(slot_id)
        signup = db.session.get(Signup, signup_id, populate_existing=True)
        if signup is None or signup.state not in ACTIVE:
            continue
        was = signup.state
        signup.state, signup.ended_at = SignupState.CANCELLED, now
        signup.offer_expires_at = None
        db.session.flush()
        if was in HOLDING:
            _advance(slot, role, now)
        events.changed(activity.id)
    db.session.execute(Signup.__table__.update().where(Signup.user_id == user.id).values(user_id=None))
    db.session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user.id))
    # The sign-ups loaded above are stale now (their person is gone).
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Signup) and obj.user_id == user.id:
            db.session.expire(obj)


def register() -> None:
    from flask_babel import lazy_gettext as _l

    from app.core.personal_data import register_section

    register_section("signups", _l("Your sign-ups for activities"), collect=collect_signups, erase=erase_signups,
                     order=40)


register()

__all__ = ["MyDate", "collect_signups", "erase_signups", "feed_key", "feed_owner", "past", "renew_feed",
           "upcoming"]
