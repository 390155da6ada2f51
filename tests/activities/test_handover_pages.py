"""Hand-over pages: offer from "my activities", take over by the mailed link, withdraw, approve."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.activities.models import Handover, HandoverState, Signup, SignupState
from app.extensions import db
from app.mail.models import OutboxMail
from tests.conftest import csrf_from, submit


def _signup(app, make, office, user, **kw):
    act = make.activity(office, roles=(("Getränkestand", 1),), **kw)
    with app.test_request_context():
        from app.accounts.models import User
        from app.activities import signup as svc

        s = svc.sign_up(db.session.get(User, user.id), [act.slot])[0]
        return act, s.id


def _link(app, user_id):
    with app.app_context():
        mail = db.session.scalar(select(OutboxMail).where(OutboxMail.kind == "activity_handover_offered",
                                                          OutboxMail.user_id == user_id))
        return re.search(r"https?://[^/\s]+(/activities/handover/\S+)", mail.body_text).group(1)


def test_offer_to_a_colleague_and_take_over_by_link(app, client, make, auth):
    office = make.office()
    a, b = make.full_volunteer(office), make.full_volunteer(office)
    act, sid = _signup(app, make, office, a)
    auth.login(a)
    assert f"/my/activities/signups/{sid}/handover" in client.get("/my/activities").get_data(as_text=True)
    url = f"/my/activities/signups/{sid}/handover"
    r = submit(client, url, {"email": "nobody@example.org", "note": ""})
    assert r.status_code == 400 and "nobody@example.org" in r.get_data(as_text=True)
    r = submit(client, url, {"email": b.email.upper(), "note": "Ich bin krank."})
    assert r.status_code == 302
    assert "zurücknehmen" in client.get(url).get_data(as_text=True)
    auth.logout()
    link = _link(app, b.id)
    page = client.get(link)  # a link scanner: nothing happens
    assert page.status_code == 200 and "Ich bin krank." in page.get_data(as_text=True)
    r = client.post(link, data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert r.status_code == 200
    with app.app_context():
        states = {s.user_id: s.state for s in db.session.scalars(select(Signup).where(Signup.slot_id == act.slot))}
        assert states == {a.id: SignupState.HANDED_OVER, b.id: SignupState.CONFIRMED}
    assert client.get(link).status_code in (404, 410)  # spent


def test_withdraw_and_other_peoples_sign_ups(app, client, make, auth):
    office = make.office()
    a, b = make.full_volunteer(office), make.full_volunteer(office)
    _act, sid = _signup(app, make, office, a)
    auth.login(b)
    assert client.get(f"/my/activities/signups/{sid}/handover").status_code == 404
    auth.logout()
    auth.login(a)
    submit(client, f"/my/activities/signups/{sid}/handover", {"email": "", "note": ""})
    with app.app_context():
        h = db.session.scalar(select(Handover))
        assert h.state == HandoverState.OPEN and h.to_user_id is None
    page = client.get(f"/my/activities/signups/{sid}/handover").get_data(as_text=True)
    r = client.post(f"/my/activities/handovers/{h.id}/withdraw", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(Handover, h.id).state == HandoverState.WITHDRAWN


def test_coordinator_approves_from_the_mail(app, client, make, auth):
    office = make.office()
    a, b = make.full_volunteer(office), make.full_volunteer(office)
    coord, stranger = make.coordinator(office), make.coordinator(make.office())
    act, sid = _signup(app, make, office, a, handover_needs_approval=True)
    auth.login(a)
    submit(client, f"/my/activities/signups/{sid}/handover", {"email": b.email, "note": ""})
    auth.logout()
    link = _link(app, b.id)
    page = client.get(link)
    client.post(link, data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    with app.app_context():
        h = db.session.scalar(select(Handover))
        assert h.state == HandoverState.PENDING
        mail = db.session.scalar(select(OutboxMail).where(OutboxMail.kind == "activity_handover_approval"))
        assert f"/manage/activities/handovers/{h.id}" in mail.body_text
    auth.login(stranger)
    assert client.get(f"/manage/activities/handovers/{h.id}").status_code == 404
    auth.logout()
    auth.login(coord)
    # the roster says so next to the place, with the way to the approval
    roster = client.get(f"/manage/activities/{act.id}/slots/{act.slot}").get_data(as_text=True)
    assert f'href="/manage/activities/handovers/{h.id}"' in roster
    with app.app_context():
        from app.accounts.models import User

        taker = db.session.get(User, b.id).name
    assert f"übernommen von {taker}" in roster.replace("&#39;", "'")
    review = client.get(f"/manage/activities/handovers/{h.id}")
    assert review.status_code == 200
    r = client.post(f"/manage/activities/handovers/{h.id}/decide",
                    data={"decision": "approve", "csrf_token": csrf_from(review.get_data(as_text=True))})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(Handover, h.id).state == HandoverState.DONE
