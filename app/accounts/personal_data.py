""""My data": the account's own section (name, address, role, language, dates, sessions)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from app.accounts.models import UserSession
from app.core.personal_data import register_section
from app.extensions import db


def _iso(value) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def collect_account(user) -> dict:
    sessions = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)
                                  .order_by(UserSession.created_at.desc(), UserSession.id.desc()))
    return {
        "name": user.name,
        "email": user.email,
        "role": user.role.value,
        "language": user.locale,
        "email_confirmed_at": _iso(user.confirmed_at),
        "created_at": _iso(user.created_at),
        "last_login_at": _iso(user.last_login_at),
        "organisation": user.organisation.name if user.organisation_id and user.organisation else None,
        "sessions": [{"device": s.device, "remember_me": s.remember, "created_at": _iso(s.created_at),
                      "last_used_at": _iso(s.last_seen_at), "ended_at": _iso(s.ended_at)}
                     for s in sessions],
    }


def erase_account_sessions(user, actor) -> None:
    """Every session ends (the rows go: they hold the devices). The `users` row itself is
    anonymised last, by app.mydata.services.delete_account."""
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))


register_section("account", _l("Account"), collect=collect_account, erase=erase_account_sessions, order=10)
