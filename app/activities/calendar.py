"""iCalendar (RFC 5545) files with the `icalendar` library: one activity's dates, a person's
sign-ups (the mail's attachment) and a volunteer's private feed of all their dates.

UIDs are stable — a date of an activity is "date-<id>@<host>", a person's place on a slot is
"slot-<id>@<host>" — and SEQUENCE grows with every change of the date, so a calendar app that
imports an update replaces the event; a cancelled date stays in the file as STATUS:CANCELLED.
Times carry TZID=Europe/Berlin with its VTIMEZONE."""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlparse

from flask import current_app
from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.activities.models import ACTIVE, Activity, ActivityDate, Role, Signup, SignupState, Slot
from app.activities.series import utc_to_local
from app.core.timeutil import utcnow
from app.core.urls import external_url
from app.extensions import db

CONTENT_TYPE = "text/calendar; charset=utf-8"


def _host() -> str:
    return urlparse(current_app.config.get("BASE_URL") or "").hostname or "willkommen"


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Willkommen Dortmund//willkommen//DE")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Berlin")
    return cal


def _event(uid: str, starts: datetime, ends: datetime, summary: str, activity: Activity, date: ActivityDate,
           stamp: datetime, description: str = "") -> Event:
    ev = Event()
    ev.add("uid", uid)
    ev.add("dtstamp", stamp.replace(tzinfo=timezone.utc))
    ev.add("dtstart", utc_to_local(starts))
    ev.add("dtend", utc_to_local(ends))
    cancelled = date.cancelled_at is not None or activity.cancelled_at is not None
    ev.add("summary", summary)
    ev.add("location", activity.place_text())
    if description:
        ev.add("description", description)
    ev.add("url", external_url("activities.detail", activity_id=activity.id))
    ev.add("sequence", date.sequence + (1 if activity.cancelled_at is not None else 0))
    ev.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return ev


def _finish(cal: Calendar) -> bytes:
    cal.add_missing_timezones()
    return cal.to_ical()


def activity_ics(activity: Activity) -> bytes:
    """Every date of an activity (cancelled ones marked as such)."""
    cal = _calendar(activity.title)
    now = utcnow()
    for d in activity.dates:
        cal.add_component(_event(f"date-{d.id}@{_host()}", d.starts_at, d.ends_at, activity.title, activity, d,
                                 now, activity.summary))
    return _finish(cal)


def _signup_event(s: Signup, now: datetime) -> Event:
    slot = s.slot
    act, role = slot.role.activity, slot.role
    summary = f"{act.title} – {role.name}"
    ev = _event(f"slot-{slot.id}@{_host()}", slot.starts_at, slot.ends_at, summary, act, slot.date, now,
                act.summary)
    if s.state not in (SignupState.CONFIRMED, SignupState.OFFERED):
        ev["status"] = "CANCELLED"
    return ev


def signup_ics(signups: list[Signup], name: str = "") -> bytes:
    """A person's places (one event per slot), e.g. attached to the "signed up" mail."""
    cal = _calendar(name or (signups[0].slot.role.activity.title if signups else "Willkommen"))
    now = utcnow()
    for s in signups:
        cal.add_component(_signup_event(s, now))
    return _finish(cal)


def _load(stmt):
    return db.session.scalars(stmt.options(
        joinedload(Signup.slot).joinedload(Slot.date),
        joinedload(Signup.slot).joinedload(Slot.role).joinedload(Role.activity).joinedload(Activity.office),
        joinedload(Signup.slot).joinedload(Slot.role).joinedload(Role.activity).joinedload(Activity.satellite),
    )).unique().all()


def feed_ics(user_id: int, name: str = "Willkommen Dortmund") -> bytes:
    """The private feed: every confirmed place of the person from 90 days back on, moved dates at
    their new time and cancelled dates (or places given back) marked cancelled, so a subscribed
    calendar drops them."""
    from datetime import timedelta

    since = utcnow() - timedelta(days=90)
    signups = _load(select(Signup).join(Slot, Slot.id == Signup.slot_id)
                    .where(Signup.user_id == user_id, Slot.starts_at >= since,
                           Signup.state.in_((SignupState.CONFIRMED, SignupState.CANCELLED, SignupState.REMOVED)),
                           Signup.confirmed_at.is_not(None))
                    .order_by(Slot.starts_at).limit(2000))
    return signup_ics(signups, name)


def attachment(signups: list[Signup]) -> tuple[str, str, bytes]:
    return ("termine.ics", CONTENT_TYPE, signup_ics(signups))


__all__ = ["ACTIVE", "CONTENT_TYPE", "activity_ics", "attachment", "feed_ics", "signup_ics"]
