"""Reminders of upcoming dates, through the mail area's `@reminder_source`.

Due: a confirmed place on a date that begins within the activity's `reminder_days` (or
REMINDER_DAYS_BEFORE) days and has not begun, of a published activity, the date not cancelled.
A person who took the place only after the reminder was due has just had the "signed up" mail
and gets none. Named delegates without an account are reminded through the partner contact who
registered them: one mail per contact and date, naming them. The dedupe key is per slot and
person ("reminder:slot:<id>:user:<id>"), so each reminder is queued once however often the job
runs (`app.mail.reminders.queue_once`)."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Iterator

from flask_babel import force_locale
from sqlalchemy import func, or_, and_, select
from sqlalchemy.orm import contains_eager

from app.accounts.models import User
from app.activities.models import Activity, ActivityDate, ActivityState, Role, Signup, SignupState, Slot
from app.activities.texts import when_text
from app.core.urls import external_url
from app.extensions import db
from app.mail.reminders import Reminder, reminder_source

MAX_DAYS = 30  # a lead time beyond this is taken as this (bounds the query)


def dedupe_key(slot_id: int, user_id: int) -> str:
    return f"reminder:slot:{slot_id}:user:{user_id}"


def _due_signups(now: datetime, default_days: int) -> list[Signup]:
    lead = func.coalesce(Activity.reminder_days, default_days)
    day_values = {min(max(int(d if d is not None else default_days), 0), MAX_DAYS) for d in db.session.scalars(
        select(Activity.reminder_days).where(Activity.state == ActivityState.PUBLISHED).distinct())}
    if not day_values:
        return []
    # One window per lead time in use (a handful): starts within `d` days from now.
    windows = [and_(lead == d, Slot.starts_at <= now + timedelta(days=d)) for d in sorted(day_values)]
    if default_days > MAX_DAYS:
        windows.append(and_(lead > MAX_DAYS, Slot.starts_at <= now + timedelta(days=MAX_DAYS)))
    stmt = (select(Signup).join(Signup.slot).join(Slot.role).join(Role.activity).join(Slot.date)
            .where(Signup.state == SignupState.CONFIRMED, Activity.state == ActivityState.PUBLISHED,
                   ActivityDate.cancelled_at.is_(None), Slot.starts_at > now, or_(*windows))
            .options(contains_eager(Signup.slot).contains_eager(Slot.role).contains_eager(Role.activity)
                     .joinedload(Activity.office),
                     contains_eager(Signup.slot).contains_eager(Slot.role).contains_eager(Role.activity)
                     .joinedload(Activity.satellite),
                     contains_eager(Signup.slot).contains_eager(Slot.date))
            .order_by(Slot.starts_at, Signup.id))
    out = []
    for s in db.session.scalars(stmt).unique():
        days = s.slot.role.activity.reminder_days
        days = min(max(default_days if days is None else days, 0), MAX_DAYS)
        due_at = s.slot.starts_at - timedelta(days=days)
        if s.confirmed_at is not None and s.confirmed_at > due_at:
            continue  # signed up after the reminder was due: the confirmation just went out
        out.append(s)
    return out


def _reminder(user: User, slot: Slot, title: str) -> Reminder:
    activity = slot.role.activity
    with force_locale(user.locale or "de"):
        when = when_text(slot.starts_at, slot.ends_at)
    return Reminder(dedupe_key=dedupe_key(slot.id, user.id), to=user.email, name=user.name,
                    locale=user.locale or "de", user_id=user.id, office_id=activity.office_id,
                    kind="reminder",
                    context={"title": title, "when": when, "place": activity.place_text(),
                             "details_link": external_url("activities.mine")})


@reminder_source
def upcoming_dates(now: datetime, default_days: int) -> Iterator[Reminder]:
    signups = _due_signups(now, default_days)
    people_ids = {s.user_id or s.added_by_id for s in signups} - {None}
    people = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_(people_ids), User.deleted_at.is_(None), User.active.is_(True)))} if people_ids else {}
    delegates: dict[tuple[int, int], list[Signup]] = defaultdict(list)
    for s in signups:
        if s.user_id is not None:
            user = people.get(s.user_id)
            if user is not None and user.email:
                yield _reminder(user, s.slot, f"{s.slot.role.activity.title} – {s.slot.role.name}")
        elif s.added_by_id is not None:
            delegates[(s.slot_id, s.added_by_id)].append(s)
    for (slot_id, contact_id), group in delegates.items():
        contact = people.get(contact_id)
        if contact is None or not contact.email:
            continue
        slot = group[0].slot
        names = ", ".join(s.delegate_name for s in group)
        yield _reminder(contact, slot, f"{slot.role.activity.title} – {slot.role.name} ({names})")


__all__ = ["dedupe_key", "upcoming_dates"]
