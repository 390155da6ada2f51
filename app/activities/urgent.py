"""Urgent calls: a role of an activity is short a few days before its date, and a coordinator of
the activity's office asks the best-fitting N free volunteers only — not everyone.

Who can be asked (hard conditions, all in SQL): contactable volunteers
(`app.people.services.contactable_volunteers`: confirmed, active, contact consent given — a
withdrawal counts from its commit), status active (as for matching proposals), working with the
activity's office, meeting the role's requirements (language at its level, skill), free at that
time (their weekly grid overlaps the shift; not on an overlapping date), not on this slot already,
not asked for it before, and under the weekly cap of proposals and urgent calls together
(`MATCHING_WEEKLY_CAP`, default 3: the urgent invites of the last 7 days and what other areas
register — matching's proposals, app.matching.caps). They are ranked like "For me"
(`app.activities.forme.score`), fewer recent calls first on a tie. Whoever answers "yes" is
checked again under the slot's lock (consent, status, office, requirements): a withdrawal between
the mail and the answer counts.

Each invite mails a signed, single-use link (purpose `activity-urgent`). Its page (no log-in)
shows the shift; the button takes the place under the slot's lock (`signup._lock`), so capacity
holds however many answer at once. When the places wanted are filled — or the role is full — the
call ends and the other links say the place is taken."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, literal, select, union_all
from sqlalchemy.orm import joinedload

from app.accounts.models import User
from app.activities import events, notifications
from app.activities.forme import Profile, score
from app.activities.models import (ACTIVE, HOLDING, Activity, ActivityDate, ActivityState, Role, Signup,
                                   SignupState, Slot, UrgentCall, UrgentInvite, UrgentOutcome)
from app.activities.series import utc_to_local
from app.activities.signup import SignupError, _existing, _lock, _overlap, _place, _tally
from app.activities.texts import when_text
from app.core import audit
from app.core.permissions import can_act_in_office
from app.core.timeutil import utcnow
from app.core.tokens import make_token, open_link
from app.core.urls import external_url
from app.extensions import db
from app.mail.services import queue_mail_to_user
from app.people.models import (LanguageLevel, VolunteerLanguage, VolunteerProfile, VolunteerStatus, slot_bit,
                               volunteer_offices, volunteer_skills)
from app.people.services import contactable_volunteers

PURPOSE = "activity-urgent"
MAX_INVITES = 30  # at most this many people per call
DEFAULT_INVITES = 5
POOL_LIMIT = 20000  # candidates scored in Python at most (after the SQL conditions): all of an office's
LINK_DAYS = 14  # a link lives at most this long (spent ids are kept 30 days); the date ends it anyway


def weekly_cap() -> int:
    return int(current_app.config.get("MATCHING_WEEKLY_CAP", 3))


@dataclass
class Candidate:
    user_id: int
    name: str
    email: str
    score: int
    reasons: list[str] = field(default_factory=list)
    recent: int = 0  # urgent invites in the last 7 days


# ---------------------------------------------------------------- ranking
def shift_mask(slot: Slot) -> int:
    """The bits of the weekly grid (weekday × morning/afternoon/evening) the shift touches."""
    from app.activities.forme import day_part

    start, end = utc_to_local(slot.starts_at), utc_to_local(slot.ends_at)
    mask, t = 0, start
    while t < end or t == start:
        mask |= slot_bit(t.weekday(), day_part(t))
        nxt = t.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        if nxt >= end:
            break
        t = nxt
    return mask


# Other areas' contacts that count against the same weekly cap (matching's proposals):
# fn(user_id_column, since) -> a correlated scalar SQL count. Registered at import time by the
# area that owns them (activities knows no later area).
WEEKLY_CONTACT_COUNTS: list = []


def register_weekly_contacts(fn):
    if fn not in WEEKLY_CONTACT_COUNTS:
        WEEKLY_CONTACT_COUNTS.append(fn)
    return fn


def recent_invites(user_id_column, now: datetime):
    """SQL: this person's urgent invites of the last 7 days plus what other areas registered
    (matching's proposals) — what the weekly cap counts."""
    since = now - timedelta(days=7)
    total = (select(func.count(UrgentInvite.id)).where(UrgentInvite.user_id == user_id_column,
                                                       UrgentInvite.sent_at > since)
             .correlate_except(UrgentInvite).scalar_subquery())
    for fn in WEEKLY_CONTACT_COUNTS:
        total = total + fn(user_id_column, since)
    return total


def _fits(stmt, role: Role, activity: Activity):
    """The conditions of the person themselves: consent (in `stmt`), status, office, requirements."""
    stmt = (stmt.join(VolunteerProfile, VolunteerProfile.user_id == User.id)
            .join(volunteer_offices, and_(volunteer_offices.c.user_id == User.id,
                                          volunteer_offices.c.office_id == activity.office_id))
            .where(VolunteerProfile.status == VolunteerStatus.ACTIVE))
    if role.required_language:
        stmt = stmt.where(exists().where(
            VolunteerLanguage.user_id == User.id, VolunteerLanguage.code == role.required_language,
            VolunteerLanguage.level >= int(role.required_level or LanguageLevel.BASIC)))
    if role.required_skill_id:
        stmt = stmt.where(exists().where(volunteer_skills.c.user_id == User.id,
                                         volunteer_skills.c.item_id == role.required_skill_id))
    return stmt


def still_fits(user_id: int, role: Role, activity: Activity) -> bool:
    """At the answer: the person may still be asked (consent not withdrawn, still active, still
    with the office, still meeting the role's requirements)."""
    return db.session.scalar(_fits(contactable_volunteers(), role, activity).where(User.id == user_id)
                             .limit(1)) is not None


def _eligible(slot: Slot, role: Role, activity: Activity, now: datetime):
    """SELECT (user_id, email, name, locale, recent invites) of everyone who may be asked."""
    on_slot = exists().where(Signup.slot_id == slot.id, Signup.user_id == User.id, Signup.state.in_(ACTIVE))
    other = db.aliased(Slot)
    busy = (exists().where(Signup.user_id == User.id, Signup.state.in_(ACTIVE), Signup.slot_id == other.id,
                           other.id != slot.id, other.starts_at < slot.ends_at, other.ends_at > slot.starts_at,
                           other.date_id == ActivityDate.id, ActivityDate.cancelled_at.is_(None)))
    asked = exists().where(UrgentInvite.user_id == User.id, UrgentInvite.call_id == UrgentCall.id,
                           UrgentCall.slot_id == slot.id)
    recent = recent_invites(User.id, now)
    stmt = (_fits(contactable_volunteers().add_columns(recent.label("recent")), role, activity)
            .where(VolunteerProfile.availability.op("&")(shift_mask(slot)) != 0,
                   ~on_slot, ~busy, ~asked, recent < weekly_cap()))
    return stmt.order_by(recent, User.id).limit(POOL_LIMIT)


def _profiles(user_ids: list[int]) -> dict[int, Profile]:
    """forme's Profile of many people in two statements (rows; languages, skills, offices)."""
    if not user_ids:
        return {}
    out = {uid: Profile(district, availability or 0, wanted or 0) for uid, district, availability, wanted in
           db.session.execute(select(VolunteerProfile.user_id, VolunteerProfile.district_id,
                                     VolunteerProfile.availability, VolunteerProfile.wanted_kinds)
                              .where(VolunteerProfile.user_id.in_(user_ids)))}
    parts = union_all(
        select(literal("l"), VolunteerLanguage.user_id, VolunteerLanguage.code, VolunteerLanguage.level)
        .where(VolunteerLanguage.user_id.in_(user_ids)),
        select(literal("s"), volunteer_skills.c.user_id, literal(""), volunteer_skills.c.item_id)
        .where(volunteer_skills.c.user_id.in_(user_ids)),
        select(literal("o"), volunteer_offices.c.user_id, literal(""), volunteer_offices.c.office_id)
        .where(volunteer_offices.c.user_id.in_(user_ids)))
    for kind, uid, code, value in db.session.execute(parts):
        profile = out.get(uid)
        if profile is None:
            continue
        if kind == "l":
            profile.languages[code] = int(value)
        elif kind == "s":
            profile.skills.add(int(value))
        else:
            profile.offices.add(int(value))
    return out


def _load_slot(slot_id: int) -> tuple[Slot, Role, ActivityDate, Activity] | None:
    row = db.session.execute(
        select(Slot, Role, ActivityDate, Activity).join(Role, Role.id == Slot.role_id)
        .join(ActivityDate, ActivityDate.id == Slot.date_id).join(Activity, Activity.id == Slot.activity_id)
        .where(Slot.id == slot_id)
        .options(joinedload(Activity.office), joinedload(Activity.satellite), joinedload(Role.required_skill))).first()
    return None if row is None else (row[0], row[1], row[2], row[3])


def rank_for_slot(slot_id: int, limit: int = DEFAULT_INVITES, now: datetime | None = None) -> list[Candidate]:
    """The best-fitting free volunteers for this slot, best first, at most `limit`: the hard
    conditions in SQL (see the module), scored like "For me", fewer recent calls first on a tie."""
    from app.activities.forme import _languages, place_activity, place_role, place_slot

    now = now or utcnow()
    loaded = _load_slot(slot_id)
    if loaded is None or limit <= 0:
        return []
    slot, role, date, activity = loaded
    rows = db.session.execute(_eligible(slot, role, activity, now)).all()
    profiles = _profiles([r[0] for r in rows])
    languages = _languages({activity.id}).get(activity.id, [])
    # as "For me" scores them (app.activities.forme): plain values of the role, activity and slot
    plain_role, plain_activity, plain_slot = place_role(role), place_activity(activity, languages), place_slot(slot, 1)
    out = []
    for uid, email, name, _locale, recent in rows:
        profile = profiles.get(uid)
        if profile is None:
            continue
        points, reasons = score(profile, plain_role, plain_activity, [plain_slot], languages, 1)
        out.append(Candidate(uid, name, email, points, reasons, int(recent or 0)))
    out.sort(key=lambda c: (-c.score, c.recent, c.user_id))
    return out[:limit]


# ---------------------------------------------------------------- the coordinator
def open_call(slot_id: int) -> UrgentCall | None:
    return db.session.scalar(select(UrgentCall).where(UrgentCall.slot_id == slot_id, UrgentCall.ended_at.is_(None))
                             .order_by(UrgentCall.id.desc()).limit(1))


def calls_for_slot(slot_id: int) -> list[UrgentCall]:
    """The slot's calls, newest first, with their invites and the people (two statements)."""
    from sqlalchemy.orm import selectinload

    return list(db.session.scalars(select(UrgentCall).where(UrgentCall.slot_id == slot_id)
                                   .options(selectinload(UrgentCall.invites).joinedload(UrgentInvite.user))
                                   .order_by(UrgentCall.id.desc())))


def _staff_slot(actor, slot_id: int):
    slot, role, date, activity = _lock(slot_id)
    if actor is None or not can_act_in_office(actor, activity.office_id):
        raise SignupError("not_found", _l("This date does not exist (any more)."))
    return slot, role, date, activity


def _closed_problem(slot: Slot, role: Role, date: ActivityDate, activity: Activity, now: datetime) -> str | None:
    if activity.state != ActivityState.PUBLISHED or activity.cancelled_at is not None:
        return str(_l("This activity is not open for sign-up."))
    if date.cancelled_at is not None:
        return str(_l("This date is cancelled."))
    if slot.starts_at <= now:
        return str(_l("This date has already begun."))
    if role.for_partners:
        return str(_l("These places are for delegates of partner organisations."))
    return None


def _context(call: UrgentCall, slot: Slot, role: Role, activity: Activity, user: User) -> dict:
    with force_locale(user.locale or "de"):
        when = when_text(slot.starts_at, slot.ends_at)
    return {"title": activity.title, "role": role.name, "when": when, "place": activity.place_text(),
            "office": activity.office.name, "office_email": activity.office.email or "",
            "link": external_url("activities.detail", activity_id=activity.id),
            "consents_link": external_url("people.consents")}


def send_call(actor, slot_id: int, places: int, invite_count: int, now: datetime | None = None) -> UrgentCall:
    """Start an urgent call: `places` wanted (at most the free ones), mailed to the best-fitting
    `invite_count` free volunteers. One open call per slot at a time."""
    now = now or utcnow()
    try:
        slot, role, date, activity = _staff_slot(actor, slot_id)
        problem = _closed_problem(slot, role, date, activity, now)
        if problem:
            raise SignupError("closed", problem)
        holding, _waiting, _top = _tally(slot.id)
        free = role.capacity - holding
        if free <= 0:
            raise SignupError("full", _l("All places are taken: nothing to call for."))
        if not 1 <= places <= free:
            raise SignupError("places", _l("Please enter a number from 1 to %(n)d (the free places).", n=free),
                              field="places")
        if not 1 <= invite_count <= MAX_INVITES:
            raise SignupError("invites", _l("Please enter a number from 1 to %(n)d.", n=MAX_INVITES),
                              field="invites")
        if open_call(slot.id) is not None:
            raise SignupError("already", _l("An urgent call for this date is still open. End it first."))
        chosen = rank_for_slot(slot.id, invite_count, now)
        if chosen:
            # The weekly cap again, with the chosen people's rows locked (in id order, as
            # matching's proposals lock them): two requests at once can't both take a last turn.
            ids = [c.user_id for c in chosen]
            db.session.execute(select(User.id).where(User.id.in_(ids)).order_by(User.id).with_for_update())
            under = set(db.session.scalars(select(User.id).where(User.id.in_(ids),
                                                                 recent_invites(User.id, now) < weekly_cap())))
            chosen = [c for c in chosen if c.user_id in under]
        if not chosen:
            raise SignupError("nobody", _l("Nobody who fits is free at that time (or they were asked too often "
                                           "this week)."))
        call = UrgentCall(slot_id=slot.id, places=places, created_by_id=actor.id, created_at=now)
        db.session.add(call)
        db.session.flush()
        people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_([c.user_id for c in chosen])))}
        for c in chosen:
            invite = UrgentInvite(call_id=call.id, user_id=c.user_id, sent_at=now, score=min(c.score, 32000))
            db.session.add(invite)
            db.session.flush()
            person = people[c.user_id]
            link = external_url("activities.urgent", token=make_token(PURPOSE, i=invite.id, u=person.id))
            queue_mail_to_user("activity_urgent_call", person,
                               {**_context(call, slot, role, activity, person), "accept_link": link},
                               office_id=activity.office_id)
        audit.record(actor, "urgent.sent", call, office_id=activity.office_id, activity=activity.id, slot=slot.id,
                     places=places, invited=len(chosen))
        db.session.commit()
        return call
    except Exception:
        db.session.rollback()
        raise


def end_call(actor, call_id: int, now: datetime | None = None) -> UrgentCall:
    """The coordinator ends an open call (e.g. found someone by phone); the links then say so."""
    now = now or utcnow()
    try:
        call = db.session.get(UrgentCall, call_id)
        if call is None:
            raise SignupError("not_found", _l("This urgent call does not exist."))
        slot, role, date, activity = _staff_slot(actor, call.slot_id)
        db.session.refresh(call)
        if call.ended_at is None:
            call.ended_at = now
            audit.record(actor, "urgent.ended", call, office_id=activity.office_id, activity=activity.id,
                         slot=slot.id)
        db.session.commit()
        return call
    except Exception:
        db.session.rollback()
        raise


# ---------------------------------------------------------------- the person asked
TAKEN = _l("The place has already been taken — thank you all the same! Nothing else to do.")
ANSWERED = _l("You have answered this call already. Thank you!")


def _invite_of(payload: dict[str, Any]) -> tuple[UrgentInvite, User] | None:
    """The invite a link names and its person (not deleted, active)."""
    invite = db.session.get(UrgentInvite, int(payload.get("i", 0) or 0))
    person = db.session.get(User, int(payload.get("u", 0) or 0))
    if (invite is None or person is None or invite.user_id != person.id or person.deleted_at is not None
            or not person.active):
        return None
    return invite, person


def _open(token: str, spend: bool) -> tuple[UrgentInvite, User]:
    return open_link(PURPOSE, token, LINK_DAYS * 86400, _invite_of, SignupError, spend=spend)


def read(token: str, now: datetime | None = None) -> tuple[UrgentInvite, User]:
    """The invite a link is for, for the page that asks "take the place?"; spends nothing. A
    filled or ended call answers "taken" (a clear page, not an error)."""
    now = now or utcnow()
    invite, person = _open(token, spend=False)
    if invite.outcome is not None:
        raise SignupError("answered", ANSWERED)
    call = invite.call
    if call.ended_at is not None or call.slot.starts_at <= now:
        raise SignupError("taken", TAKEN)
    return invite, person


def _accepted(call_id: int) -> int:
    return db.session.scalar(select(func.count(UrgentInvite.id)).where(
        UrgentInvite.call_id == call_id, UrgentInvite.outcome == UrgentOutcome.ACCEPTED)) or 0


def accept(token: str, now: datetime | None = None) -> Signup:
    """Take the place. Under the slot's lock: the first ones win, as many as places are wanted
    and free; then the call ends and every later answer finds it taken."""
    now = now or utcnow()
    try:
        invite, person = _open(token, spend=True)
        call = invite.call
        slot, role, date, activity = _lock(call.slot_id)
        db.session.refresh(call)
        db.session.refresh(invite)
        if invite.outcome is not None:
            raise SignupError("answered", ANSWERED)
        holding, waiting, _top = _tally(slot.id)
        if call.ended_at is not None or slot.starts_at <= now or holding >= role.capacity:
            invite.outcome, invite.answered_at = UrgentOutcome.TOO_LATE, now
            if call.ended_at is None:
                call.ended_at = now  # full: nothing left to call for
            db.session.commit()
            raise SignupError("taken", TAKEN)
        problem = _closed_problem(slot, role, date, activity, now)
        if problem:
            raise SignupError("closed", problem)
        if not still_fits(person.id, role, activity):
            invite.outcome, invite.answered_at = UrgentOutcome.TOO_LATE, now
            db.session.commit()
            raise SignupError("no_longer", _l("This call is no longer open for you: your profile or your "
                                              "consents changed since we asked. Thank you all the same!"))
        existing = _existing(slot.id, person.id)
        if existing is not None and existing.state in HOLDING:
            raise SignupError("already_there", _l("You already have a place on this date."))
        other = _overlap(person.id, slot)
        if other is not None:
            raise SignupError("overlap", _l("At that time you are already signed up for “%(title)s”.",
                                            title=other.slot.role.activity.title))
        # Someone on the waiting list keeps their turn only for places offered to them (held,
        # counted in `holding`); a free place left is what the call is for.
        signup = _place(existing, slot_id=slot.id, user_id=person.id, state=SignupState.CONFIRMED, queue_no=None,
                        now=now)
        invite.outcome, invite.answered_at = UrgentOutcome.ACCEPTED, now
        db.session.flush()
        if _accepted(call.id) >= call.places or holding + 1 >= role.capacity:
            call.ended_at = now
        audit.record(person, "urgent.accepted", call, office_id=activity.office_id, activity=activity.id,
                     slot=slot.id, user=person.id)
        notifications.signed_up(person, [signup])
        events.changed(activity.id)
        db.session.commit()
        return signup
    except Exception:
        db.session.rollback()
        raise


def decline(token: str, now: datetime | None = None) -> UrgentInvite:
    """"I can't come": spends the link and tells the coordinator's status page."""
    now = now or utcnow()
    try:
        invite, _person = _open(token, spend=True)
        if invite.outcome is None:
            invite.outcome, invite.answered_at = UrgentOutcome.DECLINED, now
        db.session.commit()
        return invite
    except Exception:
        db.session.rollback()
        raise


def end_started(now: datetime | None = None) -> int:
    """Calls still open when their date begins end (a periodic job)."""
    from sqlalchemy import update

    now = now or utcnow()
    result = db.session.execute(update(UrgentCall).where(
        UrgentCall.ended_at.is_(None), UrgentCall.slot_id.in_(select(Slot.id).where(Slot.starts_at <= now)))
        .values(ended_at=now))
    db.session.commit()
    return result.rowcount or 0


_STATUS_STMT = None


def status_by_slot(slot_ids) -> dict[int, tuple[UrgentCall, int, int]]:
    """For the roster: each slot's newest call with (asked, accepted), in one statement (built
    once per process, the ids bound per call)."""
    global _STATUS_STMT
    ids = list(slot_ids)
    if not ids:
        return {}
    if _STATUS_STMT is None:
        from sqlalchemy import bindparam

        newest = (select(func.max(UrgentCall.id)).where(UrgentCall.slot_id.in_(bindparam("ids", expanding=True)))
                  .group_by(UrgentCall.slot_id))
        _STATUS_STMT = (
            select(UrgentCall, func.count(UrgentInvite.id),
                   func.count(UrgentInvite.id).filter(UrgentInvite.outcome == UrgentOutcome.ACCEPTED))
            .outerjoin(UrgentInvite, UrgentInvite.call_id == UrgentCall.id)
            .where(UrgentCall.id.in_(newest)).group_by(UrgentCall.id))
    rows = db.session.execute(_STATUS_STMT, {"ids": ids}).all()
    out: dict[int, tuple[UrgentCall, int, int]] = defaultdict(tuple)  # type: ignore[arg-type]
    for call, asked, accepted in rows:
        out[call.slot_id] = (call, asked, accepted)
    return dict(out)
