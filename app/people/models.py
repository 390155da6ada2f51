"""People: the minimum the foundation needs — partner organisations and volunteers' languages and
districts. Full profiles (skills, availability, consent) come with the People issue."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.timeutil import utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.accounts.models import User
    from app.offices.models import District


class Organisation(db.Model):
    """A partner organisation (association, parish, initiative, school, ...)."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(40), default="association")
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("districts.id", ondelete="SET NULL"), index=True
    )
    approved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contacts: Mapped[list[User]] = relationship(back_populates="organisation")
    district: Mapped[District | None] = relationship()


class VolunteerProfile(db.Model):
    """What a volunteer brings: the district they live in and the languages they speak."""

    __tablename__ = "volunteer_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("districts.id", ondelete="SET NULL"), index=True
    )

    user: Mapped[User] = relationship()
    district: Mapped[District | None] = relationship()
    languages: Mapped[list[VolunteerLanguage]] = relationship(
        cascade="all, delete-orphan", order_by="VolunteerLanguage.code"
    )


class VolunteerLanguage(db.Model):
    __tablename__ = "volunteer_languages"
    __table_args__ = (UniqueConstraint("user_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("volunteer_profiles.user_id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(8))  # ISO 639-1, e.g. "ar", "fa", "uk"
    # CEFR-like level: A1..C2, or "native".
    level: Mapped[str] = mapped_column(String(8), default="native")
