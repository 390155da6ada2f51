"""Sign-up: taking a place, waiting for one, being offered one, giving it back.

Every change to the people on a slot (one role on one date) starts with `_lock(slot_id)`: an
UPDATE of the slot's row, which holds the row lock on PostgreSQL (and the write lock on SQLite)
until the transaction ends. Only under that lock are places counted and given, so capacity holds
however many processes take the last place at once; no check in Python beforehand decides
anything. The unique constraints (one row per person and slot, one queue number per slot) stand
behind it.

The waiting list is ordered by `queue_no`, given under the lock; a person's position is their
rank among those still waiting. A freed place is offered to the first in line and held for them
(state "offered", counted against capacity) until the offer's deadline: nobody who signs up later
jumps the queue, and nobody is asked at the same time as another for the same place. A role with
`auto_move_up` gives the place at once instead. `expire_offers` (a periodic job) passes expired
offers on.

Every service commits its own transaction, with the mails (outbox) in it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select, update
from sqlalchemy.orm import joinedload

from app.accounts.models import Role as AccountRole
from app.accounts.models import User
from app.activities import events, notifications
from app.activities.models import (ACTIVE, HOLDING, Activity, ActivityDate, ActivityState, Role, Signup, SignupState,
                                   Slot)
from app.core import audit
from app.core.permissions import can_act_in_office
from app.core.timeutil import utcnow
from app.core.tokens import make_token, open_link
from app.extensions import db
from app.people.models import LanguageLevel, OrganisationState

OFFER_PURPOSE = "activity-offer"
MAX_SLOTS_AT_ONCE = 200
MAX_DELEGATES_AT_ONCE = 10


class SignupError(Exception):
    """A sign-up the rules refuse. `code` for tests and views, `message` for people."""

    def __init__(self, code: str, message, field: str | None = None):
        super().__init__(str(message))
        self.code, self.message, self.field = code, message, field


@dataclass(frozen=True)
class Counts:
    capacity: int
    confirmed: int
    offered: int
    waiting: int

    @property
    def taken(self) -> int:
        return self.confirmed + self.offered

    @property
    def free(self) -> int:
        return max(self.capacity - self.taken, 0)


# ---------------------------------------------------------------- reading
def counts(slot_ids) -> dict[int, Counts]:
    """Capacity and how many are confirmed, offered and waiting, per slot, in one statement."""
    ids = list(slot_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Slot.id, Role.capacity,
               func.count(Signup.id).filter(Signup.state == SignupState.CONFIRMED),
               func.count(Signup.id).filter(Signup.state == SignupState.OFFERED),
               func.count(Signup.id).filter(Signup.state == SignupState.WAITING))
        .join(Role, Role.id == Slot.role_id)
        .outerjoin(Signup, and_(Signup.slot_id == Slot.id, Signup.state.in_(ACTIVE)))
        .where(Slot.id.in_(ids)).group_by(Slot.id, Role.capacity))
    return {r[0]: Counts(r[1], r[2], r[3], r[4]) for r in rows}


def positions(signup_ids) -> dict[int, int]:
    """Waiting-list positions (1, 2, 3 … without gaps) of these sign-ups, in one statement."""
    ids = list(signup_ids)
    if not ids:
        return {}
    other = db.aliased(Signup)
    ahead = (select(func.count(other.id)).where(other.slot_id == Signup.slot_id,
                                                  other.state == SignupState.WAITING,
                                                  other.queue_no <= Signup.queue_no)
             .correlate(Signup).scalar_subquery())
    rows = db.session.execute(select(Signup.id, ahead).where(Signup.id.in_(ids),
                                                             Signup.state == SignupState.WAITING))
    return {r[0]: r[1] for r in rows}


def open_problem(role: Role, slot: Slot, activity: Activity, date: ActivityDate, now: datetime | None = None,
                 *, as_partner: bool = False) -> str | None:
    """Why nobody can sign up for this slot now, in plain words; None when it is open."""
    now = now or utcnow()
    if activity.state != ActivityState.PUBLISHED:
        return str(_l("This activity is not open for sign-up."))
    if date.cancelled_at is not None:
        return str(_l("This date is cancelled."))
    if slot.starts_at <= now:
        return str(_l("This date has already begun."))
    if role.for_partners and not as_partner:
        return str(_l("These places are for delegates of partner organisations."))
    if role.signup_opens_at is not None and now < role.signup_opens_at:
        return str(_l("Sign-up opens on %(when)s.", when=format_datetime(role.signup_opens_at, "medium")))
    if role.signup_closes_at is not None and now >= role.signup_closes_at:
        return str(_l("Sign-up closed on %(when)s.", when=format_datetime(role.signup_closes_at, "medium")))
    if role.deadline_hours and now >= slot.starts_at - timedelta(hours=role.deadline_hours):
        return str(_l("Sign-up closed %(n)d hours before the start.", n=role.deadline_hours))
    return None


def requirement_gaps(role, languages: dict[str, int], skills: set[int], skill_label: str = "") -> list[str]:
    """The rule: what `role` (anything with required_language, required_level, required_skill_id)
    asks for that a person with these language levels and skill ids doesn't have, as plain
    sentences. Pages with many roles load the person's qualifications once
    (catalogue.qualifications) and ask this per role."""
    from app.core.templating import language_name

    out = []
    if role.required_language:
        need = role.required_level or LanguageLevel.BASIC
        level = languages.get(role.required_language)
        if level is None or level < need:
            out.append(str(_l("This role needs %(language)s at least at the level “%(level)s”.",
                              language=language_name(role.required_language), level=LanguageLevel(need).label)))
    if role.required_skill_id and role.required_skill_id not in skills:
        out.append(str(_l("This role needs the skill “%(skill)s” in your profile.", skill=skill_label)))
    return out


def unmet_requirements(user, role: Role) -> list[str]:
    """What the role asks for that this person's profile doesn't have, as plain sentences."""
    if not role.required_language and not role.required_skill_id:
        return []
    from flask_babel import get_locale

    from app.activities.catalogue import qualifications

    languages, skills = qualifications(user.id)
    label = role.required_skill.label(str(get_locale() or "de")) if role.required_skill else ""
    return requirement_gaps(role, languages, skills, label)


# ---------------------------------------------------------------- the lock
def _lock(slot_id: int) -> tuple[Slot, Role, ActivityDate, Activity]:
    """Lock the slot's row for the rest of the transaction and load it fresh with its role, date
    and activity. The UPDATE is the lock on both databases (PostgreSQL: a row lock that a second
    transaction waits for; SQLite: the database's write lock)."""
    got = db.session.execute(update(Slot).where(Slot.id == slot_id).values(version=Slot.version + 1)
                             .returning(Slot.id)).first()
    if got is None:
        raise SignupError("not_found", _l("This date does not exist (any more)."))
    row = db.session.execute(
        select(Slot, Role, ActivityDate, Activity)
        .join(Role, Role.id == Slot.role_id).join(ActivityDate, ActivityDate.id == Slot.date_id)
        .join(Activity, Activity.id == Slot.activity_id).where(Slot.id == slot_id)
        .execution_options(populate_existing=True)).one()
    return row[0], row[1], row[2], row[3]


def _tally(slot_id: int) -> tuple[int, int, int]:
    """(holding a place, waiting, highest queue number) — counted under the lock."""
    row = db.session.execute(select(
        func.count(Signup.id).filter(Signup.state.in_(HOLDING)),
        func.count(Signup.id).filter(Signup.state == SignupState.WAITING),
        func.coalesce(func.max(Signup.queue_no), 0)).where(Signup.slot_id == slot_id)).one()
    return row[0], row[1], row[2]


def _existing(slot_id: int, user_id: int) -> Signup | None:
    return db.session.scalar(select(Signup).where(Signup.slot_id == slot_id, Signup.user_id == user_id)
                             .execution_options(populate_existing=True))


def _overlap(user_id: int, slot: Slot) -> Signup | None:
    """The person's other sign-up (confirmed, offered or waiting) at an overlapping time."""
    return db.session.scalar(
        select(Signup).join(Slot, Slot.id == Signup.slot_id).join(ActivityDate, ActivityDate.id == Slot.date_id)
        .where(Signup.user_id == user_id, Signup.state.in_(ACTIVE), Slot.id != slot.id,
               Slot.starts_at < slot.ends_at, Slot.ends_at > slot.starts_at, ActivityDate.cancelled_at.is_(None))
        .options(joinedload(Signup.slot).joinedload(Slot.role).joinedload(Role.activity)).limit(1))


def _overlap_error(other: Signup) -> SignupError:
    return SignupError("overlap", _l("At that time you are already signed up for “%(title)s” (%(role)s, %(when)s).",
                                     title=other.slot.role.activity.title, role=other.slot.role.name,
                                     when=format_datetime(other.slot.starts_at, "medium")))


def _place(signup: Signup | None, *, slot_id: int, user_id: int | None, state: SignupState, queue_no: int | None,
           now: datetime, added_by: int | None = None, over: bool = False, organisation_id: int | None = None,
           delegate_name: str = "") -> Signup:
    if signup is None:
        signup = Signup(slot_id=slot_id, user_id=user_id, organisation_id=organisation_id,
                        delegate_name=delegate_name)
        db.session.add(signup)
    signup.state = state
    signup.queue_no = queue_no
    signup.confirmed_at = now if state == SignupState.CONFIRMED else None
    signup.offered_at = signup.offer_expires_at = signup.ended_at = None
    signup.over_capacity = over
    signup.added_by_id = added_by
    signup.created_at = now
    return signup


def _join(slot: Slot, role: Role, signup: Signup | None, user_id: int | None, now: datetime, **kw) -> Signup:
    """Confirm when a place is free and nobody waits, else queue; then hand on free places."""
    holding, waiting, top = _tally(slot.id)
    if holding < role.capacity and waiting == 0:
        s = _place(signup, slot_id=slot.id, user_id=user_id, state=SignupState.CONFIRMED, queue_no=None,
                   now=now, **kw)
    else:
        s = _place(signup, slot_id=slot.id, user_id=user_id, state=SignupState.WAITING, queue_no=top + 1,
                   now=now, **kw)
    db.session.flush()
    if s.state == SignupState.WAITING and holding < role.capacity:
        _advance(slot, role, now)  # a place was free but others were first in line
    return s


def offer_hours(slot: Slot, now: datetime) -> float:
    """How long an offered place is held: OFFER_HOURS (48), at most half the time left before
    the date begins."""
    hours = float(current_app.config.get("WAITLIST_OFFER_HOURS", 48))
    left = (slot.starts_at - now).total_seconds() / 3600
    return min(hours, left / 2)


def _advance(slot: Slot, role: Role, now: datetime) -> list[Signup]:
    """Hand the slot's free places to the first in line, one person per place: an offer with a
    deadline, or the place itself (auto move-up, or too little time left for an offer)."""
    handed: list[Signup] = []
    date = db.session.get(ActivityDate, slot.date_id)
    activity = db.session.get(Activity, slot.activity_id)
    if date.cancelled_at is not None or activity.state != ActivityState.PUBLISHED:
        return handed  # nothing to offer on a cancelled date or activity
    holding, _, _ = _tally(slot.id)
    free = role.capacity - holding
    while free > 0:
        first = db.session.scalar(select(Signup).where(Signup.slot_id == slot.id, Signup.state == SignupState.WAITING)
                                  .order_by(Signup.queue_no).limit(1).execution_options(populate_existing=True))
        if first is None or slot.starts_at <= now:
            break
        hours = offer_hours(slot, now)
        if role.auto_move_up or hours < 1:
            first.state, first.confirmed_at = SignupState.CONFIRMED, now
            db.session.flush()
            notifications.moved_up(first)
        else:
            first.state = SignupState.OFFERED
            first.offered_at = now
            first.offer_expires_at = now + timedelta(hours=hours)
            first.offer_count += 1
            db.session.flush()
            notifications.offered(first, offer_link_token(first))
        handed.append(first)
        free -= 1
    return handed


def offer_link_token(signup: Signup) -> str:
    return make_token(OFFER_PURPOSE, s=signup.id, n=signup.offer_count)


def hand_on_free_places(slot_ids, now: datetime | None = None) -> int:
    """After a role's capacity grew (or an activity was published with people already waiting):
    offer the new free places to the first in line, slot by slot under each slot's lock. Call it
    in the caller's transaction after the change; the caller commits. Returns how many people
    were offered or given a place."""
    now = now or utcnow()
    handed = 0
    for slot_id in sorted(set(slot_ids)):
        slot, role, date, activity = _lock(slot_id)
        got = _advance(slot, role, now)
        if got:
            events.changed(activity.id)
        handed += len(got)
    return handed


# ---------------------------------------------------------------- volunteers
def _check_volunteer(user) -> None:
    if user is None or not getattr(user, "is_authenticated", True) or user.deleted_at is not None:
        raise SignupError("not_allowed", _l("Please log in first."))
    if user.confirmed_at is None:
        raise SignupError("unconfirmed", _l("Please confirm your e-mail address first. We sent you a link."))
    if user.role != AccountRole.VOLUNTEER:
        raise SignupError("not_volunteer", _l("Only volunteers can sign up here. Coordinators add people on the "
                                              "roster; partner organisations register delegates."))


def sign_up(user, slot_ids, now: datetime | None = None) -> list[Signup]:
    """Sign a volunteer up for one or more slots (chosen dates of a role, or the whole series).
    Per slot: confirmed when a place is free and nobody waits, else on the waiting list. All or
    nothing: any refused slot (closed, overlapping, requirements) refuses the whole request.
    Slots the person is already on are left as they are."""
    now = now or utcnow()
    _check_volunteer(user)
    ids = sorted({int(i) for i in slot_ids})
    if not ids:
        raise SignupError("no_date", _l("Please choose at least one date."), field="slot")
    if len(ids) > MAX_SLOTS_AT_ONCE:
        raise SignupError("too_many", _l("Please choose fewer dates."), field="slot")
    result: list[Signup] = []
    new: list[Signup] = []
    checked_roles: set[int] = set()
    try:
        for slot_id in ids:  # always in id order: two requests never wait for each other in a circle
            slot, role, date, activity = _lock(slot_id)
            problem = open_problem(role, slot, activity, date, now)
            if problem:
                raise SignupError("closed", problem if len(ids) == 1 else
                                  _l("%(when)s: %(problem)s", when=format_datetime(slot.starts_at, "medium"),
                                     problem=problem), field="slot")
            if role.id not in checked_roles:
                unmet = unmet_requirements(user, role)
                if unmet:
                    raise SignupError("requirements", " ".join(unmet))
                checked_roles.add(role.id)
            existing = _existing(slot.id, user.id)
            if existing is not None and existing.state in ACTIVE:
                result.append(existing)
                continue
            other = _overlap(user.id, slot)
            if other is not None:
                raise _overlap_error(other)
            s = _join(slot, role, existing, user.id, now)
            result.append(s)
            new.append(s)
            events.changed(activity.id)
        if new:
            notifications.signed_up(user, [s for s in new if s.state == SignupState.CONFIRMED])
            notifications.waiting(user, [s for s in new if s.state == SignupState.WAITING])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


def _own(user, signup_id: int) -> Signup:
    signup = db.session.get(Signup, signup_id)
    if signup is None or user is None or signup.user_id != user.id:
        raise SignupError("not_found", _l("This sign-up does not exist."))
    return signup


def _give_back(signup: Signup, now: datetime, not_active_message) -> SignupState:
    """Cancel a sign-up under its slot's lock until the date begins, and hand a freed place to
    the next in line. Returns the state it had. The caller commits."""
    slot, role, _date, activity = _lock(signup.slot_id)
    db.session.refresh(signup)
    if signup.state not in ACTIVE:
        raise SignupError("not_active", not_active_message)
    if slot.starts_at <= now:
        raise SignupError("started", _l("This date has already begun. Please tell the office directly."))
    return _end(signup, SignupState.CANCELLED, slot, role, activity, now)


def _end(signup: Signup, state: SignupState, slot: Slot, role: Role, activity: Activity,
         now: datetime) -> SignupState:
    """Take a sign-up off the list (cancelled, declined, expired, removed) under the slot's lock
    the caller holds; a place it held goes to the next in line. Returns the state it had."""
    was = signup.state
    signup.state, signup.ended_at = state, now
    db.session.flush()
    if was in HOLDING:
        _advance(slot, role, now)
    events.changed(activity.id)
    return was


def cancel(user, signup_id: int, now: datetime | None = None) -> Signup:
    """The person gives back their place (or leaves the waiting list, or turns down an offered
    place) until the date begins; a freed place goes to the next in line."""
    now = now or utcnow()
    try:
        signup = _own(user, signup_id)
        was = _give_back(signup, now, _l("You are no longer signed up for this date."))
        notifications.cancelled(signup, was)
        db.session.commit()
        return signup
    except Exception:
        db.session.rollback()
        raise


# ---------------------------------------------------------------- offers
def _offer_max_age() -> int:
    return int((float(current_app.config.get("WAITLIST_OFFER_HOURS", 48)) + 24) * 3600)


OFFER_GONE = _l("This offer is no longer open: the time to answer has passed and the place went to the next "
                "person, or you answered already.")


def _offer_of(payload: dict[str, Any]) -> tuple[Signup, Any] | None:
    """The sign-up an offer link names, with the offer's number (a later offer spoils it)."""
    signup = db.session.get(Signup, int(payload.get("s", 0) or 0))
    return None if signup is None else (signup, payload.get("n"))


def read_offer(token: str) -> Signup:
    """The sign-up an offer link is for (for the page that asks "take the place?"); spends nothing."""
    signup, offer_no = open_link(OFFER_PURPOSE, token, _offer_max_age(), _offer_of, SignupError, spend=False)
    if signup.state != SignupState.OFFERED or signup.offer_count != offer_no:
        raise SignupError("offer_gone", OFFER_GONE)
    return signup


def _answer_offer(token: str, accept: bool, now: datetime | None) -> Signup:
    now = now or utcnow()
    try:
        signup, offer_no = open_link(OFFER_PURPOSE, token, _offer_max_age(), _offer_of, SignupError, spend=True)
        slot, role, date, activity = _lock(signup.slot_id)
        db.session.refresh(signup)
        if (signup.state != SignupState.OFFERED or signup.offer_count != offer_no
                or signup.offer_expires_at is None or signup.offer_expires_at <= now or slot.starts_at <= now):
            raise SignupError("offer_gone", OFFER_GONE)
        if accept:
            signup.state, signup.confirmed_at = SignupState.CONFIRMED, now
            signup.offer_expires_at = None
            db.session.flush()
            if signup.user is not None:
                notifications.signed_up(signup.user, [signup])
            events.changed(activity.id)
        else:
            _end(signup, SignupState.DECLINED, slot, role, activity, now)
        db.session.commit()
        return signup
    except Exception:
        db.session.rollback()
        raise


def accept_offer(token: str, now: datetime | None = None) -> Signup:
    return _answer_offer(token, True, now)


def decline_offer(token: str, now: datetime | None = None) -> Signup:
    return _answer_offer(token, False, now)


def expire_offers(now: datetime | None = None, limit: int = 500) -> int:
    """Offers past their deadline: the place passes to the next in line (one transaction per
    offer, re-checked under the slot's lock, so two runs never pass one offer on twice)."""
    now = now or utcnow()
    due = db.session.execute(select(Signup.id, Signup.slot_id).where(
        Signup.state == SignupState.OFFERED, Signup.offer_expires_at <= now).order_by(Signup.offer_expires_at)
        .limit(limit)).all()
    db.session.rollback()
    done = 0
    for signup_id, slot_id in due:
        try:
            slot, role, date, activity = _lock(slot_id)
            signup = db.session.get(Signup, signup_id, populate_existing=True)
            if signup is None or signup.state != SignupState.OFFERED or signup.offer_expires_at > now:
                db.session.rollback()
                continue
            _end(signup, SignupState.EXPIRED, slot, role, activity, now)
            notifications.offer_expired(signup)
            db.session.commit()
            done += 1
        except Exception:
            db.session.rollback()
            raise
    return done


# ---------------------------------------------------------------- staff
def _staff_slot(actor, slot_id: int) -> tuple[Slot, Role, ActivityDate, Activity]:
    slot, role, date, activity = _lock(slot_id)
    if not can_act_in_office(actor, activity.office_id):
        raise SignupError("not_found", _l("This date does not exist (any more)."))
    return slot, role, date, activity


def _staff_signup(actor, signup_id: int) -> tuple[Signup, Slot, Role, ActivityDate, Activity]:
    signup = db.session.get(Signup, signup_id)
    if signup is None:
        raise SignupError("not_found", _l("This sign-up does not exist."))
    slot, role, date, activity = _staff_slot(actor, signup.slot_id)
    db.session.refresh(signup)
    return signup, slot, role, date, activity


def add_by_staff(actor, slot_id: int, user_id: int, *, over_capacity: bool = False, to_waiting_list: bool = False,
                 now: datetime | None = None) -> Signup:
    """A coordinator puts a volunteer on a slot by hand: held to the same capacity rule — when
    the places are taken they join the waiting list (`to_waiting_list`) or, deliberately, are
    placed beyond capacity (`over_capacity`, marked on the roster and in the audit log)."""
    now = now or utcnow()
    try:
        slot, role, date, activity = _staff_slot(actor, slot_id)
        person = db.session.get(User, user_id)
        if person is None or person.deleted_at is not None or person.role != AccountRole.VOLUNTEER:
            raise SignupError("unknown_person", _l("Please choose a volunteer."), field="user")
        if date.cancelled_at is not None:
            raise SignupError("closed", _l("This date is cancelled."))
        if slot.ends_at <= now:
            raise SignupError("closed", _l("This date is over."))
        existing = _existing(slot.id, person.id)
        if existing is not None and existing.state in ACTIVE:
            raise SignupError("already", _l("%(name)s is already on this list.", name=person.name), field="user")
        other = _overlap(person.id, slot)
        if other is not None:
            raise SignupError("overlap", _l("%(name)s is already signed up for “%(title)s” (%(role)s, %(when)s) at "
                                            "that time.", name=person.name, title=other.slot.role.activity.title,
                                            role=other.slot.role.name,
                                            when=format_datetime(other.slot.starts_at, "medium")), field="user")
        holding, waiting, top = _tally(slot.id)
        if holding < role.capacity and waiting == 0:
            s = _place(existing, slot_id=slot.id, user_id=person.id, state=SignupState.CONFIRMED, queue_no=None,
                       now=now, added_by=actor.id)
        elif over_capacity:
            s = _place(existing, slot_id=slot.id, user_id=person.id, state=SignupState.CONFIRMED, queue_no=None,
                       now=now, added_by=actor.id, over=holding >= role.capacity)
        elif to_waiting_list:
            s = _place(existing, slot_id=slot.id, user_id=person.id, state=SignupState.WAITING, queue_no=top + 1,
                       now=now, added_by=actor.id)
        else:
            raise SignupError("full", _l("All %(n)d places are taken. Put %(name)s on the waiting list, or tick "
                                         "“over capacity” to add them anyway.", n=role.capacity, name=person.name),
                              field="over_capacity")
        db.session.flush()
        audit.record(actor, "signup.over_capacity" if s.over_capacity else "signup.added", s,
                     office_id=activity.office_id,
                     activity=activity.id, slot=slot.id, user=person.id, state=s.state.value)
        if s.state == SignupState.CONFIRMED:
            notifications.signed_up(person, [s], by_staff=True)
        else:
            notifications.waiting(person, [s])
        events.changed(activity.id)
        db.session.commit()
        return s
    except Exception:
        db.session.rollback()
        raise


def remove(actor, signup_id: int, reason: str = "", now: datetime | None = None) -> Signup:
    """The organiser takes someone off the roster or the waiting list; the person is told."""
    now = now or utcnow()
    reason = (reason or "").strip()[:300]
    try:
        signup, slot, role, date, activity = _staff_signup(actor, signup_id)
        if signup.state not in ACTIVE:
            raise SignupError("not_active", _l("This person is no longer on the list."))
        was = _end(signup, SignupState.REMOVED, slot, role, activity, now)
        audit.record(actor, "signup.removed", signup, office_id=activity.office_id,
                     activity=activity.id, slot=slot.id, user=signup.user_id, was=was.value, reason=reason)
        notifications.removed(signup, reason)
        db.session.commit()
        return signup
    except Exception:
        db.session.rollback()
        raise


def move_up(actor, signup_id: int, *, over_capacity: bool = False, now: datetime | None = None) -> Signup:
    """A coordinator gives a waiting person a place now (out of turn, deliberately): only when a
    place is free, or beyond capacity with the override."""
    now = now or utcnow()
    try:
        signup, slot, role, date, activity = _staff_signup(actor, signup_id)
        if signup.state not in (SignupState.WAITING, SignupState.OFFERED):
            raise SignupError("not_waiting", _l("This person is not on the waiting list."))
        holding, _, _ = _tally(slot.id)
        if signup.state == SignupState.WAITING and holding >= role.capacity and not over_capacity:
            raise SignupError("full", _l("All %(n)d places are taken. Tick “over capacity” to move them up anyway.",
                                         n=role.capacity), field="over_capacity")
        over = signup.state == SignupState.WAITING and holding >= role.capacity
        signup.state, signup.confirmed_at = SignupState.CONFIRMED, now
        signup.offer_expires_at = None
        signup.over_capacity = over
        db.session.flush()
        audit.record(actor, "signup.over_capacity" if over else "signup.moved_up", signup,
                     office_id=activity.office_id,
                     activity=activity.id, slot=slot.id, user=signup.user_id)
        notifications.moved_up(signup)
        events.changed(activity.id)
        db.session.commit()
        return signup
    except Exception:
        db.session.rollback()
        raise


# ---------------------------------------------------------------- delegates (round tables)
def _check_partner(contact) -> int:
    org = contact.organisation if contact is not None else None
    if (contact is None or contact.role != AccountRole.PARTNER or org is None
            or org.state != OrganisationState.APPROVED):
        raise SignupError("not_partner", _l("Only contacts of an approved partner organisation can register "
                                            "delegates."))
    return org.id


def sign_up_delegates(contact, slot_id: int, names, now: datetime | None = None) -> list[Signup]:
    """A partner contact registers named delegates of their organisation for one meeting: at
    most `max_per_organisation` per organisation (counted under the slot's lock, like capacity);
    past capacity they wait like everyone else."""
    now = now or utcnow()
    clean = [" ".join(str(n).split())[:120] for n in names if str(n).strip()]
    try:
        org_id = _check_partner(contact)
        if not clean:
            raise SignupError("no_name", _l("Please enter at least one name."), field="names")
        if len(clean) > MAX_DELEGATES_AT_ONCE or len({n.casefold() for n in clean}) != len(clean):
            raise SignupError("names", _l("Please enter each name once (at most %(n)d).", n=MAX_DELEGATES_AT_ONCE),
                              field="names")
        slot, role, date, activity = _lock(slot_id)
        if not role.for_partners:
            raise SignupError("not_found", _l("This date does not exist (any more)."))
        problem = open_problem(role, slot, activity, date, now, as_partner=True)
        if problem:
            raise SignupError("closed", problem)
        mine = db.session.scalars(select(Signup.delegate_name).where(
            Signup.slot_id == slot.id, Signup.organisation_id == org_id, Signup.state.in_(ACTIVE))).all()
        taken = {n.casefold() for n in mine}
        dup = [n for n in clean if n.casefold() in taken]
        if dup:
            raise SignupError("names", _l("%(name)s is already registered.", name=dup[0]), field="names")
        limit = role.max_per_organisation
        if limit is not None and len(mine) + len(clean) > limit:
            raise SignupError("org_limit", _l("At most %(n)d people per organisation can come; %(m)d of yours are "
                                              "registered already.", n=limit, m=len(mine)), field="names")
        made = [_join(slot, role, None, None, now, added_by=contact.id, organisation_id=org_id, delegate_name=n)
                for n in clean]
        notifications.delegates(contact, made)
        events.changed(activity.id)
        db.session.commit()
        return made
    except Exception:
        db.session.rollback()
        raise


def cancel_delegate(contact, signup_id: int, now: datetime | None = None) -> Signup:
    now = now or utcnow()
    try:
        org_id = _check_partner(contact)
        signup = db.session.get(Signup, signup_id)
        if signup is None or signup.organisation_id != org_id or signup.user_id is not None:
            raise SignupError("not_found", _l("This sign-up does not exist."))
        _give_back(signup, now, _l("This person is no longer registered."))
        db.session.commit()
        return signup
    except Exception:
        db.session.rollback()
        raise
