"""Reminders: the periodic job "send-reminders" (every 15 minutes, app.core.jobs; also
`flask mail send-reminders`) asks every registered source what is due and queues each reminder
exactly once, however often it runs.

"Exactly once" is a database fact: every reminder carries a dedupe key (for a session:
"reminder:session:<id>:user:<id>") and the outbox has a unique index on it; a second run's
INSERT finds the key and does nothing. Areas register a source with `@reminder_source`; the
activities area will register the one for sessions (lead time per activity, default
REMINDER_DAYS_BEFORE days)."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable

from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from app.core.jobs import periodic_job
from app.core.timeutil import utcnow
from app.extensions import db
from app.mail.kinds import KINDS
from app.mail.models import MailStatus, OutboxMail
from app.mail.services import render_mail

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reminder:
    dedupe_key: str
    to: str
    name: str
    locale: str
    context: dict[str, Any] = field(default_factory=dict)
    user_id: int | None = None
    office_id: int | None = None
    kind: str = "reminder"


ReminderSource = Callable[[datetime, int], Iterable[Reminder]]
_sources: list[ReminderSource] = []


def reminder_source(fn: ReminderSource) -> ReminderSource:
    """Register a function (now, default_days_before) -> reminders that are due now."""
    if fn not in _sources:
        _sources.append(fn)
    return fn


def unregister(fn: ReminderSource) -> None:
    if fn in _sources:
        _sources.remove(fn)


def queue_once(rem: Reminder) -> bool:
    """Insert the reminder's mail unless its dedupe key exists. True if it was queued now."""
    subject, text, html = render_mail(rem.kind, rem.locale,
                                      {"user": {"name": rem.name, "email": rem.to}, **rem.context},
                                      rem.office_id)
    now = utcnow()
    values = dict(kind=rem.kind, to_address=rem.to, to_name=rem.name, user_id=rem.user_id,
                  locale=rem.locale, office_id=rem.office_id, subject=subject[:255], body_text=text,
                  body_html=html, is_service=KINDS[rem.kind].service, dedupe_key=rem.dedupe_key,
                  status=MailStatus.QUEUED, attempts=0, next_attempt_at=now, created_at=now)
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    stmt = (dialect.insert(OutboxMail).values(**values)
            .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(OutboxMail.id))
    # rowcount is unreliable for ON CONFLICT DO NOTHING across drivers; RETURNING is not.
    return db.session.execute(stmt).first() is not None


@periodic_job("send-reminders", every=timedelta(minutes=15))
def send_reminders(now: datetime | None = None) -> int:
    """Queue every due reminder once; returns how many were new. One commit per source."""
    now = now or utcnow()
    days = current_app.config["REMINDER_DAYS_BEFORE"]
    queued = 0
    for source in list(_sources):
        for rem in source(now, days):
            queued += queue_once(rem)
        db.session.commit()
    log.info("reminders: %d queued", queued)
    return queued
