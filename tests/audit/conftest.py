from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core.models import AuditEntry
from app.extensions import db


@pytest.fixture
def audit_log(app):
    """audit_log() -> every entry, oldest first, as plain dicts."""

    def _entries(action: str | None = None) -> list[dict]:
        with app.app_context():
            stmt = select(AuditEntry).order_by(AuditEntry.id)
            if action:
                stmt = stmt.where(AuditEntry.action == action)
            return [dict(id=e.id, actor_id=e.actor_id, actor_name=e.actor_name, action=e.action,
                         record_type=e.record_type, record_id=e.record_id, office_id=e.office_id,
                         detail=e.detail, at=e.at) for e in db.session.scalars(stmt)]

    return _entries
