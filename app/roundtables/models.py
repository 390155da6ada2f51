"""Round tables: a district network's series of meetings (an activity of kind "round table";
each meeting is one of its dates). The office invites partner organisations; for each meeting
there is an agenda (items the office sets, items partner contacts propose until a deadline,
which the office accepts or declines), delegates register through the activity's delegate role
(capacity and the per-organisation limit hold), attendance by organisation follows from the
delegates' attendance, and the minutes, once published, stay readable for the participants."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, Index, SmallInteger, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.timeutil import utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.accounts.models import User
    from app.activities.models import ActivityDate
    from app.people.models import Organisation


def _enum(e: type[enum.Enum], length: int = 20):
    return db.Enum(e, native_enum=False, length=length, values_callable=lambda x: [m.value for m in x])


# The organisations invited to a round table (all its meetings).
round_table_invites = Table(
    "round_table_invites",
    db.metadata,
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Meeting(db.Model):
    """What one meeting (a date of a round table) has beyond the date: the deadline for
    proposals, when the invitation went out, and the minutes."""

    __tablename__ = "round_table_meetings"

    date_id: Mapped[int] = mapped_column(ForeignKey("activity_dates.id", ondelete="CASCADE"), primary_key=True)
    proposals_until: Mapped[datetime | None]
    invited_at: Mapped[datetime | None]
    minutes: Mapped[str] = mapped_column(Text, default="")  # Markdown, shown sanitised
    minutes_published_at: Mapped[datetime | None]
    minutes_published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    date: Mapped[ActivityDate] = relationship()


class ItemState(str, enum.Enum):
    SET = "set"  # put on the agenda by the office
    PROPOSED = "proposed"  # proposed by a partner contact, not decided yet
    ACCEPTED = "accepted"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return str(ITEM_STATE_LABELS[self])


ITEM_STATE_LABELS = {
    ItemState.SET: _l("on the agenda"),
    ItemState.PROPOSED: _l("proposed"),
    ItemState.ACCEPTED: _l("accepted"),
    ItemState.DECLINED: _l("declined"),
}
ON_AGENDA = (ItemState.SET, ItemState.ACCEPTED)


class AgendaItem(db.Model):
    __tablename__ = "round_table_agenda_items"
    __table_args__ = (Index("ix_round_table_agenda_items_date", "date_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    date_id: Mapped[int] = mapped_column(ForeignKey("activity_dates.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    state: Mapped[ItemState] = mapped_column(_enum(ItemState), default=ItemState.SET)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decline_reason: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation | None] = relationship()
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])


__all__ = ["AgendaItem", "ItemState", "Meeting", "ON_AGENDA", "round_table_invites"]
