"""The roster's and the attendance screen's rows are kept per cache version (app.activities.cache
.fragment): every change of something they show gives the next request new rows — a mark, a time
correction, a walk-in, newcomers, a new sign-up, a hand-over, a person's name, e-mail or phone, a
withdrawn consent, an organisation's or a role's name — and the per-session CSRF token is never
part of what is kept. Each test loads the page first (so the rows are cached), changes one thing,
and loads it again."""
from __future__ import annotations

import re

from app.activities.models import Role, Signup
from app.extensions import db
from tests.conftest import csrf_from

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _screen(act, suffix=""):
    return f"/manage/activities/{act.id}/slots/{act.slot}/attendance{suffix}"


def _roster(act):
    return f"/manage/activities/{act.id}/slots/{act.slot}"


def _get(client, url) -> str:
    r = client.get(url)
    assert r.status_code == 200, url
    return r.get_data(as_text=True)


def _rename_user(app, user_id, **values):
    from app.accounts.models import User

    with app.app_context():
        u = db.session.get(User, user_id)
        for k, v in values.items():
            setattr(u, k, v)
        db.session.commit()


def test_attendance_marks_times_walk_ins_and_newcomers_show_at_once(app, client, auth, make):
    office = make.office()
    act = make.activity(office, days_ahead=-1, roles=(("Helfer", 3),))
    a = make.full_volunteer(office, name="Ada Anwesend")
    b = make.full_volunteer(office, name="Bea Später")
    (sid,) = make.signups(act.slot, a)
    auth.login(make.coordinator(office))
    page = _get(client, _screen(act))
    assert 'aria-pressed="true"' not in page and "Bea Später" not in page
    token = csrf_from(page)
    assert client.post(_screen(act, f"/{sid}"), data={"csrf_token": token, "attendance": "present"}).status_code == 303
    page = _get(client, _screen(act))
    assert ':present" aria-pressed="true"' in page
    assert "1 von 1 eingetragen, 1 da" in page
    r = client.post(_screen(act, f"/{sid}/minutes"), data={"csrf_token": token, "minutes": "200",
                                                           "minutes_reason": "Aufbau und Abbau"})
    assert r.status_code == 303
    page = _get(client, _screen(act))
    assert "200 Minuten (Aufbau und Abbau)" in page
    assert client.post(_screen(act, f"/{sid}"), data={"csrf_token": token, "attendance": "absent"}).status_code == 303
    page = _get(client, _screen(act))
    assert ':absent" aria-pressed="true"' in page
    assert ':present" aria-pressed="true"' not in page and "200 Minuten" not in page
    assert f'href="{_screen(act, f"/{sid}/minutes")}"' in page  # the correction can still be undone
    assert client.post(_screen(act, "/walk-in"), data={"csrf_token": token, "user_id": str(b.id)}).status_code == 303
    page = _get(client, _screen(act))
    assert "Bea Später" in page and page.count('<li id="a') == 2
    assert client.post(_screen(act, "/newcomers"), data={"csrf_token": token, "newcomers": "7"}).status_code == 303
    assert 'name="newcomers" value="7"' in _get(client, _screen(act))


def test_a_renamed_person_and_a_renamed_role_show_at_once(app, client, auth, make):
    office = make.office()
    act = make.activity(office, days_ahead=-1)
    v = make.full_volunteer(office, name="Carla Vorher")
    make.signups(act.slot, v)
    auth.login(make.coordinator(office))
    assert "Carla Vorher" in _get(client, _screen(act)) and "Carla Vorher" in _get(client, _roster(act))
    _rename_user(app, v.id, name="Carla Nachher", email="carla.neu@example.org")
    screen, roster = _get(client, _screen(act)), _get(client, _roster(act))
    assert "Carla Nachher" in screen and "Carla Vorher" not in screen
    assert "Carla Nachher" in roster and "carla.neu@example.org" in roster and v.email not in roster
    with app.app_context():
        role = db.session.get(Role, act.role_ids[0])
        role.name = "Neue Aufgabe"
        db.session.commit()
    assert "Neue Aufgabe" in _get(client, _screen(act)) and "Neue Aufgabe" in _get(client, _roster(act))


def test_a_new_phone_and_a_withdrawn_consent_change_the_contact_column(app, client, auth, make):
    from app.accounts.models import User
    from app.people import consent
    from app.people.models import ConsentPurpose, VolunteerProfile

    office = make.office()
    org = make.organisation(districts=office.district_ids)
    act = make.activity(office, organisation_id=org.id)
    v = make.full_volunteer(office, phone="0231 111111", consents=("contact", "share_with_partner"))
    make.signups(act.slot, v)
    auth.login(org.contacts[0])
    page = _get(client, _roster(act))
    assert "0231 111111" in page and v.name in page and v.email not in page
    with app.app_context():
        db.session.get(VolunteerProfile, v.id).phone = "0231 999999"
        db.session.commit()
    page = _get(client, _roster(act))
    assert "0231 999999" in page and "0231 111111" not in page
    with app.app_context():
        text = consent.current_text(ConsentPurpose.SHARE_WITH_PARTNER)
        consent.answer(db.session.get(User, v.id), ConsentPurpose.SHARE_WITH_PARTNER, False, text.id)
    page = _get(client, _roster(act))  # the partner no longer sees name and phone
    assert "0231 999999" not in page and v.email not in page and v.name not in page
    auth.logout()
    auth.login(make.coordinator(office))  # staff always see them: a key of its own
    page = _get(client, _roster(act))
    assert "0231 999999" in page and v.email in page


def test_sign_ups_hand_overs_and_organisation_names_show_at_once(app, client, auth, make):
    from app.activities import handover
    from app.people.models import Organisation

    office = make.office()
    org = make.organisation(districts=office.district_ids)
    act = make.activity(office, roles=(("Tutor", 3),))
    v = make.full_volunteer(office, name="Dana Tauscht")
    auth.login(make.coordinator(office))
    assert "Dana Tauscht" not in _get(client, _roster(act))
    (sid,) = make.signups(act.slot, v)
    page = _get(client, _roster(act))
    assert "Dana Tauscht" in page and "bietet den Platz anderen an" not in page
    with app.test_request_context():
        from app.accounts.models import User

        handover.offer(db.session.get(User, v.id), sid)
    assert "bietet den Platz anderen an" in _get(client, _roster(act))
    with app.app_context():
        db.session.get(Signup, sid).organisation_id = org.id
        db.session.commit()
    assert org.name in _get(client, _roster(act))
    with app.app_context():
        db.session.get(Organisation, org.id).name = "Verein Neu e. V."
        db.session.commit()
    assert "Verein Neu e. V." in _get(client, _roster(act))


def test_no_session_token_is_kept_in_the_cached_rows(app, client, auth, make):
    office = make.office()
    act = make.activity(office, days_ahead=-1)
    make.signups(act.slot, make.full_volunteer(office), make.full_volunteer(office))
    coordinator_a, coordinator_b = make.coordinator(office), make.coordinator(office)
    auth.login(coordinator_a)
    first = _get(client, _screen(act))
    token_a = csrf_from(first)
    auth.logout()
    auth.login(coordinator_b)
    second = _get(client, _screen(act))  # the same rows from the cache, with b's token
    token_b = csrf_from(second)
    assert token_a != token_b
    assert token_a not in second and set(TOKEN.findall(second)) == {token_b}
    assert second.count('<li id="a') == 2
    assert "\x1e" not in second


def test_cached_rows_are_byte_identical_to_freshly_rendered_ones(app, client, auth, make):
    """The cached rows are what the uncached code renders: compared with a page whose rows are
    built afresh (a new version), for the screen and the roster."""
    from app.activities import cache

    office = make.office()
    act = make.activity(office, days_ahead=-1, roles=(("Tutor", 1),))
    people = [make.full_volunteer(office, name=f"Person <{i}> & Co") for i in range(3)]
    make.signups(act.slot, *people)
    auth.login(make.coordinator(office))
    for url in (_screen(act), _roster(act)):
        cached_twice = (_get(client, url), _get(client, url))
        with app.app_context():
            cache.bump()
        fresh = _get(client, url)
        assert cached_twice[0] == cached_twice[1] == fresh
        assert "Person &lt;1&gt; &amp; Co" in fresh


def test_the_organisation_column_only_when_someone_on_the_list_has_one(app, client, auth, make):
    office = make.office()
    org = make.organisation(districts=office.district_ids)
    act = make.activity(office, roles=(("Tutor", 3),))
    first, second = make.full_volunteer(office, name="Dana Tauscht"), make.full_volunteer(office, name="Eda Kaya")
    (sid, _other) = make.signups(act.slot, first, second)
    auth.login(make.coordinator(office))
    page = _get(client, _roster(act))
    assert "Dana Tauscht" in page and ">Organisation<" not in page and 'data-label="Organisation"' not in page
    with app.app_context():
        db.session.get(Signup, sid).organisation_id = org.id
        db.session.commit()
    page = _get(client, _roster(act))
    assert page.count(">Organisation</th>") == 1 and page.count('data-label="Organisation"') == 2
    assert f'data-label="Organisation">{org.name}</td>' in page and 'data-label="Organisation">—</td>' in page
