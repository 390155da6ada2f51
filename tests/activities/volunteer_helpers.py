"""Small helpers of the volunteer part's tests."""
from __future__ import annotations

from app.accounts.models import User
from app.extensions import db


def user(uid: int) -> User:
    return db.session.get(User, uid)


def sign_up(app, person, *slot_ids):
    from app.activities import signup as svc

    with app.test_request_context():
        return [s.id for s in svc.sign_up(user(person.id), list(slot_ids))]
