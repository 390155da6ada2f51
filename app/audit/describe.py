"""Audit entries as a person reads them: who, what, which record (a link where there is a page),
which office, and the detail as "field: value" pairs.

The names the entries point to (offices, districts, accounts) are loaded for the whole page at
once, one query per kind of name, so a page costs the same number of statements for 5 rows as
for 50."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.core import audit
from app.core.models import AuditEntry
from app.core.templating import language_name
from app.extensions import db

OFFICE_KEYS = ("office_ids", "offices_added", "offices_removed")
DISTRICT_KEYS = ("districts_added", "districts_removed")
ROLE_KEYS = ("role", "old_role", "new_role")


@dataclass
class Row:
    entry: AuditEntry
    at: datetime
    who: str
    what: str
    record: str
    record_url: str | None
    office: str
    office_url: str | None
    detail: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Names:
    offices: dict[int, str]
    districts: dict[int, str]
    users: dict[int, str]
    is_admin: bool

    def office(self, office_id: int | None) -> str:
        if office_id is None:
            return ""
        return self.offices.get(office_id) or _("Office no. %(id)s (deleted)", id=office_id)

    def user(self, user_id: int | None) -> str:
        if user_id is None:
            return ""
        return self.users.get(user_id) or _("Account no. %(id)s", id=user_id)


# record type -> (entry, names) -> (text, url or None). Areas with pages add theirs here.
RecordView = Callable[[AuditEntry, Names], tuple[str, str | None]]
RECORD_VIEWS: dict[str, RecordView] = {}


def record_view(record_type: str) -> Callable[[RecordView], RecordView]:
    def decorator(fn: RecordView) -> RecordView:
        RECORD_VIEWS[record_type] = fn
        return fn

    return decorator


@record_view("offices")
def _office(entry: AuditEntry, names: Names) -> tuple[str, str | None]:
    exists = entry.record_id in names.offices
    return (names.office(entry.record_id),
            url_for("offices.show_office", office_id=entry.record_id) if exists else None)


@record_view("satellite_locations")
def _satellite(entry: AuditEntry, names: Names) -> tuple[str, str | None]:
    text = _("Satellite location: %(name)s", name=(entry.detail or {}).get("name") or f"#{entry.record_id}")
    exists = entry.office_id in names.offices and entry.action != "satellite.deleted"
    return text, url_for("offices.show_office", office_id=entry.office_id) if exists else None


@record_view("users")
def _user(entry: AuditEntry, names: Names) -> tuple[str, str | None]:
    exists = entry.record_id in names.users
    url = url_for("accounts.admin_user", user_id=entry.record_id) if exists and names.is_admin else None
    return names.user(entry.record_id), url


@record_view("mail_template_overrides")
def _template(entry: AuditEntry, names: Names) -> tuple[str, str | None]:
    from app.mail.kinds import KINDS

    detail = entry.detail or {}
    kind, locale = str(detail.get("kind", "")), str(detail.get("locale", ""))
    spec = KINDS.get(kind)
    text = _("Mail template: %(kind)s (%(language)s)", kind=spec.label if spec else kind,
             language=language_name(locale) if locale else "?")
    url = None
    if names.is_admin and spec is not None and spec.per_office and locale in ("de", "en") \
            and entry.office_id in names.offices:
        url = url_for("mail.edit_template", kind=kind, office_id=entry.office_id, locale=locale)
    return text, url


@record_view("messages")
def _message(entry: AuditEntry, names: Names) -> tuple[str, str | None]:
    return (_("Message no. %(id)s", id=entry.record_id),
            url_for("mail.message_log", message_id=entry.record_id) if entry.record_id else None)


@record_view("suppressed_addresses")
def _address(entry: AuditEntry, names: Names) -> tuple[str, str | None]:
    return _("An address without an account"), None


# ---------------------------------------------------------------- detail values
def _ids(value: Any) -> list[int]:
    if not isinstance(value, list):
        value = [value]
    return [v for v in value if isinstance(v, int) and not isinstance(v, bool)]


def _role(value: Any) -> str:
    from app.accounts.models import ROLE_LABELS, Role

    try:
        return str(ROLE_LABELS[Role(value)])
    except (ValueError, KeyError):
        return str(value)


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if value is None or value == "":
        return "–"
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value) or "–"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return str(value)


def _value(key: str, value: Any, names: Names) -> str:
    from app.mail.kinds import KINDS

    if key == "fields":
        return ", ".join(str(audit.FIELD_LABELS.get(f, f)) for f in (value if isinstance(value, list) else [value]))
    if key in OFFICE_KEYS:
        return ", ".join(names.office(i) for i in _ids(value))
    if key in DISTRICT_KEYS:
        return ", ".join(names.districts.get(i) or f"#{i}" for i in _ids(value))
    if key in ROLE_KEYS:
        return _role(value)
    if key == "user_id":
        return names.user(value if isinstance(value, int) else None)
    if key == "kind" and isinstance(value, str) and value in KINDS:
        return str(KINDS[value].label)
    if key == "locale" and isinstance(value, str) and value:
        return language_name(value)
    words = audit.value_words(key, value)
    return words if words is not None else _plain(value)


def _detail(entry: AuditEntry, names: Names) -> list[tuple[str, str]]:
    pairs = []
    for key, value in (entry.detail or {}).items():
        if value in ([], None, ""):
            continue
        if key == "user_id" and entry.record_type == "users" and value == entry.record_id:
            continue  # the record column names the account already
        if key in ("kind", "locale", "name") and entry.record_type in ("mail_template_overrides",
                                                                       "satellite_locations"):
            continue  # said in the record column
        pairs.append((str(audit.DETAIL_LABELS.get(key, key)), _value(key, value, names)))
    return pairs


# ---------------------------------------------------------------- the page's rows
def _names(entries: Iterable[AuditEntry], is_admin: bool) -> Names:
    from app.accounts.models import User
    from app.offices.models import District, Office

    office_ids: set[int] = set()
    district_ids: set[int] = set()
    user_ids: set[int] = set()
    for e in entries:
        detail = e.detail or {}
        if e.office_id is not None:
            office_ids.add(e.office_id)
        if e.record_type == "offices" and e.record_id is not None:
            office_ids.add(e.record_id)
        if e.record_type == "users" and e.record_id is not None:
            user_ids.add(e.record_id)
        for key in OFFICE_KEYS:
            office_ids.update(_ids(detail.get(key, [])))
        for key in DISTRICT_KEYS:
            district_ids.update(_ids(detail.get(key, [])))
        user_ids.update(_ids(detail.get("user_id", [])))

    def lookup(model, column, ids):
        if not ids:
            return {}
        return dict(db.session.execute(select(model.id, column).where(model.id.in_(ids))).all())

    return Names(offices=lookup(Office, Office.name, office_ids),
                 districts=lookup(District, District.name, district_ids),
                 users=lookup(User, User.name, user_ids), is_admin=is_admin)


def rows(entries: list[AuditEntry], *, is_admin: bool) -> list[Row]:
    names = _names(entries, is_admin)
    result = []
    for e in entries:
        view = RECORD_VIEWS.get(e.record_type)
        if view is not None:
            record, record_url = view(e, names)
        else:
            record = audit.record_label(e.record_type) + (f" #{e.record_id}" if e.record_id is not None else "")
            record_url = None
        result.append(Row(
            entry=e, at=e.at,
            who=(e.actor_name or _("Account no. %(id)s", id=e.actor_id)) if e.actor_id is not None else _("System"),
            what=audit.action_label(e.action),
            record=record, record_url=record_url,
            office=names.office(e.office_id),
            office_url=(url_for("offices.show_office", office_id=e.office_id)
                        if e.office_id in names.offices else None),
            detail=_detail(e, names)))
    return result
