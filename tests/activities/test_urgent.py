"""Urgent calls: who is asked (the rules), the mailed links (single use, unforgeable, expiring),
filling the places, the pages, another office's 404."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.activities import signup as svc
from app.activities import urgent
from app.activities.models import Signup, SignupState, UrgentCall, UrgentInvite, UrgentOutcome
from app.core.timeutil import utcnow
from app.extensions import db
from app.mail.models import OutboxMail
from app.people.models import ConsentPurpose
from tests.conftest import submit

EVENINGS = tuple((d, "evening") for d in range(7))  # the builder's dates are at 17:00 Berlin time


def _u(uid):
    return db.session.get(User, uid)


def _free(make, office, **kw):
    """A volunteer of the office, free every evening."""
    return make.full_volunteer(office, slots=kw.pop("slots", EVENINGS), **kw)


def _links(user_id):
    rows = db.session.scalars(select(OutboxMail).where(OutboxMail.kind == "activity_urgent_call",
                                                       OutboxMail.user_id == user_id)).all()
    return [re.search(r"/activities/urgent/(\S+)", m.body_text).group(1) for m in rows]


def _ids(candidates):
    return {c.user_id for c in candidates}


# ---------------------------------------------------------------- who is asked
def test_only_free_fitting_contactable_volunteers_of_the_office_are_ranked(app, make):
    office, other_office = make.office(), make.office()
    act = make.activity(office, roles=(("Tutor", 3),), required_language="ar", required_level=2)
    fits = _free(make, office)
    no_consent = _free(make, office, consents=())
    mornings_only = make.full_volunteer(office, slots=((1, "morning"),))
    no_arabic = _free(make, office, languages=(("de", "native"),))
    basic_arabic = _free(make, office, languages=(("ar", "basic"),))
    elsewhere = _free(make, other_office)
    paused = _free(make, office, status="paused")
    on_it = _free(make, office)
    busy = _free(make, office)
    clash = make.activity(office, roles=(("Küche", 5),))  # the same time, another activity
    with app.test_request_context():
        svc.sign_up(_u(on_it.id), [act.slot])
        svc.sign_up(_u(busy.id), [clash.slot])
        got = _ids(urgent.rank_for_slot(act.slot, 50))
    assert got == {fits.id}
    assert not got & {no_consent.id, mornings_only.id, no_arabic.id, basic_arabic.id, elsewhere.id, paused.id,
                      on_it.id, busy.id}


def test_ranking_follows_for_me_scoring_and_the_limit(app, make):
    office = make.office()
    act = make.activity(office, roles=(("Tutor", 3),), languages=("ar",))
    near = _free(make, office)  # lives in the activity's district, speaks Arabic
    elsewhere = make.office()
    far = _free(make, office, district_id=elsewhere.district_ids[0], work_offices=[office.id],
                languages=(("de", "native"),))
    with app.test_request_context():
        ranked = urgent.rank_for_slot(act.slot, 10)
        assert [c.user_id for c in ranked][0] == near.id, ranked
        assert far.id in _ids(ranked), (ranked, far)
        assert ranked[0].score > next(c.score for c in ranked if c.user_id == far.id)
        assert any("Arabisch" in r or "Arabic" in r for r in ranked[0].reasons)
        assert len(urgent.rank_for_slot(act.slot, 1)) == 1


def test_withdrawn_consent_excludes_at_once(app, make):
    from app.people.consent import record_consent

    office = make.office()
    act = make.activity(office, roles=(("Tutor", 3),))
    person = _free(make, office)
    with app.test_request_context():
        assert person.id in _ids(urgent.rank_for_slot(act.slot, 10))
        record_consent(person.id, ConsentPurpose.CONTACT, False)
        assert person.id not in _ids(urgent.rank_for_slot(act.slot, 10))


def test_weekly_cap_counts_the_urgent_invites_of_seven_days(app, make):
    office = make.office()
    app.config["MATCHING_WEEKLY_CAP"] = 2
    coord = make.coordinator(office)
    person = _free(make, office)
    acts = [make.activity(office, roles=(("Tutor", 1),), days_ahead=3 + i) for i in range(3)]
    with app.test_request_context():
        for act in acts[:2]:
            urgent.send_call(_u(coord.id), act.slot, 1, 5)
        assert person.id not in _ids(urgent.rank_for_slot(acts[2].slot, 10))
        db.session.execute(UrgentInvite.__table__.update().values(sent_at=utcnow() - timedelta(days=8)))
        db.session.commit()
        assert person.id in _ids(urgent.rank_for_slot(acts[2].slot, 10))


# ---------------------------------------------------------------- sending and answering
def test_call_mails_only_the_best_n_and_fills_the_places(app, make):
    office = make.office()
    coord = make.coordinator(office)
    act = make.activity(office, roles=(("Getränkestand", 3),))
    people = [_free(make, office) for _ in range(6)]
    with app.test_request_context():
        svc.sign_up(_u(people[5].id), [act.slot])  # one place is taken already
        call = urgent.send_call(_u(coord.id), act.slot, 2, 3)
        asked = {i.user_id for i in call.invites}
        assert len(asked) == 3 and people[5].id not in asked
        mailed = {m.user_id for m in db.session.scalars(select(OutboxMail).where(
            OutboxMail.kind == "activity_urgent_call"))}
        assert mailed == asked
        first, second, third = (_links(uid)[0] for uid in sorted(asked))
        invite, person = urgent.read(first)  # GET spends nothing
        assert person.id == min(asked)
        s = urgent.accept(first)
        assert s.state == SignupState.CONFIRMED
        assert db.session.get(UrgentCall, call.id).ended_at is None  # one more place wanted
        urgent.accept(second)
        assert db.session.get(UrgentCall, call.id).ended_at is not None  # filled: the call ends
        with pytest.raises(svc.SignupError) as e:
            urgent.read(third)
        assert e.value.code == "taken"
        with pytest.raises(svc.SignupError) as e:
            urgent.accept(third)
        assert e.value.code == "taken"
        assert svc.counts([act.slot])[act.slot].confirmed == 3  # capacity holds
        outcomes = {i.user_id: i.outcome for i in db.session.scalars(select(UrgentInvite))}
        assert sorted(o.value for o in outcomes.values()) == ["accepted", "accepted", "too_late"]
        kinds = {(m.kind, m.user_id) for m in db.session.scalars(select(OutboxMail))}
        assert ("activity_signed_up", min(asked)) in kinds


def test_links_cannot_be_reused_forged_or_used_after_expiry(app, make, monkeypatch):
    office = make.office()
    coord = make.coordinator(office)
    act = make.activity(office, roles=(("Tutor", 3),))
    a, b = _free(make, office), _free(make, office)
    with app.test_request_context():
        urgent.send_call(_u(coord.id), act.slot, 2, 5)
        link = _links(a.id)[0]
        urgent.accept(link)
        with pytest.raises(svc.SignupError) as e:
            urgent.accept(link)  # used
        assert e.value.code == "link_used"
        with pytest.raises(svc.SignupError) as e:
            urgent.accept(link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB"))  # forged signature
        assert e.value.code == "link_invalid"
        from app.core.tokens import make_token

        # a well-signed token of another purpose (e.g. the hand-over's) is no urgent link
        with pytest.raises(svc.SignupError) as e:
            urgent.read(make_token("activity-handover", i=1, u=b.id))
        assert e.value.code == "link_invalid"
        # an invite of someone else, with b's id in it: refused
        invite_a = db.session.scalar(select(UrgentInvite).where(UrgentInvite.user_id == a.id))
        with pytest.raises(svc.SignupError) as e:
            urgent.read(make_token(urgent.PURPOSE, i=invite_a.id, u=b.id))
        assert e.value.code == "link_invalid"
        later = _links(b.id)[0]
        import time as _time

        real = _time.time
        monkeypatch.setattr(_time, "time", lambda: real() + (urgent.LINK_DAYS + 1) * 86400)
        with pytest.raises(svc.SignupError) as e:
            urgent.accept(later)
        assert e.value.code == "link_expired"
        monkeypatch.setattr(_time, "time", real)
        assert urgent.accept(later).user_id == b.id  # before expiry it works


def test_decline_and_end_by_the_coordinator(app, make):
    office = make.office()
    coord = make.coordinator(office)
    act = make.activity(office, roles=(("Tutor", 2),))
    a, b = _free(make, office), _free(make, office)
    with app.test_request_context():
        call = urgent.send_call(_u(coord.id), act.slot, 1, 5)
        assert urgent.decline(_links(a.id)[0]).outcome == UrgentOutcome.DECLINED
        with pytest.raises(svc.SignupError):
            urgent.accept(_links(a.id)[0])  # spent by the "no"
        with pytest.raises(svc.SignupError) as e:
            urgent.send_call(_u(coord.id), act.slot, 1, 5)
        assert e.value.code == "already"
        urgent.end_call(_u(coord.id), call.id)
        with pytest.raises(svc.SignupError) as e:
            urgent.accept(_links(b.id)[0])
        assert e.value.code == "taken"
        assert svc.counts([act.slot])[act.slot].confirmed == 0


def test_send_refuses_bad_numbers_full_roles_and_other_offices(app, make):
    office, other = make.office(), make.office()
    coord, stranger = make.coordinator(office), make.coordinator(other)
    act = make.activity(office, roles=(("Tutor", 1),))
    _free(make, office)
    with app.test_request_context():
        for places, invites, code in ((0, 5, "places"), (2, 5, "places"), (1, 0, "invites"), (1, 31, "invites")):
            with pytest.raises(svc.SignupError) as e:
                urgent.send_call(_u(coord.id), act.slot, places, invites)
            assert e.value.code == code
        with pytest.raises(svc.SignupError) as e:
            urgent.send_call(_u(stranger.id), act.slot, 1, 5)
        assert e.value.code == "not_found"
        assert db.session.scalar(select(UrgentCall.id)) is None  # nothing stored half-way
        db.session.add(Signup(slot_id=act.slot, user_id=make.full_volunteer(office).id,
                              state=SignupState.CONFIRMED))
        db.session.commit()
        with pytest.raises(svc.SignupError) as e:
            urgent.send_call(_u(coord.id), act.slot, 1, 5)
        assert e.value.code == "full"


# ---------------------------------------------------------------- pages
def test_coordinator_pages_and_another_office_404(app, client, auth, make):
    office, other = make.office(), make.office()
    coord, stranger = make.coordinator(office), make.coordinator(other)
    act = make.activity(office, roles=(("Tutor", 2),))
    person = _free(make, office, name="Fatima Free")
    url = f"/manage/activities/{act.id}/slots/{act.slot}/urgent"
    auth.login(coord)
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Fatima Free" in html and "Dringenden Aufruf senden" in html
    roster = client.get(f"/manage/activities/{act.id}/slots/{act.slot}").get_data(as_text=True)
    assert url in roster
    bad = submit(client, url, {"places": "abc", "invites": "5"})
    assert bad.status_code == 400 and "Bitte geben Sie eine Zahl" in bad.get_data(as_text=True)
    too_many = submit(client, url, {"places": "3", "invites": "5"})
    assert too_many.status_code == 400 and "von 1 bis 2" in too_many.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(UrgentCall.id)) is None
    sent = submit(client, url, {"places": "1", "invites": "5"}, follow_redirects=True)
    assert sent.status_code == 200 and "noch keine Antwort" in sent.get_data(as_text=True)
    roster = client.get(f"/manage/activities/{act.id}/slots/{act.slot}").get_data(as_text=True)
    assert "1 angefragt, 0 von 1 Plätzen" in roster
    with app.app_context():
        call_id = db.session.scalar(select(UrgentCall.id))
    auth.logout()
    auth.login(stranger)
    assert client.get(url).status_code == 404
    assert client.post(f"{url}/{call_id}/end").status_code in (400, 404)
    with app.app_context():
        assert db.session.get(UrgentCall, call_id).ended_at is None
    assert person


def test_volunteer_link_page_without_login(app, client, make):
    office = make.office()
    coord = make.coordinator(office)
    act = make.activity(office, title="Brückenfest", roles=(("Getränkestand", 1),))
    a, b = _free(make, office), _free(make, office)
    with app.test_request_context():
        urgent.send_call(_u(coord.id), act.slot, 1, 5)
        link_a, link_b = _links(a.id)[0], _links(b.id)[0]
    page = client.get(f"/activities/urgent/{link_a}")
    assert page.status_code == 200 and "Brückenfest" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Signup.id)) is None  # GET took nothing
    done = submit(client, f"/activities/urgent/{link_a}", {"answer": "accept"})
    assert done.status_code == 200 and "Der Platz gehört Ihnen" in done.get_data(as_text=True) or \
        "The place is yours" in done.get_data(as_text=True)
    taken = client.get(f"/activities/urgent/{link_b}")
    assert taken.status_code == 200 and "schon vergeben" in taken.get_data(as_text=True)
    assert client.get("/activities/urgent/not-a-token").status_code == 404
    with app.app_context():
        assert svc.counts([act.slot])[act.slot].confirmed == 1


def test_urgent_page_runs_a_constant_number_of_statements(app, client, auth, make):
    from tests.conftest import count_statements

    office = make.office()
    coord = make.coordinator(office)
    act = make.activity(office, roles=(("Tutor", 5),))
    url = f"/manage/activities/{act.id}/slots/{act.slot}/urgent"
    for _ in range(3):
        _free(make, office)
    auth.login(coord)
    with app.test_request_context():
        urgent.send_call(_u(coord.id), act.slot, 1, 1)  # two are left to show
        urgent.end_call(_u(coord.id), db.session.scalar(select(UrgentCall.id)))
    client.get(url)  # warm
    few = count_statements(app, client, url)
    for _ in range(25):
        _free(make, office)
    with app.test_request_context():
        urgent.send_call(_u(coord.id), act.slot, 1, 20)
        urgent.end_call(_u(coord.id), db.session.scalar(select(UrgentCall.id).order_by(UrgentCall.id.desc())))
    many = count_statements(app, client, url)
    assert many == few and many <= 12, (few, many)


def test_a_yes_is_checked_again_and_only_the_yes_button_takes_a_place(app, client, make):
    """Review findings: a withdrawal (or a status change) between the mail and the answer counts;
    a POST with anything but the page's two answers takes nothing."""
    from app.people.consent import record_consent
    from app.people.models import VolunteerProfile, VolunteerStatus

    office = make.office()
    coord = make.coordinator(office)
    act = make.activity(office, roles=(("Getränkestand", 3),))
    a, b, c = _free(make, office), _free(make, office), _free(make, office)
    with app.test_request_context():
        urgent.send_call(_u(coord.id), act.slot, 3, 5)
        link_a, link_b, link_c = _links(a.id)[0], _links(b.id)[0], _links(c.id)[0]
    r = submit(client, f"/activities/urgent/{link_c}", {"answer": "maybe"})
    assert r.status_code == 400
    r = submit(client, f"/activities/urgent/{link_c}", {})
    assert r.status_code == 400
    with app.test_request_context():
        assert db.session.scalar(select(Signup.id)) is None
        record_consent(a.id, ConsentPurpose.CONTACT, False)
        db.session.get(VolunteerProfile, b.id).status = VolunteerStatus.LEFT
        db.session.commit()
        for link in (link_a, link_b):
            with pytest.raises(svc.SignupError) as e:
                urgent.accept(link)
            assert e.value.code == "no_longer"
        assert db.session.scalar(select(Signup.id)) is None
    r = submit(client, f"/activities/urgent/{link_c}", {"answer": "accept"})
    assert r.status_code == 200
    with app.app_context():
        assert svc.counts([act.slot])[act.slot].confirmed == 1
