"""Cached anonymous pages and API answers of the activities, dropped the moment anything they show
changes — in every app process.

The cache (Flask-Caching: a per-process SimpleCache by default, Redis with CACHE_TYPE=RedisCache
and CACHE_REDIS_URL) holds rendered bodies under keys that begin with a *version*: one number in
the database (`activity_cache_version`, one row), read with one primary-key SELECT per request.
Every commit that changes an activity, its dates, roles or sign-ups — services say so with
`events.changed()`; a flush of such a row (or of an office, satellite, district or organisation
whose name or address a page shows) counts too — adds one to it right after the commit, so the
next request in any process builds new keys and old entries are never read again (they age out).

A stale entry can't be stored under the new version: a request that read the old version
before the commit stores under the old key, which nobody asks for afterwards.

Pages for people who are logged in (or have a flash message waiting) never come from here."""
from __future__ import annotations

import logging
import threading

from flask import current_app, g, has_app_context
from sqlalchemy import Column, Integer, Table, event, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.activities.events import on_change
from app.core import ownread
from app.core.localcache import LocalEntries
from app.extensions import cache, db

log = logging.getLogger(__name__)

cache_version = Table(
    "activity_cache_version",
    db.metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False, default=0),
)
_FLAG = "activity_cache_dirty"


# The people's version comes along (one statement for both): the signed-in daily pages are kept
# under both (app.core.viewerpages; a person's languages and skills show on an activity page).
_READ = ("SELECT (SELECT version FROM activity_cache_version WHERE id = 1), "
         "(SELECT version FROM people_cache_version WHERE id = 1)")


def current_version() -> int:
    """The version for this request: read once, then kept in `g`. Read on a connection of its
    own (app.core.ownread) where the database allows, so that a request served from the cache
    never checks a connection out of the pool nor opens a transaction; else on the request's own
    connection. The people's version is read with it and handed to app.people.cache."""
    v = g.get("_activity_cache_version")
    if v is None:
        ridden = ownread.take_rider("activity_version")
        if ridden is not ownread.NOT_READ:  # read with the signed-in account (app.core.ownread)
            v = g._activity_cache_version = int(ridden or 0)
            return v
        values = ownread.read_values(_READ)
        if values is None:
            try:
                values = tuple(db.session.connection().exec_driver_sql(_READ).first())
            except SQLAlchemyError:
                db.session.rollback()
                raise
        v = g._activity_cache_version = int(values[0] or 0)
        from app.people import cache as people_cache

        people_cache.request_version(int(values[1] or 0))
    return v


def versions() -> tuple[int, int]:
    """The activities' and the people's versions of this request (one statement for both): what
    a signed-in daily page is kept under (app.core.viewerpages)."""
    from app.people import cache as people_cache

    return current_version(), people_cache.current_version()


def bump() -> None:
    """Add one to the version in its own short transaction (called after a commit)."""
    ownread.bump(cache_version)
    if has_app_context():
        g.pop("_activity_cache_version", None)
        ownread.drop_rider("activity_version")


ownread.register_rider("activity_version", lambda: select(cache_version.c.version)
                       .where(cache_version.c.id == 1).scalar_subquery())


_local = threading.local()


@on_change
def _activities_changed(activity_ids: set[int]) -> None:
    bump()
    _local.bumped = True  # this commit's flag (below) needs no second bump


# Rows whose changes show on the public pages although a service may not have said so: an
# activity's own rows count as changed(activity_id) (one bump with the service's own call), an
# office, satellite, district or organisation (names and addresses on the pages) as a flag.
def _activity_id_of(obj) -> int | None:
    from app.activities.models import Activity, ActivityDate, DateSeries, Role, Signup, Slot, UrgentCall, UrgentInvite

    if isinstance(obj, (Signup, UrgentCall, UrgentInvite)):
        return 0  # its activity is a query away: the flag (an urgent call shows on the roster)
    if isinstance(obj, Activity):
        return obj.id or 0
    if isinstance(obj, (ActivityDate, DateSeries, Role, Slot)):
        return obj.activity_id or 0
    return None


def _places() -> tuple[type, ...]:
    from app.offices.models import District, Office, SatelliteLocation
    from app.people.models import Organisation

    return (Office, SatelliteLocation, District, Organisation)


# What the staff's cached roster and attendance rows (`fragment`) show of a person beyond their
# sign-up: name and e-mail (users), phone (volunteer_profiles), whether they share their contact
# with partners (volunteer_consents), a hand-over of their place (activity_handovers). A change
# to one of these counts as a change of the activities, as a flag like the places above; for a
# user only a change of what the rows show (not a log-in's bookkeeping).
_PERSON_FIELDS = {"users": ("name", "email", "active", "deleted_at"), "volunteer_profiles": ("phone",)}
_SHOWN_TABLES = frozenset(("activity_signups", "activity_handovers", "activity_urgent_calls",
                           "activity_urgent_invites", "volunteer_consents", "volunteer_profiles", "users",
                           "organisations"))


def _person_shown(obj, group: str) -> bool:
    """Whether a "new", "dirty" (changed) or "deleted" row changes what roster rows show."""
    from app.accounts.models import User
    from app.activities.models import Handover
    from app.people.models import VolunteerConsent, VolunteerProfile

    if isinstance(obj, (Handover, VolunteerConsent)):
        return True
    if isinstance(obj, (User, VolunteerProfile)):
        if group != "dirty":  # a new user is on no roster yet; a new profile may add a phone
            return group == "deleted" or isinstance(obj, VolunteerProfile)
        from sqlalchemy import inspect

        attrs = inspect(obj).attrs
        return any(attrs[name].history.has_changes() for name in _PERSON_FIELDS[obj.__tablename__])
    return False


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush_context, instances) -> None:
    from app.activities.events import changed

    places = None
    for name, group in (("new", session.new), ("dirty", session.dirty), ("deleted", session.deleted)):
        for obj in group:
            activity_id = _activity_id_of(obj)
            if activity_id:
                changed(activity_id, session=session)
                continue
            if activity_id == 0:  # a new activity (no id before this flush), a sign-up
                session.info[_FLAG] = True
                continue
            places = places or _places()
            if isinstance(obj, places) or (not session.info.get(_FLAG) and _person_shown(obj, name)):
                session.info[_FLAG] = True


@event.listens_for(Session, "do_orm_execute")
def _bulk_change(state) -> None:
    # An INSERT, UPDATE or DELETE statement (not a flush) of what the rows show, e.g. sign-ups
    # inserted set-wise, hand-overs that expire, an account's profile and consents erased.
    if (state.is_insert or state.is_update or state.is_delete) and getattr(state.statement, "table", None) is not None \
            and getattr(state.statement.table, "name", None) in _SHOWN_TABLES:
        state.session.info[_FLAG] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # Runs after events' own after_commit listener (registered first, on import).
    bumped, _local.bumped = getattr(_local, "bumped", False), False
    if session.info.pop(_FLAG, False) and not bumped:
        bump()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_FLAG, None)


# In front of Flask-Caching: this process's own entries as they are (SimpleCache pickles every
# value on the way in and out, a few hundred microseconds for a page). Keys carry the version,
# so an entry here is never stale; it lives ACTIVITY_CACHE_SECONDS at most, and the oldest go
# first beyond CACHE_THRESHOLD entries.
_kept = LocalEntries("activity_cache_local")


def get(key: str):
    value = _kept.get(key)
    if value is not None:
        return value
    if current_app.config.get("CACHE_TYPE") in ("SimpleCache", "simple", "NullCache", "null"):
        return None  # nothing shared behind it
    value = cache.get(key)
    if value is not None:
        _remember(key, value, current_app.config["ACTIVITY_CACHE_SECONDS"])
    return value


def put(key: str, value, timeout: int | None = None) -> None:
    timeout = timeout if timeout is not None else current_app.config["ACTIVITY_CACHE_SECONDS"]
    _remember(key, value, timeout)
    if current_app.config.get("CACHE_TYPE") not in ("SimpleCache", "simple", "NullCache", "null"):
        cache.set(key, value, timeout=timeout)


def _remember(key: str, value, timeout: int) -> None:
    _kept.put(key, value, timeout, int(current_app.config.get("CACHE_THRESHOLD", 2000)))


def fragment(name: str, *parts, build):
    """A part of a staff page that is the same for every viewer with the same `parts` (e.g. a
    slot's rows for staff, or for partner contacts): built once per version, locale and script
    root in this process by `build()` and kept, like the public pages. What `build` returns is
    never changed afterwards; anything per session (a CSRF token) is put in by the caller."""
    from flask import request
    from flask_babel import get_locale

    key = f"frag:{current_version()}:{get_locale() or 'de'}:{request.script_root}:{name}:" + ":".join(map(str, parts))
    value = get(key)
    if value is None:
        value = build()
        put(key, value)
    return value
