"""Builders for matching tests: a need in one line."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db


def category_id(app, key: str = "accompaniment") -> int:
    from app.people.models import ChoiceItem
    from app.people.reference import load_people_reference

    with app.app_context():
        load_people_reference()
        return db.session.scalar(select(ChoiceItem.id).where(ChoiceItem.list_name == ChoiceItem.NEED_CATEGORIES,
                                                             ChoiceItem.key == key))


def skill_id(app, key: str) -> int:
    from app.people.models import ChoiceItem

    with app.app_context():
        return db.session.scalar(select(ChoiceItem.id).where(ChoiceItem.list_name == ChoiceItem.SKILLS,
                                                             ChoiceItem.key == key))


class NeedBuilder:
    def __init__(self, app):
        self.app = app

    def __call__(self, office, coordinator, **kw) -> int:
        from app.accounts.models import User
        from app.matching.services import NeedData, record_need

        data = dict(office_id=office.id, category_id=category_id(self.app), case_code="HH-1",
                    district_id=office.district_ids[0])
        data.update(kw)
        with self.app.app_context():
            need = record_need(db.session.get(User, coordinator.id), NeedData(**data))
            return need.id


@pytest.fixture
def need(app) -> NeedBuilder:
    return NeedBuilder(app)


def user(app, user_id: int):
    from app.accounts.models import User

    return db.session.get(User, user_id)
