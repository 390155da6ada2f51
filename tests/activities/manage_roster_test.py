"""The roster of one role on one date: confirmed, offered, waiting (with positions), ended;
contact data as far as consent allows; add, remove and move up through the sign-up services;
a constant number of statements for 300 sign-ups."""
from __future__ import annotations

from datetime import timedelta

import pytest

from sqlalchemy import func, insert, select

from app.activities.models import Signup, SignupState
from app.core.models import AuditEntry
from app.core.timeutil import utcnow
from app.extensions import db
from tests.conftest import count_statements, submit


def _bulk_signups(app, slot_id: int, capacity: int, n: int) -> list[int]:
    """n volunteers on a slot: `capacity` confirmed, the rest waiting 1..n-capacity (set-wise)."""
    from app.accounts.models import Role, User

    with app.app_context():
        now = utcnow()
        db.session.execute(insert(User), [dict(email=f"bulk{i}@example.org", name=f"Bulk {i:03d}", role=Role.VOLUNTEER,
                                               password_hash="x", locale="de", confirmed_at=now) for i in range(n)])
        ids = list(db.session.scalars(select(User.id).where(User.email.like("bulk%")).order_by(User.id)))
        db.session.execute(insert(Signup), [
            dict(slot_id=slot_id, user_id=uid, state=SignupState.CONFIRMED if i < capacity else SignupState.WAITING,
                 queue_no=None if i < capacity else i - capacity + 1, created_at=now - timedelta(minutes=n - i))
            for i, uid in enumerate(ids)])
        db.session.commit()
        return ids


def test_roster_of_300_runs_a_constant_small_number_of_statements(app, client, auth, make):
    office = make.office()
    coord = make.coordinator(office)
    act = make.activity(office, roles=(("Getränkestand", 250),))
    auth.login(coord)
    url = f"/manage/activities/{act.id}/slots/{act.slot}"
    client.get(url)  # warm
    with app.app_context():
        from app.activities import cache

        cache.bump()  # the rows are built again (the first request after any change) …
    few = count_statements(app, client, url)
    few_cached = count_statements(app, client, url)  # … and then come from the cache
    _bulk_signups(app, act.slot, 250, 300)
    many = count_statements(app, client, url)
    many_cached = count_statements(app, client, url)
    assert many == few and many <= 6, (few, many)
    assert many_cached == few_cached and many_cached < many, (few_cached, many_cached)
    page = client.get(url).get_data(as_text=True)
    assert page.count('<tr id="s') == 300
    assert "Bulk 000" in page and "bulk0@example.org" in page  # staff see e-mail
    # waiting positions 1..50
    assert "Platz 1<" in page and "Platz 50<" in page and "Platz 51<" not in page


def test_partner_sees_contact_data_only_with_consent(app, client, auth, make):
    office = make.office()
    org = make.organisation(districts=office.district_ids)
    act = make.activity(office, organisation_id=org.id)
    sharing = make.full_volunteer(office, phone="0231 111111", consents=("contact", "share_with_partner"))
    private = make.full_volunteer(office, phone="0231 222222", consents=("contact",))
    with app.app_context():
        for u in (sharing, private):
            db.session.add(Signup(slot_id=act.slot, user_id=u.id, state=SignupState.CONFIRMED))
        db.session.commit()
    auth.login(org.contacts[0])
    page = client.get(f"/manage/activities/{act.id}/slots/{act.slot}").get_data(as_text=True)
    # consent 2 passes on name and phone (its text says so), never the e-mail address
    assert sharing.name in page and "0231 111111" in page and sharing.email not in page
    assert private.name not in page and "0231 222222" not in page and private.email not in page
    assert "Ehrenamtliche Person (Name nicht freigegeben)" in page
    assert 'name="move_up"' not in page and "/remove" not in page  # partners only read
    # another organisation's roster: 404
    other = make.activity(office)
    assert client.get(f"/manage/activities/{other.id}/slots/{other.slot}").status_code == 404


def test_staff_see_email_and_phone_without_partner_consent(app, client, auth, make):
    office = make.office()
    act = make.activity(office)
    private = make.full_volunteer(office, phone="0231 222222", consents=("contact",))
    with app.app_context():
        db.session.add(Signup(slot_id=act.slot, user_id=private.id, state=SignupState.CONFIRMED))
        db.session.commit()
    auth.login(make.coordinator(office))
    page = client.get(f"/manage/activities/{act.id}/slots/{act.slot}").get_data(as_text=True)
    assert "0231 222222" in page and private.email in page


def test_slot_of_another_activity_answers_404(client, auth, make):
    office = make.office()
    a, b = make.activity(office), make.activity(office)
    auth.login(make.coordinator(office))
    assert client.get(f"/manage/activities/{a.id}/slots/{b.slot}").status_code == 404


def test_search_add_remove_and_move_up_through_the_signup_services(app, client, auth, make, deliver):
    office = make.office()
    coord = make.coordinator(office)
    act = make.activity(office, roles=(("Tutor", 1),))
    anna = make.full_volunteer(office, name="Anna Beispiel")
    bert = make.full_volunteer(office, name="Bert Beispiel")
    outsider = make.full_volunteer(make.office(), name="Clara Beispiel")
    auth.login(coord)
    url = f"/manage/activities/{act.id}/slots/{act.slot}"
    page = client.get(url + "?q=beispiel").get_data(as_text=True)
    assert "Anna Beispiel" in page and "Bert Beispiel" in page and "Clara Beispiel" not in page  # office scope
    r = submit(client, f"{url}/add", {"user_id": str(anna.id), "add": "1"}, form_url=url + "?q=anna")
    assert r.status_code == 302
    # full now: without the override Bert is refused, on the waiting list on request
    r = submit(client, f"{url}/add", {"user_id": str(bert.id), "add": "1"}, form_url=url + "?q=bert")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Signup)) == 1
    r = submit(client, f"{url}/add", {"user_id": str(bert.id), "waiting": "1"}, form_url=url + "?q=bert")
    with app.app_context():
        bert_signup = db.session.scalar(select(Signup).where(Signup.user_id == bert.id))
        assert bert_signup.state == SignupState.WAITING
        bert_id = bert_signup.id
    # someone outside the office scope can't be added by a forged id
    submit(client, f"{url}/add", {"user_id": str(outsider.id), "add": "1"}, form_url=url + "?q=anna")
    with app.app_context():
        assert db.session.scalar(select(Signup).where(Signup.user_id == outsider.id)) is None
    # move up without the override: refused (the place is taken); with it: confirmed, over capacity
    submit(client, f"{url}/move-up", {"move_up": str(bert_id)}, form_url=url)
    with app.app_context():
        assert db.session.get(Signup, bert_id).state == SignupState.WAITING
    submit(client, f"{url}/move-up", {"move_up": str(bert_id), "over_capacity": "y"}, form_url=url)
    with app.app_context():
        s = db.session.get(Signup, bert_id)
        assert s.state == SignupState.CONFIRMED and s.over_capacity
        anna_id = db.session.scalar(select(Signup.id).where(Signup.user_id == anna.id))
    page = client.get(url).get_data(as_text=True)
    assert "über Kapazität" in page
    remove_url = f"/manage/activities/{act.id}/signups/{anna_id}/remove"
    r = submit(client, remove_url, {"reason": "Doppelt eingetragen"})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(Signup, anna_id).state == SignupState.REMOVED
        actions = set(db.session.scalars(select(AuditEntry.action)))
        assert "signup.removed" in actions
    assert deliver()  # every change mailed the person
    # a sign-up of another activity can't be reached through this activity's URL
    other = make.activity(office)
    with app.app_context():
        db.session.add(Signup(slot_id=other.slot, user_id=anna.id, state=SignupState.CONFIRMED))
        db.session.commit()
        foreign = db.session.scalar(select(Signup.id).where(Signup.slot_id == other.slot))
    assert client.get(f"/manage/activities/{act.id}/signups/{foreign}/remove").status_code == 404


def test_a_theatre_roster_says_who_must_not_be_photographed_and_follows_a_withdrawal(app, client, auth, make):
    from app.accounts.models import User
    from app.people import consent
    from app.people.models import ConsentPurpose

    office = make.office()
    act = make.activity(office, kind="theatre")
    course = make.activity(office)
    yes = make.full_volunteer(office, name="Frieda Foto", consents=("contact", "photos"))
    no = make.full_volunteer(office, name="Paul Privat", consents=("contact",))
    make.signups(act.slot, yes, no)
    make.signups(course.slot, no)
    auth.login(make.coordinator(office))

    def tagged(activity, name):
        page = client.get(f"/manage/activities/{activity.id}/slots/{activity.slot}").get_data(as_text=True)
        row = next(line for line in page.split("<tr") if name in line)
        return "keine Fotos, bitte" in row

    assert tagged(act, "Paul Privat") and not tagged(act, "Frieda Foto")
    assert not tagged(course, "Paul Privat")  # a language course: photos are not the question
    with app.app_context():
        text = consent.current_text(ConsentPurpose.PHOTOS)
        consent.answer(db.session.get(User, yes.id), ConsentPurpose.PHOTOS, False, text.id)
    assert tagged(act, "Frieda Foto")  # at once


# ---------------------------------------------------------------- consent 2 on every partner page (review)
def _partner_setup(app, make):
    office = make.office()
    org = make.organisation(districts=office.district_ids)
    act = make.activity(office, organisation_id=org.id)
    private = make.full_volunteer(office, name="Paula Privat", phone="0231 222222", consents=("contact",))
    sids = make.signups(act.slot, private)
    return office, org, act, private, sids


@pytest.mark.parametrize("page", ["", "/attendance", "/attendance/{sid}/minutes", "/sign-in-sheet"])
def test_every_partner_page_hides_a_name_not_shared(app, client, auth, make, page):
    """The roster, the attendance screen, one person's minutes, the sign-in sheet."""
    office, org, act, private, sids = _partner_setup(app, make)
    auth.login(org.contacts[0])
    r = client.get(f"/manage/activities/{act.id}/slots/{act.slot}" + page.format(sid=sids[0]))
    assert r.status_code == 200
    assert private.name not in r.get_data(as_text=True)


def test_partner_roster_hides_a_hand_over_takers_name_not_shared(app, client, auth, make):
    from app.activities.models import Handover, HandoverState
    from app.core.timeutil import utcnow

    office, org, act, private, sids = _partner_setup(app, make)
    giver = make.full_volunteer(office, name="Gina Geberin", consents=("contact", "share_with_partner"))
    taker = make.full_volunteer(office, name="Tom Ohnefreigabe", consents=("contact",))
    gsid = make.signups(act.slot, giver)[0]
    with app.app_context():
        db.session.add(Handover(signup_id=gsid, slot_id=act.slot, from_user_id=giver.id, open_signup_id=gsid,
                                state=HandoverState.PENDING,
                                taken_by_id=taker.id, taken_at=utcnow()))
        db.session.commit()
    auth.login(org.contacts[0])
    page = client.get(f"/manage/activities/{act.id}/slots/{act.slot}").get_data(as_text=True)
    assert "Gina Geberin" in page
    assert "Tom Ohnefreigabe" not in page
