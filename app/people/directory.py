"""The coordinators' volunteer directory: which volunteers a viewer may see, filtered, sorted and
paginated in SQL, and the few extra facts per row loaded in one statement.

A page costs a constant number of statements whatever the number of volunteers:

1. the rows of the page together with the number of matches, counted only up to `COUNT_CAP`
   (+1, in a LIMITed subquery: "more than 1,000"), so neither the count nor the sort reads
   every match; the name and newest sorts walk an index (`ix_users_role_lower_name`,
   `ix_volunteer_profiles_created`, migration 0010) and stop after the page,
2. languages, skills and offices of those rows (one UNION ALL, `row_facts`).

Exports use the same query without LIMIT, read in chunks (`yield_per`, a server-side cursor on
PostgreSQL), and load the facts chunk by chunk, so 20,000 rows never sit in memory.

Later areas add a part to a volunteer's page with `register_volunteer_section` (their sign-ups,
their assignments), never by editing the page."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from sqlalchemy import Index, Select, String, case, cast, exists, false, func, literal, select, union_all

from app.accounts.models import Role, User
from app.core.permissions import office_scope
from app.extensions import db
from app.offices.models import District
from app.people.models import (ActivityKind, ConsentPurpose, VolunteerConsent, VolunteerLanguage,
                               VolunteerProfile, VolunteerStatus, volunteer_offices, volunteer_skills)

PER_PAGE = 50
EXPORT_CHUNK = 1000
COUNT_CAP = 1000  # the page counts matches up to this many, then says "more than 1,000"
SORTS = ("name", "district", "status", "newest")
STATUS_ORDER = [s for s in VolunteerStatus]  # the lifecycle order: new → ... → left


@dataclass
class DirectoryFilter:
    """What the viewer asked for; every field already checked (None: no filter)."""

    q: str = ""
    language: str | None = None
    min_level: int = 1
    skill: int | None = None        # ChoiceItem id of the skill list
    district: int | None = None
    slot: int | None = None         # bit number 0..20 (weekday * 3 + part)
    status: VolunteerStatus | None = None
    kind: ActivityKind | None = None
    office: int | None = None
    contact: bool | None = None     # consent to be contacted given (True) / not given (False)
    sort: str = "name"
    nothing: bool = False           # a value outside the viewer's scope was asked for: no rows

    def narrows(self) -> bool:
        """Is any filter beyond search and sort set (the page shows them unfolded then)?"""
        return bool(self.language) or self.nothing or any(
            getattr(self, name) is not None
            for name in ("skill", "district", "slot", "status", "kind", "office", "contact"))

    def describe(self) -> dict[str, Any]:
        """The filter as plain facts for the audit log: which filters, never the search text."""
        facts: dict[str, Any] = {"sort": self.sort}
        if self.q:
            facts["search"] = True
        for name in ("language", "skill", "district", "slot", "office", "contact"):
            value = getattr(self, name)
            if value is not None:
                facts[name] = value
        if self.language:
            facts["min_level"] = self.min_level
        if self.status is not None:
            facts["status"] = self.status.value
        if self.kind is not None:
            facts["kind"] = self.kind.name.lower()
        return facts


# ---------------------------------------------------------------- who may be seen
ALL = None  # a scope: None = every office (admins), else a set of office ids


def viewer_scope(viewer) -> set[int] | None:
    """The offices whose volunteers the viewer may look after: None for an admin (all), the
    coordinator's offices, an empty set for anybody else. Taken once, so that a streamed
    export does not touch the (by then expired) user object again."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return set()
    if viewer.role not in (Role.ADMIN, Role.COORDINATOR):
        return set()
    return office_scope(viewer)


def visible_volunteers(scope: set[int] | None) -> Select:
    """Profiles of volunteers within a scope (`viewer_scope`): all for None, those who want to
    work with one of the offices (`volunteer_offices`) for a set; deleted accounts never."""
    stmt = (select(VolunteerProfile.user_id)
            .join(User, User.id == VolunteerProfile.user_id)
            .where(User.role == Role.VOLUNTEER, User.deleted_at.is_(None)))
    if scope is None:
        return stmt
    if not scope:
        return stmt.where(false())
    return stmt.where(_works_with(scope))


def _works_with(office_ids: Iterable[int]):
    # IN (subquery) rather than EXISTS: the planner may start from the office's index
    return VolunteerProfile.user_id.in_(select(volunteer_offices.c.user_id)
                                        .where(volunteer_offices.c.office_id.in_(list(office_ids))))


def may_see_volunteer(viewer, user_id: int) -> bool:
    return db.session.scalar(visible_volunteers(viewer_scope(viewer)).where(VolunteerProfile.user_id == user_id)) is not None


# ---------------------------------------------------------------- the list
# The indexes the default sorts walk, so a page reads its 50 rows and not every match
# (migration 0010_directory_indexes). Declared here, next to the ORDER BY they serve; the
# expressions must stay exactly those of `_order`.
Index("ix_users_role_lower_name", User.__table__.c.role, func.lower(User.__table__.c.name), User.__table__.c.id)
Index("ix_volunteer_profiles_created", VolunteerProfile.__table__.c.created_at,
      VolunteerProfile.__table__.c.user_id)


def _contact_given():
    return exists().where(VolunteerConsent.user_id == VolunteerProfile.user_id,
                          VolunteerConsent.purpose == ConsentPurpose.CONTACT,
                          VolunteerConsent.given.is_(True))


def matching(scope: set[int] | None, flt: DirectoryFilter) -> Select:
    """The user ids within the scope (`viewer_scope`) and filter; unsorted, no LIMIT."""
    stmt = visible_volunteers(scope)
    if flt.nothing:
        return stmt.where(false())
    if flt.q:
        needle = flt.q.lower()
        stmt = stmt.where(func.lower(User.name).contains(needle, autoescape=True)
                          | User.email.contains(needle, autoescape=True))
    if flt.language:
        stmt = stmt.where(VolunteerProfile.user_id.in_(
            select(VolunteerLanguage.user_id).where(VolunteerLanguage.code == flt.language,
                                                    VolunteerLanguage.level >= flt.min_level)))
    if flt.skill is not None:
        stmt = stmt.where(VolunteerProfile.user_id.in_(
            select(volunteer_skills.c.user_id).where(volunteer_skills.c.item_id == flt.skill)))
    if flt.district is not None:
        stmt = stmt.where(VolunteerProfile.district_id == flt.district)
    if flt.slot is not None:
        stmt = stmt.where(VolunteerProfile.availability.op("&")(1 << flt.slot) != 0)
    if flt.status is not None:
        stmt = stmt.where(VolunteerProfile.status == flt.status)
    if flt.kind is not None:
        stmt = stmt.where(VolunteerProfile.wanted_kinds.op("&")(flt.kind.bit) != 0)
    if flt.office is not None:
        stmt = stmt.where(_works_with([flt.office]))
    if flt.contact is True:
        stmt = stmt.where(_contact_given())
    elif flt.contact is False:
        stmt = stmt.where(~_contact_given())
    return stmt


def directory_query(scope: set[int] | None, flt: DirectoryFilter, with_total: bool = False) -> Select:
    """The directory's rows within the scope (`viewer_scope`) and filter, sorted; no LIMIT.
    `with_total` adds the number of matches up to COUNT_CAP + 1 (one uncorrelated subquery,
    evaluated once)."""
    columns = [User.id, User.name, User.email, VolunteerProfile.phone, VolunteerProfile.district_id,
               District.name.label("district_name"), VolunteerProfile.status,
               VolunteerProfile.hours_per_month, VolunteerProfile.availability,
               VolunteerProfile.wanted_kinds, VolunteerProfile.created_at,
               _contact_given().label("contact")]
    if with_total:
        columns.append(capped_count(scope, flt).label("total"))
    stmt = (matching(scope, flt)
            .with_only_columns(*columns)
            .outerjoin(District, District.id == VolunteerProfile.district_id))
    return stmt.order_by(*_order(flt.sort))


def capped_count(scope: set[int] | None, flt: DirectoryFilter, cap: int | None = None):
    """The number of matches, but at most cap + 1 (COUNT_CAP; as a scalar subquery): reads at
    most cap + 1 matches however many there are."""
    cap = COUNT_CAP if cap is None else cap
    return (select(func.count()).select_from(matching(scope, flt).limit(cap + 1).subquery())
            .scalar_subquery())


def _order(sort: str) -> list:
    name = func.lower(User.name)
    if sort == "district":
        return [case((District.name.is_(None), 1), else_=0), District.name, name, User.id]
    if sort == "status":
        lifecycle = case({s: i for i, s in enumerate(STATUS_ORDER)}, value=VolunteerProfile.status)
        return [lifecycle, name, User.id]
    if sort == "newest":
        return [VolunteerProfile.created_at.desc(), User.id.desc()]
    return [name, User.id]


@dataclass
class DirectoryRow:
    id: int
    name: str
    email: str
    phone: str
    district_id: int | None
    district_name: str | None
    status: VolunteerStatus
    hours_per_month: int | None
    availability: int
    wanted_kinds: int
    created_at: Any
    contact: bool
    languages: list[tuple[str, int]] = field(default_factory=list)  # (code, level), best first
    skill_ids: list[int] = field(default_factory=list)
    office_ids: list[int] = field(default_factory=list)


@dataclass
class DirectoryPage:
    rows: list[DirectoryRow]
    page: int
    per_page: int
    total: int              # the matches; when `capped`, COUNT_CAP + 1 stands for "more than COUNT_CAP"
    more: bool = False      # a row exists after this page
    capped: bool = False
    cap: int = COUNT_CAP

    @property
    def pages(self) -> int:
        """The number of pages; when the count is capped, those known so far (at least this and,
        if there is one, the next)."""
        known = max(1, -(-self.total // self.per_page))
        return max(known, self.page + 1 if self.more else self.page) if self.capped else known

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.more


def _row(r) -> DirectoryRow:
    return DirectoryRow(id=r.id, name=r.name, email=r.email, phone=r.phone or "", district_id=r.district_id,
                        district_name=r.district_name, status=r.status, hours_per_month=r.hours_per_month,
                        availability=r.availability or 0, wanted_kinds=r.wanted_kinds or 0,
                        created_at=r.created_at, contact=bool(r.contact))


def directory_page(scope: set[int] | None, flt: DirectoryFilter, page: int = 1,
                   per_page: int | None = None) -> DirectoryPage:
    """One page in two statements: the rows (one more than the page, to know whether a next
    page exists) with the capped total, then their languages/skills/offices. A page beyond the
    end shows the last one (an exact count and the rows again, only then)."""
    page = max(1, page or 1)
    per_page = per_page or PER_PAGE
    stmt = directory_query(scope, flt, with_total=True)
    # Core statements on the session's connection: no ORM entities to build for plain rows.
    conn = db.session.connection()
    result = conn.execute(stmt.limit(per_page + 1).offset((page - 1) * per_page)).all()
    total = result[0].total if result else 0
    if not result and page > 1:
        total = conn.execute(select(func.count()).select_from(matching(scope, flt).subquery())).scalar() or 0
        page = max(1, -(-total // per_page))
        result = conn.execute(stmt.limit(per_page + 1).offset((page - 1) * per_page)).all() if total else []
        capped = False
    else:
        capped = total > COUNT_CAP
    rows = [_row(r) for r in result[:per_page]]
    attach_facts(rows)
    return DirectoryPage(rows=rows, page=page, per_page=per_page, total=total, more=len(result) > per_page,
                         capped=capped, cap=COUNT_CAP)


def count_matches(scope: set[int] | None, flt: DirectoryFilter) -> int:
    return db.session.scalar(select(func.count()).select_from(matching(scope, flt).subquery())) or 0


def row_facts(user_ids: list[int]) -> Select:
    """(user_id, kind, value, level) of the rows' languages ('l'), skills ('s') and offices ('o')."""
    langs = select(VolunteerLanguage.user_id.label("user_id"), literal("l").label("kind"),
                   VolunteerLanguage.code.label("value"), VolunteerLanguage.level.label("level")
                   ).where(VolunteerLanguage.user_id.in_(user_ids))
    skills = select(volunteer_skills.c.user_id, literal("s"), cast(volunteer_skills.c.item_id, String),
                    literal(0)).where(volunteer_skills.c.user_id.in_(user_ids))
    offices = select(volunteer_offices.c.user_id, literal("o"), cast(volunteer_offices.c.office_id, String),
                     literal(0)).where(volunteer_offices.c.user_id.in_(user_ids))
    return union_all(langs, skills, offices)


def attach_facts(rows: list[DirectoryRow]) -> None:
    if not rows:
        return
    by_id = {r.id: r for r in rows}
    for user_id, kind, value, level in db.session.connection().execute(row_facts(list(by_id))):
        row = by_id[user_id]
        if kind == "l":
            row.languages.append((value, level))
        elif kind == "s":
            row.skill_ids.append(int(value))
        else:
            row.office_ids.append(int(value))
    for row in rows:
        row.languages.sort(key=lambda x: (-x[1], x[0]))


def iter_rows(scope: set[int] | None, flt: DirectoryFilter, chunk: int = EXPORT_CHUNK) -> Iterator[list[DirectoryRow]]:
    """Every matching row, in the list's order, in chunks: a server-side cursor on PostgreSQL
    (`yield_per`), so memory holds one chunk at a time."""
    result = db.session.execute(directory_query(scope, flt).execution_options(yield_per=chunk))
    try:
        for part in result.partitions():
            rows = [_row(r) for r in part]
            attach_facts(rows)
            yield rows
    finally:
        result.close()


# ---------------------------------------------------------------- a volunteer's page: extra parts
@dataclass(frozen=True)
class VolunteerSection:
    key: str
    title: Any              # a lazy string
    template: str           # included with `section_data` (what `load` returned) in its context
    load: Callable[[int, Any], Any]  # load(volunteer_user_id, viewer) -> data; falsy: left out
    order: int = 50


_VOLUNTEER_SECTIONS: dict[str, VolunteerSection] = {}


def register_volunteer_section(key: str, title: Any, *, template: str, load: Callable[[int, Any], Any],
                               order: int = 50) -> None:
    """Add a part to the staff's page of a volunteer (e.g. the activities area: their sign-ups).
    `load` runs with the already checked volunteer id and the viewer; keep it to one query."""
    _VOLUNTEER_SECTIONS[key] = VolunteerSection(key, title, template, load, order)


def volunteer_sections(user_id: int, viewer) -> list[tuple[VolunteerSection, Any]]:
    out = []
    for section in sorted(_VOLUNTEER_SECTIONS.values(), key=lambda s: (s.order, s.key)):
        data = section.load(user_id, viewer)
        if data:
            out.append((section, data))
    return out


__all__ = ["DirectoryFilter", "DirectoryPage", "DirectoryRow", "PER_PAGE", "SORTS", "attach_facts",
           "COUNT_CAP", "count_matches", "directory_page", "directory_query", "matching", "iter_rows", "may_see_volunteer",
           "register_volunteer_section", "viewer_scope", "visible_volunteers", "volunteer_sections"]
