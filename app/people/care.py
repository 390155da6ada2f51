"""How coordinators look after a volunteer: the status they keep (new → introduced → active →
paused → left) and internal notes. Plain arguments in, one transaction each, audited.

Rules:
- only staff who may see the volunteer (a coordinator of one of the volunteer's offices, an
  admin) change the status or write a note; anybody else gets `NotInScope` (the view answers 404);
- a status change names the status the coordinator saw (`expected`): when a colleague changed
  it in between, nothing is stored and the caller says so (the profile row is locked meanwhile);
- setting the status it already has stores nothing;
- a note is 1 to 2,000 characters of text; notes are never edited (a correction is a new note).

Notes are personal data about the volunteer: DSGVO Art. 15 gives the person the right to see
them, so "my data" shows their text and date (section `notes`, not who wrote them), and
deleting the account deletes them."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from app.accounts.models import User
from app.core import audit
from app.core.permissions import office_scope
from app.core.personal_data import register_section
from app.core.timeutil import utcnow
from app.extensions import db
from app.people.directory import may_see_volunteer
from app.people.models import StatusChange, VolunteerNote, VolunteerProfile, VolunteerStatus, volunteer_offices

NOTE_MAX = 2000


class CareError(Exception):
    """A rule said no. `reason`: 'same', 'changed', 'empty', 'too-long'."""

    def __init__(self, reason: str, current: VolunteerStatus | None = None):
        super().__init__(reason)
        self.reason = reason
        self.current = current


class NotInScope(Exception):
    """The actor may not look after this volunteer (or there is no such volunteer)."""


def _office_for(actor, user_id: int) -> int | None:
    """The office an action is recorded under: the first of the volunteer's offices the actor
    works in (an admin: the volunteer's first office)."""
    ids = sorted(db.session.scalars(select(volunteer_offices.c.office_id)
                                    .where(volunteer_offices.c.user_id == user_id)))
    scope = office_scope(actor)
    mine = [i for i in ids if scope is None or i in scope]
    return mine[0] if mine else None


def _profile_in_scope(actor, user_id: int, lock: bool = False) -> VolunteerProfile:
    if not may_see_volunteer(actor, user_id):
        raise NotInScope(user_id)
    stmt = select(VolunteerProfile).where(VolunteerProfile.user_id == user_id)
    if lock:
        stmt = stmt.with_for_update()
    profile = db.session.scalar(stmt)
    if profile is None:
        raise NotInScope(user_id)
    return profile


def _status_or_none(value) -> VolunteerStatus | None:
    try:
        return VolunteerStatus(value)
    except ValueError:
        return None


def change_status(user_id: int, new_status: VolunteerStatus | str, actor,
                  expected: VolunteerStatus | str | None = None) -> StatusChange:
    """Set a volunteer's status and keep the change (date, who) in the history; audited."""
    new_status = VolunteerStatus(new_status)
    profile = _profile_in_scope(actor, user_id, lock=True)
    old = profile.status
    if expected not in (None, "") and _status_or_none(expected) != old:  # a colleague was quicker (or a forged value)
        db.session.rollback()
        raise CareError("changed", current=old)
    if new_status == old:
        db.session.rollback()
        raise CareError("same", current=old)
    now = utcnow()
    profile.status = new_status
    profile.status_changed_at = now
    change = StatusChange(user_id=user_id, old_status=old, new_status=new_status,
                          changed_by_id=actor.id, changed_at=now)
    db.session.add(change)
    audit.record(actor, "volunteer.status_changed", record_type="volunteer_profiles", record_id=user_id,
                 office_id=_office_for(actor, user_id), old=old.value, new=new_status.value)
    db.session.commit()
    return change


def add_note(user_id: int, body: str, actor) -> VolunteerNote:
    """Add an internal note about a volunteer; audited (that a note was written, not its text)."""
    text = (body or "").strip()
    if not text:
        raise CareError("empty")
    if len(text) > NOTE_MAX:
        raise CareError("too-long")
    _profile_in_scope(actor, user_id)
    office_id = _office_for(actor, user_id)
    note = VolunteerNote(user_id=user_id, author_id=actor.id, office_id=office_id, body=text)
    db.session.add(note)
    db.session.flush()
    audit.record(actor, "volunteer.note_added", record_type="volunteer_profiles", record_id=user_id,
                 office_id=office_id, note_id=note.id, length=len(text))
    db.session.commit()
    return note


def status_history(user_id: int) -> list[tuple[StatusChange, str | None]]:
    """The changes, newest first, with the name of who made them (one query)."""
    rows = db.session.execute(
        select(StatusChange, User.name).outerjoin(User, User.id == StatusChange.changed_by_id)
        .where(StatusChange.user_id == user_id)
        .order_by(StatusChange.changed_at.desc(), StatusChange.id.desc())).all()
    return [(change, name) for change, name in rows]


def notes_of(user_id: int, limit: int = 200) -> list[tuple[VolunteerNote, str | None]]:
    """Notes, newest first, with the author's name (one query)."""
    rows = db.session.execute(
        select(VolunteerNote, User.name).outerjoin(User, User.id == VolunteerNote.author_id)
        .where(VolunteerNote.user_id == user_id)
        .order_by(VolunteerNote.created_at.desc(), VolunteerNote.id.desc()).limit(limit)).all()
    return [(note, name) for note, name in rows]


# ---------------------------------------------------------------- "my data"
def _collect_notes(user) -> list[dict]:
    notes = db.session.scalars(select(VolunteerNote).where(VolunteerNote.user_id == user.id)
                               .order_by(VolunteerNote.created_at, VolunteerNote.id))
    return [{"date": n.created_at.isoformat(timespec="seconds"), "text": n.body} for n in notes]


def _erase_notes(user, actor) -> None:
    db.session.execute(delete(VolunteerNote).where(VolunteerNote.user_id == user.id))


register_section("notes", _l("Notes the office keeps about you"), collect=_collect_notes,
                 erase=_erase_notes, order=60)


def _collect_status_history(user) -> list[dict]:
    """The status coordinators keep, with every change: when, from what to what (the person's
    right to know, Art. 15; who changed it is the office's internal matter and left out)."""
    changes = db.session.scalars(select(StatusChange).where(StatusChange.user_id == user.id)
                                 .order_by(StatusChange.changed_at, StatusChange.id))
    return [{"date": c.changed_at.isoformat(timespec="seconds"),
             "from": c.old_status.label if c.old_status else None, "to": c.new_status.label}
            for c in changes]


register_section("status_history", _l("Your status with the offices, and its changes"),
                 collect=_collect_status_history, order=25)
