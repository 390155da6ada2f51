"""One activity's page: what it shows, who sees drafts, signing up and cancelling from it."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app.activities.models import Activity, ActivityDate, Signup, SignupState
from app.extensions import db
from tests.conftest import count_statements, csrf_from


def _html(client, path, lang=None):
    r = client.get(path, headers={"Accept-Language": lang} if lang else {})
    assert r.status_code == 200, (path, r.status_code)
    return r.get_data(as_text=True)


def _sign_up(client, act, role_index=0, slots=None, all_dates=False):
    page = client.get(f"/activities/{act.id}")
    data = {"csrf_token": csrf_from(page.get_data(as_text=True))}
    if all_dates:
        data["all"] = "1"
    else:
        data["slot"] = [str(s) for s in (slots or [act.slot_ids[role_index][0]])]
    return client.post(f"/activities/{act.id}/roles/{act.role_ids[role_index]}/signup", data=data)


def test_anonymous_page_shows_description_place_languages_organiser_and_counts(client, make, app):
    office = make.office(name="Büro Eving")
    act = make.activity(office, title="Sprachcafé", dates=2, roles=(("Gastgeber", 2), ("Küche", 1)),
                        languages=("de", "ar"))
    with app.app_context():
        a = db.session.get(Activity, act.id)
        a.description = "Wir **üben** Deutsch.\n\n<script>alert(1)</script>\n\n[Link](javascript:alert(1))"
        db.session.commit()
    html = _html(client, f"/activities/{act.id}")
    assert "<strong>üben</strong>" in html
    assert "<script>alert" not in html and 'href="javascript' not in html
    assert "Büro Eving" in html and "Arabisch" in html
    assert "Gastgeber" in html and "Küche" in html
    assert html.count("2 von 2 Plätzen frei") == 2 and html.count("1 von 1 Plätzen frei") == 2
    assert "Einloggen und anmelden" in html


def test_requirements_and_rules_in_plain_words(client, make, app):
    office = make.office()
    act = make.activity(office, roles=(("Übersetzer", 1),), required_language="ar", required_level=3,
                        deadline_hours=24)
    html = _html(client, f"/activities/{act.id}")
    assert "Sie brauchen Arabisch, mindestens „fließend“." in html
    assert "Die Anmeldung endet 24 Stunden vor Beginn jedes Termins." in html
    html = _html(client, f"/activities/{act.id}", "en")
    assert "You need to speak Arabic, at least “fluent”." in html


def test_drafts_and_cancelled_activities_answer_404_to_the_public(client, make, auth):
    office = make.office()
    draft = make.activity(office, title="Geheimer Entwurf", state="draft")
    gone = make.activity(office, title="Abgesagt", state="cancelled")
    assert client.get(f"/activities/{draft.id}").status_code == 404
    assert client.get(f"/activities/{gone.id}").status_code == 404
    assert client.get("/activities/999999").status_code == 404
    volunteer = make.full_volunteer(office)
    auth.login(volunteer)
    assert client.get(f"/activities/{draft.id}").status_code == 404
    auth.logout()
    other = make.coordinator(make.office())
    auth.login(other)
    assert client.get(f"/activities/{draft.id}").status_code == 404  # another office's
    auth.logout()
    auth.login(make.coordinator(office))
    html = _html(client, f"/activities/{draft.id}")
    assert "Entwurf: Nur Mitarbeitende des Büros sehen diese Seite." in html
    assert "Geheimer Entwurf" in html


def test_not_logged_in_the_sign_up_leads_through_login_and_back(client, make):
    office = make.office()
    act = make.activity(office)
    html = _html(client, f"/activities/{act.id}")
    login = re.search(r'href="(/login\?next=[^"]+)"', html).group(1).replace("&amp;", "&")
    volunteer = make.full_volunteer(office)
    page = client.get(login)
    r = client.post(login, data={"email": volunteer.email, "password": volunteer.password,
                                 "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert r.status_code == 302
    assert r.headers["Location"] == f"/activities/{act.id}#role-{act.role_ids[0]}"


def test_a_forged_next_is_ignored(client, make):
    volunteer = make.full_volunteer(make.office())
    page = client.get("/login?next=//evil.example/x")
    r = client.post("/login?next=//evil.example/x", data={
        "email": volunteer.email, "password": volunteer.password, "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert r.headers["Location"] == "/home"


def test_registration_and_confirmation_lead_back_to_the_activity(client, make, deliver, app):
    from tests.conftest import link_in

    office = make.office()
    act = make.activity(office)
    html = _html(client, f"/activities/{act.id}")
    register = re.search(r'href="(/register\?next=[^"]+)"', html).group(1).replace("&amp;", "&")
    page = client.get(register)
    form = page.get_data(as_text=True)
    assert f"/login?next=/activities/{act.id}" in form  # "already registered? log in" keeps the way back
    privacy = re.search(r'name="privacy_text" value="(\d+)"', form).group(1)
    r = client.post(register, data={"name": "Neue Person", "email": "neu@example.org",
                                    "password": "Kaffee und Kuchen am Dienstag", "privacy": "y",
                                    "privacy_text": privacy, "csrf_token": csrf_from(form)})
    assert r.status_code == 200
    assert f"/login?next=/activities/{act.id}" in r.get_data(as_text=True)
    mails = deliver()
    confirm = link_in(mails[-1], "/confirm/")
    r = client.get(confirm)
    assert r.status_code == 302
    target = r.headers["Location"]
    assert target.startswith("/login?next=") and f"/activities/{act.id}" in target
    page = client.get(target)
    r = client.post(target, data={"email": "neu@example.org", "password": "Kaffee und Kuchen am Dienstag",
                                  "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert r.headers["Location"] == f"/activities/{act.id}#role-{act.role_ids[0]}"


def test_volunteer_signs_up_sees_state_and_cancels(client, make, auth, app):
    office = make.office()
    act = make.activity(office, title="Kurs", dates=1, roles=(("Tutor", 2),))
    auth.login(make.full_volunteer(office))
    html = _html(client, f"/activities/{act.id}")
    assert ">Anmelden</button>" in html  # one date: one button
    r = _sign_up(client, act)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/activities/{act.id}#role-{act.role_ids[0]}")
    html = _html(client, f"/activities/{act.id}")
    assert "Sie sind angemeldet." in html
    assert "1 von 2 Plätzen frei" in html
    signup_id = int(re.search(r'/activities/signups/(\d+)/cancel', html).group(1))
    r = client.post(f"/activities/signups/{signup_id}/cancel", data={"csrf_token": csrf_from(html)})
    assert r.status_code == 302
    html = _html(client, f"/activities/{act.id}")
    assert "Erledigt: Sie sind für diesen Termin nicht mehr angemeldet." in html
    assert "2 von 2 Plätzen frei" in html


def test_several_dates_chosen_or_all(client, make, auth, app):
    office = make.office()
    act = make.activity(office, dates=3, roles=(("Tutor", 2),))
    volunteer = make.full_volunteer(office)
    auth.login(volunteer)
    html = _html(client, f"/activities/{act.id}")
    assert "Für alle Termine anmelden" in html and "Für die gewählten Termine anmelden" in html
    _sign_up(client, act, slots=[act.slot_ids[0][1]])
    with app.app_context():
        assert db.session.scalar(select(Signup.slot_id).where(Signup.user_id == volunteer.id)) == act.slot_ids[0][1]
    _sign_up(client, act, all_dates=True)
    with app.app_context():
        ids = set(db.session.scalars(select(Signup.slot_id).where(Signup.user_id == volunteer.id,
                                                                 Signup.state == SignupState.CONFIRMED)))
    assert ids == set(act.slot_ids[0])


def test_waiting_list_position_and_leaving_it(client, make, auth, app):
    office = make.office()
    act = make.activity(office, roles=(("Tutor", 1),))
    for _ in range(2):
        auth.login(make.full_volunteer(office))
        _sign_up(client, act)
        auth.logout()
    auth.login(make.full_volunteer(office))
    html = _html(client, f"/activities/{act.id}")
    assert ">Auf die Warteliste</button>" in html
    assert "voll" in html and "1 wartet" in html
    _sign_up(client, act)
    html = _html(client, f"/activities/{act.id}")
    assert "Sie stehen auf der Warteliste, Platz 2." in html
    assert "Warteliste verlassen" in html


def test_errors_are_said_on_the_page(client, make, auth, app):
    office = make.office()
    first = make.activity(office, title="Erster Kurs", roles=(("Tutor", 3),))
    second = make.activity(office, title="Zweiter Kurs", roles=(("Tutor", 3),))  # the same time
    auth.login(make.full_volunteer(office))
    _sign_up(client, first)
    r = _sign_up(client, second)
    assert r.status_code == 302
    html = _html(client, f"/activities/{second.id}")
    assert "Zu dieser Zeit sind Sie schon für „Erster Kurs“ angemeldet" in html  # the other date is named
    # a forged slot of another role, and one of another activity
    page = client.get(f"/activities/{second.id}").get_data(as_text=True)
    r = client.post(f"/activities/{second.id}/roles/{second.role_ids[0]}/signup",
                    data={"slot": str(first.slot), "csrf_token": csrf_from(page)})
    assert r.status_code == 302
    assert "gehört nicht zu dieser Aufgabe" in _html(client, f"/activities/{second.id}")
    r = client.post(f"/activities/{first.id}/roles/{second.role_ids[0]}/signup",
                    data={"slot": str(second.slot), "csrf_token": csrf_from(page)})
    assert r.status_code == 404
    r = client.post(f"/activities/{second.id}/roles/{second.role_ids[0]}/signup",
                    data={"slot": "abc", "csrf_token": csrf_from(page)})
    assert r.status_code == 400
    r = client.post(f"/activities/{second.id}/roles/{second.role_ids[0]}/signup", data={"csrf_token": csrf_from(page)})
    assert "Bitte wählen Sie mindestens einen Termin." in _html(client, f"/activities/{second.id}")


def test_someone_elses_signup_cannot_be_cancelled(client, make, auth, app):
    office = make.office()
    act = make.activity(office)
    auth.login(make.full_volunteer(office))
    _sign_up(client, act)
    with app.app_context():
        signup_id = db.session.scalar(select(Signup.id))
    auth.logout()
    auth.login(make.full_volunteer(office))
    page = client.get(f"/activities/{act.id}").get_data(as_text=True)
    assert client.post(f"/activities/signups/{signup_id}/cancel", data={"csrf_token": csrf_from(page)}).status_code == 404
    assert client.post("/activities/signups/99999/cancel", data={"csrf_token": csrf_from(page)}).status_code == 404


def test_unmet_requirements_and_closed_slots_are_explained(client, make, auth, app):
    office = make.office()
    act = make.activity(office, roles=(("Übersetzer", 1),), required_language="fa", required_level=2)
    closing = make.activity(office, roles=(("Helfer", 1),), days_ahead=1, deadline_hours=72)
    auth.login(make.full_volunteer(office))  # speaks Arabic and German
    html = _html(client, f"/activities/{act.id}")
    assert "Hierfür können Sie sich noch nicht anmelden" in html
    assert "Persisch" in html
    assert "/signup" not in html.split('id="role-')[1].split("</section>")[0] or ">Anmelden</button>" not in html
    html = _html(client, f"/activities/{closing.id}")
    assert "Stunden vor" in html  # the deadline passed: open_problem's words
    assert ">Anmelden</button>" not in html


def test_unconfirmed_and_staff_see_why_they_cannot_sign_up(client, make, auth):
    office = make.office()
    act = make.activity(office)
    auth.login(make.volunteer(confirmed=False))
    assert "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse" in _html(client, f"/activities/{act.id}")
    auth.logout()
    auth.login(make.coordinator(office))
    html = _html(client, f"/activities/{act.id}")
    assert "Mitarbeitende melden sich hier nicht an" in html and ">Anmelden</button>" not in html


def test_logged_in_page_runs_a_constant_number_of_statements(client, make, auth, app):
    office = make.office()
    small = make.activity(office, dates=1, roles=(("A", 2),))
    big = make.activity(office, dates=3, roles=tuple((f"Schicht {i}", 4) for i in range(30)), days_ahead=30,
                        required_language="ar", required_level=1)
    volunteer = make.full_volunteer(office)
    auth.login(volunteer)
    _sign_up(client, small)
    _sign_up(client, big, role_index=3)
    for i in range(8):  # others on the big one
        auth.logout()
        auth.login(make.full_volunteer(office))
        _sign_up(client, big, role_index=i % 4)
    auth.logout()
    auth.login(volunteer)
    few = count_statements(app, client, f"/activities/{small.id}")
    many = count_statements(app, client, f"/activities/{big.id}")
    assert many <= 6, many
    assert few <= many
    html = _html(client, f"/activities/{big.id}")
    assert html.count('class="card role"') == 30


def test_past_and_cancelled_dates(client, make, app):
    office = make.office()
    act = make.activity(office, dates=3, roles=(("Tutor", 2),))
    with app.app_context():
        d = db.session.get(ActivityDate, act.date_ids[1])
        from app.core.timeutil import utcnow

        d.cancelled_at = utcnow()
        db.session.commit()
    html = _html(client, f"/activities/{act.id}")
    assert html.count("abgesagt") >= 2  # in the dates and at the slot
