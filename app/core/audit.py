"""The audit log: one function every area calls for every change staff make.

    record(current_user, "office.updated", office, office_id=office.id, fields=["phone"])

The entry joins the caller's transaction: it is committed with the change or not at all.
Entries are never updated or deleted by the app (there is no function for it); the page that
lists them lives on top of the areas (app/audit)."""
from __future__ import annotations

from typing import Any, Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from app.core.models import AuditEntry
from app.extensions import db

MAX_DETAIL_VALUE = 200  # characters per string value: structured facts, not documents

# What the page calls each action. Areas add theirs with `register_labels(actions={...})`; an
# action without a label is shown by its key.
ACTION_LABELS: dict[str, Any] = {
    "office.created": _l("Office created"),
    "office.updated": _l("Office changed"),
    "satellite.created": _l("Satellite location created"),
    "satellite.updated": _l("Satellite location changed"),
    "satellite.deleted": _l("Satellite location deleted"),
    "mail_template.saved": _l("Mail template of an office saved"),
    "mail_template.deleted": _l("Mail template of an office reset to the standard"),
    "address.bounced": _l("Address marked as bounced"),
    "account.invited": _l("Colleague invited"),
    "account.offices_set": _l("Offices of an account changed"),
    "account.role_changed": _l("Role changed"),
    "account.deactivated": _l("Account deactivated"),
    "account.reactivated": _l("Account reactivated"),
    "account.admin_created": _l("Administrator set up on the command line"),
    "message.sent": _l("Message sent"),
}

# The kinds of record (their table names), for the page's filter and the "record" column.
RECORD_LABELS: dict[str, Any] = {
    "offices": _l("Office"),
    "satellite_locations": _l("Satellite location"),
    "mail_template_overrides": _l("Mail template"),
    "suppressed_addresses": _l("Blocked address"),
    "users": _l("Account"),
    "messages": _l("Message"),
}

# What the keys of `detail` mean; values are made readable by app.audit.describe.
DETAIL_LABELS: dict[str, Any] = {
    "fields": _l("Changed"),
    "districts_added": _l("Districts added"),
    "districts_removed": _l("Districts removed"),
    "name": _l("Name"),
    "kind": _l("Kind of mail"),
    "locale": _l("Language"),
    "user_id": _l("Account"),
    "address_hash": _l("Address (coded)"),
    "role": _l("Role"),
    "old_role": _l("Role before"),
    "new_role": _l("Role now"),
    "office_ids": _l("Offices"),
    "offices_added": _l("Offices added"),
    "offices_removed": _l("Offices removed"),
    "created": _l("New account"),
    "recipients": _l("Recipients"),
}

# What the field names listed under "fields" are called.
FIELD_LABELS: dict[str, Any] = {
    "name": _l("Name"),
    "slug": _l("Short name for addresses"),
    "operator": _l("Welfare association in the tandem"),
    "street": _l("Street and number"),
    "postcode": _l("Postcode"),
    "phone": _l("Phone"),
    "email": _l("E-mail address"),
    "opening_hours": _l("Opening hours"),
    "founded_year": _l("Founded in"),
    "weekday": _l("Weekday of the consultation hour"),
    "opens_at": _l("From"),
    "closes_at": _l("Until"),
    "note": _l("Note"),
    "active": _l("Active"),
    "subject": _l("Subject"),
    "body": _l("Text"),
}


# How a detail's value is put into words, per detail key (a status code → "aktiv").
VALUE_WORDS: dict[str, Callable[[Any], str]] = {}


def register_labels(*, actions: dict[str, Any] | None = None, records: dict[str, Any] | None = None,
                    details: dict[str, Any] | None = None, fields: dict[str, Any] | None = None,
                    values: dict[str, Callable[[Any], str]] | None = None) -> None:
    """Let an area name its own actions, record types, detail keys and field names (lazy
    strings), and say how the values of its detail keys read (`values`: key → function)."""
    ACTION_LABELS.update(actions or {})
    RECORD_LABELS.update(records or {})
    DETAIL_LABELS.update(details or {})
    FIELD_LABELS.update(fields or {})
    VALUE_WORDS.update(values or {})


def value_words(key: str, value: Any) -> str | None:
    """The registered words for a detail's value, or None (then it is shown as it is)."""
    words = VALUE_WORDS.get(key)
    if words is None:
        return None
    try:
        return words(value)
    except (KeyError, ValueError, TypeError, AttributeError):
        return None


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def record_label(record_type: str) -> str:
    label = RECORD_LABELS.get(record_type)
    return str(label) if label is not None else record_type


def changed_fields(obj: Any, data: dict[str, Any], names) -> list[str]:
    """The names among `names` whose value in `data` differs from the object's (before setting)."""
    def same(a: Any, b: Any) -> bool:
        return a == b or (a in (None, "") and b in (None, ""))

    return [n for n in names if n in data and not same(getattr(obj, n, None), data[n])]


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
            since=None, until=None, system: bool = False) -> Select:
    """Entries filtered in SQL, newest first. `offices` None means all (admins); a set limits to
    those offices (coordinators see their offices' entries only; entries without an office are
    for admins). `system` selects the entries without a person (CLI, periodic jobs)."""
    stmt = select(AuditEntry)
    if offices is not None:
        stmt = stmt.where(AuditEntry.office_id.in_(offices or {-1}))
    if system:
        stmt = stmt.where(AuditEntry.actor_id.is_(None))
    elif actor_id:
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


def actors(*, offices: set[int] | None) -> list[tuple[int | None, str]]:
    """(actor id, name) of everyone with an entry the viewer may see, by name; the system as
    (None, "system"). One grouped query."""
    from sqlalchemy import func

    stmt = select(AuditEntry.actor_id, func.max(AuditEntry.actor_name)).group_by(AuditEntry.actor_id)
    if offices is not None:
        stmt = stmt.where(AuditEntry.office_id.in_(offices or {-1}))
    rows = [(actor_id, name) for actor_id, name in db.session.execute(stmt)]
    return sorted(rows, key=lambda r: (r[0] is None, (r[1] or "").casefold()))


# ---------------------------------------------------------------- no changes, even in SQL
# On PostgreSQL a trigger refuses UPDATE and DELETE of entries (TRUNCATE, which the tests use
# between runs, fires no row trigger). Created with the table (tests) and by migration 0008.
GUARD_FUNCTION = """CREATE OR REPLACE FUNCTION audit_entries_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit entries cannot be changed or deleted';
END
$$"""
GUARD_TRIGGER = ("CREATE TRIGGER audit_entries_guard BEFORE UPDATE OR DELETE ON audit_entries "
                 "FOR EACH ROW EXECUTE FUNCTION audit_entries_refuse_change()")


def _install_guard() -> None:
    from sqlalchemy import DDL, event

    table = AuditEntry.__table__
    if getattr(table, "_guard_installed", False):
        return
    for statement in (GUARD_FUNCTION, GUARD_TRIGGER):
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="postgresql"))
    table._guard_installed = True


_install_guard()
