"""My data: the sign-ups section lists them; deleting the account gives back upcoming places
and waiting places (freed places handed on under the slot's lock), keeps past sign-ups as
anonymous rows and deletes the calendar feed's key."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from app.activities.models import CalendarFeed, Signup, SignupState, Slot
from app.core.timeutil import utcnow
from app.extensions import db
from app.mail.models import OutboxMail
from app.mydata.services import delete_account, export
from tests.activities.volunteer_helpers import sign_up, user


def test_my_data_lists_signups(app, client, make, auth):
    office = make.office()
    act = make.activity(office, title="Deutschkurs", roles=(("Tutor", 2),))
    me = make.full_volunteer(office)
    sign_up(app, me, act.slot)
    with app.app_context():
        db.session.add(CalendarFeed(user_id=me.id, key="k" * 40))
        db.session.commit()
    with app.test_request_context():
        section = export(user(me.id))["sections"]["signups"]["data"]
    assert "created_at" in section["calendar_feed"]
    data = section["signups"]
    assert data == [{"activity": "Deutschkurs", "role": "Tutor", "starts_at": data[0]["starts_at"],
                     "ends_at": data[0]["ends_at"], "status": "angemeldet", "created_at": data[0]["created_at"]}]
    auth.login(me)
    html = client.get("/my-data").get_data(as_text=True)
    assert "Ihre Anmeldungen zu Angeboten" in html and "Deutschkurs" in html


def test_deleting_the_account_frees_places_and_keeps_anonymous_rows(app, make):
    office = make.office()
    act = make.activity(office, title="Brückenfest", dates=2, roles=(("Stand", 1),))
    past = make.activity(office, title="Vorbei", days_ahead=5)
    me, waiting, other_waiting = (make.full_volunteer(office) for _ in range(3))
    sign_up(app, me, *act.slot_ids[0])  # both places
    sign_up(app, waiting, act.slot_ids[0][0])  # waits for the first date
    [past_id] = sign_up(app, me, past.slot)
    sign_up(app, me, make.activity(office, roles=(("X", 1),), days_ahead=20).slot)
    with app.app_context():  # "Vorbei" is over
        start = utcnow() - timedelta(days=2)
        db.session.execute(update(Slot).where(Slot.id == past.slot)
                           .values(starts_at=start, ends_at=start + timedelta(hours=1)))
        db.session.add(CalendarFeed(user_id=me.id, key="k" * 40))
        db.session.commit()
    with app.test_request_context():
        person = user(me.id)
        delete_account(person, person)
        assert db.session.scalar(select(Signup).where(Signup.user_id == me.id)) is None
        rows = {s.slot_id: s for s in db.session.scalars(select(Signup).where(Signup.user_id.is_(None)))}
        # the upcoming places were given back; the past one stays, confirmed, without a person
        assert rows[act.slot_ids[0][0]].state == SignupState.CANCELLED
        assert rows[act.slot_ids[0][1]].state == SignupState.CANCELLED
        assert rows[past.slot].state == SignupState.CONFIRMED and rows[past.slot].id == past_id
        # the first in line got the freed place offered
        handed = db.session.scalar(select(Signup).where(Signup.user_id == waiting.id))
        assert handed.state == SignupState.OFFERED
        assert db.session.scalar(select(OutboxMail).where(OutboxMail.user_id == waiting.id,
                                                          OutboxMail.kind == "activity_offer")) is not None
        assert db.session.get(CalendarFeed, me.id) is None
    assert other_waiting


def test_deleting_via_the_page(app, client, make, auth):
    from tests.conftest import PASSWORD, csrf_from

    office = make.office()
    act = make.activity(office)
    me = make.full_volunteer(office)
    sign_up(app, me, act.slot)
    auth.login(me)
    page = client.get("/my-data/delete")
    response = client.post("/my-data/delete", data={"csrf_token": csrf_from(page.get_data(as_text=True)),
                                                     "password": PASSWORD})
    assert response.status_code == 302
    with app.app_context():
        [row] = db.session.scalars(select(Signup)).all()
        assert row.user_id is None and row.state == SignupState.CANCELLED
