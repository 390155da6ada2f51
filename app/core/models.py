"""Shared tables used by every area."""
from __future__ import annotations

from datetime import datetime

from typing import Any

from sqlalchemy import JSON, Index, String
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


class AuditEntry(db.Model):
    """Who did what to which record in which office. Written by `app.core.audit.record` in the
    caller's transaction; the app has no way to edit or delete an entry.

    The actor's name is copied in, so an entry still reads right after the account is gone;
    `detail` holds a few structured facts (changed field names, old and new states), never
    free text about a person."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_office_at", "office_id", "at"),
        Index("ix_audit_entries_record", "record_type", "record_id"),
        Index("ix_audit_entries_actor", "actor_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # no foreign keys: an entry outlives the account, the record and even the office
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(String(120), default="")
    action: Mapped[str] = mapped_column(String(60), index=True)
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int | None]
    office_id: Mapped[int | None]
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ScheduledJob(db.Model):
    """When each periodic job (app.core.jobs) runs next, and how its last run went. A scheduler
    claims a due job by moving `next_run_at` on in one conditional UPDATE: of several
    processes, only the one whose UPDATE changed the row runs it."""

    __tablename__ = "scheduled_jobs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_run_at: Mapped[datetime]
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_result: Mapped[int | None]  # how many things the last successful run did
    last_error: Mapped[str | None] = mapped_column(String(500))  # of the last run; None if it worked
    claimed_by: Mapped[str | None] = mapped_column(String(64))  # the process that ran it last
