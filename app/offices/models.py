"""The network's neighbourhood offices, the city districts they cover and satellite locations."""
from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

if TYPE_CHECKING:
    from app.accounts.models import User


class District(db.Model):
    """One of Dortmund's 12 Stadtbezirke. Each is covered by at most one office."""

    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    office_id: Mapped[int | None] = mapped_column(
        ForeignKey("offices.id", ondelete="SET NULL"), index=True
    )

    office: Mapped[Office | None] = relationship(back_populates="districts")

    def __str__(self) -> str:
        return self.name


class Office(db.Model):
    """A neighbourhood office, staffed by a tandem of the city and a welfare association."""

    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # The welfare association in the tandem (Caritas, AWO, ...); empty where the city runs alone.
    operator: Mapped[str] = mapped_column(String(120), default="")
    street: Mapped[str] = mapped_column(String(120), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(80), default="Dortmund")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    opening_hours: Mapped[str] = mapped_column(Text, default="")
    founded_year: Mapped[int | None]

    districts: Mapped[list[District]] = relationship(
        back_populates="office", order_by="District.name"
    )
    satellites: Mapped[list[SatelliteLocation]] = relationship(
        back_populates="office",
        order_by="SatelliteLocation.name",
        cascade="all, delete-orphan",
    )
    coordinators: Mapped[list[User]] = relationship(
        secondary="coordinator_offices", back_populates="offices", order_by="User.name"
    )

    def __str__(self) -> str:
        return self.name


class SatelliteLocation(db.Model):
    """A 'Dependance': a community room or café with a weekly open consultation hour."""

    __tablename__ = "satellite_locations"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("closes_at > opens_at", name="hours_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    street: Mapped[str] = mapped_column(String(120))
    postcode: Mapped[str] = mapped_column(String(10))
    city: Mapped[str] = mapped_column(String(80), default="Dortmund")
    # The weekly consultation hour: weekday 0 = Monday, local (Europe/Berlin) wall-clock times.
    weekday: Mapped[int] = mapped_column(SmallInteger)
    opens_at: Mapped[time]
    closes_at: Mapped[time]
    note: Mapped[str] = mapped_column(String(255), default="")  # e.g. "Begegnungscafé nebenan"
    active: Mapped[bool] = mapped_column(default=True)

    office: Mapped[Office] = relationship(back_populates="satellites")

    def __str__(self) -> str:
        return self.name
