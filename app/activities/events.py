""""Something shown about these activities changed": collected during a transaction and handed
to listeners after it commits (caches drop what they hold, nothing is dropped for a change that
was rolled back). Services call `changed(activity_id)` whenever they change what a page, the list
or the API shows: an activity's fields, its dates or roles, and every sign-up (free places)."""
from __future__ import annotations

from typing import Callable, Iterable

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db

Listener = Callable[[set[int]], None]
_listeners: list[Listener] = []
_KEY = "activities_changed"


def on_change(fn: Listener) -> Listener:
    """Register fn(activity_ids) to be called after a commit that changed these activities."""
    if fn not in _listeners:
        _listeners.append(fn)
    return fn


def changed(*activity_ids: int | None, session: Session | None = None) -> None:
    s = session or db.session()
    s.info.setdefault(_KEY, set()).update(i for i in activity_ids if i is not None)


def changed_many(activity_ids: Iterable[int], session: Session | None = None) -> None:
    changed(*activity_ids, session=session)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    ids = session.info.pop(_KEY, None)
    if ids:
        for fn in list(_listeners):
            fn(set(ids))


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)
