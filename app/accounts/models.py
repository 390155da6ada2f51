"""Accounts: who signs in, with which role, and which offices a coordinator works in."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.timeutil import utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.offices.models import Office
    from app.people.models import Organisation


class Role(str, enum.Enum):
    VOLUNTEER = "volunteer"
    PARTNER = "partner"  # contact person of a partner organisation
    COORDINATOR = "coordinator"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.VOLUNTEER: _l("Volunteer"),
    Role.PARTNER: _l("Partner contact"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.ADMIN: _l("Administrator"),
}


coordinator_offices = Table(
    "coordinator_offices",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("office_id", ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Always stored lower-cased; the unique index makes duplicate sign-ups impossible.
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(
        db.Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=Role.VOLUNTEER,
        index=True,
    )
    locale: Mapped[str] = mapped_column(String(8), default="de")
    confirmed_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on password change or log-out everywhere: old sessions and remember cookies die.
    session_version: Mapped[int] = mapped_column(default=1)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    organisation_joined_at: Mapped[datetime | None]  # since when a partner contact is one ("my data")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Set when the person's account was deleted ("my data"): the row stays, anonymous, so
    # statistics keep counting; name and address are gone and the address can register anew.
    deleted_at: Mapped[datetime | None]

    offices: Mapped[list[Office]] = relationship(
        secondary=coordinator_offices, back_populates="coordinators", order_by="Office.name"
    )
    organisation: Mapped[Organisation | None] = relationship(back_populates="contacts",
                                                             foreign_keys=[organisation_id])

    # The signed-in session this request runs in (set by the user loader and at log-in).
    current_session = None  # type: UserSession | None
    # The random key of a session just created at log-in, for Flask-Login's cookie.
    _new_session_key = None  # type: str | None

    # Flask-Login keeps this id in the session cookie and the remember cookie: it names one
    # server-side session (user_sessions), so log-out or "end this session" kills both cookies.
    def get_id(self) -> str:
        if self._new_session_key is None:
            raise RuntimeError("log in through accounts.services.start_session")
        return f"s:{self._new_session_key}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class UserSession(db.Model):
    """One signed-in browser. The cookie holds a random key; only its SHA-256 is stored, so a
    copy of the database holds no live cookies. Log-out sets `ended_at`: a copied session or
    remember cookie is worthless from then on."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # What the person sees in "my sessions": browser and system, no address (data minimisation).
    device: Mapped[str] = mapped_column(String(120), default="")
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

