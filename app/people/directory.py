"""The coordinators' volunteer directory: which volunteers a viewer may see, filtered, sorted and
paginated in SQL, and the few extra facts per row loaded in one statement.

A page costs one statement whatever the number of volunteers:

1. the rows of the page together with the number of matches, counted only up to `COUNT_CAP`
   (+1, in a LIMITed subquery: "more than 1,000"), so neither the count nor the sort reads
   every match; the name and newest sorts walk an index (`ix_users_role_lower_name`,
   `ix_volunteer_profiles_created`, migration 0010) and stop after the page,
2. around them, in the same statement, the languages, skills and offices of just those rows,
   each aggregated into one string (`_facts`: string_agg / group_concat).

The statements are built once per shape of filter and kept, values as bind parameters.
Exports use the same query without LIMIT, with the facts per row, read in chunks (`yield_per`,
a server-side cursor on PostgreSQL), so 20,000 rows never sit in memory.

Later areas add a part to a volunteer's page with `register_volunteer_section` (their sign-ups,
their assignments), never by editing the page."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Callable, Iterator

from sqlalchemy import (Index, Integer, Select, String, bindparam, case, cast, event, exists, false, func, literal,
                        select, text, true)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.accounts.models import Role, User
from app.core import ownread
from app.core.permissions import office_scope
from app.extensions import db
from app.offices.models import District
from app.people.models import (ActivityKind, ConsentPurpose, VolunteerConsent, VolunteerLanguage,
                               VolunteerProfile, VolunteerStatus, volunteer_offices, volunteer_skills)

log = logging.getLogger(__name__)

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
    stmt = _visible(_scope_kind(scope))
    return stmt.params(scope=sorted(scope)) if scope else stmt


def _scope_kind(scope: set[int] | None) -> str:
    return "all" if scope is None else ("offices" if scope else "none")


class _no_index(FunctionElement):
    """The column, but one SQLite's planner does not start from (`+column`; elsewhere just the
    column): SQLite would otherwise walk the users' name index for `role = 'volunteer'` and then
    sort every match, where the "newest" sort should walk `ix_volunteer_profiles_created` and stop
    after the page (page 100 of 20,000: 55 ms → 1 ms in SQLite)."""

    inherit_cache = True
    name = "no_index"

    def __init__(self, column):
        super().__init__(column)
        self.type = column.type


@compiles(_no_index)
def _no_index_default(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(_no_index, "sqlite")
def _no_index_sqlite(element, compiler, **kw):
    return "+" + compiler.process(element.clauses, **kw)


def _visible(scope_kind: str, walk_created: bool = False) -> Select:
    role = _no_index(User.role) if walk_created else User.role
    stmt = (select(VolunteerProfile.user_id)
            .join(User, User.id == VolunteerProfile.user_id)
            .where(role == Role.VOLUNTEER, User.deleted_at.is_(None)))
    if scope_kind == "all":
        return stmt
    if scope_kind == "none":
        return stmt.where(false())
    if scope_kind == "offices":
        return stmt.where(_works_with(bindparam("scope", expanding=True)))
    count = int(scope_kind.removeprefix("offices"))  # a shape's: `_shape`
    return stmt.where(_works_with([bindparam(f"scope_{i}", type_=Integer) for i in range(count)]))


def _works_with(office_ids):
    # IN (subquery) rather than EXISTS: the planner may start from the office's index
    return VolunteerProfile.user_id.in_(select(volunteer_offices.c.user_id)
                                        .where(volunteer_offices.c.office_id.in_(office_ids)))


def may_see_volunteer(viewer, user_id: int) -> bool:
    return db.session.scalar(visible_volunteers(viewer_scope(viewer)).where(VolunteerProfile.user_id == user_id)) is not None


# ---------------------------------------------------------------- the list
# The indexes the default sorts walk, so a page reads its 50 rows and not every match
# (migration 0010_directory_indexes). Declared here, next to the ORDER BY they serve; the
# expressions must stay exactly those of `_order`.
Index("ix_users_role_lower_name", User.__table__.c.role, func.lower(User.__table__.c.name), User.__table__.c.id)
Index("ix_volunteer_profiles_created", VolunteerProfile.__table__.c.created_at,
      VolunteerProfile.__table__.c.user_id)
# Counting the matches up to 1,001 reads this index alone, not 1,001 users' rows (SQLite, admin's
# page: 1.9 → 0.1 ms; migration 0018_people_cache).
Index("ix_users_role_deleted", User.__table__.c.role, User.__table__.c.deleted_at)


# The text search (`LIKE '%…%'` on the lowered name and on the e-mail) looks up trigrams on
# PostgreSQL (pg_trgm, migration 0019_name_search) instead of reading every account: "haddad" at
# 20,000 volunteers 16 → 4 ms. SQLite has no such index and reads them all (fast enough there);
# nor does a PostgreSQL where the extension can't be created (the search works, only slower).
def _ensure_trgm(target, connection, **kw) -> None:
    """create_all (tests, benchmarks): the extension first, where this role may create it."""
    if connection.dialect.name != "postgresql":
        return
    try:
        with connection.begin_nested():
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DBAPIError as exc:
        log.warning("pg_trgm is not available (%s): the directory's search reads every account", exc.orig)


def _trgm_available(ddl, target, bind, **kw) -> bool:
    return bind is None or bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").first() \
        is not None


event.listen(db.metadata, "before_create", _ensure_trgm)
Index("ix_users_name_trgm", func.lower(User.__table__.c.name).label("lower_name"), postgresql_using="gin",
      postgresql_ops={"lower_name": "gin_trgm_ops"}).ddl_if(dialect="postgresql", callable_=_trgm_available)
Index("ix_users_email_trgm", User.__table__.c.email, postgresql_using="gin",
      postgresql_ops={"email": "gin_trgm_ops"}).ddl_if(dialect="postgresql", callable_=_trgm_available)

# Statements are built once per shape (which filters are set, the sort, the kind of scope)
# with bind parameters for every value, and kept: building a statement of this size and its
# cache key cost more per request than running it. `_shape` and `_values` must agree with
# `_matching`.
_Shape = tuple


def _shape(scope: set[int] | None, flt: DirectoryFilter) -> _Shape:
    # the number of the viewer's offices is part of the shape (one bind parameter each, not an
    # expanding list), so a page's SQL is fixed text that can run straight on libpq (app.core.ownread)
    kind = _scope_kind(scope)
    return (f"offices{len(scope)}" if kind == "offices" else kind, flt.nothing, bool(flt.q), bool(flt.language), flt.skill is not None,
            flt.district is not None, flt.slot is not None, flt.status is not None, flt.kind is not None,
            flt.office is not None, flt.contact, flt.sort if flt.sort in SORTS else "name")


def _like_pattern(text: str) -> str:
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def _values(scope: set[int] | None, flt: DirectoryFilter) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if scope:
        values.update((f"scope_{i}", office) for i, office in enumerate(sorted(scope)))
    if flt.q:
        values["pattern"] = _like_pattern(flt.q.lower())
    if flt.language:
        values["language"], values["min_level"] = flt.language, flt.min_level
    if flt.skill is not None:
        values["skill"] = flt.skill
    if flt.district is not None:
        values["district"] = flt.district
    if flt.slot is not None:
        values["slot_bit"] = 1 << flt.slot
    if flt.status is not None:
        values["status"] = flt.status
    if flt.kind is not None:
        values["kind_bit"] = flt.kind.bit
    if flt.office is not None:
        values["office"] = flt.office
    return values


def _contact_given():
    return exists().where(VolunteerConsent.user_id == VolunteerProfile.user_id,
                          VolunteerConsent.purpose == ConsentPurpose.CONTACT,
                          VolunteerConsent.given.is_(True))


@lru_cache(maxsize=256)
def _matching(shape: _Shape, walk_created: bool = False) -> Select:
    """The matches of a shape; `walk_created`: for the rows of the "newest" sort (`_no_index`)."""
    (scope_kind, nothing, q, language, skill, district, slot, status, kind, office, contact, _sort) = shape
    stmt = _visible(scope_kind, walk_created)
    if nothing:
        return stmt.where(false())
    if q:
        pattern = bindparam("pattern", type_=String)
        stmt = stmt.where(func.lower(User.name).like(pattern, escape="/") | User.email.like(pattern, escape="/"))
    if language:
        stmt = stmt.where(VolunteerProfile.user_id.in_(
            select(VolunteerLanguage.user_id).where(VolunteerLanguage.code == bindparam("language"),
                                                    VolunteerLanguage.level >= bindparam("min_level"))))
    if skill:
        stmt = stmt.where(VolunteerProfile.user_id.in_(
            select(volunteer_skills.c.user_id).where(volunteer_skills.c.item_id == bindparam("skill"))))
    if district:
        stmt = stmt.where(VolunteerProfile.district_id == bindparam("district"))
    if slot:
        stmt = stmt.where(VolunteerProfile.availability.op("&")(bindparam("slot_bit", type_=Integer)) != 0)
    if status:
        stmt = stmt.where(VolunteerProfile.status == bindparam("status"))
    if kind:
        stmt = stmt.where(VolunteerProfile.wanted_kinds.op("&")(bindparam("kind_bit", type_=Integer)) != 0)
    if office:
        stmt = stmt.where(_works_with([bindparam("office")]))
    if contact is True:
        stmt = stmt.where(_contact_given())
    elif contact is False:
        stmt = stmt.where(~_contact_given())
    return stmt


def matching(scope: set[int] | None, flt: DirectoryFilter) -> Select:
    """The user ids within the scope (`viewer_scope`) and filter; unsorted, no LIMIT."""
    return _matching(_shape(scope, flt)).params(**_values(scope, flt))


def _facts(user_id) -> list:
    """Languages ("ar:3,de:4"), skill ids and office ids of the row with this id, each one
    string aggregated in SQL (string_agg / group_concat): no second statement, no row per fact."""
    langs = (select(func.aggregate_strings(VolunteerLanguage.code + ":" + cast(VolunteerLanguage.level, String), ","))
             .where(VolunteerLanguage.user_id == user_id).scalar_subquery())
    skills = (select(func.aggregate_strings(cast(volunteer_skills.c.item_id, String), ","))
              .where(volunteer_skills.c.user_id == user_id).scalar_subquery())
    offices = (select(func.aggregate_strings(cast(volunteer_offices.c.office_id, String), ","))
               .where(volunteer_offices.c.user_id == user_id).scalar_subquery())
    return [langs.label("langs"), skills.label("skill_list"), offices.label("office_list")]


def _columns(with_contact: bool = True) -> list:
    columns = [User.id, User.name, User.email, VolunteerProfile.phone, VolunteerProfile.district_id,
               District.name.label("district_name"), VolunteerProfile.status,
               VolunteerProfile.hours_per_month, VolunteerProfile.availability,
               VolunteerProfile.wanted_kinds, VolunteerProfile.created_at]
    return columns + [_contact_given().label("contact")] if with_contact else columns


@lru_cache(maxsize=256)
def _directory_select(shape: _Shape, with_total: bool, with_facts: bool, with_contact: bool = True) -> Select:
    columns = _columns(with_contact)
    if with_total:
        columns.append(_capped_count(shape).label("total"))
    if with_facts:
        columns += _facts(User.id)
    newest = shape[-1] == "newest"
    stmt = (_matching(shape, walk_created=newest)
            .with_only_columns(*columns)
            .outerjoin(District, District.id == VolunteerProfile.district_id))
    # "newest" orders by the profile's own user_id (the same number as users.id), so that
    # the order is exactly that of ix_volunteer_profiles_created (created_at, user_id)
    return stmt.order_by(*_order(shape[-1], _SortColumns(
        func.lower(User.name), VolunteerProfile.user_id if newest else User.id, District.name,
        VolunteerProfile.status, VolunteerProfile.created_at)))


def directory_query(scope: set[int] | None, flt: DirectoryFilter, with_total: bool = False) -> Select:
    """The directory's rows within the scope (`viewer_scope`) and filter, sorted, with each
    row's languages, skills and offices (`_facts`); no LIMIT. `with_total` adds the number of
    matches up to COUNT_CAP + 1 (one uncorrelated subquery, evaluated once)."""
    return _directory_select(_shape(scope, flt), with_total, True).params(**_values(scope, flt))


def _capped_count(shape: _Shape):
    return (select(func.count()).select_from(_matching(shape).limit(COUNT_CAP + 1).subquery())
            .scalar_subquery())


def capped_count(scope: set[int] | None, flt: DirectoryFilter, cap: int | None = None):
    """The number of matches, but at most cap + 1 (COUNT_CAP; as a scalar subquery): reads at
    most cap + 1 matches however many there are."""
    cap = COUNT_CAP if cap is None else cap
    return (select(func.count()).select_from(matching(scope, flt).limit(cap + 1).subquery())
            .scalar_subquery())


@dataclass
class _SortColumns:
    name: Any  # lower(name)
    id: Any
    district_name: Any
    status: Any
    created_at: Any


def _order(sort: str, c: _SortColumns) -> list:
    if sort == "district":
        return [case((c.district_name.is_(None), 1), else_=0), c.district_name, c.name, c.id]
    if sort == "status":
        # typed values (`'new'::VARCHAR`, `0::INTEGER`): fixed SQL that runs on libpq as it is
        lifecycle = case({literal(s.value, String): literal(i, Integer) for i, s in enumerate(STATUS_ORDER)},
                         value=c.status)
        return [lifecycle, c.name, c.id]
    if sort == "newest":
        return [c.created_at.desc(), c.id.desc()]
    return [c.name, c.id]


_TOTAL = 12  # the total's place in a page's row: after `_columns(False)` and the contact


@lru_cache(maxsize=256)
def _page_stmt(shape: _Shape) -> Select:
    """One page in one statement: the sorted, LIMITed rows with the capped total as a subquery,
    and around it, for just those rows (so never for rows that a sort discards), the contact
    consent and the facts, in the same order; the columns of `_columns()` + total + `_facts`,
    as `row_from` reads them. The consent is a scalar subquery out here, not an EXISTS in the
    sorted part: PostgreSQL answered an EXISTS by hashing every consent in the table first
    (a sequential scan of them all; 3-10 of the 15-25 ms of an admin's page at 20,000), where
    51 look-ups in the consents' key (user_id, purpose) do."""
    page = (_directory_select(shape, True, False, False)
            .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer))
            .subquery("page"))
    contact = (select(true()).where(VolunteerConsent.user_id == page.c.id,
                                           VolunteerConsent.purpose == ConsentPurpose.CONTACT,
                                           VolunteerConsent.given.is_(True))
               .limit(1).scalar_subquery())  # true or NULL (`row_from`: bool)
    columns = [c for c in page.c if c.key != "total"] + [contact.label("contact"), page.c.total]
    assert columns[_TOTAL] is page.c.total
    return select(*columns, *_facts(page.c.id)).order_by(*_order(shape[-1], _SortColumns(
        func.lower(page.c.name), page.c.id, page.c.district_name, page.c.status, page.c.created_at)))


@dataclass(slots=True)
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
    languages: tuple[tuple[str, int], ...] = ()  # (code, level), best first
    skill_ids: list[int] = field(default_factory=list)
    office_ids: list[int] = field(default_factory=list)


@dataclass
class DirectoryPage:
    raw: list[tuple]        # the page's rows as read (`row_key` names one by its content)
    page: int
    per_page: int
    total: int              # the matches; when `capped`, COUNT_CAP + 1 stands for "more than COUNT_CAP"
    more: bool = False      # a row exists after this page
    capped: bool = False
    cap: int = COUNT_CAP

    @cached_property
    def rows(self) -> list[DirectoryRow]:
        return [row_from(r) for r in self.raw]

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


def row_key(raw: tuple) -> tuple:
    """What a row read for a page shows, as a key (everything but the page's total): two equal
    keys are the same row with the same content, whatever page or filter it came in."""
    return raw[:_TOTAL] + raw[_TOTAL + 1:]


def _languages(text: str | None) -> tuple[tuple[str, int], ...]:
    """"ar:4,de:2" → (("ar", 4), ("de", 2)), best first."""
    if not text:
        return ()
    pairs = [(code, int(level)) for code, _sep, level in (part.partition(":") for part in text.split(","))]
    if len(pairs) > 1:
        pairs.sort(key=_best_first)
    return tuple(pairs)


def _best_first(pair: tuple[str, int]) -> tuple[int, str]:
    return -pair[1], pair[0]


def _ids(text: str | None) -> list[int]:
    if not text:
        return []
    ids = [int(i) for i in text.split(",")]
    if len(ids) > 1:
        ids.sort()
    return ids


def row_from(r) -> DirectoryRow:
    """A row of `_columns()` (+ total) + `_facts`, by position: 50 rows by name cost more than
    the statement."""
    (ident, name, email, phone, district_id, district_name, status, hours, availability, kinds, created_at,
     contact) = r[:12]
    langs, skills, offices = r[-3:]
    return DirectoryRow(ident, name, email, phone or "", district_id, district_name, status, hours,
                        availability or 0, kinds or 0, created_at, bool(contact), _languages(langs), _ids(skills),
                        _ids(offices))


def directory_page(scope: set[int] | None, flt: DirectoryFilter, page: int = 1,
                   per_page: int | None = None) -> DirectoryPage:
    """One page in one statement (`_page_stmt`): the rows (one more than the page, to know
    whether a next page exists) with the capped total and their languages/skills/offices. A
    page beyond the end shows the last one (an exact count and the rows again, only then).

    Read on the thread's own connection (`ownread.rows`: straight on libpq, no pooled connection
    and no transaction for the page, the latest commit), planned for its values every time (the
    best plan depends on them: a search's trigrams)."""
    page = max(1, page or 1)
    per_page = per_page or PER_PAGE
    shape, values = _shape(scope, flt), _values(scope, flt)
    stmt = _page_stmt(shape)
    result = ownread.rows(stmt, {**values, "limit": per_page + 1, "offset": (page - 1) * per_page}, prepare=False)
    total = result[0][_TOTAL] if result else 0
    if not result and page > 1:
        total = ownread.rows(_count_stmt(shape), values, prepare=False)[0][0] or 0
        page = max(1, -(-total // per_page))
        result = ownread.rows(stmt, {**values, "limit": per_page + 1, "offset": (page - 1) * per_page},
                              prepare=False) if total else []
        capped = False
    else:
        capped = total > COUNT_CAP
    return DirectoryPage(raw=result[:per_page], page=page, per_page=per_page, total=total, more=len(result) > per_page,
                         capped=capped, cap=COUNT_CAP)


@lru_cache(maxsize=256)
def _count_stmt(shape: _Shape) -> Select:
    return select(func.count()).select_from(_matching(shape).subquery())


def count_matches(scope: set[int] | None, flt: DirectoryFilter) -> int:
    return ownread.rows(_count_stmt(_shape(scope, flt)), _values(scope, flt), prepare=False)[0][0] or 0


def iter_rows(scope: set[int] | None, flt: DirectoryFilter, chunk: int = EXPORT_CHUNK) -> Iterator[list[DirectoryRow]]:
    """Every matching row, in the list's order, with its facts, in chunks: one statement read
    through a server-side cursor on PostgreSQL (`yield_per`), so memory holds one chunk at a
    time.

    On PostgreSQL without JIT compilation (`SET LOCAL`: this transaction only): the statement's
    estimate for every row is above `jit_above_cost`, and compiling it cost ~0.9 of the 2.2 s
    the server spent on 20,000 rows, for a statement that runs once."""
    stmt = _directory_select(_shape(scope, flt), False, True).execution_options(yield_per=chunk)
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL jit = off"))
    result = db.session.execute(stmt, _values(scope, flt))
    try:
        for part in result.partitions():
            yield [row_from(r) for r in part]
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


__all__ = ["DirectoryFilter", "DirectoryPage", "DirectoryRow", "PER_PAGE", "SORTS", "row_key", "row_from",
           "COUNT_CAP", "count_matches", "directory_page", "directory_query", "matching", "iter_rows", "may_see_volunteer",
           "register_volunteer_section", "viewer_scope", "visible_volunteers", "volunteer_sections"]
