"""Messages to a roster (issue 13): one role, one date, the waiting list, the people present or
the whole activity, through send_message — preview with the count, one message per token, the
recipients a query of the activities area, another office's activity 404."""
from __future__ import annotations

import html as html_lib
from datetime import timedelta

from sqlalchemy import func, select

from app.accounts.models import User
from app.activities import attendance as att
from app.activities import roster_messages as rm
from app.activities import signup as svc
from app.activities.models import Signup, Slot
from app.extensions import db
from app.mail.models import Message, OutboxMail
from tests.conftest import submit


def _u(uid):
    return db.session.get(User, uid)


def _world(app, make):
    """A course with two roles and two dates; on the tutors' first date two places, three people:
    two with a place, one waiting; one helper on the second date."""
    office = make.office(districts=("Hörde",))
    act = make.activity(office, title="Deutschkurs Hörde", dates=2, roles=(("Tutor", 2), ("Helfer", 3)))
    coord = make.coordinator(office, name="Jonas Becker")
    people = [make.full_volunteer(office, name=n) for n in ("Amina", "Ben", "Chen", "Dana")]
    with app.test_request_context():
        for p in people[:3]:
            svc.sign_up(_u(p.id), [act.slot_ids[0][0]])
        svc.sign_up(_u(people[3].id), [act.slot_ids[1][1]])
    return office, act, coord, people


def _emails(app, activity_id, value):
    with app.app_context():
        stmt = rm.recipients(activity_id, rm.parse(value))
        return sorted(row[1] for row in db.session.execute(stmt))


def test_each_audience_is_the_right_people(app, make):
    office, act, coord, (a, b, c, d) = _world(app, make)
    assert _emails(app, act.id, "all") == sorted([a.email, b.email, d.email])
    assert _emails(app, act.id, f"role-{act.role_ids[0]}") == sorted([a.email, b.email])
    assert _emails(app, act.id, f"slot-{act.slot_ids[0][0]}") == sorted([a.email, b.email])
    assert _emails(app, act.id, f"slot-{act.slot_ids[1][1]}") == [d.email]
    assert _emails(app, act.id, "waiting") == [c.email]
    assert _emails(app, act.id, "present") == []
    with app.test_request_context():
        slot = db.session.get(Slot, act.slot_ids[0][0])
        slot_id, later = slot.id, slot.starts_at + timedelta(hours=2)
        s_a = db.session.scalar(select(Signup).where(Signup.slot_id == slot.id, Signup.user_id == a.id))
        s_b = db.session.scalar(select(Signup).where(Signup.slot_id == slot.id, Signup.user_id == b.id))
        att.mark(_u(coord.id), s_a.id, "present", now=later)
        att.mark(_u(coord.id), s_b.id, "absent", now=later)
    assert _emails(app, act.id, "present") == [a.email]
    assert _emails(app, act.id, f"present-{act.slot_ids[0][0]}") == [a.email]
    assert _emails(app, act.id, f"present-{act.slot_ids[1][1]}") == []
    # cancelling takes a person off; the waiting one is offered the place and counts as having one
    with app.test_request_context():
        s_b = db.session.scalar(select(Signup).where(Signup.slot_id == slot_id, Signup.user_id == b.id))
        svc.cancel(_u(b.id), s_b.id)
    assert b.email not in _emails(app, act.id, "all")
    assert c.email in _emails(app, act.id, f"slot-{act.slot_ids[0][0]}")
    assert _emails(app, act.id, "waiting") == []


def test_preview_then_send_once(app, client, make, auth):
    office, act, coord, (a, b, c, d) = _world(app, make)
    auth.login(coord)
    url = f"/manage/activities/{act.id}/message"
    page = client.get(url + f"?to=slot-{act.slot_ids[0][0]}").get_data(as_text=True)
    assert f'selected value="slot-{act.slot_ids[0][0]}"' in page
    data = {"to": f"slot-{act.slot_ids[0][0]}", "subject": "Raumwechsel", "body": "Wir sind heute in Raum 2.",
            "preview": "1", "token": "tok-1"}
    r = submit(client, url, data)
    text = html_lib.unescape(r.get_data(as_text=True))
    assert "2 Empfänger" in text
    assert "Hallo Amina," in text and "Sie sind angemeldet für Deutschkurs Hörde – Tutor" in text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMail)
                                 .where(OutboxMail.kind == "coordinator_message")) == 0
    data.pop("preview")
    data["send"] = "1"
    r = submit(client, url, data)
    assert r.status_code == 302 and "/messages/" in r.headers["Location"]
    submit(client, url, data)  # the same form once more: nothing new
    with app.app_context():
        msgs = db.session.scalars(select(Message)).all()
        assert len(msgs) == 1 and msgs[0].recipient_count == 2 and msgs[0].office_id == office.id
        rows = db.session.scalars(select(OutboxMail).where(OutboxMail.message_id == msgs[0].id)).all()
        assert sorted(r.to_address for r in rows) == sorted([a.email, b.email])
        assert {r.kind for r in rows} == {"coordinator_message"}
    log = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Angemeldet: Deutschkurs Hörde – Tutor" in html_lib.unescape(log)


def test_why_is_said_in_each_readers_language(app, make):
    office, act, coord, _people = _world(app, make)
    with app.test_request_context():
        from flask_babel import force_locale

        from app.activities.models import Activity
        from app.mail.services import describe_audience

        activity = db.session.get(Activity, act.id)
        data = rm.audience_data(activity, rm.parse("waiting"))
        with force_locale("en"):
            assert describe_audience(data) == "you are on the waiting list for Deutschkurs Hörde"
        with force_locale("de"):
            assert describe_audience(data, short=True) == "Warteliste: Deutschkurs Hörde"
        data = rm.audience_data(activity, rm.parse(f"present-{act.slot_ids[1][0]}"))
        with force_locale("en"):
            assert describe_audience(data).startswith("you took part in Deutschkurs Hörde – Helfer, ")


def test_nobody_in_the_group_is_said_next_to_the_choice(app, client, make, auth):
    office, act, coord, _people = _world(app, make)
    auth.login(coord)
    r = submit(client, f"/manage/activities/{act.id}/message",
               {"to": "present", "subject": "Danke", "body": "Danke!", "send": "1"})
    assert r.status_code == 200
    assert "Niemand ist bisher in dieser Gruppe" in html_lib.unescape(r.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_bad_choices_and_other_activities(app, client, make, auth):
    office, act, coord, _people = _world(app, make)
    other = make.activity(office, title="Theater")
    auth.login(coord)
    url = f"/manage/activities/{act.id}/message"
    for value in (f"slot-{other.slot}", "slot-abc", "everyone", f"role-{other.role_ids[0]}", ""):
        r = submit(client, url, {"to": value, "subject": "x", "body": "y", "send": "1"})
        assert r.status_code == 200, value
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 0
    assert rm.parse("present-12") == rm.Audience("present_slot", 12) and rm.parse("slot-1x") is None


def test_who_may_write(app, client, make, auth):
    office, act, coord, (a, *_rest) = _world(app, make)
    elsewhere = make.coordinator(make.office())
    url = f"/manage/activities/{act.id}/message"
    auth.login(elsewhere)
    assert client.get(url).status_code == 404
    auth.logout()
    auth.login(a)
    assert client.get(url).status_code == 403
    auth.logout()
    org = make.organisation(districts=office.district_ids)
    partner_act = make.activity(office, organisation_id=org.id)
    auth.login(org.contacts[0])
    assert client.get(f"/manage/activities/{partner_act.id}/message").status_code == 404
    auth.logout()
    auth.login(make.admin())
    assert client.get(url).status_code == 200
