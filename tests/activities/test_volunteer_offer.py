"""The offer page: GET shows the offered place and spends nothing; POST takes or declines it;
no log-in needed; broken, used and expired links get a clear page, never a 500."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.activities import signup as svc
from app.activities.models import Signup, SignupState
from app.core.timeutil import utcnow
from app.extensions import db
from tests.activities.volunteer_helpers import sign_up, user
from tests.conftest import csrf_from


def _offered(app, make):
    office = make.office()
    act = make.activity(office, title="Brückenfest", roles=(("Getränkestand", 1),))
    first, second, third = (make.full_volunteer(office) for _ in range(3))
    [first_id] = sign_up(app, first, act.slot)
    [second_id] = sign_up(app, second, act.slot)
    sign_up(app, third, act.slot)
    with app.test_request_context():
        svc.cancel(user(first.id), first_id)
        s = db.session.get(Signup, second_id)
        assert s.state == SignupState.OFFERED
        return second_id, svc.offer_link_token(s), act


def _state(app, signup_id):
    with app.app_context():
        return db.session.get(Signup, signup_id).state


def test_get_shows_the_offer_and_spends_nothing(app, client, make):
    signup_id, token, act = _offered(app, make)
    for _ in range(2):  # a link scanner, then the person
        page = client.get(f"/activities/offer/{token}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "Brückenfest" in html and "Getränkestand" in html
        assert "Ja, ich nehme den Platz" in html and "Nein, danke" in html
    assert _state(app, signup_id) == SignupState.OFFERED


def test_accept_without_logging_in(app, client, make):
    signup_id, token, act = _offered(app, make)
    page = client.get(f"/activities/offer/{token}")
    done = client.post(f"/activities/offer/{token}", data={"answer": "accept",
                                                            "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert done.status_code == 200
    assert "Der Platz gehört Ihnen" in done.get_data(as_text=True)
    assert _state(app, signup_id) == SignupState.CONFIRMED
    again = client.post(f"/activities/offer/{token}", data={"answer": "accept",
                                                             "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert again.status_code in (404, 410)
    assert "funktioniert nicht" in again.get_data(as_text=True)
    assert client.get(f"/activities/offer/{token}").status_code in (404, 410)


def test_decline_passes_the_place_on(app, client, make):
    signup_id, token, act = _offered(app, make)
    page = client.get(f"/activities/offer/{token}")
    done = client.post(f"/activities/offer/{token}", data={"answer": "decline",
                                                            "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert done.status_code == 200 and "nächste Person" in done.get_data(as_text=True)
    assert _state(app, signup_id) == SignupState.DECLINED
    with app.app_context():
        states = [s.state for s in db.session.scalars(select(Signup).where(Signup.slot_id == act.slot)
                                                      .order_by(Signup.id))]
    assert states == [SignupState.CANCELLED, SignupState.DECLINED, SignupState.OFFERED]


def test_broken_tampered_and_expired_links(app, client, make):
    signup_id, token, act = _offered(app, make)
    for bad in ("nonsense", token[:-3] + "xyz", "a" * 600):
        response = client.get(f"/activities/offer/{bad}")
        assert response.status_code == 404, bad
    page = client.get(f"/activities/offer/{token}")
    csrf = csrf_from(page.get_data(as_text=True))
    assert client.post("/activities/offer/nonsense", data={"answer": "accept", "csrf_token": csrf}).status_code == 404
    assert client.post(f"/activities/offer/{token}", data={"answer": "maybe", "csrf_token": csrf}).status_code == 400
    with app.test_request_context():  # the deadline passes: the place goes on
        svc.expire_offers(now=utcnow() + timedelta(hours=49))
    gone = client.get(f"/activities/offer/{token}")
    assert gone.status_code == 410 and "Dieses Angebot gilt nicht mehr" in gone.get_data(as_text=True)
    post = client.post(f"/activities/offer/{token}", data={"answer": "accept", "csrf_token": csrf})
    assert post.status_code in (404, 410)
    assert _state(app, signup_id) == SignupState.EXPIRED
