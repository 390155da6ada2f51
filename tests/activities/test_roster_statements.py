"""The roster's daily pages and files run the same number of SQL statements for 3 and for 30
people: the attendance screen, the sign-in sheet, a slot's and an activity's export and an
office's yearly export (CSV and xlsx)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert

from app.activities.models import Attendance, Signup, SignupState
from app.core.timeutil import to_local, utcnow
from app.extensions import db
from tests.conftest import recorded_statements


def _roster(app, make, office, people: int):
    act = make.activity(office, days_ahead=-2, dates=2, roles=(("Tutor", 40),))
    users = [make.volunteer() for _ in range(people)]
    now = utcnow()
    with app.app_context():
        db.session.execute(insert(Signup), [
            dict(slot_id=slot, user_id=u.id, state=SignupState.CONFIRMED, confirmed_at=now, delegate_name="",
                 offer_count=0, over_capacity=False, walk_in=False, minutes_reason="", created_at=now,
                 updated_at=now, attendance=(Attendance.PRESENT, Attendance.ABSENT, None)[k % 3])
            for slot in act.slot_ids[0] for k, u in enumerate(users)])
        db.session.commit()
    return act


def _count(app, client, path: str) -> tuple[int, list[str]]:
    with recorded_statements(app) as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(statements), list(statements)


def test_constant_statements_for_3_and_30_people(app, client, auth, make):
    small_office, large_office = make.office(), make.office()
    few = _roster(app, make, small_office, 3)
    many = _roster(app, make, large_office, 30)
    auth.login(make.coordinator(small_office, large_office))
    today = to_local(utcnow()).date()
    period = f"since={today - timedelta(days=30)}&until={today}"
    pages = [
        lambda a: f"/manage/activities/{a.id}/slots/{a.slot}/attendance",
        lambda a: f"/manage/activities/{a.id}/slots/{a.slot}/sign-in-sheet",
        lambda a: f"/manage/activities/{a.id}/slots/{a.slot}/export.csv",
        lambda a: f"/manage/activities/{a.id}/slots/{a.slot}/export.xlsx",
        lambda a: f"/manage/activities/{a.id}/export.csv",
        lambda a: f"/manage/activities/{a.id}/export.xlsx",
        lambda a: f"/manage/offices/{a.office_id}/attendance?fmt=csv&{period}",
        lambda a: f"/manage/offices/{a.office_id}/attendance?fmt=xlsx&{period}",
    ]
    for page in pages:
        client.get(page(few))  # warm: the session's first statements are not the page's
        client.get(page(many))
        n_few, s_few = _count(app, client, page(few))
        n_many, s_many = _count(app, client, page(many))
        assert n_few == n_many, (page(few), s_few, s_many)
        assert n_few <= 10, (page(few), s_few)
