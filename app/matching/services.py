"""Needs: record and edit one, change its state (every change in the audit log: who and when),
and the office's board. Plain arguments in, domain objects out, one transaction each."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, literal, select

from app.activities.forme import day_part
from app.activities.series import utc_to_local
from app.core import audit
from app.core.permissions import can_act_in_office, scope_to_offices
from app.core.timeutil import utcnow
from app.extensions import db
from app.matching.models import TRANSITIONS, CheckIn, Need, NeedState, NeedTiming, Proposal, ProposalState
from app.offices.models import District
from app.people import languages
from app.people.models import ALL_SLOTS, ChoiceItem, LanguageLevel, slot_bit

MAX_DESCRIPTION = 2000
MAX_TEXT = 500
CHECK_IN_WEEKS = (4, 12)

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(r"(?:\+|\b00|\b0)\d[\d ()/-]{4,}\d")
CASE_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")


class NeedError(Exception):
    """Input that can't be stored: messages per field; `warnings` can be confirmed past."""

    def __init__(self, errors: dict[str, Any] | None = None, warnings: dict[str, Any] | None = None):
        super().__init__("; ".join(str(v) for v in {**(errors or {}), **(warnings or {})}.values()))
        self.errors = errors or {}
        self.warnings = warnings or {}


@dataclass
class NeedData:
    office_id: int | None
    category_id: int | None
    case_code: str
    district_id: int | None = None
    household_size: int | None = None
    household_languages: list[str] = field(default_factory=list)
    helpful_languages: list[str] = field(default_factory=list)
    required_language: str | None = None
    required_level: int | None = None
    skill_ids: list[int] = field(default_factory=list)
    timing: str = NeedTiming.FLEXIBLE.value
    starts_at: datetime | None = None  # UTC
    slots: int = 0  # weekly timing: a slot_bit set
    due_on: date | None = None
    expected_hours: float | None = None
    description: str = ""
    ongoing: bool = False
    personal_data_confirmed: bool = False  # the coordinator saw the warning and keeps the text


def personal_data_in(text: str) -> list[str]:
    """What looks like personal data in a text: 'email' and/or 'phone'."""
    found = []
    if EMAIL_RE.search(text or ""):
        found.append("email")
    for m in PHONE_RE.finditer(text or ""):
        if sum(c.isdigit() for c in m.group(0)) >= 6:
            found.append("phone")
            break
    return found


def slots_of(timing: NeedTiming, starts_at: datetime | None, slots: int) -> int:
    """The weekly grid bits the need's time falls in (0: any time)."""
    if timing == NeedTiming.AT and starts_at is not None:
        local = utc_to_local(starts_at)
        return slot_bit(local.weekday(), day_part(local))
    if timing == NeedTiming.WEEKLY:
        return slots & ALL_SLOTS
    return 0


def _check(actor, data: NeedData, need: Need | None) -> tuple[dict, dict, dict]:
    errors: dict[str, Any] = {}
    warnings: dict[str, Any] = {}
    clean: dict[str, Any] = {}
    office_id = need.office_id if need is not None else data.office_id
    if office_id is None or not can_act_in_office(actor, office_id):
        errors["office_id"] = _l("Please choose one of your offices.")
    clean["office_id"] = office_id
    if data.district_id is not None:
        district = db.session.get(District, data.district_id)
        if district is None or district.office_id != office_id:
            errors["district_id"] = _l("Please choose a district of this office.")
    clean["district_id"] = data.district_id
    category = db.session.get(ChoiceItem, data.category_id) if data.category_id else None
    if category is None or category.list_name != ChoiceItem.NEED_CATEGORIES or (
            not category.active and (need is None or need.category_id != category.id)):
        errors["category_id"] = _l("Please choose a category from the list.")
    clean["category_id"] = data.category_id
    code = (data.case_code or "").strip()
    if not code:
        errors["case_code"] = _l("Please enter the case code.")
    elif not CASE_CODE_RE.match(code):
        errors["case_code"] = _l("A case code has up to 40 letters, digits and . _ / - (no names, no spaces).")
    clean["case_code"] = code
    if data.household_size is not None and not (1 <= data.household_size <= 30):
        errors["household_size"] = _l("Please enter a number between 1 and 30.")
    clean["household_size"] = data.household_size
    for name in ("household_languages", "helpful_languages"):
        codes = [c.strip() for c in getattr(data, name) or [] if c and c.strip()]
        if any(not languages.is_known(c) for c in codes):
            errors[name] = _l("Please choose languages from the list.")
        elif len(set(codes)) != len(codes):
            errors[name] = _l("Each language only once, please.")
        elif len(",".join(codes)) > 120:
            errors[name] = _l("Too many languages.")
        clean[name] = ",".join(codes)
    lang = (data.required_language or "").strip() or None
    level = data.required_level
    if lang is not None and not languages.is_known(lang):
        errors["required_language"] = _l("Please choose a language from the list.")
    if lang is not None and level is None:
        level = int(LanguageLevel.GOOD)
    if level is not None and level not in {int(x) for x in LanguageLevel}:
        errors["required_level"] = _l("Please choose a level from the list.")
    clean["required_language"], clean["required_level"] = lang, (level if lang else None)
    skill_ids = sorted(set(data.skill_ids or []))
    skills = list(db.session.scalars(select(ChoiceItem).where(
        ChoiceItem.id.in_(skill_ids), ChoiceItem.list_name == ChoiceItem.SKILLS))) if skill_ids else []
    kept = {s.id for s in need.skills} if need is not None else set()
    if len(skills) != len(skill_ids) or any(not s.active and s.id not in kept for s in skills):
        errors["skill_ids"] = _l("Please choose skills from the list.")
    clean["skills"] = skills
    try:
        timing = NeedTiming(data.timing)
    except ValueError:
        errors["timing"] = _l("Please choose when.")
        timing = NeedTiming.FLEXIBLE
    clean["timing"] = timing
    if timing == NeedTiming.AT and data.starts_at is None:
        errors["starts_at"] = _l("Please enter the date and time of the appointment.")
    if timing == NeedTiming.WEEKLY and not (data.slots & ALL_SLOTS):
        errors["slots"] = _l("Please tick at least one time of the week.")
    if data.slots & ~ALL_SLOTS:
        errors["slots"] = _l("Please choose times of the week from the grid.")
    clean["starts_at"] = data.starts_at if timing == NeedTiming.AT else None
    clean["slots"] = slots_of(timing, clean["starts_at"], data.slots)
    clean["due_on"] = data.due_on
    if data.expected_hours is not None and not (0 < data.expected_hours <= 500):
        errors["expected_hours"] = _l("Please enter a number of hours between 0.5 and 500.")
    clean["expected_hours"] = data.expected_hours
    text = (data.description or "").strip()
    if len(text) > MAX_DESCRIPTION:
        errors["description"] = _l("At most %(n)d characters, please.", n=MAX_DESCRIPTION)
    found = personal_data_in(text)
    if found and not data.personal_data_confirmed:
        what = {"email": _l("an e-mail address"), "phone": _l("a phone number")}
        warnings["description"] = _l(
            "This looks like %(what)s. The newcomer's name, address and phone don't belong here. "
            "Please remove it, or confirm that it is not the newcomer's.",
            what=str(_l(" and ")).join(str(what[f]) for f in found))
    clean["description"] = text
    clean["ongoing"] = bool(data.ongoing)
    return errors, warnings, clean


FIELDS = ("district_id", "category_id", "case_code", "household_size", "household_languages", "helpful_languages",
          "required_language", "required_level", "timing", "starts_at", "slots", "due_on", "expected_hours",
          "description", "ongoing")


def record_need(actor, data: NeedData) -> Need:
    """A new open need of one of the actor's offices (audited as `need.recorded`)."""
    try:
        errors, warnings, clean = _check(actor, data, None)
        if errors or warnings:
            raise NeedError(errors, warnings)
        need = Need(office_id=clean["office_id"], created_by_id=actor.id, skills=clean["skills"],
                    **{k: clean[k] for k in FIELDS})
        db.session.add(need)
        db.session.flush()
        audit.record(actor, "need.recorded", need, office_id=need.office_id, state=need.state.value,
                     category=need.category_id)
        db.session.commit()
        return need
    except Exception:
        db.session.rollback()
        raise


def edit_need(actor, need_id: int, data: NeedData) -> Need:
    """Change a need's facts (not its state or office); audited with the changed field names."""
    try:
        need = _locked_need(actor, need_id)
        if need.state in (NeedState.DONE, NeedState.CLOSED):
            raise NeedError({"state": _l("A need that is done or closed can no longer be changed. Reopen it first.")})
        errors, warnings, clean = _check(actor, data, need)
        if errors or warnings:
            raise NeedError(errors, warnings)
        changed = [k for k in FIELDS if getattr(need, k) != clean[k]]
        if {s.id for s in need.skills} != {s.id for s in clean["skills"]}:
            changed.append("skills")
        if changed:
            for k in FIELDS:
                setattr(need, k, clean[k])
            need.skills = clean["skills"]
            audit.record(actor, "need.updated", need, office_id=need.office_id, fields=changed)
        db.session.commit()
        return need
    except Exception:
        db.session.rollback()
        raise


def _locked_need(actor, need_id: int) -> Need:
    """The need under a row lock (PostgreSQL; SQLite's write lock is taken by the UPDATE that
    follows), or NeedError('not_found') when missing or of another office."""
    need = db.session.scalar(select(Need).where(Need.id == need_id).with_for_update().execution_options(
        populate_existing=True))
    if need is None or (actor is not None and not can_act_in_office(actor, need.office_id)):
        raise NeedError({"need": _l("This need does not exist.")})
    return need


def set_state(actor, need: Need, new: NeedState, now: datetime | None = None, **detail) -> None:
    """Move a need on (caller's transaction); refuses transitions the table doesn't allow."""
    now = now or utcnow()
    if new == need.state:
        return
    if new not in TRANSITIONS[need.state]:
        raise NeedError({"state": _l("A need that is %(state)s can't become %(new)s.",
                                     state=need.state.label, new=new.label)})
    old = need.state
    need.state, need.state_changed_at = new, now
    if new == NeedState.MATCHED:
        need.matched_at = now
        if need.ongoing:
            for weeks in CHECK_IN_WEEKS:
                db.session.add(CheckIn(need_id=need.id, weeks=weeks, due_at=now + timedelta(weeks=weeks)))
    if new == NeedState.OPEN:
        need.matched_user_id, need.matched_at = None, None
        # a new match starts the check-ins' clock again (the sent ones stay in the audit log)
        db.session.execute(CheckIn.__table__.delete().where(CheckIn.need_id == need.id))
    db.session.flush()
    audit.record(actor, "need.state_changed", need, office_id=need.office_id, was=old.value, state=new.value,
                 **detail)


def close_need(actor, need_id: int, reason: str, now: datetime | None = None) -> Need:
    """Closed without a match, with a reason (required); pending proposals are withdrawn."""
    reason = (reason or "").strip()
    try:
        if not reason:
            raise NeedError({"close_reason": _l("Please say why the need is closed.")})
        if len(reason) > MAX_TEXT:
            raise NeedError({"close_reason": _l("At most %(n)d characters, please.", n=MAX_TEXT)})
        need = _locked_need(actor, need_id)
        now = now or utcnow()
        _withdraw_pending(need.id, now)
        need.close_reason = reason
        set_state(actor, need, NeedState.CLOSED, now)
        db.session.commit()
        return need
    except Exception:
        db.session.rollback()
        raise


def reopen_need(actor, need_id: int, now: datetime | None = None) -> Need:
    """A matched need whose volunteer can't go on is open again (the coordinator decides)."""
    try:
        need = _locked_need(actor, need_id)
        if need.state != NeedState.MATCHED:
            raise NeedError({"state": _l("Only a matched need can be opened again.")})
        set_state(actor, need, NeedState.OPEN, now)
        db.session.commit()
        return need
    except Exception:
        db.session.rollback()
        raise


def _withdraw_pending(need_id: int, now: datetime) -> int:
    result = db.session.execute(
        Proposal.__table__.update().where(Proposal.need_id == need_id, Proposal.state == ProposalState.PENDING)
        .values(state=ProposalState.WITHDRAWN.value, answered_at=now))
    return result.rowcount or 0


def mark_done(actor, need_id: int, hours: float | None, outcome: str = "", *,
              now: datetime | None = None) -> Need:
    """Done, with the hours given (they count in the volunteer's hours) and how it went. By the
    matched volunteer or a coordinator of the office; audited with who."""
    from app.accounts.models import Role

    outcome = (outcome or "").strip()
    staff = actor.role in (Role.COORDINATOR, Role.ADMIN)
    try:
        need = _locked_need(actor if staff else None, need_id)
        if not staff and need.matched_user_id != actor.id:
            raise NeedError({"need": _l("This need does not exist.")})
        if need.state != NeedState.MATCHED:
            raise NeedError({"state": _l("Only a matched need can be reported done.")})
        if hours is None or not (0 < hours <= 500):
            raise NeedError({"hours_given": _l("Please enter the hours you gave, between 0.5 and 500.")})
        if len(outcome) > MAX_TEXT:
            raise NeedError({"outcome": _l("At most %(n)d characters, please.", n=MAX_TEXT)})
        need.hours_given, need.outcome = round(float(hours), 2), outcome
        need.done_at = now or utcnow()
        set_state(actor, need, NeedState.DONE, now, hours=need.hours_given)
        db.session.commit()
        return need
    except Exception:
        db.session.rollback()
        raise


# ---------------------------------------------------------------- the board
@dataclass(frozen=True)
class BoardRow:
    id: int
    case_code: str
    category_id: int
    district: str | None
    state: NeedState
    created_at: datetime
    state_changed_at: datetime
    due_on: date | None
    ongoing: bool
    pending: int  # proposals waiting for an answer
    volunteer: str | None

    def days_open(self, now: datetime) -> int:
        return max(0, (now - self.created_at).days)

    @property
    def nobody_yet(self) -> bool:
        return self.state == NeedState.OPEN and self.pending == 0


BOARD_STATES = [s.value for s in NeedState]


def board(viewer, *, office_id: int | None = None, state: str | None = None, category_id: int | None = None,
          district_id: int | None = None, limit: int = 200) -> list[BoardRow]:
    """The needs of the viewer's offices: those with nobody yet on top, then oldest first; by
    default the unfinished ones (open, proposed, matched). One statement."""
    from app.accounts.models import User

    pending = (select(func.count(Proposal.id)).where(Proposal.need_id == Need.id,
                                                     Proposal.state == ProposalState.PENDING)
               .correlate(Need).scalar_subquery())
    stmt = (select(Need.id, Need.case_code, Need.category_id, District.name, Need.state, Need.created_at,
                   Need.state_changed_at, Need.due_on, Need.ongoing, pending.label("pending"), User.name)
            .outerjoin(District, District.id == Need.district_id)
            .outerjoin(User, User.id == Need.matched_user_id))
    stmt = scope_to_offices(stmt, Need.office_id, viewer)
    if office_id is not None:
        stmt = stmt.where(Need.office_id == office_id)
    if state in BOARD_STATES:
        stmt = stmt.where(Need.state == NeedState(state))
    elif state != "all":
        stmt = stmt.where(Need.state.in_([NeedState.OPEN, NeedState.PROPOSED, NeedState.MATCHED]))
    if category_id is not None:
        stmt = stmt.where(Need.category_id == category_id)
    if district_id is not None:
        stmt = stmt.where(Need.district_id == district_id)
    nobody = case((Need.state == NeedState.OPEN, literal(0)), else_=literal(1))
    stmt = stmt.order_by(nobody, Need.created_at, Need.id).limit(limit)
    return [BoardRow(*r) for r in db.session.execute(stmt)]


def need_for(viewer, need_id: int) -> Need | None:
    """One need, if the viewer may act in its office (else None: the view answers 404)."""
    need = db.session.get(Need, need_id)
    if need is None or not can_act_in_office(viewer, need.office_id):
        return None
    return need


def history(need: Need) -> list:
    """The need's audit entries, oldest first (who and when)."""
    from app.core.models import AuditEntry

    return list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.record_type == "needs", AuditEntry.record_id == need.id).order_by(AuditEntry.id)))


__all__ = ["BoardRow", "NeedData", "NeedError", "board", "close_need", "edit_need", "history", "mark_done",
           "need_for", "personal_data_in", "record_need", "reopen_need", "set_state", "slots_of"]
