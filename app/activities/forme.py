""""For me": open places that fit a volunteer's profile, best first, each with its reasons in plain
words ("You speak German · in your district · Tuesday evening fits").

The candidates are a bounded set (open slots of published activities in the next
`HORIZON_DAYS`, at most `MAX_SLOTS`), loaded in three statements — the slots with role, date,
activity and place; their counts (`signup.counts`); the activities' languages — and the profile
in two (the profile row; its languages, skills and offices in one UNION). Scoring runs in Python
over that set, grouped per role: a weekly course is one entry with its next open dates, not
twelve. A role whose requirements the person doesn't meet is shown at the end, with the reason.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, literal, or_, select, union_all
from sqlalchemy.orm import contains_eager

from app.activities.models import (ACTIVE, Activity, ActivityDate, ActivityState, Role, Signup, Slot,
                                   activity_languages)
from app.activities.series import utc_to_local
from app.core.timeutil import utcnow
from app.extensions import db
from app.people.models import (DAY_PART_LABELS, DAY_PARTS, LanguageLevel, VolunteerLanguage, VolunteerProfile,
                               slot_bit, volunteer_offices, volunteer_skills)

HORIZON_DAYS = 120
MAX_SLOTS = 400
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


@dataclass
class Entry:
    role: Role
    activity: Activity
    slots: list[Slot]  # open dates, soonest first (all of them; the page shows a few)
    free: int  # free places on the first date
    score: int
    reasons: list[str]
    unmet: list[str]
    note: str | None = None  # e.g. "sign-up opens on …"

    @property
    def first(self) -> Slot:
        return self.slots[0]

    @property
    def shown_slots(self) -> list[Slot]:
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


def load_profile(user_id: int) -> Profile | None:
    """The parts of the profile that matter here, in two statements; None without a profile."""
    row = db.session.execute(select(VolunteerProfile.district_id, VolunteerProfile.availability,
                                    VolunteerProfile.wanted_kinds)
                             .where(VolunteerProfile.user_id == user_id)).first()
    if row is None:
        return None
    profile = Profile(row[0], row[1] or 0, row[2] or 0)
    parts = union_all(
        select(literal("l"), VolunteerLanguage.code, VolunteerLanguage.level)
        .where(VolunteerLanguage.user_id == user_id),
        select(literal("s"), literal(""), volunteer_skills.c.item_id).where(volunteer_skills.c.user_id == user_id),
        select(literal("o"), literal(""), volunteer_offices.c.office_id)
        .where(volunteer_offices.c.user_id == user_id))
    for kind, code, value in db.session.execute(parts):
        if kind == "l":
            profile.languages[code] = int(value)
        elif kind == "s":
            profile.skills.add(int(value))
        else:
            profile.offices.add(int(value))
    return profile


def day_part(local: datetime) -> int:
    """0 morning (before 12:00), 1 afternoon (before 17:00), 2 evening."""
    return 0 if local.hour < 12 else (1 if local.hour < 17 else 2)


def _slot_label(local: datetime) -> str:
    from app.core.templating import weekday_name

    weekday = weekday_name(local.weekday())
    return f"{weekday} {DAY_PART_LABELS[DAY_PARTS[day_part(local)]]}"


def _candidates(user_id: int, now: datetime) -> list[Slot]:
    mine = exists().where(Signup.slot_id == Slot.id, Signup.user_id == user_id, Signup.state.in_(ACTIVE))
    stmt = (select(Slot).join(Slot.role).join(Role.activity).join(Slot.date)
            .where(Activity.state == ActivityState.PUBLISHED, Activity.cancelled_at.is_(None),
                   ActivityDate.cancelled_at.is_(None), Slot.starts_at > now,
                   Slot.starts_at < now + timedelta(days=HORIZON_DAYS), Role.for_partners.is_(False),
                   or_(Role.signup_closes_at.is_(None), Role.signup_closes_at > now), ~mine)
            .options(contains_eager(Slot.role).contains_eager(Role.activity).joinedload(Activity.office),
                     contains_eager(Slot.role).contains_eager(Role.activity).joinedload(Activity.satellite),
                     contains_eager(Slot.role).joinedload(Role.required_skill),
                     contains_eager(Slot.date))
            .order_by(Slot.starts_at, Slot.id).limit(MAX_SLOTS))
    return list(db.session.scalars(stmt).unique())


def _languages(activity_ids) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    if activity_ids:
        for aid, code in db.session.execute(select(activity_languages.c.activity_id, activity_languages.c.code)
                                            .where(activity_languages.c.activity_id.in_(activity_ids))
                                            .order_by(activity_languages.c.code)):
            out[aid].append(code)
    return out


def _unmet(profile: Profile, role: Role) -> list[str]:
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
        label = role.required_skill.label(str(get_locale() or "de")) if role.required_skill else ""
        out.append(str(_l("This role needs the skill “%(skill)s” in your profile.", skill=label)))
    return out


def score(profile: Profile, role: Role, activity: Activity, slots: list[Slot], languages: list[str],
          free: int) -> tuple[int, list[str]]:
    """Points and the reasons for them, in plain words."""
    from app.core.templating import language_name

    points, reasons = 0, []
    spoken = [c for c in languages if profile.languages.get(c, 0) >= LanguageLevel.BASIC]
    if spoken:
        points += W_LANGUAGE
        reasons.append(str(_l("You speak %(language)s", language=", ".join(language_name(c) for c in spoken))))
    if profile.district_id and activity.district_id == profile.district_id:
        points += W_DISTRICT
        reasons.append(str(_l("in your district")))
    if activity.office_id in profile.offices:
        points += W_OFFICE
        reasons.append(str(_l("with your office %(office)s", office=activity.office.name)))
    fitting = [s for s in slots if profile.availability & slot_bit(utc_to_local(s.starts_at).weekday(),
                                                                   day_part(utc_to_local(s.starts_at)))]
    if fitting:
        points += W_TIME
        reasons.append(str(_l("%(when)s fits", when=_slot_label(utc_to_local(fitting[0].starts_at)))))
    if profile.wanted_kinds & activity.kind.wanted_kind.bit:
        points += W_KIND
        reasons.append(str(_l("a kind you like: %(kind)s", kind=activity.kind.wanted_kind.label)))
    if free > 0:
        points += W_FREE
    return points, reasons


def for_me(user_id: int, page: int = 1, now: datetime | None = None, per_page: int = PER_PAGE) -> Result:
    """The ranked open places for this volunteer; a page of them."""
    from app.activities.signup import counts, open_problem

    now = now or utcnow()
    profile = load_profile(user_id)
    if profile is None:
        return Result(None, [], 0, 1, 1)
    slots = _candidates(user_id, now)
    tally = counts([s.id for s in slots])
    langs = _languages({s.activity_id for s in slots})
    by_role: dict[int, list[Slot]] = defaultdict(list)
    notes: dict[int, str | None] = {}
    for s in slots:
        problem = open_problem(s.role, s, s.role.activity, s.date, now)
        if problem and s.role.signup_opens_at is not None and now < s.role.signup_opens_at:
            notes.setdefault(s.role_id, problem)  # not open yet: shown, with when it opens
        elif problem:
            continue  # deadline passed for this date
        by_role[s.role_id].append(s)
    fits, misfits = [], []
    for role_id, role_slots in by_role.items():
        role, activity = role_slots[0].role, role_slots[0].role.activity
        free = tally[role_slots[0].id].free if role_slots[0].id in tally else 0
        points, reasons = score(profile, role, activity, role_slots, langs.get(activity.id, []), free)
        unmet = _unmet(profile, role)
        entry = Entry(role, activity, role_slots, free, points, reasons, unmet, notes.get(role_id))
        (misfits if unmet else fits).append(entry)
    key = lambda e: (-e.score, e.first.starts_at, e.role.id)  # noqa: E731
    ranked = sorted(fits, key=key) + sorted(misfits, key=key)
    total = len(ranked)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    return Result(profile, ranked[(page - 1) * per_page: page * per_page], total, page, pages)


__all__ = ["Entry", "Profile", "Result", "day_part", "for_me", "load_profile", "score"]
