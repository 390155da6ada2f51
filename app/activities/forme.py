""""For me": open places that fit a volunteer's profile, best first, each with its reasons in plain
words ("You speak German · in your district · Tuesday evening fits").

The candidates are a bounded set (open slots of published activities in the next
`HORIZON_DAYS`, at most `MAX_SLOTS`) and the same for every volunteer: they are loaded once per
version of the activities (app.activities.cache: every change of an activity, its dates, roles
or sign-ups moves it on) in four statements — the slots; their roles; their activities with
place; the counts (`signup.counts`) and languages — as plain values, and kept like the public
pages (at most ACTIVITY_CACHE_SECONDS: what the clock changes — a date begun, a deadline passed
— is checked again on every request). Per request: the profile and the person's own sign-ups
(two statements), then scoring in Python over the set, grouped per role (a weekly course is one
entry with its next open dates, not twelve), with the reasons worded only for the page shown.
A role whose requirements the person doesn't meet is shown at the end, with the reason.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime, timedelta

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, Integer, bindparam, literal, or_, select, union_all
from sqlalchemy.orm import joinedload

from app.activities.models import (ACTIVE, Activity, ActivityDate, ActivityState, ActivityType, Role, Signup, Slot,
                                   activity_languages)
from app.activities.series import utc_to_local
from app.core.timeutil import utcnow
from app.extensions import db
from app.people.models import (DAY_PART_LABELS, DAY_PARTS, LanguageLevel, VolunteerLanguage, VolunteerProfile,
                               slot_bit, volunteer_offices, volunteer_skills)

HORIZON_DAYS = 120
MAX_SLOTS = 400
# The shared set holds this many more, so that a person's own sign-ups (left out per request)
# don't make their list shorter than MAX_SLOTS.
OWN_MARGIN = 100
DATES_SHOWN = 3
PER_PAGE = 15

# Weights: what counts most for a volunteer deciding whether to go.
W_LANGUAGE, W_DISTRICT, W_OFFICE, W_TIME, W_KIND, W_FREE = 3, 3, 2, 2, 2, 1


@dataclass
class Profile:
    district_id: int | None
    availability: int
    wanted_kinds: int
    languages: dict[str, int] = field(default_factory=dict)  # code -> level
    skills: set[int] = field(default_factory=set)
    offices: set[int] = field(default_factory=set)

    @property
    def is_empty(self) -> bool:
        return not (self.district_id or self.availability or self.wanted_kinds or self.languages or self.offices)


@dataclass(frozen=True, slots=True)
class PlaceActivity:
    """What the page and the scoring need of an activity (a plain value, kept across requests)."""
    id: int
    title: str
    kind: ActivityType
    state: ActivityState
    office_id: int
    office_name: str
    district_id: int | None
    place: str
    languages: tuple[str, ...]

    def place_text(self) -> str:
        return self.place


@dataclass(frozen=True, slots=True)
class PlaceRole:
    """What the page, the rules (`signup.open_problem`) and the scoring need of a role."""
    id: int
    name: str
    for_partners: bool
    signup_opens_at: datetime | None
    signup_closes_at: datetime | None
    deadline_hours: int
    required_language: str | None
    required_level: int | None
    required_skill_id: int | None
    required_skill_labels: tuple[str, str] | None  # (German, English)


@dataclass(frozen=True, slots=True)
class PlaceSlot:
    """A role on a date; also stands for its date in `signup.open_problem` (never cancelled here)."""
    id: int
    role_id: int
    activity_id: int
    starts_at: datetime
    ends_at: datetime
    time_bit: int  # its start's weekday × part of day, as in the profile's availability
    free: int
    cancelled_at: None = None


@dataclass(frozen=True, slots=True)
class _Shared:
    slots: tuple[PlaceSlot, ...]
    roles: dict[int, PlaceRole]
    activities: dict[int, PlaceActivity]


@dataclass
class Entry:
    role: PlaceRole
    activity: PlaceActivity
    slots: list[PlaceSlot]  # open dates, soonest first (all of them; the page shows a few)
    free: int  # free places on the first date
    score: int
    reasons: list[str]
    unmet: list[str]
    note: str | None = None  # e.g. "sign-up opens on …"

    @property
    def first(self) -> PlaceSlot:
        return self.slots[0]

    @property
    def shown_slots(self) -> list[PlaceSlot]:
        return self.slots[:DATES_SHOWN]

    @property
    def more(self) -> int:
        return max(len(self.slots) - DATES_SHOWN, 0)


@dataclass
class Result:
    profile: Profile | None
    entries: list[Entry]  # this page
    total: int
    page: int
    pages: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@lru_cache(maxsize=1)
def _profile_stmts():
    """The profile's two statements, built once (bind parameters `user_id` and `now`)."""
    uid = bindparam("user_id", type_=Integer)
    row = select(VolunteerProfile.district_id, VolunteerProfile.availability,
                 VolunteerProfile.wanted_kinds).where(VolunteerProfile.user_id == uid)
    parts = [
        select(literal("l"), VolunteerLanguage.code, VolunteerLanguage.level).where(VolunteerLanguage.user_id == uid),
        select(literal("s"), literal(""), volunteer_skills.c.item_id).where(volunteer_skills.c.user_id == uid),
        select(literal("o"), literal(""), volunteer_offices.c.office_id).where(volunteer_offices.c.user_id == uid),
        select(literal("m"), literal(""), Signup.slot_id).join(Slot, Slot.id == Signup.slot_id)
        .where(Signup.user_id == uid, Signup.state.in_(ACTIVE), Slot.starts_at > bindparam("now", type_=DateTime))]
    return row, union_all(*parts)


def load_profile(user_id: int, now: datetime) -> tuple[Profile, set[int]] | None:
    """The parts of the profile that matter here and the ids of the person's own slots after
    `now` (sign-ups that hold or wait for a place), in two statements; None without a profile."""
    row_stmt, parts = _profile_stmts()
    row = db.session.execute(row_stmt, {"user_id": user_id}).first()
    if row is None:
        return None
    profile, own = Profile(row[0], row[1] or 0, row[2] or 0), set()
    for kind, code, value in db.session.execute(parts, {"user_id": user_id, "now": now}):
        if kind == "l":
            profile.languages[code] = int(value)
        elif kind == "s":
            profile.skills.add(int(value))
        elif kind == "o":
            profile.offices.add(int(value))
        else:
            own.add(int(value))
    return profile, own


def day_part(local: datetime) -> int:
    """0 morning (before 12:00), 1 afternoon (before 17:00), 2 evening."""
    return 0 if local.hour < 12 else (1 if local.hour < 17 else 2)


def _slot_label(local: datetime) -> str:
    from app.core.templating import weekday_name

    weekday = weekday_name(local.weekday())
    return f"{weekday} {DAY_PART_LABELS[DAY_PARTS[day_part(local)]]}"


def _load_shared(now: datetime) -> _Shared:
    """Every volunteer's candidates (before their own sign-ups are left out) as plain values."""
    from app.activities.signup import counts

    rows = db.session.execute(
        select(Slot.id, Slot.role_id, Slot.activity_id, Slot.starts_at, Slot.ends_at)
        .join(Role, Role.id == Slot.role_id).join(Activity, Activity.id == Slot.activity_id)
        .join(ActivityDate, ActivityDate.id == Slot.date_id)
        .where(Activity.state == ActivityState.PUBLISHED, Activity.cancelled_at.is_(None),
               ActivityDate.cancelled_at.is_(None), Slot.starts_at > now,
               Slot.starts_at < now + timedelta(days=HORIZON_DAYS), Role.for_partners.is_(False),
               or_(Role.signup_closes_at.is_(None), Role.signup_closes_at > now))
        .order_by(Slot.starts_at, Slot.id).limit(MAX_SLOTS + OWN_MARGIN)).all()
    role_ids = {r.role_id for r in rows}
    activity_ids = {r.activity_id for r in rows}
    roles = {}
    if role_ids:
        for r in db.session.scalars(select(Role).where(Role.id.in_(role_ids)).options(joinedload(Role.required_skill))):
            roles[r.id] = place_role(r)
    languages = _languages(activity_ids)
    activities = {}
    if activity_ids:
        for a in db.session.scalars(select(Activity).where(Activity.id.in_(activity_ids))
                                    .options(joinedload(Activity.office), joinedload(Activity.satellite))):
            activities[a.id] = place_activity(a, languages.get(a.id, ()))
    tally = counts([r.id for r in rows])
    slots = tuple(place_slot(r, tally[r.id].free if r.id in tally else 0) for r in rows)
    return _Shared(slots, roles, activities)


def place_role(r: Role) -> PlaceRole:
    """A role (with its required skill loaded) as the plain value the scoring reads."""
    skill = r.required_skill
    return PlaceRole(r.id, r.name, r.for_partners, r.signup_opens_at, r.signup_closes_at, r.deadline_hours or 0,
                     r.required_language, r.required_level, r.required_skill_id,
                     (skill.label("de"), skill.label("en")) if skill else None)


def place_activity(a: Activity, languages) -> PlaceActivity:
    """An activity (with its office and satellite loaded) and its language codes as a plain value."""
    return PlaceActivity(a.id, a.title, a.kind, a.state, a.office_id, a.office.name, a.district_id, a.place_text(),
                         tuple(languages))


def place_slot(s, free: int) -> PlaceSlot:
    """A slot (anything with id, role_id, activity_id, starts_at, ends_at) as a plain value."""
    local = utc_to_local(s.starts_at)
    return PlaceSlot(s.id, s.role_id, s.activity_id, s.starts_at, s.ends_at, slot_bit(local.weekday(), day_part(local)),
                     free)


def _shared(now: datetime) -> _Shared:
    """The shared candidates of this version of the activities, loaded once and kept."""
    from app.activities import cache

    key = "forme1:%d:%d" % cache.versions()  # the people's too: the skills' labels (an admin edits them)
    shared = cache.get(key)
    if shared is None:
        shared = _load_shared(now)
        cache.put(key, shared)
    return shared


def _languages(activity_ids) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    if activity_ids:
        for aid, code in db.session.execute(select(activity_languages.c.activity_id, activity_languages.c.code)
                                            .where(activity_languages.c.activity_id.in_(activity_ids))
                                            .order_by(activity_languages.c.code)):
            out[aid].append(code)
    return out


def _unmet(profile: Profile, role: PlaceRole) -> list[str]:
    """The role's requirements this profile doesn't meet, as sentences (no statement: the
    profile is loaded)."""
    from app.core.templating import language_name

    out = []
    if role.required_language:
        need = role.required_level or LanguageLevel.BASIC
        if profile.languages.get(role.required_language, 0) < need:
            out.append(str(_l("This role needs %(language)s at least at the level “%(level)s”.",
                              language=language_name(role.required_language), level=LanguageLevel(need).label)))
    if role.required_skill_id and role.required_skill_id not in profile.skills:
        labels = role.required_skill_labels
        label = (labels[1] if str(get_locale() or "de") == "en" and labels[1] else labels[0]) if labels else ""
        out.append(str(_l("This role needs the skill “%(skill)s” in your profile.", skill=label)))
    return out


def _activity_points(profile: Profile, activity: PlaceActivity) -> int:
    """The points of `score` that depend on the activity alone."""
    points = 0
    if any(profile.languages.get(c, 0) >= LanguageLevel.BASIC for c in activity.languages):
        points += W_LANGUAGE
    if profile.district_id and activity.district_id == profile.district_id:
        points += W_DISTRICT
    if activity.office_id in profile.offices:
        points += W_OFFICE
    if profile.wanted_kinds & activity.kind.wanted_kind.bit:
        points += W_KIND
    return points


def _points(profile: Profile, activity: PlaceActivity, slots: list[PlaceSlot], free: int,
            activity_points: int | None = None) -> int:
    """The points of `score`, without its words (for ranking every candidate)."""
    points = _activity_points(profile, activity) if activity_points is None else activity_points
    if any(profile.availability & s.time_bit for s in slots):
        points += W_TIME
    if free > 0:
        points += W_FREE
    return points


def score(profile: Profile, role: PlaceRole, activity: PlaceActivity, slots: list[PlaceSlot],
          languages: list[str] | tuple[str, ...] | None = None, free: int = 0) -> tuple[int, list[str]]:
    """Points and the reasons for them, in plain words."""
    from app.core.templating import language_name

    languages = activity.languages if languages is None else languages
    reasons = []
    spoken = [c for c in languages if profile.languages.get(c, 0) >= LanguageLevel.BASIC]
    if spoken:
        reasons.append(str(_l("You speak %(language)s", language=", ".join(language_name(c) for c in spoken))))
    if profile.district_id and activity.district_id == profile.district_id:
        reasons.append(str(_l("in your district")))
    if activity.office_id in profile.offices:
        reasons.append(str(_l("with your office %(office)s", office=activity.office_name)))
    fitting = [s for s in slots if profile.availability & s.time_bit]
    if fitting:
        reasons.append(str(_l("%(when)s fits", when=_slot_label(utc_to_local(fitting[0].starts_at)))))
    if profile.wanted_kinds & activity.kind.wanted_kind.bit:
        reasons.append(str(_l("a kind you like: %(kind)s", kind=activity.kind.wanted_kind.label)))
    return _points(profile, activity, slots, free), reasons


def for_me(user_id: int, page: int = 1, now: datetime | None = None, per_page: int = PER_PAGE) -> Result:
    """The ranked open places for this volunteer; a page of them."""
    from app.activities.signup import open_problem

    now = now or utcnow()
    found = load_profile(user_id, now)
    if found is None:
        return Result(None, [], 0, 1, 1)
    profile, own = found
    shared = _shared(now)
    by_role: dict[int, list[PlaceSlot]] = defaultdict(list)
    notes: dict[int, str | None] = {}
    taken = 0
    for s in shared.slots:
        role = shared.roles[s.role_id]
        # what the clock changed since the set was loaded, and the person's own places
        if s.starts_at <= now or (role.signup_closes_at is not None and role.signup_closes_at <= now) \
                or s.id in own:
            continue
        taken += 1
        if taken > MAX_SLOTS:
            break
        problem = open_problem(role, s, shared.activities[s.activity_id], s, now)
        if problem and role.signup_opens_at is not None and now < role.signup_opens_at:
            notes.setdefault(s.role_id, problem)  # not open yet: shown, with when it opens
        elif problem:
            continue  # deadline passed for this date
        by_role[s.role_id].append(s)
    fits, misfits = [], []
    per_activity: dict[int, int] = {}
    for role_id, role_slots in by_role.items():
        role, activity = shared.roles[role_id], shared.activities[role_slots[0].activity_id]
        free = role_slots[0].free
        base = per_activity.get(activity.id)
        if base is None:
            base = per_activity[activity.id] = _activity_points(profile, activity)
        points = _points(profile, activity, role_slots, free, base)
        unmet = _unmet(profile, role) if role.required_language or role.required_skill_id else []
        entry = Entry(role, activity, role_slots, free, points, [], unmet, notes.get(role_id))
        (misfits if unmet else fits).append(((-points, role_slots[0].starts_at, role_id), entry))
    ranked = [e for _key, e in sorted(fits, key=_first)] + [e for _key, e in sorted(misfits, key=_first)]
    total = len(ranked)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    shown = ranked[(page - 1) * per_page: page * per_page]
    for e in shown:  # the words only for what is shown
        e.reasons = score(profile, e.role, e.activity, e.slots, free=e.free)[1]
    return Result(profile, shown, total, page, pages)


def _first(pair: tuple) -> tuple:
    return pair[0]


__all__ = ["Entry", "Profile", "Result", "day_part", "for_me", "load_profile", "score"]
