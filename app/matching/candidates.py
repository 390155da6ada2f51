"""Candidates for a need: hard conditions in SQL, a score with plain-word reasons in Python.

Hard conditions (never violated, all in one statement): contactable (`contactable_volunteers()`:
confirmed, active account, `contact` consent given — a withdrawal counts from its commit),
profile status active, working with the need's office, not proposed for this need before, the
required language at its minimum level (`level >= n`), free at the need's time
(`availability & slots != 0`; a flexible need fits any time) and fewer than MATCHING_WEEKLY_CAP
proposals (and other contacts areas register) in the last 7 days.

The same statement brings what the score needs per row — district and whether it neighbours the
need's, languages and skills aggregated as strings, open proposals and assignments, hours this
month, attendance — so scoring runs over the returned rows without another query."""
from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from flask import current_app
from flask_babel import ngettext
from sqlalchemy import (Integer, Select, String, and_, cast, column, exists, false, func, literal, null, or_, select,
                        union_all, values)
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.activities.attendance import minutes_given
from app.activities.models import Attendance, Signup, Slot
from app.activities.series import local_to_utc, utc_to_local
from app.core.timeutil import utcnow
from app.extensions import db
from app.matching.models import DistrictNeighbour, Need, NeedState, Proposal, ProposalState
from app.offices.models import District
from app.people.models import (DAY_PART_LABELS, DAY_PARTS, LanguageLevel, Organisation, OrganisationState,
                               VolunteerLanguage, VolunteerProfile, VolunteerStatus, organisation_districts,
                               organisation_need_categories, volunteer_offices, volunteer_skills)
from app.people.services import contactable_volunteers

def N_(msgid: str) -> str:
    """Marks a msgid for extraction; translated later, once per call (Words)."""
    return msgid


# Weights of the score (higher is better); the reasons say the same in words.
BASE = 50.0
W_REQUIRED = 6.0  # the required language, per level above the minimum
W_HELPFUL = 10.0  # a helpful language, scaled by level
W_HOUSEHOLD = 8.0  # a language the household speaks
W_SKILL = 8.0
W_SAME_DISTRICT = 15.0
W_NEIGHBOUR = 8.0
P_FURTHER = 5.0
P_LOAD = 6.0  # per open proposal or assignment: spreads the work
P_HOURS = 12.0  # at the monthly hours offered; proportionally below
P_OVER = 6.0  # the need's hours would go beyond what is left this month
W_RELIABLE = 10.0  # attendance record, -W..+W

# Other areas' contacts that count against the weekly cap (urgent calls): fn(since) -> a SELECT
# of one column `user_id`, one row per contact since then. Registered at import time.
WEEKLY_CONTACT_SOURCES: list[Callable[[datetime], Select]] = []


def register_weekly_contacts(fn: Callable[[datetime], Select]) -> Callable[[datetime], Select]:
    if fn not in WEEKLY_CONTACT_SOURCES:
        WEEKLY_CONTACT_SOURCES.append(fn)
    return fn


@dataclass
class Candidate:
    user_id: int
    name: str
    score: float
    reasons: list[str]
    components: dict[str, float] = field(default_factory=dict)
    email: str = ""
    locale: str = "de"
    district: str | None = None
    hours_per_month: int | None = None
    hours_this_month: float = 0.0
    open_load: int = 0

    @property
    def remaining_hours(self) -> float | None:
        """Hours left this month of what the volunteer offered (None: no number given)."""
        if self.hours_per_month is None:
            return None
        return max(0.0, self.hours_per_month - self.hours_this_month)


def weekly_cap() -> int:
    return int(current_app.config.get("MATCHING_WEEKLY_CAP", 3))


def month_start(now: datetime) -> datetime:
    local = utc_to_local(now)
    from datetime import time

    return local_to_utc(local.date().replace(day=1), time(0))


def _contact_parts(since: datetime) -> list[Select]:
    return [select(Proposal.user_id.label("user_id")).where(Proposal.created_at >= since),
            *(fn(since) for fn in WEEKLY_CONTACT_SOURCES)]


def contacts_since(since: datetime):
    """Every contact since then, one row each (for counts grouped by person)."""
    parts = _contact_parts(since)
    return union_all(*parts).subquery("contacts") if len(parts) > 1 else parts[0].subquery("contacts")


def recent_contacts(user_id_column, since: datetime):
    """SQL: one person's contacts since then (correlated). A sum of one count per source, each on
    its own index (user_id, time): a count over the UNION of the sources would be evaluated as
    a scan of every recent contact for every volunteer."""
    total = None
    for part in _contact_parts(since):
        sub = part.subquery()
        count = (select(func.count()).select_from(sub).where(sub.c.user_id == user_id_column)
                 .scalar_subquery())
        total = count if total is None else total + count
    return total


def under_cap(user_id_column, since: datetime):
    """SQL: the person has had fewer contacts than the weekly cap since then (a cap of 0: nobody)."""
    if weekly_cap() <= 0:
        return false()
    return user_id_column.not_in(at_cap(since))


def at_cap(since: datetime) -> Select:
    """SELECT of the people who have had as many contacts as the weekly cap allows since then:
    one small aggregate over the recent contacts, evaluated once per statement — a count per
    volunteer (recent_contacts) cost three index lookups for each of thousands of rows."""
    contacts = contacts_since(since)
    return (select(contacts.c.user_id).where(contacts.c.user_id.is_not(None))
            .group_by(contacts.c.user_id).having(func.count() >= weekly_cap()))


def eligible(need: Need, now: datetime | None = None, *, name: str | None = None,
             user_ids: list[int] | None = None, answering: bool = False) -> Select:
    """SELECT of every volunteer meeting the need's hard conditions, with the facts for the score.
    `answering`: the conditions once more for someone who was asked and says yes — all but "not
    asked for this need yet" and the weekly cap, which their own proposal takes up."""
    now = now or utcnow()
    # Driven from the office's volunteers (its index), not from every volunteer of the city.
    stmt = (contactable_volunteers()
            .join(volunteer_offices, and_(volunteer_offices.c.user_id == User.id,
                                          volunteer_offices.c.office_id == need.office_id))
            .join(VolunteerProfile, VolunteerProfile.user_id == User.id)
            .where(VolunteerProfile.status == VolunteerStatus.ACTIVE))
    if not answering:
        stmt = stmt.where(~exists().where(Proposal.need_id == need.id, Proposal.user_id == User.id),
                          under_cap(User.id, now - timedelta(days=7)))
    if need.matched_user_id is not None:
        stmt = stmt.where(User.id != need.matched_user_id)
    if need.slots:
        stmt = stmt.where(VolunteerProfile.availability.op("&")(need.slots) != 0)
    if need.required_language:
        stmt = stmt.where(exists().where(VolunteerLanguage.user_id == User.id,
                                         VolunteerLanguage.code == need.required_language,
                                         VolunteerLanguage.level >= (need.required_level or 1)))
    if name:
        pattern = "%" + name.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(func.lower(User.name).like(pattern, escape="\\"),
                              func.lower(User.email).like(pattern, escape="\\")))
    if user_ids is not None:
        stmt = stmt.where(User.id.in_(user_ids or [-1]))
    return stmt.add_columns(*_facts(need, now))


def _facts(need: Need, now: datetime) -> list:
    if need.district_id is not None:
        neighbour = exists().where(DistrictNeighbour.district_id == need.district_id,
                                   DistrictNeighbour.neighbour_id == VolunteerProfile.district_id)
    else:
        neighbour = literal(False)
    # Of a person's languages and skills only those the need asks about (the score reads no
    # others): for each of thousands of rows the aggregates then have a row or two, or none at
    # all. (A stand-in for a need — an urgent call's role — gets them all.)
    if hasattr(need, "language_codes"):
        languages, skills = sorted(NeedFacts.of(need).codes), sorted(s.id for s in need.skills)
    else:
        languages = skills = None
    return [*_user_facts(now, languages=languages, skills=skills), neighbour.label("neighbour")]


def _user_facts(now: datetime, *, languages: list[str] | None = None, skills: list[int] | None = None) -> list:
    """Per volunteer (correlated to User / VolunteerProfile): what the score needs. `languages`,
    `skills`: only these (an empty list: the column is NULL); None: all of them."""
    since = month_start(now)
    langs = (select(func.aggregate_strings(VolunteerLanguage.code + ":" + cast(VolunteerLanguage.level, String), ","))
             .where(VolunteerLanguage.user_id == User.id,
                    *([VolunteerLanguage.code.in_(languages)] if languages is not None else []))
             .correlate(User).scalar_subquery() if languages != [] else null())
    skills = (select(func.aggregate_strings(cast(volunteer_skills.c.item_id, String), ","))
              .where(volunteer_skills.c.user_id == User.id,
                     *([volunteer_skills.c.item_id.in_(skills)] if skills is not None else []))
              .correlate(User).scalar_subquery() if skills != [] else null())
    district_name = (select(District.name).where(District.id == VolunteerProfile.district_id)
                     .correlate(VolunteerProfile).scalar_subquery())
    pending = (select(func.count(Proposal.id)).where(Proposal.user_id == User.id,
                                                     Proposal.state == ProposalState.PENDING)
               .correlate(User).scalar_subquery())
    assigned = (select(func.count(Need.id)).where(Need.matched_user_id == User.id, Need.state == NeedState.MATCHED)
                .correlate(User).scalar_subquery())
    activity_minutes = (select(func.coalesce(func.sum(minutes_given()), 0))
                        .select_from(Signup).join(Slot, Slot.id == Signup.slot_id)
                        .where(Signup.user_id == User.id, Slot.starts_at >= since, Slot.starts_at < now)
                        .correlate(User).scalar_subquery())
    need_hours = (select(func.coalesce(func.sum(Need.hours_given), 0.0))
                  .where(Need.matched_user_id == User.id, Need.state == NeedState.DONE, Need.done_at >= since)
                  .correlate(User).scalar_subquery())
    present = (select(func.count(Signup.id)).where(Signup.user_id == User.id, Signup.attendance == Attendance.PRESENT)
               .correlate(User).scalar_subquery())
    absent = (select(func.count(Signup.id)).where(Signup.user_id == User.id, Signup.attendance == Attendance.ABSENT)
              .correlate(User).scalar_subquery())
    return [VolunteerProfile.district_id, district_name.label("district_name"),
            VolunteerProfile.availability, VolunteerProfile.hours_per_month, langs.label("langs"),
            skills.label("skills"), pending.label("pending"), assigned.label("assigned"),
            activity_minutes.label("activity_minutes"), need_hours.label("need_hours"),
            present.label("present"), absent.label("absent")]


def pairs(need_ids: list[int], now: datetime | None = None, *,
          only: list[tuple[int, int]] | None = None) -> Select:
    """One statement for many needs: (need id, volunteer facts) for every pair that meets every
    hard condition. The need-independent conditions and the facts are computed once per
    volunteer (a CTE over the needs' offices); the need's own conditions are the join.

    `only`: just these (need id, user id) pairs are looked at (a batch's confirmation checks its
    rows again), and each row also says `recent`, the person's contacts in the last 7 days."""
    now = now or utcnow()
    recent = recent_contacts(User.id, now - timedelta(days=7))
    offices = select(Need.office_id).where(Need.id.in_(need_ids)).distinct()
    pool = (contactable_volunteers()
            .join(VolunteerProfile, VolunteerProfile.user_id == User.id)
            .where(VolunteerProfile.status == VolunteerStatus.ACTIVE,
                   exists().where(volunteer_offices.c.user_id == User.id, volunteer_offices.c.office_id.in_(offices)),
                   under_cap(User.id, now - timedelta(days=7)))
            .add_columns(*_user_facts(now)))
    if only is not None:
        pool = pool.where(User.id.in_(sorted({u for _n, u in only}) or [-1])).add_columns(recent.label("recent"))
    pool = pool.cte("pool").prefix_with("MATERIALIZED")
    fits = [
        exists().where(volunteer_offices.c.user_id == pool.c.id, volunteer_offices.c.office_id == Need.office_id),
        ~exists().where(Proposal.need_id == Need.id, Proposal.user_id == pool.c.id),
        or_(Need.matched_user_id.is_(None), Need.matched_user_id != pool.c.id),
        or_(Need.slots == 0, pool.c.availability.op("&")(Need.slots) != 0),
        or_(Need.required_language.is_(None),
            exists().where(VolunteerLanguage.user_id == pool.c.id, VolunteerLanguage.code == Need.required_language,
                           VolunteerLanguage.level >= func.coalesce(Need.required_level, 1))),
    ]
    neighbour = exists().where(DistrictNeighbour.district_id == Need.district_id,
                               DistrictNeighbour.neighbour_id == pool.c.district_id)
    columns = (Need.id.label("need_id"), *pool.c, neighbour.label("neighbour"))
    if only is None:
        return select(*columns).select_from(Need).join(pool, and_(*fits)).where(Need.id.in_(need_ids))
    # The pairs as a table the join starts from: each pair's conditions are evaluated once, not
    # every need × person (a row-value IN list would be tested against all of them).
    asked = (values(column("need_id", Integer), column("user_id", Integer), name="asked")
             .data(sorted(set(only)) or [(-1, -1)]).cte("asked"))
    return (select(*columns).select_from(asked).join(Need, Need.id == asked.c.need_id)
            .join(pool, and_(pool.c.id == asked.c.user_id, *fits)).where(Need.id.in_(need_ids)))


class Words:
    """The reasons' words in the current language, each translated and formatted once per call
    (a batch scores tens of thousands of pairs: gettext and Babel per reason would dominate)."""

    def __init__(self) -> None:
        from flask_babel import gettext

        self._ = gettext
        self._cache: dict = {}

    def text(self, msgid: str) -> str:
        key = ("t", msgid)
        if key not in self._cache:
            self._cache[key] = self._(msgid)
        return self._cache[key]

    def language(self, code: str, level: int) -> str:
        key = ("l", code, level)
        if key not in self._cache:
            from app.core.templating import language_name

            self._cache[key] = self.text(N_("speaks %(language)s (%(level)s)")) % {
                "language": language_name(code), "level": LanguageLevel(level).label}
        return self._cache[key]

    def language_name(self, code: str) -> str:
        key = ("n", code)
        if key not in self._cache:
            from app.core.templating import language_name

            self._cache[key] = language_name(code)
        return self._cache[key]

    def slot(self, bits: int) -> str | None:
        key = ("s", bits)
        if key not in self._cache:
            from app.core.templating import weekday_name

            phrase = None
            for day in range(7):
                for part in range(3):
                    if phrase is None and bits & (1 << (day * 3 + part)):
                        phrase = self.text(N_("free on %(day)s, %(part)s")) % {
                            "day": weekday_name(day), "part": str(DAY_PART_LABELS[DAY_PARTS[part]])}
            self._cache[key] = phrase
        return self._cache[key]

    def load(self, n: int) -> str:
        key = ("o", n)
        if key not in self._cache:
            self._cache[key] = (ngettext("%(num)d open assignment", "%(num)d open assignments", n) if n
                                else self.text(N_("no open assignments")))
        return self._cache[key]

    def number(self, value: float) -> str:
        key = ("d", round(value, 1))
        if key not in self._cache:
            self._cache[key] = format_hours(value)
        return self._cache[key]


@dataclass(frozen=True)
class NeedFacts:
    """What the score reads of a need, read once per need (not per candidate)."""

    required_language: str | None
    required_level: int
    helpful: tuple[str, ...]
    household: tuple[str, ...]
    district_id: int | None
    slots: int
    expected_hours: float | None
    codes: frozenset[str] = frozenset()  # every language the score looks at


    @classmethod
    def of(cls, need: Need) -> "NeedFacts":
        helpful = tuple(c for c in need.language_codes("helpful") if c != need.required_language)
        household = tuple(c for c in need.language_codes("household")
                          if c != need.required_language and c not in helpful)
        codes = frozenset({*helpful, *household, *([need.required_language] if need.required_language else [])})
        return cls(need.required_language, need.required_level or 1, helpful, household, need.district_id,
                   need.slots, need.expected_hours, codes)


@dataclass
class _Parts:
    """The numbers of one row's score (no words yet): what `score_row` adds up and words."""

    comp: dict[str, float]
    spoken: dict[str, int]
    shared: list[int]
    hours_done: float
    load: int
    present: int
    absent: int
    district: str | None = None  # "same", "next door", "further" (None: not known)

    @property
    def score(self) -> float:
        return round(BASE + sum(self.comp.values()), 2)


def _parts(need: NeedFacts, row, need_skill_ids: set[int], score_only: bool = False):
    """The score's components of one eligible volunteer — numbers only, so that thousands of
    rows are ranked before any of them is put into words. `score_only`: just the score (the
    same number as the components' `score`), without building them: ranking thousands of rows
    needs no more; the shown ones are taken apart afterwards."""
    spoken = {}
    if need.codes and row.langs:  # only the languages the need asks about
        for part in row.langs.split(","):
            code, _sep, level = part.partition(":")
            if code in need.codes:
                spoken[code] = int(level)
    required = (W_REQUIRED * (spoken[need.required_language] - need.required_level)
                if need.required_language and need.required_language in spoken else None)
    helpful = sum(W_HELPFUL * spoken[c] / 4 for c in need.helpful if c in spoken) if spoken else 0
    household = sum(1 for c in need.household if c in spoken) if spoken else 0
    shared = sorted({int(x) for x in row.skills.split(",")} & need_skill_ids) if need_skill_ids and row.skills else []
    if need.district_id is not None and row.district_id is not None:
        district = ("same" if row.district_id == need.district_id else "next door" if row.neighbour else "further")
        near = W_SAME_DISTRICT if district == "same" else W_NEIGHBOUR if district == "next door" else -P_FURTHER
    else:
        district = near = None
    load = int(row.pending or 0) + int(row.assigned or 0)
    hours_done = float(row.activity_minutes or 0) / 60 + float(row.need_hours or 0)
    hours = None
    if row.hours_per_month:
        hours = -P_HOURS * min(hours_done / row.hours_per_month, 2.0)
        if need.expected_hours and hours_done + need.expected_hours > row.hours_per_month:
            hours -= P_OVER
    present, absent = int(row.present or 0), int(row.absent or 0)
    reliable = W_RELIABLE * (2 * (present + 1) / (present + absent + 2) - 1) if present + absent else None
    # In the components' order, each only where it applies: the score is their sum either way.
    comp = (("required_language", required), ("helpful_languages", helpful or None),
            ("household_languages", W_HOUSEHOLD * household if household else None),
            ("skills", W_SKILL * len(shared) if shared else None), ("district", near),
            ("load", -P_LOAD * load), ("hours", hours), ("reliability", reliable))
    if score_only:
        total = 0
        for _k, v in comp:
            if v is not None:
                total += v
        return round(BASE + total, 2)
    return _Parts({k: v for k, v in comp if v is not None}, spoken, shared, hours_done, load, present, absent,
                  district)


def _reasons(need: NeedFacts, row, p: _Parts, skill_names: dict[int, str], w: Words) -> list[str]:
    """The same components in plain words, in the order a coordinator reads them."""
    reasons: list[str] = []
    spoken = p.spoken
    if need.required_language and need.required_language in spoken:
        reasons.append(w.language(need.required_language, spoken[need.required_language]))
    reasons += [w.language(c, spoken[c]) for c in need.helpful if c in spoken]
    household = [c for c in need.household if c in spoken]
    if household:
        reasons.append(w.text(N_("speaks the family's language: %(languages)s")) % {
            "languages": ", ".join(w.language_name(c) for c in household)})
    if p.shared:
        reasons.append(", ".join(skill_names.get(i, "") for i in p.shared))
    if p.district:
        msgid = {"same": N_("lives in %(district)s"), "next door": N_("lives next door in %(district)s"),
                 "further": N_("lives further away in %(district)s")}[p.district]
        reasons.append(w.text(msgid) % {"district": row.district_name})
    elif row.district_name:
        reasons.append(w.text(N_("lives in %(district)s")) % {"district": row.district_name})
    if need.slots:
        phrase = w.slot(need.slots & (row.availability or 0))
        if phrase:
            reasons.append(phrase)
    reasons.append(w.load(p.load))
    if row.hours_per_month:
        reasons.append(w.text(N_("%(done)s of %(offered)s hours this month")) % {
            "done": w.number(p.hours_done), "offered": row.hours_per_month})
    if p.present + p.absent:
        reasons.append(w.text(N_("came to %(present)d of %(dates)d dates")) % {"present": p.present,
                                                                             "dates": p.present + p.absent})
    return reasons


def _candidate(need: NeedFacts, row, p: _Parts, skill_names: dict[int, str], w: Words) -> Candidate:
    return Candidate(user_id=row.id, name=row.name, score=p.score, reasons=_reasons(need, row, p, skill_names, w),
                     components=p.comp, email=row.email, locale=row.locale or "de", district=row.district_name,
                     hours_per_month=row.hours_per_month, hours_this_month=round(p.hours_done, 2),
                     open_load=p.load)


def score_row(need: Need | NeedFacts, row, need_skill_ids: set[int], skill_names: dict[int, str],
              words: Words | None = None) -> Candidate:
    """The score of one eligible volunteer and its reasons in plain words (no query)."""
    need = need if isinstance(need, NeedFacts) else NeedFacts.of(need)
    return _candidate(need, row, _parts(need, row, need_skill_ids), skill_names, words or Words())


def format_hours(value: float) -> str:
    from flask_babel import format_decimal

    return format_decimal(round(value, 1), format="#,##0.#")


def skill_names_of(need: Need) -> dict[int, str]:
    from flask_babel import get_locale

    locale = str(get_locale() or "de") if _has_request() else "de"
    return {s.id: s.label(locale) for s in need.skills}


def _has_request() -> bool:
    from flask import has_request_context

    return has_request_context()


def _plain(rows) -> list:
    """Result rows as named tuples: the same attributes, read ~10 × faster than a Row's (the
    score reads a dozen per row, for thousands of rows)."""
    rows = list(rows)
    if not rows or not hasattr(rows[0], "_fields"):
        return rows
    fact = namedtuple("Facts", rows[0]._fields, rename=True)
    return [fact._make(r) for r in rows]


def rank(need: Need, rows, words: Words | None = None, limit: int | None = None) -> list[Candidate]:
    """The rows best first (score, then name, then id); the first `limit` put into words — the
    others' reasons are never read, so a need that thousands qualify for words only the shown."""
    words = words or Words()
    skill_ids = {s.id for s in need.skills}
    facts = NeedFacts.of(need)
    scored = [(-_parts(facts, r, skill_ids, score_only=True), r.name, r.id, r) for r in _plain(rows)]
    scored.sort(key=lambda x: x[:3])
    if limit:
        scored = scored[:limit]
    names = skill_names_of(need)
    return [_candidate(facts, r, _parts(facts, r, skill_ids), names, words) for *_key, r in scored]


def candidates_for(need: Need, *, name: str | None = None, limit: int | None = 50,
                   now: datetime | None = None) -> list[Candidate]:
    """The ranked candidates of one need (one statement; `need.skills` loaded before)."""
    # on the session's connection as a Core statement (plain columns): the ORM's result
    # handling cost a sixth of the list for thousands of rows
    rows = db.session.connection().execute(eligible(need, now, name=name)).all()
    return rank(need, rows, limit=limit)


def is_eligible(need: Need, user_id: int, now: datetime | None = None) -> Candidate | None:
    """The volunteer as a candidate of the need, or None if a hard condition fails."""
    rows = db.session.execute(eligible(need, now, user_ids=[user_id])).all()
    return rank(need, rows)[0] if rows else None


def still_fits(need: Need, user_id: int, now: datetime | None = None) -> bool:
    """At the answer: the person asked still meets the need's hard conditions (consent, status,
    office, language, time) — a withdrawal or a changed need between mail and answer counts."""
    return db.session.execute(eligible(need, now, user_ids=[user_id], answering=True).limit(1)).first() is not None


def score_candidates(need_ids: list[int], volunteer_limit: int | None = None,
                     now: datetime | None = None) -> dict[int, list[Candidate]]:
    """For each need: its candidates (hard conditions met), best first, with score and reasons —
    plain data for the batch assignment's cost matrix. Three statements whatever the number of
    needs: the needs, their skills, and every fitting (need, volunteer) pair (`pairs`; for a
    single need its own `eligible` statement)."""
    ids = list(need_ids)
    needs = db.session.scalars(select(Need).where(Need.id.in_(ids or [-1]))
                               .options(selectinload(Need.skills))).all()
    rows: dict[int, list] = {n.id: [] for n in needs}
    if len(needs) == 1:  # one need: its own conditions filter before the facts are read
        rows[needs[0].id] = db.session.execute(eligible(needs[0], now)).all()
    elif needs:
        for row in db.session.execute(pairs([n.id for n in needs], now)):
            rows[row.need_id].append(row)
    out: dict[int, list[Candidate]] = {}
    words = Words()
    for need in needs:
        out[need.id] = rank(need, rows[need.id], words, limit=volunteer_limit)
    return out


def partners_for(need: Need) -> list[Organisation]:
    """Approved partner organisations that take on the need's category in its district (or, for
    a need without district, in one of the office's districts). One statement."""
    if need.district_id is not None:
        in_district = organisation_districts.c.district_id == need.district_id
    else:
        in_district = organisation_districts.c.district_id.in_(
            select(District.id).where(District.office_id == need.office_id))
    return list(db.session.scalars(
        select(Organisation).where(
            Organisation.state == OrganisationState.APPROVED,
            exists().where(organisation_need_categories.c.organisation_id == Organisation.id,
                           organisation_need_categories.c.item_id == need.category_id),
            exists().where(organisation_districts.c.organisation_id == Organisation.id, in_district))
        .order_by(Organisation.name).limit(20)))


__all__ = ["Candidate", "candidates_for", "eligible", "is_eligible", "pairs", "partners_for", "rank",
           "register_weekly_contacts", "score_candidates", "still_fits", "weekly_cap"]
