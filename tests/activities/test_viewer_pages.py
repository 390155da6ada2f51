"""A signed-in person's daily pages kept for them (app.core.viewerpages): the activity page, the
roster and the attendance screen answer from the kept page with the session's own CSRF token, and
every change of what they show — anyone's sign-up, the person's profile, an urgent call, the
clock passing a deadline or a date's start — shows at the very next request."""
from __future__ import annotations

from datetime import timedelta

from app.activities.models import Role, UrgentCall
from app.core.timeutil import utcnow
from app.extensions import db
from app.people.models import VolunteerLanguage
from tests.conftest import Auth, count_statements, csrf_from


def _html(client, path):
    r = client.get(path)
    assert r.status_code == 200, (path, r.status_code)
    return r.get_data(as_text=True)


def _sign_up(client, act, role_index=0):
    token = csrf_from(_html(client, f"/activities/{act.id}"))
    return client.post(f"/activities/{act.id}/roles/{act.role_ids[role_index]}/signup",
                       data={"csrf_token": token, "slot": str(act.slot_ids[role_index][0])})


def test_kept_activity_page_runs_one_statement_and_shows_others_sign_ups_at_once(app, client, auth, make):
    office = make.office()
    act = make.activity(office, roles=tuple((f"Schicht {i}", 4) for i in range(12)))
    auth.login(make.full_volunteer(office))
    path = f"/activities/{act.id}"
    first = _html(client, path)
    assert first.count("4 von 4 Plätzen frei") == 12
    assert count_statements(app, client, path) == 1  # the account with the versions: nothing else
    other = app.test_client()
    Auth(other).login(make.full_volunteer(office))
    assert _sign_up(other, act, 5).status_code in (302, 303)
    html = _html(client, path)
    assert html.count("4 von 4 Plätzen frei") == 11 and "3 von 4 Plätzen frei" in html


def test_each_session_gets_its_own_token_and_it_works(app, client, auth, make):
    office = make.office()
    act = make.activity(office)
    volunteer = make.full_volunteer(office)
    auth.login(volunteer)
    other = app.test_client()
    Auth(other).login(volunteer)  # the same person on a second device
    a, b = (csrf_from(_html(c, f"/activities/{act.id}")) for c in (client, other))
    assert csrf_from(_html(client, f"/activities/{act.id}")) == a  # the kept page, this session's token
    assert a != b
    r = client.post(f"/activities/{act.id}/roles/{act.role_ids[0]}/signup",
                    data={"csrf_token": a, "slot": str(act.slot_ids[0][0])})
    assert r.status_code in (302, 303)
    html = _html(client, r.headers["Location"])  # the message after signing up: shown once
    assert 'class="flash' in html and "Sie sind angemeldet." in html
    again = _html(client, f"/activities/{act.id}")
    assert 'class="flash flash-success"' not in again and "Sie sind angemeldet." in again


def test_a_profile_change_shows_at_once(app, client, auth, make):
    office = make.office()
    act = make.activity(office, roles=(("Übersetzung", 2),), required_language="ti", required_level=2)
    volunteer = make.full_volunteer(office)
    auth.login(volunteer)
    path = f"/activities/{act.id}"
    assert "Hierfür können Sie sich noch nicht anmelden" in _html(client, path)
    _html(client, path)
    with app.app_context():
        db.session.add(VolunteerLanguage(user_id=volunteer.id, code="ti", level=3))
        db.session.commit()
    assert "Hierfür können Sie sich noch nicht anmelden" not in _html(client, path)


def test_the_clock_opens_a_role_and_ends_its_sign_up(app, client, auth, make, monkeypatch):
    office = make.office()
    act = make.activity(office, roles=(("Aufbau", 2),), days_ahead=3)
    now = utcnow()
    with app.app_context():
        role = db.session.get(Role, act.role_ids[0])
        role.signup_opens_at = now + timedelta(hours=1)
        db.session.commit()
    auth.login(make.full_volunteer(office))
    path = f"/activities/{act.id}"
    html = _html(client, path)
    assert "Die Anmeldung beginnt am" in html and ">Anmelden</button>" not in html
    _html(client, path)
    import app.activities.public_views as views

    monkeypatch.setattr(views, "utcnow", lambda: now + timedelta(hours=2))
    html = _html(client, path)
    assert ">Anmelden</button>" in html
    monkeypatch.setattr(views, "utcnow", lambda: now + timedelta(days=4))  # the date has begun
    html = _html(client, path)
    assert ">Anmelden</button>" not in html and "hat schon begonnen" in html


def test_kept_roster_shows_sign_ups_and_urgent_calls_at_once_and_stays_404_for_another_office(app, client, auth,
                                                                                             make):
    office, elsewhere = make.office(), make.office()
    act = make.activity(office, roles=(("Ausschank", 3),))
    slot = act.slot_ids[0][0]
    path = f"/manage/activities/{act.id}/slots/{slot}"
    auth.login(make.coordinator(office))
    assert "Noch niemand" in _html(client, path) or "Ausschank" in _html(client, path)
    assert count_statements(app, client, path) <= 2  # the account with the versions, the slot's place
    volunteer = make.full_volunteer(office, name="Amina Kaya")
    make.signups(slot, volunteer)
    assert "Amina Kaya" in _html(client, path)
    assert "läuft</span>" not in _html(client, path)
    with app.app_context():
        db.session.add(UrgentCall(slot_id=slot, places=1, created_at=utcnow()))
        db.session.commit()
    assert "läuft</span>" in _html(client, path)
    other = app.test_client()
    Auth(other).login(make.coordinator(elsewhere))
    assert other.get(path).status_code == 404
    assert other.get(f"/manage/activities/{act.id}/slots/{slot}/attendance").status_code == 404


def test_kept_attendance_screen_follows_a_mark_and_the_start_of_the_date(app, client, auth, make, monkeypatch):
    office = make.office()
    coordinator = make.coordinator(office)
    auth.login(coordinator)
    # a date that has begun: marks are taken
    now = utcnow()
    past = make.activity(office, roles=(("Tutor", 3),), dates=[now - timedelta(hours=1)])
    slot = past.slot_ids[0][0]
    (signup_id,) = make.signups(slot, make.full_volunteer(office, name="Jonas Berg"))
    path = f"/manage/activities/{past.id}/slots/{slot}/attendance"
    html = _html(client, path)
    assert "Jonas Berg" in html and 'aria-pressed="true"' not in html
    r = client.post(f"{path}/{signup_id}", data={"csrf_token": csrf_from(_html(client, path)), "attendance": "present"})
    assert r.status_code == 303
    assert 'aria-pressed="true"' in _html(client, path)
    # a date ahead: the screen changes by itself once it begins
    ahead = make.activity(office, roles=(("Tutor", 3),), dates=[now + timedelta(hours=1)])
    path = f"/manage/activities/{ahead.id}/slots/{ahead.slot_ids[0][0]}/attendance"
    before = _html(client, path)
    assert _html(client, path) == before.replace(csrf_from(before), csrf_from(before))
    import app.activities.attendance_views as att_views
    import app.activities.manage_views as manage_views

    later = now + timedelta(hours=2)
    monkeypatch.setattr(manage_views, "utcnow", lambda: later)
    monkeypatch.setattr(att_views, "utcnow", lambda: later)
    assert _html(client, path) != before  # made anew once the date has begun


def test_kept_list_for_a_signed_in_person_follows_new_activities_and_their_name(app, client, auth, make):
    from app.accounts.models import User

    office = make.office()
    make.activity(office, title="Sprachcafé Hörde")
    me = make.full_volunteer(office, name="Amina Haddad")
    auth.login(me)
    first = _html(client, "/activities/")
    assert "Sprachcafé Hörde" in first
    assert count_statements(app, client, "/activities/") == 1  # kept: the account with the versions
    make.activity(office, title="Theater am Hafen")
    assert "Theater am Hafen" in _html(client, "/activities/")
    with app.app_context():
        db.session.get(User, me.id).locale = "en"
        db.session.get(User, me.id).name = "Amina Yılmaz"
        db.session.commit()
    html = _html(client, "/activities/")
    assert 'lang="en"' in html and "Amina Yılmaz" in _html(client, "/account")
    # the log-out form of the kept page carries this session's own token, and it works
    token = csrf_from(html)
    assert client.post("/logout", data={"csrf_token": token}).status_code in (302, 303)
    assert client.get("/home").status_code == 302


def test_kept_list_lives_no_longer_than_the_list_it_shows(app, client, auth, make, monkeypatch):
    """The list's body is kept ACTIVITY_CACHE_SECONDS (what changes by the clock alone shows
    after that); the signed-in page around it no longer than that either."""
    import time

    monkeypatch.setitem(app.config, "ACTIVITY_CACHE_SECONDS", 5)
    monkeypatch.setitem(app.config, "VIEWER_PAGE_SECONDS", 60)
    office = make.office()
    make.activity(office, title="Sprachcafé Hörde")
    auth.login(make.full_volunteer(office))
    assert "Sprachcafé Hörde" in _html(client, "/activities/")
    kept = [entry for key, entry in app.extensions["viewer_pages"].items() if "list" in key]
    assert len(kept) == 1 and kept[0][0] - time.monotonic() <= 5.1
