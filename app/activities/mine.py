""""My activities": a person's dates, the private calendar feed's key, and what "my data" holds
and erases of the sign-ups.

Reading is one statement per list: the sign-ups with their slot, role, date, activity and place
joined, and the waiting-list position as a correlated subquery, so the page costs the same with
one date or fifty."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import aliased, contains_eager, joinedload

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


def _mine(*where, order, limit: int):
    stmt = (select(Signup, _position_column())
            .join(Signup.slot).join(Slot.role).join(Role.activity).join(Slot.date)
            .where(*where)
            .options(contains_eager(Signup.slot).contains_eager(Slot.role).contains_eager(Role.activity),
                     contains_eager(Signup.slot).contains_eager(Slot.date),
                     contains_eager(Signup.slot).contains_eager(Slot.role).contains_eager(Role.activity)
                     .joinedload(Activity.office),
                     contains_eager(Signup.slot).contains_eager(Slot.role).contains_eager(Role.activity)
                     .joinedload(Activity.satellite))
            .order_by(*order).limit(limit))
    return [MyDate(s, pos) for s, pos in db.session.execute(stmt).unique().all()]


def upcoming(user_id: int, now: datetime | None = None, limit: int = UPCOMING_LIMIT) -> list[MyDate]:
    """The person's places, offers and waiting places on dates not over yet, soonest first (one
    statement)."""
    now = now or utcnow()
    return _mine(Signup.user_id == user_id, Signup.state.in_(ACTIVE), Slot.ends_at > now,
                 order=(Slot.starts_at, Slot.id), limit=limit)


def past(user_id: int, now: datetime | None = None, limit: int = PAST_LIMIT) -> list[MyDate]:
    """Dates the person had a place on, most recent first (one statement)."""
    now = now or utcnow()
    return _mine(Signup.user_id == user_id, Signup.state == SignupState.CONFIRMED, Slot.ends_at <= now,
                 order=(Slot.starts_at.desc(), Slot.id.desc()), limit=limit)


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
def collect_signups(user) -> list[dict]:
    """Every sign-up of the person: activity, role, date, state."""
    rows = db.session.execute(
        select(Activity.title, Role.name, Slot.starts_at, Slot.ends_at, Signup.state, Signup.created_at)
        .join(Slot, Slot.id == Signup.slot_id).join(Role, Role.id == Slot.role_id)
        .join(Activity, Activity.id == Slot.activity_id)
        .where(Signup.user_id == user.id).order_by(Slot.starts_at, Signup.id)).all()
    return [{"activity": r[0], "role": r[1], "starts_at": r[2].isoformat(timespec="minutes"),
             "ends_at": r[3].isoformat(timespec="minutes"), "status": SignupState(r[4]).label,
             "created_at": r[5].isoformat(timespec="seconds")} for r in rows]


def collect_feed(user) -> dict | None:
    feed = db.session.get(CalendarFeed, user.id)
    if feed is None:
        return None
    return {"created_at": feed.created_at.isoformat(timespec="seconds"),
            "feed": str(_feed_note())}


def _feed_note():
    from flask_babel import lazy_gettext as _l

    return _l("The private address of your calendar subscription (it is deleted with your account).")


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
    register_section("calendar_feed", _l("Calendar subscription"), collect=collect_feed, order=41)


register()

__all__ = ["MyDate", "collect_signups", "erase_signups", "feed_key", "feed_owner", "past", "renew_feed",
           "upcoming"]
