"""Every mail of the activities area, queued in the caller's transaction through the outbox.

A mail goes to the person on the list; for a named delegate without an account it goes to the
partner contact who registered them. Texts are formatted in the recipient's language."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from flask_babel import force_locale, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.accounts.models import User
from app.activities.models import ACTIVE, Activity, ActivityDate, Role, Signup, SignupState, Slot
from app.activities.texts import when_text
from app.core.urls import external_url
from app.extensions import db
from app.mail.services import queue_mail_to_user


def _recipient(signup: Signup) -> User | None:
    user = signup.user if signup.user_id is not None else (
        db.session.get(User, signup.added_by_id) if signup.added_by_id else None)
    if user is None or user.deleted_at is not None or not user.email:
        return None
    return user


def _context(activity: Activity, lines: list[str], **extra) -> dict:
    office = activity.office
    return {"title": activity.title, "place": activity.place_text(), "dates": "\n".join(lines),
            "office": office.name, "office_email": office.email or "",
            "link": external_url("activities.detail", activity_id=activity.id),
            "mine_link": external_url("activities.mine"), **extra}


def _line(s: Signup, position: int | None = None) -> str:
    slot = s.slot
    parts = [when_text(slot.starts_at, slot.ends_at), slot.role.name]
    if s.delegate_name:
        parts.append(s.delegate_name)
    if position:
        parts.append(str(_l("place %(n)d on the waiting list", n=position)))
    return " · ".join(parts)


def _send(kind: str, user: User, activity: Activity, signups: list[Signup], *, ics: list[Signup] | None = None,
          positions: dict[int, int] | None = None, **extra) -> None:
    from app.activities.calendar import attachment

    with force_locale(user.locale or "de"):
        lines = [_line(s, (positions or {}).get(s.id)) for s in sorted(signups, key=lambda s: s.slot.starts_at)]
        context = _context(activity, lines, **{k: (str(v) if hasattr(v, "__html__") else v) for k, v in extra.items()})
        files = [attachment(ics)] if ics else None
    queue_mail_to_user(kind, user, context, office_id=activity.office_id, attachments=files)


def _by_activity(signups: list[Signup]) -> dict[int, list[Signup]]:
    groups: dict[int, list[Signup]] = defaultdict(list)
    for s in signups:
        groups[s.slot.activity_id].append(s)
    return groups


def signed_up(user: User, signups: list[Signup], by_staff: bool = False) -> None:
    for group in _by_activity(signups).values():
        _send("activity_signed_up", user, group[0].slot.role.activity, group, ics=group, by_staff=by_staff)


def waiting(user: User, signups: list[Signup]) -> None:
    if not signups:
        return
    from app.activities.signup import positions as waiting_positions

    pos = waiting_positions([s.id for s in signups])
    for group in _by_activity(signups).values():
        _send("activity_waiting", user, group[0].slot.role.activity, group, positions=pos)


def offered(signup: Signup, token: str) -> None:
    from flask_babel import format_datetime

    user = _recipient(signup)
    if user is None:
        return
    with force_locale(user.locale or "de"):
        deadline = format_datetime(signup.offer_expires_at, "full")
    _send("activity_offer", user, signup.slot.role.activity, [signup],
          offer_link=external_url("activities.offer", token=token), deadline=deadline)


def offer_expired(signup: Signup) -> None:
    user = _recipient(signup)
    if user is not None:
        _send("activity_offer_expired", user, signup.slot.role.activity, [signup])


def moved_up(signup: Signup) -> None:
    user = _recipient(signup)
    if user is not None:
        _send("activity_moved_up", user, signup.slot.role.activity, [signup], ics=[signup])


def cancelled(signup: Signup, was: SignupState) -> None:
    user = _recipient(signup)
    if user is not None:
        _send("activity_signup_cancelled", user, signup.slot.role.activity, [signup], ics=[signup],
              was_waiting=was == SignupState.WAITING)


def removed(signup: Signup, reason: str = "") -> None:
    user = _recipient(signup)
    if user is not None:
        _send("activity_signup_removed", user, signup.slot.role.activity, [signup], ics=[signup], reason=reason)


def delegates(contact: User, signups: list[Signup]) -> None:
    from app.activities.signup import positions as waiting_positions

    pos = waiting_positions([s.id for s in signups if s.state == SignupState.WAITING])
    org = contact.organisation.name if contact.organisation else ""
    with force_locale(contact.locale or "de"):
        names = "\n".join(
            "%s (%s)" % (s.delegate_name, _l("signed up") if s.state == SignupState.CONFIRMED
                         else _l("waiting list, place %(n)d", n=pos.get(s.id, 0)))
            for s in signups)
    _send("activity_delegates", contact, signups[0].slot.role.activity, signups, names=names, organisation=org,
          ics=[s for s in signups if s.state == SignupState.CONFIRMED] or None)


# ---------------------------------------------------------------- changes by the organiser
def _active_on(*where) -> list[Signup]:
    return db.session.scalars(
        select(Signup).join(Slot, Slot.id == Signup.slot_id).where(Signup.state.in_(ACTIVE), *where)
        .options(joinedload(Signup.user), joinedload(Signup.slot).joinedload(Slot.role).joinedload(Role.activity),
                 joinedload(Signup.slot).joinedload(Slot.date))
        .order_by(Slot.starts_at)).unique().all()


def _per_person(signups: list[Signup]) -> dict[int, tuple[User, list[Signup]]]:
    out: dict[int, tuple[User, list[Signup]]] = {}
    for s in signups:
        user = _recipient(s)
        if user is not None:
            out.setdefault(user.id, (user, []))[1].append(s)
    return out


def date_moved(date: ActivityDate, old_starts_at: datetime, old_ends_at: datetime | None = None) -> int:
    """Everyone on the date is told the new time, with the updated calendar entry. Call after
    the date (and its slots, `sync_slots`) carry the new time."""
    signups = _active_on(Slot.date_id == date.id)
    activity = date.activity
    duration = date.ends_at - date.starts_at
    for user, mine in _per_person(signups).values():
        with force_locale(user.locale or "de"):
            old = when_text(old_starts_at, old_ends_at or old_starts_at + duration)
            new = when_text(date.starts_at, date.ends_at)
        _send("activity_date_moved", user, activity, mine, ics=[s for s in mine if s.state in
                                                                   (SignupState.CONFIRMED, SignupState.OFFERED)] or None,
              old_when=old, new_when=new)
    return len(signups)


def date_cancelled(date: ActivityDate) -> int:
    signups = _active_on(Slot.date_id == date.id)
    activity = date.activity
    for user, mine in _per_person(signups).values():
        with force_locale(user.locale or "de"):
            when = when_text(date.starts_at, date.ends_at)
        _send("activity_date_cancelled", user, activity, mine, ics=mine, when=when, reason=date.cancel_reason)
    return len(signups)


def activity_cancelled(activity: Activity, now: datetime | None = None) -> int:
    """Everyone on an upcoming date of the activity gets one mail."""
    from app.core.timeutil import utcnow

    signups = _active_on(Slot.activity_id == activity.id, Slot.starts_at > (now or utcnow()))
    for user, mine in _per_person(signups).values():
        _send("activity_cancelled", user, activity, mine, ics=mine, reason=activity.cancel_reason)
    return len(signups)
