"""Hand-overs: a volunteer who can't come offers their place to someone else instead of just
cancelling — to a named colleague, or to everyone on the waiting list and the best-fitting free
volunteers — by signed, single-use links. The first to accept takes the place over atomically
under the slot's lock (capacity never changes: one place moves from one person to another); a
second acceptance finds it taken. Until then the place stays the original volunteer's. A role can
require the coordinator's approval: then the acceptance waits for it.

The original volunteer is told when it is done, and so is the activity's contact coordinator."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale, lazy_gettext as _l
from sqlalchemy import exists, select

from app.accounts.models import Role as AccountRole
from app.accounts.models import User, coordinator_offices
from app.activities import events
from app.activities.models import (ACTIVE, Activity, Handover, HandoverState, Role, Signup, SignupState, Slot)
from app.activities.signup import SignupError, _existing, _lock, _overlap, unmet_requirements
from app.activities.texts import when_text
from app.core import audit
from app.core.permissions import can_act_in_office
from app.core.timeutil import utcnow
from app.core.tokens import make_token, open_link
from app.core.urls import external_url
from app.extensions import db
from app.mail.services import queue_mail_to_user
from app.people.models import ConsentPurpose, VolunteerConsent, VolunteerProfile, VolunteerStatus, volunteer_offices

PURPOSE = "activity-handover"
OPEN_STATES = (HandoverState.OPEN, HandoverState.PENDING)


def _max_age() -> int:
    return 60 * 24 * 3600  # the date's start ends it anyway; the state is the authority


def _context(h: Handover, user: User) -> dict:
    slot = h.slot
    activity = slot.role.activity
    with force_locale(user.locale or "de"):
        when = when_text(slot.starts_at, slot.ends_at)
    return {"title": activity.title, "role": slot.role.name, "when": when, "place": activity.place_text(),
            "from_name": h.from_user.name if h.from_user else "", "note": h.note,
            "office": activity.office.name, "link": external_url("activities.detail", activity_id=activity.id)}


def _mail(kind: str, h: Handover, user: User, **extra) -> None:
    queue_mail_to_user(kind, user, {**_context(h, user), **extra}, office_id=h.slot.role.activity.office_id)


def _coordinators(activity: Activity) -> list[User]:
    if activity.contact is not None and activity.contact.deleted_at is None:
        return [activity.contact]
    return list(db.session.scalars(select(User).join(coordinator_offices, coordinator_offices.c.user_id == User.id)
                                   .where(coordinator_offices.c.office_id == activity.office_id, User.active.is_(True))))


def candidates(slot: Slot, role: Role, activity: Activity, exclude: set[int], limit: int) -> list[User]:
    """Who hears of an open hand-over: everyone waiting on the slot first, then volunteers of the
    office who agreed to be contacted, are introduced or active, meet the role's requirements and
    are free at that time — capped, so not everyone gets a mail."""
    waiting = list(db.session.scalars(
        select(User).join(Signup, Signup.user_id == User.id)
        .where(Signup.slot_id == slot.id, Signup.state == SignupState.WAITING).order_by(Signup.queue_no)))
    out = [u for u in waiting if u.id not in exclude][:limit]
    seen = exclude | {u.id for u in out}
    if len(out) >= limit:
        return out
    on_slot = select(Signup.id).where(Signup.slot_id == slot.id, Signup.user_id == User.id, Signup.state.in_(ACTIVE))
    busy = (select(Signup.id).join(Slot, Slot.id == Signup.slot_id)
            .where(Signup.user_id == User.id, Signup.state.in_(ACTIVE), Slot.starts_at < slot.ends_at,
                   Slot.ends_at > slot.starts_at))
    pool = db.session.scalars(
        select(User).join(VolunteerProfile, VolunteerProfile.user_id == User.id)
        .join(volunteer_offices, volunteer_offices.c.user_id == User.id)
        .join(VolunteerConsent, (VolunteerConsent.user_id == User.id)
              & (VolunteerConsent.purpose == ConsentPurpose.CONTACT) & VolunteerConsent.given.is_(True))
        .where(volunteer_offices.c.office_id == activity.office_id, User.active.is_(True), User.deleted_at.is_(None),
               User.confirmed_at.is_not(None), User.role == AccountRole.VOLUNTEER,
               VolunteerProfile.status.in_((VolunteerStatus.ACTIVE, VolunteerStatus.INTRODUCED)),
               ~exists(on_slot), ~exists(busy), User.id.not_in(seen) if seen else True)
        .order_by(VolunteerProfile.status_changed_at).limit(limit * 3)).all()
    for u in pool:
        if len(out) >= limit:
            break
        if not unmet_requirements(u, role):
            out.append(u)
    return out


def offer(user, signup_id: int, *, to_user_id: int | None = None, note: str = "",
          now: datetime | None = None) -> Handover:
    """Offer one's own place: to a named colleague (by id), or openly."""
    now = now or utcnow()
    note = " ".join((note or "").split())[:300]
    try:
        signup = db.session.get(Signup, signup_id)
        if signup is None or user is None or signup.user_id != user.id:
            raise SignupError("not_found", _l("This sign-up does not exist."))
        slot, role, date, activity = _lock(signup.slot_id)
        db.session.refresh(signup)
        if signup.state != SignupState.CONFIRMED:
            raise SignupError("not_confirmed", _l("Only a place you have can be handed over."))
        if slot.starts_at <= now or date.cancelled_at is not None:
            raise SignupError("started", _l("This date has already begun or is cancelled."))
        if db.session.scalar(select(Handover.id).where(Handover.open_signup_id == signup.id)):
            raise SignupError("already", _l("You have already offered this place. You can take the offer back."))
        colleague = None
        if to_user_id is not None:
            colleague = db.session.get(User, to_user_id)
            if (colleague is None or colleague.deleted_at is not None or colleague.role != AccountRole.VOLUNTEER
                    or colleague.id == user.id or not colleague.active):
                raise SignupError("unknown_person", _l("Please choose a volunteer."), field="to_user")
            theirs = _existing(slot.id, colleague.id)
            if theirs is not None and theirs.state in (SignupState.CONFIRMED, SignupState.OFFERED):
                raise SignupError("already_there", _l("%(name)s already has a place on this date.",
                                                      name=colleague.name), field="to_user")
        h = Handover(signup_id=signup.id, slot_id=slot.id, from_user_id=user.id,
                     to_user_id=colleague.id if colleague else None, open_signup_id=signup.id, note=note,
                     state=HandoverState.OPEN, created_at=now)
        db.session.add(h)
        db.session.flush()
        limit = int(current_app.config.get("HANDOVER_FANOUT", 15))
        for person in ([colleague] if colleague else candidates(slot, role, activity, {user.id}, limit)):
            _mail("activity_handover_offered", h, person,
                  accept_link=external_url("activities.handover", token=make_token(PURPOSE, h=h.id, u=person.id)))
        db.session.commit()
        return h
    except Exception:
        db.session.rollback()
        raise


TAKEN = _l("Someone else has already taken over this place — thank you all the same!")


def _handover_of(payload: dict[str, Any]) -> tuple[Handover, User] | None:
    """The hand-over a link names and the person it was sent to (not deleted since)."""
    h = db.session.get(Handover, int(payload.get("h", 0) or 0))
    person = db.session.get(User, int(payload.get("u", 0) or 0))
    if h is None or person is None or person.deleted_at is not None:
        return None
    return h, person


def _active_handover_of(payload: dict[str, Any]) -> tuple[Handover, User] | None:
    """As `_handover_of`, and the person's account is active: only they can take the place over."""
    found = _handover_of(payload)
    return found if found is None or found[1].active else None


def read(token: str) -> tuple[Handover, User]:
    """The hand-over and the person a link was sent to, for the page that asks; spends nothing."""
    h, person = open_link(PURPOSE, token, _max_age(), _handover_of, SignupError, spend=False)
    if h.state != HandoverState.OPEN:
        raise SignupError("taken", TAKEN)
    return h, person


def _transfer(h: Handover, slot: Slot, person: User, now: datetime) -> Signup:
    """The place moves: the original's sign-up ends as handed over, the new person's is
    confirmed (their own row on the slot is reused, e.g. from the waiting list)."""
    original = db.session.get(Signup, h.signup_id, populate_existing=True)
    original.state, original.ended_at = SignupState.HANDED_OVER, now
    theirs = _existing(slot.id, person.id)
    if theirs is None:
        theirs = Signup(slot_id=slot.id, user_id=person.id)
        db.session.add(theirs)
    theirs.state, theirs.queue_no, theirs.confirmed_at = SignupState.CONFIRMED, None, now
    theirs.offer_expires_at = theirs.ended_at = None
    theirs.over_capacity = original.over_capacity
    theirs.added_by_id = None
    h.state, h.open_signup_id = HandoverState.DONE, None
    db.session.flush()
    return theirs


def accept(token: str, now: datetime | None = None) -> Handover:
    """Take over the place. The first acceptance wins; a second finds it taken."""
    now = now or utcnow()
    try:
        h, person = open_link(PURPOSE, token, _max_age(), _active_handover_of, SignupError, spend=True)
        slot, role, date, activity = _lock(h.slot_id)
        db.session.refresh(h)
        original = db.session.get(Signup, h.signup_id, populate_existing=True)
        if h.state != HandoverState.OPEN or original is None or original.state != SignupState.CONFIRMED:
            raise SignupError("taken", TAKEN)
        if slot.starts_at <= now or date.cancelled_at is not None:
            raise SignupError("started", _l("This date has already begun or is cancelled."))
        theirs = _existing(slot.id, person.id)
        if theirs is not None and theirs.state in (SignupState.CONFIRMED, SignupState.OFFERED):
            raise SignupError("already_there", _l("You already have a place on this date."))
        other = _overlap(person.id, slot)
        if other is not None and other.slot_id != slot.id:
            raise SignupError("overlap", _l("At that time you are already signed up for “%(title)s”.",
                                            title=other.slot.role.activity.title))
        h.taken_by_id, h.taken_at = person.id, now
        if role.handover_needs_approval:
            h.state = HandoverState.PENDING
            for c in _coordinators(activity):
                _mail("activity_handover_approval", h, c, taker=person.name,
                      manage_link=external_url("activities.handover_review", handover_id=h.id))
        else:
            _transfer(h, slot, person, now)
            _told_done(h, person)
        events.changed(activity.id)
        db.session.commit()
        return h
    except Exception:
        db.session.rollback()
        raise


def _told_done(h: Handover, person: User) -> None:
    from app.activities import notifications

    if h.from_user is not None and h.from_user.deleted_at is None:
        _mail("activity_handover_done", h, h.from_user, taker=person.name)
    new = _existing(h.slot_id, person.id)
    notifications.signed_up(person, [new])
    for c in _coordinators(h.slot.role.activity):
        _mail("activity_handover_done", h, c, taker=person.name)


def decide(actor, handover_id: int, approve: bool, now: datetime | None = None) -> Handover:
    """A coordinator approves or refuses a hand-over that waits for approval."""
    now = now or utcnow()
    try:
        h = db.session.get(Handover, handover_id)
        if h is None:
            raise SignupError("not_found", _l("This hand-over does not exist."))
        slot, role, date, activity = _lock(h.slot_id)
        if not can_act_in_office(actor, activity.office_id):
            raise SignupError("not_found", _l("This hand-over does not exist."))
        db.session.refresh(h)
        if h.state != HandoverState.PENDING:
            raise SignupError("not_pending", _l("This hand-over is not waiting for a decision."))
        person = db.session.get(User, h.taken_by_id) if h.taken_by_id else None
        original = db.session.get(Signup, h.signup_id, populate_existing=True)
        h.decided_by_id, h.decided_at = actor.id, now
        if approve and person is not None and original.state == SignupState.CONFIRMED and slot.starts_at > now:
            _transfer(h, slot, person, now)
            _told_done(h, person)
            audit.record(actor, "handover.approved", h, office_id=activity.office_id, activity=activity.id,
                         slot=slot.id, user=person.id)
        else:
            h.state, h.open_signup_id = HandoverState.REFUSED, None
            if person is not None:
                _mail("activity_handover_refused", h, person)
            audit.record(actor, "handover.refused", h, office_id=activity.office_id, activity=activity.id,
                         slot=slot.id)
        events.changed(activity.id)
        db.session.commit()
        return h
    except Exception:
        db.session.rollback()
        raise


def withdraw(user, handover_id: int) -> Handover:
    """The volunteer takes the offer back (they can come after all)."""
    try:
        h = db.session.get(Handover, handover_id)
        if h is None or user is None or h.from_user_id != user.id:
            raise SignupError("not_found", _l("This hand-over does not exist."))
        _lock(h.slot_id)
        db.session.refresh(h)
        if h.state not in OPEN_STATES:
            raise SignupError("not_open", _l("This place has already been handed over."))
        h.state, h.open_signup_id = HandoverState.WITHDRAWN, None
        db.session.commit()
        return h
    except Exception:
        db.session.rollback()
        raise


def expire(now: datetime | None = None) -> int:
    """Hand-overs still open when their date begins end (the place stayed the original's)."""
    from sqlalchemy import update

    now = now or utcnow()
    result = db.session.execute(
        update(Handover).where(Handover.state.in_(OPEN_STATES),
                               Handover.slot_id.in_(select(Slot.id).where(Slot.starts_at <= now)))
        .values(state=HandoverState.EXPIRED, open_signup_id=None))
    db.session.commit()
    return result.rowcount or 0
