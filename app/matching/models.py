"""Matching: newcomers' needs, proposals to volunteers, district neighbours, partnership check-ins.

A need is pseudonymous: a case code and a few facts about the household, never a name, address
or phone of the newcomer. Sets that candidate queries compare are stored so that a hard
condition is one SQL comparison: the required language's minimum level as a small integer
(`level >= n`), the need's time as a slot-bit set of the profile's weekly grid (`bits & x != 0`)."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import (CheckConstraint, Column, Float, ForeignKey, Index, SmallInteger, String, Table, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.timeutil import utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.accounts.models import User
    from app.offices.models import District, Office
    from app.people.models import ChoiceItem


def _enum(e: type[enum.Enum], length: int = 20):
    return db.Enum(e, native_enum=False, length=length, values_callable=lambda x: [m.value for m in x])


class NeedState(str, enum.Enum):
    OPEN = "open"
    PROPOSED = "proposed"
    MATCHED = "matched"
    DONE = "done"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return str(NEED_STATE_LABELS[self])


NEED_STATE_LABELS = {
    NeedState.OPEN: _l("open"),
    NeedState.PROPOSED: _l("proposed"),
    NeedState.MATCHED: _l("matched"),
    NeedState.DONE: _l("done"),
    NeedState.CLOSED: _l("closed without a match"),
}
# Which state may follow which (done and closed are final).
TRANSITIONS = {
    NeedState.OPEN: {NeedState.PROPOSED, NeedState.MATCHED, NeedState.CLOSED},
    NeedState.PROPOSED: {NeedState.OPEN, NeedState.MATCHED, NeedState.CLOSED},
    NeedState.MATCHED: {NeedState.OPEN, NeedState.DONE, NeedState.CLOSED},
    NeedState.DONE: set(),
    NeedState.CLOSED: set(),
}


class NeedTiming(str, enum.Enum):
    AT = "at"  # a date and time (an appointment)
    WEEKLY = "weekly"  # one or more slots of the weekly grid
    FLEXIBLE = "flexible"  # whenever suits

    @property
    def label(self) -> str:
        return str(TIMING_LABELS[self])


TIMING_LABELS = {
    NeedTiming.AT: _l("on a date and time"),
    NeedTiming.WEEKLY: _l("weekly"),
    NeedTiming.FLEXIBLE: _l("flexible"),
}


class ProposalState(str, enum.Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return str(PROPOSAL_STATE_LABELS[self])


PROPOSAL_STATE_LABELS = {
    ProposalState.PENDING: _l("waiting for an answer"),
    ProposalState.ACCEPTED: _l("accepted"),
    ProposalState.DECLINED: _l("declined"),
    ProposalState.EXPIRED: _l("no answer in time"),
    ProposalState.WITHDRAWN: _l("withdrawn"),
}

need_skills = Table(
    "need_skills",
    db.metadata,
    Column("need_id", ForeignKey("needs.id", ondelete="CASCADE"), primary_key=True),
    Column("item_id", ForeignKey("choice_items.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Need(db.Model):
    """What a consultation found that a volunteer or a partner could solve."""

    __tablename__ = "needs"
    __table_args__ = (
        Index("ix_needs_office_state_created", "office_id", "state", "created_at"),
        CheckConstraint("household_size IS NULL OR household_size BETWEEN 1 AND 30", name="household_range"),
        CheckConstraint("required_level IS NULL OR required_level BETWEEN 1 AND 4", name="level_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="SET NULL"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("choice_items.id", ondelete="RESTRICT"), index=True)
    case_code: Mapped[str] = mapped_column(String(40))
    household_size: Mapped[int | None] = mapped_column(SmallInteger)
    household_languages: Mapped[str] = mapped_column(String(120), default="")  # codes, comma-separated
    helpful_languages: Mapped[str] = mapped_column(String(120), default="")  # codes, comma-separated
    required_language: Mapped[str | None] = mapped_column(String(8))
    required_level: Mapped[int | None] = mapped_column(SmallInteger)  # LanguageLevel
    timing: Mapped[NeedTiming] = mapped_column(_enum(NeedTiming), default=NeedTiming.FLEXIBLE)
    starts_at: Mapped[datetime | None]  # UTC, for timing "at"
    slots: Mapped[int] = mapped_column(default=0)  # slot_bit set the need's time falls in; 0: any time
    due_on: Mapped[date | None]
    expected_hours: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text, default="")
    ongoing: Mapped[bool] = mapped_column(default=False)  # a partnership ("Patenschaft")
    state: Mapped[NeedState] = mapped_column(_enum(NeedState), default=NeedState.OPEN)
    state_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    matched_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    matched_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(500), default="")
    hours_given: Mapped[float | None] = mapped_column(Float)
    close_reason: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    office: Mapped[Office] = relationship()
    district: Mapped[District | None] = relationship()
    category: Mapped[ChoiceItem] = relationship()
    skills: Mapped[list[ChoiceItem]] = relationship(secondary=need_skills, order_by="ChoiceItem.position")
    matched_user: Mapped[User | None] = relationship(foreign_keys=[matched_user_id])

    def language_codes(self, which: str = "helpful") -> list[str]:
        raw = self.helpful_languages if which == "helpful" else self.household_languages
        return [c for c in (raw or "").split(",") if c]


class Proposal(db.Model):
    """A need proposed to one volunteer, with the text the coordinator chose to share."""

    __tablename__ = "proposals"
    __table_args__ = (
        UniqueConstraint("need_id", "user_id", name="uq_proposals_need_user"),  # never proposed twice
        Index("ix_proposals_user_created", "user_id", "created_at"),
        Index("ix_proposals_state_deadline", "state", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    state: Mapped[ProposalState] = mapped_column(_enum(ProposalState), default=ProposalState.PENDING)
    deadline: Mapped[datetime]
    shared_text: Mapped[str] = mapped_column(Text, default="")
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]

    need: Mapped[Need] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class DistrictNeighbour(db.Model):
    """Two districts that share a border; stored in both directions, so "neighbours of X" is one
    indexed lookup."""

    __tablename__ = "district_neighbours"
    __table_args__ = (CheckConstraint("district_id <> neighbour_id", name="not_itself"),)

    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True)
    neighbour_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True)


class CheckIn(db.Model):
    """A reminder to the coordinator to ask how a partnership goes, due 4 and 12 weeks after the
    match; `sent_at` is set by one guarded UPDATE, so each goes exactly once."""

    __tablename__ = "need_check_ins"
    __table_args__ = (UniqueConstraint("need_id", "weeks", name="uq_need_check_ins_need_weeks"),
                      Index("ix_need_check_ins_due", "sent_at", "due_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"))
    weeks: Mapped[int] = mapped_column(SmallInteger)
    due_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]

    need: Mapped[Need] = relationship()
