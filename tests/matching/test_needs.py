"""Recording needs: field errors, the personal-data warning, state changes with history, the board."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.matching.conftest import category_id, user


def _data(app, office, **kw):
    from app.matching.services import NeedData

    return NeedData(**{"office_id": office.id, "category_id": category_id(app), "case_code": "HH-7",
                       "district_id": office.district_ids[0], **kw})


def test_record_need_and_its_audit_entry(app, make):
    from app.core.models import AuditEntry
    from app.matching.models import Need, NeedState
    from app.matching.services import record_need

    office = make.office()
    coordinator = make.coordinator(office)
    with app.app_context():
        need = record_need(user(app, coordinator.id), _data(app, office, description="Begleitung zum Amt"))
        assert need.state == NeedState.OPEN
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.record_type == "needs"))
        assert entry.action == "need.recorded" and entry.actor_id == coordinator.id and entry.office_id == office.id
        assert db.session.scalar(select(Need.case_code)) == "HH-7"


@pytest.mark.parametrize("change, field", [
    ({"case_code": ""}, "case_code"),
    ({"case_code": "Frau Müller"}, "case_code"),
    ({"category_id": 99999}, "category_id"),
    ({"household_size": 0}, "household_size"),
    ({"helpful_languages": ["xx-nope"]}, "helpful_languages"),
    ({"helpful_languages": ["ar", "ar"]}, "helpful_languages"),
    ({"required_language": "zz9"}, "required_language"),
    ({"required_language": "ar", "required_level": 9}, "required_level"),
    ({"timing": "at"}, "starts_at"),
    ({"timing": "weekly", "slots": 0}, "slots"),
    ({"skill_ids": [99999]}, "skill_ids"),
    ({"expected_hours": -1.0}, "expected_hours"),
    ({"description": "x" * 2001}, "description"),
    ({"district_id": 99999}, "district_id"),
])
def test_bad_input_is_a_message_at_its_field_and_stores_nothing(app, make, change, field):
    from app.matching.models import Need
    from app.matching.services import NeedError, record_need

    office = make.office()
    coordinator = make.coordinator(office)
    with app.app_context():
        with pytest.raises(NeedError) as exc:
            record_need(user(app, coordinator.id), _data(app, office, **change))
        assert field in exc.value.errors
        assert db.session.scalar(select(Need.id)) is None


def test_another_offices_coordinator_cant_record_there(app, make):
    from app.matching.services import NeedError, record_need

    office, other = make.office(), make.office()
    coordinator = make.coordinator(other)
    with app.app_context():
        with pytest.raises(NeedError) as exc:
            record_need(user(app, coordinator.id), _data(app, office))
        assert "office_id" in exc.value.errors


@pytest.mark.parametrize("text", ["Mail an familie@example.org", "Tel. 0231 1234567", "ruft an: +49 176 9876543"])
def test_personal_data_in_the_description_warns_until_confirmed(app, make, text):
    from app.matching.services import NeedError, record_need

    office = make.office()
    coordinator = make.coordinator(office)
    with app.app_context():
        with pytest.raises(NeedError) as exc:
            record_need(user(app, coordinator.id), _data(app, office, description=text))
        assert "description" in exc.value.warnings and not exc.value.errors
        need = record_need(user(app, coordinator.id), _data(app, office, description=text,
                                                             personal_data_confirmed=True))
        assert need.description == text


def test_dates_and_times_are_not_phone_numbers():
    from app.matching.services import personal_data_in

    assert personal_data_in("Termin am 12.03.2027 um 14:00, Zimmer 204, 3 Kinder") == []


def test_close_requires_a_reason_and_keeps_who_and_when(app, make, need):
    from app.core.models import AuditEntry
    from app.matching.models import Need, NeedState
    from app.matching.services import NeedError, close_need

    office = make.office()
    coordinator = make.coordinator(office)
    need_id = need(office, coordinator)
    with app.app_context():
        with pytest.raises(NeedError):
            close_need(user(app, coordinator.id), need_id, "  ")
        close_need(user(app, coordinator.id), need_id, "Familie ist umgezogen")
        assert db.session.get(Need, need_id).state == NeedState.CLOSED
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.record_id == need_id,
                                                                     AuditEntry.record_type == "needs")).all()
        assert actions == ["need.recorded", "need.state_changed"]
        with pytest.raises(NeedError):  # closed is final
            from app.matching.services import reopen_need

            reopen_need(user(app, coordinator.id), need_id)


def test_board_nobody_yet_on_top_then_oldest_in_one_statement(app, make, need):
    from app.matching.models import Need, NeedState
    from app.matching.services import board
    from tests.conftest import recorded_statements

    office, other = make.office(), make.office()
    coordinator = make.coordinator(office)
    make.coordinator(other)
    first = need(office, coordinator, case_code="A")
    second = need(office, coordinator, case_code="B")
    third = need(office, coordinator, case_code="C")
    with app.app_context():
        from app.core.timeutil import utcnow

        for i, nid in enumerate((first, second, third)):
            db.session.get(Need, nid).created_at = utcnow() - timedelta(days=10 - i)
        db.session.get(Need, first).state = NeedState.MATCHED
        db.session.commit()
        viewer = user(app, coordinator.id)
        with recorded_statements(app) as statements:
            rows = board(viewer)
        assert [r.case_code for r in rows] == ["B", "C", "A"]
        assert rows[0].nobody_yet and rows[0].days_open(utcnow()) == 9
        assert len(statements) <= 2  # the board, and at most the viewer's offices
        assert [r.case_code for r in board(viewer, state="matched")] == ["A"]


def test_board_page_and_another_offices_need_answers_404(app, make, need, client, auth):
    office, other = make.office(), make.office()
    coordinator = make.coordinator(office)
    outsider = make.coordinator(other)
    need_id = need(office, coordinator, case_code="HH-404")
    auth.login(coordinator)
    page = client.get("/matching/needs")
    assert page.status_code == 200 and "HH-404" in page.get_data(as_text=True)
    assert client.get(f"/matching/needs/{need_id}").status_code == 200
    auth.logout()
    auth.login(outsider)
    assert "HH-404" not in client.get("/matching/needs").get_data(as_text=True)
    for path in (f"/matching/needs/{need_id}", f"/matching/needs/{need_id}/edit"):
        assert client.get(path).status_code == 404
    from tests.conftest import csrf_from

    token = csrf_from(client.get("/matching/needs/new").get_data(as_text=True))
    assert client.post(f"/matching/needs/{need_id}/close", data={"csrf_token": token,
                                                                 "close_reason": "x"}).status_code == 404


def test_record_need_through_the_form(app, make, client, auth):
    from app.matching.models import Need
    from tests.conftest import submit

    office = make.office()
    coordinator = make.coordinator(office)
    auth.login(coordinator)
    cat = category_id(app)
    base = {"office_id": office.id, "category_id": cat, "case_code": "HH-9", "timing": "weekly",
            "slots": ["1-0"], "description": "Ruf an unter 0231 9988776"}
    answer = submit(client, "/matching/needs/new", base)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "description-warning" in html
    answer = submit(client, "/matching/needs/new", {**base, "personal_data_confirmed": "y"})
    assert answer.status_code == 302
    with app.app_context():
        need = db.session.scalar(select(Need))
        assert need.slots == 1 << 3 and need.case_code == "HH-9"
    answer = submit(client, "/matching/needs/new", {**base, "case_code": "", "household_size": "abc"})
    assert answer.status_code == 400
