"""The volunteer's side: "my assignments" (needs they accepted, and proposals waiting for their
answer), their hours from needs done (registered into "my hours"), and the "my data" section.
A volunteer never sees a need's case code: nothing here selects it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, cast, delete, extract, func, literal, select, update

from app.activities.hours import register_hours_source
from app.core.personal_data import register_section
from app.extensions import db
from app.matching.models import Need, NeedState, NeedTiming, Proposal, ProposalState
from app.offices.models import District, Office
from app.people.models import ChoiceItem


@dataclass(frozen=True)
class Assignment:
    need_id: int
    category_de: str
    category_en: str
    district: str | None
    office: str
    office_email: str
    timing: NeedTiming
    starts_at: datetime | None
    slots: int
    due_on: date | None
    ongoing: bool
    state: NeedState
    shared_text: str  # what the coordinator chose to share (the proposal's text)
    hours_given: float | None
    matched_at: datetime | None

    def category(self, locale: str) -> str:
        return self.category_en if locale == "en" and self.category_en else self.category_de


def assignments(user_id: int) -> list[Assignment]:
    """The needs the volunteer accepted (matched first, then done), one statement."""
    shared = (select(Proposal.shared_text).where(Proposal.need_id == Need.id, Proposal.user_id == user_id,
                                                 Proposal.state == ProposalState.ACCEPTED)
              .correlate(Need).limit(1).scalar_subquery())
    rows = db.session.execute(
        select(Need.id, ChoiceItem.label_de, ChoiceItem.label_en, District.name, Office.name, Office.email,
               Need.timing, Need.starts_at, Need.slots, Need.due_on, Need.ongoing, Need.state,
               func.coalesce(shared, ""), Need.hours_given, Need.matched_at)
        .join(ChoiceItem, ChoiceItem.id == Need.category_id).join(Office, Office.id == Need.office_id)
        .outerjoin(District, District.id == Need.district_id)
        .where(Need.matched_user_id == user_id, Need.state.in_([NeedState.MATCHED, NeedState.DONE]))
        .order_by((Need.state == NeedState.DONE), Need.matched_at.desc(), Need.id.desc()).limit(100)).all()
    return [Assignment(*r) for r in rows]


def matching_hours(user_id: int):
    """SELECT of the hours of needs done per year and category, for "my hours" (a part of its one
    UNION; columns like app.activities.attendance.hours_select)."""
    from flask import has_request_context
    from flask_babel import get_locale

    locale = str(get_locale() or "de") if has_request_context() else "de"
    label = ChoiceItem.label_en if locale == "en" else ChoiceItem.label_de
    prefix = str(_l("Help with a need")) + ": "
    year = extract("year", Need.done_at)
    return (select(year.label("year"), (-ChoiceItem.id).label("key"), (literal(prefix) + label).label("title"),
                   func.count(Need.id).label("dates"),
                   cast(func.round(func.sum(Need.hours_given) * 60), Integer).label("minutes"))
            .join(ChoiceItem, ChoiceItem.id == Need.category_id)
            .where(Need.matched_user_id == user_id, Need.state == NeedState.DONE, Need.done_at.is_not(None))
            .group_by(year, ChoiceItem.id, label))


register_hours_source(matching_hours)


def _collect(user) -> list:
    rows = db.session.execute(
        select(Proposal.id, ChoiceItem.label_de, Proposal.state, Proposal.shared_text, Proposal.created_at,
               Proposal.answered_at, Need.state, Need.hours_given,
               (Need.matched_user_id == user.id).label("mine"))
        .join(Need, Need.id == Proposal.need_id).join(ChoiceItem, ChoiceItem.id == Need.category_id)
        .where(Proposal.user_id == user.id).order_by(Proposal.id)).all()
    return [{"category": r[1], "proposal": r[2].value, "text_shared_with_you": r[3],
             "asked_at": r[4].isoformat(timespec="seconds"),
             "answered_at": r[5].isoformat(timespec="seconds") if r[5] else None,
             "need_state": r[6].value if r[8] else None,
             "hours_given": r[7] if r[8] else None} for r in rows]


def _erase(user, actor) -> None:
    """Proposals to the person go; the needs stay (the office's record) without them: a need
    they were matched to, or only proposed to, is open again (in the need's history)."""
    from app.matching.services import set_state

    affected = db.session.scalars(select(Need).where(
        (Need.matched_user_id == user.id) | Need.id.in_(
            select(Proposal.need_id).where(Proposal.user_id == user.id, Proposal.state == ProposalState.PENDING)))
        ).all()
    db.session.execute(delete(Proposal).where(Proposal.user_id == user.id))
    db.session.execute(update(Need).where(Need.matched_user_id == user.id).values(matched_user_id=None)
                       .execution_options(synchronize_session=False))
    for need in affected:
        db.session.refresh(need)
        pending = db.session.scalar(select(func.count(Proposal.id)).where(
            Proposal.need_id == need.id, Proposal.state == ProposalState.PENDING))
        if need.state == NeedState.MATCHED or (need.state == NeedState.PROPOSED and not pending):
            set_state(actor, need, NeedState.OPEN, reason="account_deleted")


register_section("matching", _l("Needs proposed to you and your assignments"), collect=_collect, erase=_erase,
                 order=45)
