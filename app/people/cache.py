"""The coordinators' directory table, kept as rendered HTML, dropped the moment anything it shows
or filters on changes — in every app process.

The directory's table (count, export links, rows, pagination) is the same HTML for every viewer
with the same office scope, language and query at the same state of the data. It is kept in
this process under a key that begins with a *version*: one number in the database
(`people_cache_version`, one row). The version is not a statement of its own: it comes with the
lists the page reads on every request anyway (`directory_views._lists_stmt`, one more arm of
its UNION), in the request's own transaction.

Every commit that changes what the directory shows or filters on adds one to it right after the
commit, so the next request in any process builds new keys and old entries are never read
again (they age out). What counts (`_before_flush`, `_on_execute`):

- a volunteer's profile (phone, district, status, hours, availability, wanted kinds, and its
  collections: languages, skills, offices), languages, consents — any insert, change or delete;
- an account's name, e-mail address, role, active flag or deletion (not its last log-in and
  the like: those happen all day and show nowhere in the directory);
- any INSERT, UPDATE or DELETE statement run through the session on these tables
  (`users`, `volunteer_profiles`, `volunteer_languages`, `volunteer_skills`,
  `volunteer_offices`, `volunteer_consents`).

Names of offices, districts and skills are in the key instead (the lists' content, read on
every request: `_Lists.serial`), as are the viewer's offices and the language.

A stale entry can't be stored under the new version: a request that read the old version
before the commit stores under the old key, which nobody asks for afterwards (the bump follows
the commit). Statements run on a bare connection (`db.session.connection().execute(...)`,
`engine.begin()`) are not seen: write these tables through the session."""
from __future__ import annotations

import logging

from flask import current_app, g, has_app_context
from sqlalchemy import Column, Integer, Table, event, select
from sqlalchemy.orm import Session

from app.core import ownread
from app.core.localcache import LocalEntries
from app.extensions import db

log = logging.getLogger(__name__)

people_cache_version = Table(
    "people_cache_version",
    db.metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False, default=0),
)
_FLAG = "people_cache_dirty"

# the tables whose rows the directory shows or filters on
WATCHED_TABLES = frozenset({"users", "volunteer_profiles", "volunteer_languages", "volunteer_skills",
                            "volunteer_offices", "volunteer_consents"})
# an account's fields the directory shows or filters on
USER_FIELDS = ("name", "email", "role", "active", "deleted_at")


_READ = "SELECT version FROM people_cache_version WHERE id = 1"


def current_version() -> int:
    """The version for this request, for pages other than the directory (which reads it with its
    lists): read once on a connection of its own (app.core.ownread) where the database allows,
    else on the request's; then kept in `g`."""
    v = g.get("_people_cache_version")
    if v is None:
        ridden = ownread.take_rider("people_version")
        if ridden is not ownread.NOT_READ:  # read with the signed-in account (app.core.ownread)
            v = g._people_cache_version = int(ridden or 0)
            return v
        v = ownread.read_int(_READ)
        if v is None:
            v = db.session.connection().exec_driver_sql(_READ).scalar()
        v = g._people_cache_version = int(v or 0)
    return v


def request_version(v: int) -> None:
    """The version as another area read it in this request, along with its own (one statement)."""
    g._people_cache_version = v


def bump() -> None:
    """Add one to the version in its own short transaction (called after a commit)."""
    ownread.bump(people_cache_version)
    if has_app_context():
        g.pop("_people_cache_version", None)
        ownread.drop_rider("people_version")
        ownread.drop_rider("profile_complete")  # a profile of this commit may be the viewer's


ownread.register_rider("people_version", lambda: select(people_cache_version.c.version)
                       .where(people_cache_version.c.id == 1).scalar_subquery())


def _models() -> tuple[tuple[type, ...], type]:
    from app.accounts.models import User
    from app.people.models import VolunteerConsent, VolunteerLanguage, VolunteerProfile

    return (VolunteerProfile, VolunteerLanguage, VolunteerConsent), User


def _user_changed(user) -> bool:
    from sqlalchemy import inspect

    attrs = inspect(user).attrs
    return any(attrs[name].history.has_changes() for name in USER_FIELDS)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush_context, instances) -> None:
    if session.info.get(_FLAG):
        return
    people, user_model = _models()
    for obj in session.new:
        if isinstance(obj, people) or isinstance(obj, user_model):
            session.info[_FLAG] = True
            return
    for obj in session.deleted:
        if isinstance(obj, people) or isinstance(obj, user_model):
            session.info[_FLAG] = True
            return
    for obj in session.dirty:
        if isinstance(obj, people) or (isinstance(obj, user_model) and _user_changed(obj)):
            session.info[_FLAG] = True
            return


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state) -> None:
    """INSERT / UPDATE / DELETE statements run through the session (bulk changes, erasure)."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in WATCHED_TABLES:
        state.session.info[_FLAG] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_FLAG, False):
        bump()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_FLAG, None)


# ---------------------------------------------------------------- the entries, per app process
# Keys carry the version, so an entry is never stale; it lives PEOPLE_CACHE_SECONDS at most (in
# case the database is restored to an older version number), and the oldest go first beyond
# PEOPLE_CACHE_ENTRIES (app.core.localcache).
_local = LocalEntries("people_cache")


def get(key: tuple):
    return _local.get(key)


def put(key: tuple, value) -> None:
    config = current_app.config
    _local.put(key, value, config.get("PEOPLE_CACHE_SECONDS", 600), int(config.get("PEOPLE_CACHE_ENTRIES", 500)))
