"""The audit log: one function every area calls for every change staff make.

    record(current_user, "office.updated", office, office_id=office.id, fields=["phone"])

The entry joins the caller's transaction: it is committed with the change or not at all.
Entries are never updated or deleted by the app (there is no function for it); the page that
lists them lives on top of the areas (app/audit)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from app.core.models import AuditEntry
from app.extensions import db

MAX_DETAIL_VALUE = 200  # characters per string value: structured facts, not documents


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return value[:MAX_DETAIL_VALUE]
    if isinstance(value, (list, tuple, set)):
        return [_clean(v) for v in list(value)[:50]]
    if isinstance(value, dict):
        return {str(k)[:60]: _clean(v) for k, v in list(value.items())[:30]}
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return str(value)[:MAX_DETAIL_VALUE]


def record(actor, action: str, target: Any = None, *, record_type: str | None = None,
           record_id: int | None = None, office_id: int | None = None, **detail: Any) -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits).

    `target` is the changed record (its table name and id are taken), or give `record_type`
    and `record_id`. `actor` is a user (or None for the system: CLI, periodic jobs)."""
    if target is not None:
        record_type = record_type or getattr(target, "__tablename__", type(target).__name__.lower())
        if record_id is None:
            record_id = getattr(target, "id", None) or getattr(target, "user_id", None)
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None) if actor is not None else None,
        actor_name=(getattr(actor, "name", "") or "")[:120] if actor is not None else "system",
        action=action[:60],
        record_type=(record_type or "")[:40],
        record_id=record_id,
        office_id=office_id,
        detail=_clean(detail),
    )
    db.session.add(entry)
    return entry


def entries(*, offices: set[int] | None, actor_id: int | None = None, action: str | None = None,
            record_type: str | None = None, record_id: int | None = None,
            since=None, until=None) -> Select:
    """Entries filtered in SQL, newest first. `offices` None means all (admins); a set limits to
    those offices (coordinators see their offices' entries only)."""
    stmt = select(AuditEntry)
    if offices is not None:
        stmt = stmt.where(AuditEntry.office_id.in_(offices or {-1}))
    if actor_id:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action, autoescape=True))
    if record_type:
        stmt = stmt.where(AuditEntry.record_type == record_type)
    if record_id:
        stmt = stmt.where(AuditEntry.record_id == record_id)
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEntry.at < until)
    return stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
