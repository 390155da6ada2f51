"""The daily job "purge-sessions": sessions that ended (log-out, or idle past their limit) more
than 30 days ago are deleted; live ones and recently ended ones stay."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import UserSession
from app.accounts.services import purge_sessions
from app.core.timeutil import utcnow
from app.extensions import db


def test_ended_and_expired_sessions_older_than_30_days_are_deleted(app, make):
    user = make.volunteer()
    now = utcnow()
    day = timedelta(days=1)
    idle = timedelta(hours=app.config["SESSION_IDLE_HOURS"])
    remembered = timedelta(seconds=app.config["REMEMBER_COOKIE_DURATION"])
    sessions = {
        # name: (remember, last_seen_at, ended_at, kept?)
        "logged out 31 days ago": (False, now - 31 * day, now - 31 * day, False),
        "logged out 29 days ago": (False, now - 29 * day, now - 29 * day, True),
        "idle, expired 31 days ago": (False, now - 31 * day - idle, None, False),
        "idle, expired 29 days ago": (False, now - 29 * day - idle, None, True),
        "remembered, expired 31 days ago": (True, now - 31 * day - remembered, None, False),
        "remembered, unused for 40 days, still valid": (True, now - 40 * day, None, True),
        "in use": (False, now, None, True),
    }
    with app.app_context():
        for n, (name, (remember, seen, ended, _)) in enumerate(sessions.items()):
            db.session.add(UserSession(key_hash=f"{n:064d}", user_id=user.id, device=name, remember=remember,
                                       created_at=seen, last_seen_at=seen, ended_at=ended))
        db.session.commit()
        assert purge_sessions() == 3
        assert set(db.session.scalars(select(UserSession.device))) == {
            name for name, (*_, kept) in sessions.items() if kept}
        assert purge_sessions() == 0
        with pytest.raises(ValueError):
            purge_sessions(-1)
