""""My data" operations: everything stored about a person as data (Art. 15/20), and deleting
an account (Art. 17) — by the person, or by staff for a person who asks at the office.

The sections come from the areas (`app.core.personal_data`); this module knows none of them.
Deleting runs every section's `erase`, then anonymises the account, in ONE transaction: the
`users` row stays (statistics count it) with `deleted_at`, no name, an unusable unique address
(`deleted-<id>@invalid`), an unusable password and inactive; the address can register anew."""
from __future__ import annotations

import secrets

from sqlalchemy import delete, select

from app.accounts.models import Role, User, coordinator_offices
from app.core import audit
from app.core.permissions import office_scope
from app.core.personal_data import collect_all, erase_all
from app.core.timeutil import utcnow
from app.extensions import db
from app.people.models import (StatusChange, VolunteerLanguage, VolunteerNote, VolunteerProfile,
                               volunteer_offices, volunteer_skills)

# How a person asked the office to delete their account (kept in the audit log: a fact, no text
# about the person).
REQUEST_WAYS = ("in_person", "phone", "letter", "email")
STAFF_ROLES = (Role.COORDINATOR, Role.ADMIN)


def export(user) -> dict:
    """Everything the platform stores about the person, as JSON-able data."""
    return {
        "generated_at": utcnow().isoformat(timespec="seconds"),
        "format": "willkommen-my-data/1",
        "user_id": user.id,
        "sections": {section.key: {"title": str(section.title), "data": data}
                     for section, data in collect_all(user)},
    }


def may_delete_self(user) -> bool:
    """Volunteers and partner contacts delete their own account; staff accounts are closed by an
    administrator (deactivation), so an office is never left without its last coordinator or
    the network without its last admin by one click."""
    return user.role not in STAFF_ROLES and user.deleted_at is None


def _erase_profile_rows(user_id: int) -> None:
    """The profile, its languages, offices, skills, status history and notes — whatever a
    section has not erased already (idempotent; also where no section for them is registered)."""
    for stmt in (delete(VolunteerNote).where(VolunteerNote.user_id == user_id),
                 delete(StatusChange).where(StatusChange.user_id == user_id),
                 delete(VolunteerLanguage).where(VolunteerLanguage.user_id == user_id),
                 delete(volunteer_offices).where(volunteer_offices.c.user_id == user_id),
                 delete(volunteer_skills).where(volunteer_skills.c.user_id == user_id),
                 delete(VolunteerProfile).where(VolunteerProfile.user_id == user_id)):
        db.session.execute(stmt.execution_options(synchronize_session=False))


def delete_account(user: User, actor: User, *, audit_action: str | None = None,
                   office_id: int | None = None, **detail) -> None:
    """Erase the person's data and anonymise the account, in one transaction (commits)."""
    locked = db.session.scalar(select(User).where(User.id == user.id).with_for_update())
    if locked is None or locked.deleted_at is not None:
        db.session.rollback()
        return
    erase_all(locked, actor)
    _erase_profile_rows(locked.id)
    db.session.execute(delete(coordinator_offices).where(coordinator_offices.c.user_id == locked.id))
    locked.name = ""
    locked.email = f"deleted-{locked.id}@invalid"
    # Not an argon2 hash: verification fails, whatever is typed.
    locked.password_hash = "!deleted-" + secrets.token_hex(16)
    locked.active = False
    locked.organisation_id = None
    locked.session_version += 1  # every mailed link of the account dies
    locked.deleted_at = utcnow()
    if audit_action:
        audit.record(actor, audit_action, record_type="users", record_id=locked.id, office_id=office_id,
                     **detail)
    db.session.commit()
    db.session.expire_all()


# ---------------------------------------------------------------- staff, for a person at the office
def _shared_offices(actor, target_id: int) -> set[int] | None:
    """The target's work offices the actor may act in (None: all, for admins)."""
    scope = office_scope(actor)
    offices = set(db.session.scalars(select(volunteer_offices.c.office_id)
                                     .where(volunteer_offices.c.user_id == target_id)))
    return offices if scope is None else offices & scope


def deletable_on_request(actor, user_id: int) -> tuple[User, int | None] | None:
    """The account staff may delete for a person who asks, with the office to file it under;
    None when they may not (the view answers 404: another office's volunteer is not confirmed
    to exist). Coordinators: volunteers who work with one of their offices. Admins: anyone but
    staff accounts."""
    target = db.session.get(User, user_id)
    if target is None or target.deleted_at is not None or target.id == getattr(actor, "id", None):
        return None
    if actor.role == Role.ADMIN:
        if target.role in STAFF_ROLES:
            return None
        shared = _shared_offices(actor, target.id)
        return target, min(shared) if shared else None
    if actor.role == Role.COORDINATOR and target.role == Role.VOLUNTEER:
        shared = _shared_offices(actor, target.id)
        if shared:
            return target, min(shared)
    return None


def delete_on_request(actor, target: User, office_id: int | None, how: str) -> None:
    if how not in REQUEST_WAYS:
        raise ValueError(how)
    delete_account(target, actor, audit_action="person.deleted_on_request", office_id=office_id,
                   asked=how, role=target.role.value)
