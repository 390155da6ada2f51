"""Shared tables used by every area."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.timeutil import utcnow
from app.extensions import db


class UsedToken(db.Model):
    """Ids of single-use signed links that have been spent. The primary key makes spending atomic:
    two requests with the same link race on one INSERT and exactly one wins."""

    __tablename__ = "used_tokens"

    jti: Mapped[str] = mapped_column(String(32), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(40))
    used_at: Mapped[datetime] = mapped_column(default=utcnow)
