"""What the public sees of the activities: the filterable list, one activity's page and the
API. Queries only (no changes), each a constant number of statements: the list is filtered,
sorted and paginated in SQL; an activity's roles × upcoming dates with their counts (and the
viewer's own sign-ups) are one statement.

Rows come back as small plain objects built from Core rows (no ORM objects, no lazy loads), so
templates and the API do nothing but read attributes."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from app.activities.models import (Activity, ActivityDate, ActivityState, ActivityType, PlaceKind, Role, Signup,
                                   SignupState, Slot, activity_languages)
from app.activities.series import local_to_utc
from app.core.timeutil import to_local, utcnow
from app.extensions import db

PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 10_000
NEXT_DATES = 3  # dates shown per entry of the list
MAX_QUERY = 100
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
ID = re.compile(r"^[0-9]{1,9}$")


# ---------------------------------------------------------------- filters
@dataclass
class Filters:
    kind: ActivityType | None = None
    office_id: int | None = None
    district_id: int | None = None
    language: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    free: bool = False
    q: str = ""
    page: int = 1
    per_page: int = PER_PAGE

    def query_args(self) -> dict[str, Any]:
        """The filters as query parameters (for links: pages, the API's next/prev)."""
        out: dict[str, Any] = {}
        if self.kind:
            out["kind"] = self.kind.value
        if self.office_id:
            out["office"] = self.office_id
        if self.district_id:
            out["district"] = self.district_id
        if self.language:
            out["language"] = self.language
        if self.date_from:
            out["from"] = self.date_from.isoformat()
        if self.date_to:
            out["to"] = self.date_to.isoformat()
        if self.free:
            out["free"] = 1
        if self.q:
            out["q"] = self.q
        return out


FILTER_MESSAGES = {
    "kind": _l("Please choose a kind from the list."),
    "office": _l("Please choose an office from the list."),
    "district": _l("Please choose a district from the list."),
    "language": _l("Please choose a language from the list."),
    "from": _l("Please give the date as YYYY-MM-DD, e.g. 2027-03-01."),
    "to": _l("Please give the date as YYYY-MM-DD, e.g. 2027-03-01."),
    "range": _l("The last day must not be before the first day."),
    "free": _l("“Free places” is 1 or empty."),
    "q": _l("Please search for at most %(n)d characters.", n=MAX_QUERY),
    "page": _l("The page must be a number from 1."),
    "per_page": _l("per_page must be a number from 1 to %(n)d.", n=MAX_PER_PAGE),
}


def parse_filters(args: Mapping[str, str], *, api: bool = False) -> tuple[Filters, dict[str, str]]:
    """The filters from a query string, and a message per bad parameter (that filter is left
    out). Unknown ids are not looked up here: an office that doesn't exist simply matches
    nothing. The API also takes per_page."""
    f = Filters()
    errors: dict[str, str] = {}
    # a plain dict of the first values: a MultiDict's get raises and catches an exception for
    # every parameter that is not there (ten per request for a list without filters)
    args = {name: args[name] for name in args}

    def bad(name: str, key: str | None = None) -> None:
        errors[name] = str(FILTER_MESSAGES[key or name])

    raw = (args.get("kind") or "").strip()
    if raw:
        try:
            f.kind = ActivityType(raw)
        except ValueError:
            bad("kind")
    for name in ("office", "district"):
        raw = (args.get(name) or "").strip()
        if raw:
            if ID.match(raw) and int(raw) > 0:
                setattr(f, f"{name}_id", int(raw))
            else:
                bad(name)
    raw = (args.get("language") or "").strip().lower()
    if raw:
        if LANGUAGE_CODE.match(raw):
            f.language = raw
        else:
            bad("language")
    for name, attr in (("from", "date_from"), ("to", "date_to")):
        raw = (args.get(name) or "").strip()
        if raw:
            try:
                value = date.fromisoformat(raw)
                if not 2000 <= value.year <= 2100:
                    raise ValueError
                setattr(f, attr, value)
            except ValueError:
                bad(name)
    if f.date_from and f.date_to and f.date_to < f.date_from:
        bad("to", "range")
        f.date_to = None
    raw = (args.get("free") or "").strip().lower()
    if raw:
        if raw in ("1", "on", "true", "yes"):
            f.free = True
        elif raw not in ("0", "off", "false", "no"):
            bad("free")
    raw = " ".join((args.get("q") or "").split())
    if len(raw) > MAX_QUERY:
        bad("q")
    elif raw and not any(ord(c) < 32 for c in raw):
        f.q = raw
    raw = (args.get("page") or "").strip()
    if raw:
        if ID.match(raw) and int(raw) > 0:
            f.page = min(int(raw), MAX_PAGE)
        else:
            bad("page")
    if api:
        raw = (args.get("per_page") or "").strip()
        if raw:
            if ID.match(raw) and 1 <= int(raw) <= MAX_PER_PAGE:
                f.per_page = int(raw)
            else:
                bad("per_page")
    return f, errors


# ---------------------------------------------------------------- plain rows
@dataclass
class DateInfo:
    id: int
    starts_at: datetime  # UTC
    ends_at: datetime
    cancelled: bool = False
    note: str = ""
    moved_from: datetime | None = None
    free: int = 0  # free places on this date over all roles


@dataclass
class Entry:
    """One activity in the list."""

    id: int
    title: str
    kind: ActivityType
    summary: str
    place: str
    district: str
    languages: list[str] = field(default_factory=list)
    dates: list[DateInfo] = field(default_factory=list)
    more_dates: int = 0  # upcoming dates beyond those shown

    @property
    def next_date(self) -> DateInfo | None:
        return self.dates[0] if self.dates else None


@dataclass
class ListPage:
    entries: list[Entry]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _place(kind, sat_name, sat_street, sat_postcode, sat_city, place_name, street, postcode, city,
           office_name, office_street, office_postcode, office_city) -> list[str]:
    if kind == PlaceKind.SATELLITE and sat_name:
        parts = [sat_name, sat_street, f"{sat_postcode} {sat_city}".strip()]
    elif kind == PlaceKind.ADDRESS:
        parts = [place_name, street, f"{postcode} {city}".strip()]
    else:
        parts = [office_name, office_street, f"{office_postcode} {office_city}".strip()]
    return [p for p in parts if p]


# ---------------------------------------------------------------- the list
def _window(f: Filters, now: datetime) -> tuple[datetime, datetime | None]:
    """The UTC range of dates that count: from now (or the first day's midnight in Berlin, if
    later) to the end of the last day."""
    start = now
    if f.date_from:
        start = max(now, local_to_utc(f.date_from, datetime.min.time()))
    end = local_to_utc(f.date_to + timedelta(days=1), datetime.min.time()) if f.date_to else None
    return start, end


def _date_conditions(d, start: datetime, end: datetime | None) -> list:
    conds = [d.cancelled_at.is_(None), d.starts_at >= start]
    if end is not None:
        conds.append(d.starts_at < end)
    return conds


def _held():
    """Places taken on a slot (confirmed or held for an offer), as a correlated count."""
    return (select(func.count()).select_from(Signup)
            .where(Signup.slot_id == Slot.id, Signup.state.in_((SignupState.CONFIRMED, SignupState.OFFERED)))
            .scalar_subquery())


def like_pattern(text: str) -> str:
    """A case-insensitive LIKE pattern in which % and _ are plain characters."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_stmt(f: Filters, now: datetime):
    """Published activities with an upcoming date in the window, by their next date."""
    start, end = _window(f, now)
    d = aliased(ActivityDate)
    nxt = (select(d.activity_id.label("activity_id"), func.min(d.starts_at).label("next_start"),
                  func.count().label("n_dates"))
           .where(*_date_conditions(d, start, end)).group_by(d.activity_id).subquery())
    stmt = (select(Activity.id, nxt.c.next_start, nxt.c.n_dates)
            .join(nxt, nxt.c.activity_id == Activity.id)
            .where(Activity.state == ActivityState.PUBLISHED))
    if f.kind:
        stmt = stmt.where(Activity.kind == f.kind)
    if f.office_id:
        stmt = stmt.where(Activity.office_id == f.office_id)
    if f.district_id:
        stmt = stmt.where(Activity.district_id == f.district_id)
    if f.language:
        stmt = stmt.where(exists().where(activity_languages.c.activity_id == Activity.id,
                                         activity_languages.c.code == f.language))
    if f.q:
        pattern = like_pattern(f.q)
        stmt = stmt.where(or_(func.lower(Activity.title).like(pattern, escape="\\"),
                              func.lower(Activity.summary).like(pattern, escape="\\")))
    if f.free:
        sd = aliased(ActivityDate)
        stmt = stmt.where(exists(
            select(Slot.id).join(sd, sd.id == Slot.date_id).join(Role, Role.id == Slot.role_id)
            .where(Slot.activity_id == Activity.id, Role.for_partners.is_(False),
                   *_date_conditions(sd, start, end), Role.capacity > _held())))
    return stmt.order_by(nxt.c.next_start, Activity.id)


def activity_list(f: Filters, now: datetime | None = None) -> ListPage:
    """One page of the list: the count, the page's activities, their next dates with free places
    and their languages — four statements whatever the number of activities."""
    now = now or utcnow()
    stmt = list_stmt(f, now)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, -(-total // f.per_page))
    page = min(f.page, pages)
    ids = db.session.execute(stmt.limit(f.per_page).offset((page - 1) * f.per_page)).all()
    entries = _entries([r[0] for r in ids], f, now)
    counts = {r[0]: r[2] for r in ids}
    for e in entries:
        e.more_dates = max(0, counts.get(e.id, 0) - len(e.dates))
    return ListPage(entries=entries, page=page, per_page=f.per_page, total=total)


def _entries(ids: list[int], f: Filters, now: datetime) -> list[Entry]:
    if not ids:
        return []
    start, end = _window(f, now)
    rows = db.session.execute(_activity_columns().where(Activity.id.in_(ids))).all()
    by_id = {r.id: _entry(r) for r in rows}
    # The next dates of each (window function), with the free places of each date.
    d = aliased(ActivityDate)
    ranked = (select(d.id, d.activity_id, d.starts_at, d.ends_at, d.note, d.original_starts_at,
                     func.row_number().over(partition_by=d.activity_id, order_by=(d.starts_at, d.id)).label("rn"))
              .where(d.activity_id.in_(ids), *_date_conditions(d, start, end)).subquery())
    free_per_date = (select(func.coalesce(func.sum(case((Role.capacity > _held(), Role.capacity - _held()),
                                                         else_=0)), 0))
                     .select_from(Slot).join(Role, Role.id == Slot.role_id)
                     .where(Slot.date_id == ranked.c.id, Role.for_partners.is_(False))
                     .scalar_subquery())
    for r in db.session.execute(
            select(ranked.c.id, ranked.c.activity_id, ranked.c.starts_at, ranked.c.ends_at, ranked.c.note,
                   ranked.c.original_starts_at, free_per_date.label("free"))
            .where(ranked.c.rn <= NEXT_DATES).order_by(ranked.c.activity_id, ranked.c.starts_at)):
        entry = by_id.get(r.activity_id)
        if entry is not None:
            entry.dates.append(DateInfo(r.id, r.starts_at, r.ends_at, note=r.note or "",
                                        moved_from=r.original_starts_at, free=int(r.free or 0)))
    return [by_id[i] for i in ids if i in by_id]


def _activity_columns():
    from app.offices.models import District, Office, SatelliteLocation

    langs = (select(func.aggregate_strings(activity_languages.c.code, ","))
             .where(activity_languages.c.activity_id == Activity.id).scalar_subquery())
    return (select(Activity.id, Activity.title, Activity.kind, Activity.summary, Activity.place_kind,
                   SatelliteLocation.name.label("sat_name"), SatelliteLocation.street.label("sat_street"),
                   SatelliteLocation.postcode.label("sat_postcode"), SatelliteLocation.city.label("sat_city"),
                   Activity.place_name, Activity.street, Activity.postcode, Activity.city,
                   Office.name.label("office_name"), Office.street.label("office_street"),
                   Office.postcode.label("office_postcode"), Office.city.label("office_city"),
                   District.name.label("district"), langs.label("languages"))
            .join(Office, Office.id == Activity.office_id)
            .outerjoin(SatelliteLocation, SatelliteLocation.id == Activity.satellite_id)
            .outerjoin(District, District.id == Activity.district_id))


def _place_of(r) -> list[str]:
    return _place(r.place_kind, r.sat_name, r.sat_street, r.sat_postcode, r.sat_city, r.place_name, r.street,
                  r.postcode, r.city, r.office_name, r.office_street, r.office_postcode, r.office_city)


def _entry(r) -> Entry:
    return Entry(id=r.id, title=r.title, kind=r.kind, summary=r.summary or "", place=", ".join(_place_of(r)),
                 district=r.district or "", languages=sorted((r.languages or "").split(",")) if r.languages else [])


# ---------------------------------------------------------------- one activity
@dataclass
class SlotInfo:
    """One role on one date, with its counts; `mine` is the viewer's sign-up there (if any)."""

    id: int
    date_id: int
    starts_at: datetime
    ends_at: datetime
    date_cancelled: bool
    capacity: int
    confirmed: int
    offered: int
    waiting: int
    cancelled_at: datetime | None = None  # the date's (open_problem reads it as the date)
    mine_id: int | None = None
    mine_state: SignupState | None = None
    mine_position: int | None = None
    mine_offer_expires_at: datetime | None = None
    problem: str | None = None  # why one can't sign up now (filled by the view)

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.confirmed - self.offered)

    @property
    def mine_active(self) -> bool:
        return self.mine_state in (SignupState.CONFIRMED, SignupState.WAITING, SignupState.OFFERED)


@dataclass
class RoleInfo:
    id: int
    name: str
    description: str
    capacity: int
    slot_start: Any
    slot_end: Any
    signup_opens_at: datetime | None
    signup_closes_at: datetime | None
    deadline_hours: int
    required_language: str | None
    required_level: int | None
    required_skill: str | None  # the skill's label in the viewer's language
    required_skill_id: int | None
    for_partners: bool
    max_per_organisation: int | None
    auto_move_up: bool
    slots: list[SlotInfo] = field(default_factory=list)

    @property
    def has_requirements(self) -> bool:
        return bool(self.required_language or self.required_skill_id)


@dataclass
class ActivityPage:
    id: int
    title: str
    kind: ActivityType
    state: ActivityState
    office_id: int
    office_name: str
    office_email: str
    office_phone: str
    summary: str
    description: str
    place_lines: list[str]
    district: str
    languages: list[str]
    organiser: str  # an organisation's name, else the office's
    organisation_id: int | None
    contact_name: str
    cancel_reason: str
    updated_at: datetime | None
    dates: list[DateInfo] = field(default_factory=list)
    roles: list[RoleInfo] = field(default_factory=list)
    description_html: str = ""  # sanitised, filled by the page

    @property
    def is_published(self) -> bool:
        return self.state == ActivityState.PUBLISHED


def activity_page(activity_id: int, *, locale: str = "de", user_id: int | None = None,
                  now: datetime | None = None) -> ActivityPage | None:
    """An activity with its roles and upcoming dates: two statements (the activity; roles ×
    upcoming dates with counts and, for a viewer, their own sign-up and waiting position).
    None if it doesn't exist; the caller decides who may see a draft."""
    pages = activity_pages([activity_id], locale=locale, user_id=user_id, now=now)
    return pages[0] if pages else None


def activity_pages(ids: list[int], *, locale: str = "de", user_id: int | None = None,
                   now: datetime | None = None) -> list[ActivityPage]:
    """activity_page for several activities at once, in the order of `ids`: still two
    statements."""
    from app.accounts.models import User
    from app.people.models import Organisation
    from app.offices.models import Office

    if not ids:
        return []
    now = now or utcnow()
    cols = _activity_columns().add_columns(
        Activity.state, Activity.office_id, Activity.description, Activity.organisation_id,
        Activity.cancel_reason, Activity.updated_at, Office.email.label("office_email"),
        Office.phone.label("office_phone"), Organisation.name.label("organisation_name"),
        User.name.label("contact_name"))
    rows = db.session.execute(
        cols.outerjoin(Organisation, Organisation.id == Activity.organisation_id)
        .outerjoin(User, User.id == Activity.contact_id).where(Activity.id.in_(ids))).all()
    pages = {}
    for row in rows:
        pages[row.id] = ActivityPage(
            id=row.id, title=row.title, kind=row.kind, state=row.state, office_id=row.office_id,
            office_name=row.office_name, office_email=row.office_email or "", office_phone=row.office_phone or "",
            summary=row.summary or "", description=row.description or "", place_lines=_place_of(row),
            district=row.district or "", languages=sorted(row.languages.split(",")) if row.languages else [],
            organiser=row.organisation_name or row.office_name, organisation_id=row.organisation_id,
            contact_name=row.contact_name or "", cancel_reason=row.cancel_reason or "", updated_at=row.updated_at)
    if pages:
        _fill_grids(pages, locale=locale, user_id=user_id, now=now)
    return [pages[i] for i in ids if i in pages]


def _fill_grids(pages: dict[int, ActivityPage], *, locale: str, user_id: int | None, now: datetime) -> None:
    from app.people.models import ChoiceItem

    ids = list(pages)
    held = (SignupState.CONFIRMED, SignupState.OFFERED)
    s = Signup
    counts = (select(s.slot_id.label("slot_id"),
                     func.sum(case((s.state == SignupState.CONFIRMED, 1), else_=0)).label("confirmed"),
                     func.sum(case((s.state == SignupState.OFFERED, 1), else_=0)).label("offered"),
                     func.sum(case((s.state == SignupState.WAITING, 1), else_=0)).label("waiting"))
              .join(Slot, Slot.id == s.slot_id)
              .where(Slot.activity_id.in_(ids), Slot.ends_at > now, s.state.in_((*held, SignupState.WAITING)))
              .group_by(s.slot_id).subquery())
    skill_label = ChoiceItem.label_en if locale == "en" else ChoiceItem.label_de
    upcoming = and_(Slot.role_id == Role.id, Slot.ends_at > now)
    d = aliased(ActivityDate)
    columns = [Role.activity_id, Role.id.label("role_id"), Role.name, Role.description, Role.capacity,
               Role.slot_start, Role.slot_end, Role.signup_opens_at, Role.signup_closes_at, Role.deadline_hours,
               Role.required_language, Role.required_level, skill_label.label("skill"), Role.required_skill_id,
               Role.for_partners,
               Role.max_per_organisation, Role.auto_move_up, Slot.id.label("slot_id"), Slot.date_id,
               Slot.starts_at, Slot.ends_at, d.cancelled_at, d.starts_at.label("date_starts"),
               d.ends_at.label("date_ends"), d.note, d.original_starts_at, counts.c.confirmed, counts.c.offered,
               counts.c.waiting]
    stmt = (select(*columns)
            .outerjoin(ChoiceItem, ChoiceItem.id == Role.required_skill_id)
            .outerjoin(Slot, upcoming)
            .outerjoin(d, d.id == Slot.date_id)
            .outerjoin(counts, counts.c.slot_id == Slot.id)
            .where(Role.activity_id.in_(ids))
            .order_by(Role.activity_id, Role.position, Role.id, Slot.starts_at, Slot.id))
    if user_id is not None:
        mine = aliased(Signup)
        other = aliased(Signup)
        position = (select(func.count()).select_from(other)
                    .where(other.slot_id == mine.slot_id, other.state == SignupState.WAITING,
                           other.queue_no <= mine.queue_no).scalar_subquery())
        stmt = (stmt.outerjoin(mine, and_(mine.slot_id == Slot.id, mine.user_id == user_id))
                .add_columns(mine.id.label("mine_id"), mine.state.label("mine_state"),
                             case((mine.state == SignupState.WAITING, position), else_=None).label("position"),
                             mine.offer_expires_at))
    roles: dict[int, RoleInfo] = {}
    dates: dict[int, dict[int, DateInfo]] = {i: {} for i in ids}
    for r in db.session.execute(stmt):
        role = roles.get(r.role_id)
        if role is None:
            role = roles[r.role_id] = RoleInfo(
                r.role_id, r.name, r.description or "", r.capacity, r.slot_start, r.slot_end, r.signup_opens_at,
                r.signup_closes_at, r.deadline_hours or 0, r.required_language, r.required_level, r.skill,
                r.required_skill_id, bool(r.for_partners), r.max_per_organisation, bool(r.auto_move_up))
            pages[r.activity_id].roles.append(role)
        if r.slot_id is None:
            continue
        slot = SlotInfo(r.slot_id, r.date_id, r.starts_at, r.ends_at, r.cancelled_at is not None, r.capacity,
                        int(r.confirmed or 0), int(r.offered or 0), int(r.waiting or 0), r.cancelled_at)
        if user_id is not None and r.mine_id is not None:
            slot.mine_id, slot.mine_state = r.mine_id, SignupState(r.mine_state)
            slot.mine_position = r.position
            slot.mine_offer_expires_at = r.offer_expires_at
        role.slots.append(slot)
        per_activity = dates[r.activity_id]
        info = per_activity.get(r.date_id)
        if info is None:
            info = per_activity[r.date_id] = DateInfo(r.date_id, r.date_starts, r.date_ends,
                                                      cancelled=r.cancelled_at is not None, note=r.note or "",
                                                      moved_from=r.original_starts_at)
        if not r.for_partners and r.cancelled_at is None:
            info.free += slot.free
    for activity_id, page in pages.items():
        page.dates = sorted(dates[activity_id].values(), key=lambda x: (x.starts_at, x.id))


def local_day(value: datetime) -> date:
    return to_local(value).date()


def visible_to(page: ActivityPage, user) -> bool:
    """Published activities are public; a draft only for staff of its office (with a banner);
    a cancelled one answers 404 to everyone but staff of its office."""
    if page.is_published:
        return True
    from app.core.permissions import can_act_in_office

    return bool(user is not None and user.is_authenticated and user.role.value in ("coordinator", "admin")
                and can_act_in_office(user, page.office_id))


__all__ = ["ActivityPage", "DateInfo", "Entry", "Filters", "ListPage", "RoleInfo", "SlotInfo", "activity_list",
           "activity_page", "activity_pages", "like_pattern", "list_stmt", "parse_filters", "visible_to"]


_QUALIFICATIONS = None


def _qualifications_stmt():
    """Built once (building Core statements costs more than running them here)."""
    global _QUALIFICATIONS
    if _QUALIFICATIONS is None:
        from sqlalchemy import bindparam, literal, union_all

        from app.people.models import VolunteerLanguage, volunteer_skills

        uid = bindparam("uid")
        _QUALIFICATIONS = union_all(
            select(literal("l").label("t"), VolunteerLanguage.code.label("code"), VolunteerLanguage.level.label("n"))
            .where(VolunteerLanguage.user_id == uid),
            select(literal("s"), literal(""), volunteer_skills.c.item_id).where(volunteer_skills.c.user_id == uid))
    return _QUALIFICATIONS


def qualifications(user_id: int) -> tuple[dict[str, int], set[int]]:
    """A volunteer's language levels and skill ids, in one statement (for the requirements of
    every role on a page at once)."""
    languages: dict[str, int] = {}
    skills: set[int] = set()
    for t, code, n in db.session.execute(_qualifications_stmt(), {"uid": user_id}):
        if t == "l":
            languages[code] = int(n)
        else:
            skills.add(int(n))
    return languages, skills


@dataclass
class Mine:
    """The viewer's own sign-up on a slot."""

    id: int
    state: SignupState
    position: int | None
    offer_expires_at: datetime | None


_MY_SIGNUPS = None


def _my_signups_stmt():
    global _MY_SIGNUPS
    if _MY_SIGNUPS is None:
        from sqlalchemy import bindparam

        other = aliased(Signup)
        position = (select(func.count()).select_from(other)
                    .where(other.slot_id == Signup.slot_id, other.state == SignupState.WAITING,
                           other.queue_no <= Signup.queue_no).correlate(Signup).scalar_subquery())
        _MY_SIGNUPS = (
            select(Signup.slot_id, Signup.id, Signup.state,
                   case((Signup.state == SignupState.WAITING, position), else_=None), Signup.offer_expires_at)
            .join(Slot, Slot.id == Signup.slot_id)
            .where(Slot.activity_id == bindparam("aid"), Signup.user_id == bindparam("uid"),
                   Signup.state.in_((SignupState.CONFIRMED, SignupState.OFFERED, SignupState.WAITING))))
    return _MY_SIGNUPS


def my_signups(activity_id: int, user_id: int) -> dict[int, Mine]:
    """The person's active sign-ups on an activity's slots, with waiting positions: one
    statement (built once, bound per request)."""
    rows = db.session.execute(_my_signups_stmt(), {"aid": activity_id, "uid": user_id})
    return {r[0]: Mine(r[1], SignupState(r[2]), r[3], r[4]) for r in rows}
