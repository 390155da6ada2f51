"""My activities: every upcoming date with role, time, place and state; past ones below; the
overview's box; a constant number of statements."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from app.activities import mine
from app.activities import signup as svc
from app.activities.models import ActivityDate, Signup, SignupState, Slot
from app.core.timeutil import utcnow
from app.extensions import db
from tests.activities.volunteer_helpers import sign_up, user
from tests.conftest import count_statements


def test_mine_lists_dates_with_state_and_place(app, client, make, auth):
    office = make.office()
    course = make.activity(office, title="Deutschkurs Brackel", dates=2, roles=(("Tutor", 1),))
    cafe = make.activity(office, title="Sprachcafé", dates=1, roles=(("Gastgeberin", 1),), days_ahead=3)
    me, other = make.full_volunteer(office, name="Amina Haddad"), make.full_volunteer(office)
    sign_up(app, other, course.slot_ids[0][0])
    sign_up(app, me, *course.slot_ids[0])  # first date: waiting (place 1); second: signed up
    sign_up(app, me, cafe.slot)
    auth.login(me)
    html = client.get("/my/activities").get_data(as_text=True)
    assert html.index("Sprachcafé") < html.index("Deutschkurs Brackel")  # soonest first
    assert "Warteliste, Platz 1" in html
    assert "angemeldet" in html
    assert "Hauptstraße 1" in html  # the place (the office's address)
    assert "Tutor" in html and "Gastgeberin" in html
    assert "17:00" in html  # Berlin wall clock (stored 15:00/16:00 UTC)
    assert f"/activities/signups/" in html and ".ics" in html


def test_offered_place_has_a_button_to_answer(app, client, make, auth):
    office = make.office()
    act = make.activity(office, roles=(("Tutor", 1),))
    first, me = make.full_volunteer(office), make.full_volunteer(office)
    [first_id] = sign_up(app, first, act.slot)
    sign_up(app, me, act.slot)
    with app.test_request_context():
        svc.cancel(user(first.id), first_id)
    auth.login(me)
    html = client.get("/my/activities").get_data(as_text=True)
    assert "Platz angeboten bis" in html
    assert "/activities/offer/" in html


def test_past_dates_below_and_other_peoples_not_shown(app, client, make, auth):
    office = make.office()
    act = make.activity(office, title="Theater", dates=1)
    me, other = make.full_volunteer(office), make.full_volunteer(office)
    sign_up(app, me, act.slot)
    stranger = make.activity(office, title="Fremder Termin")
    sign_up(app, other, stranger.slot)
    with app.app_context():  # the date is over now
        start = utcnow() - timedelta(days=3)
        db.session.execute(update(ActivityDate).values(starts_at=start, ends_at=start + timedelta(hours=1))
                           .where(ActivityDate.id == act.date_ids[0]))
        db.session.execute(update(Slot).values(starts_at=start, ends_at=start + timedelta(hours=1))
                           .where(Slot.id == act.slot))
        db.session.commit()
    auth.login(me)
    html = client.get("/my/activities").get_data(as_text=True)
    assert "Noch für nichts angemeldet" in html or "Sie sind noch für nichts angemeldet" in html
    past = html[html.index('id="past"'):]
    assert "Theater" in past
    assert "Fremder Termin" not in html


def test_cancelled_date_is_marked(app, client, make, auth):
    office = make.office()
    act = make.activity(office, title="Brückenfest")
    me = make.full_volunteer(office)
    sign_up(app, me, act.slot)
    with app.app_context():
        d = db.session.get(ActivityDate, act.date_ids[0])
        d.cancelled_at, d.cancel_reason = utcnow(), "Der Raum ist nicht frei."
        db.session.commit()
    auth.login(me)
    html = client.get("/my/activities").get_data(as_text=True)
    assert "vom Veranstalter abgesagt" in html and "Der Raum ist nicht frei." in html


def test_statements_do_not_grow_with_dates(app, client, make, auth):
    office = make.office()
    me = make.full_volunteer(office)
    auth.login(me)
    client.get("/my/activities")  # makes the feed key once
    act = make.activity(office, dates=1)
    sign_up(app, me, act.slot)
    few = count_statements(app, client, "/my/activities")
    for i in range(6):
        a = make.activity(office, dates=3, days_ahead=8 + i, roles=(("Tutor", 1), ("Hilfe", 1)))
        sign_up(app, me, *a.slot_ids[i % 2])
    many = count_statements(app, client, "/my/activities")
    assert few == many
    assert many <= 6


def test_home_shows_the_next_three_dates(app, client, make, auth):
    office = make.office()
    me = make.full_volunteer(office)
    acts = [make.activity(office, title=f"Termin {i}", days_ahead=2 + i) for i in range(5)]
    for a in acts:
        sign_up(app, me, a.slot)
    auth.login(me)
    html = client.get("/home").get_data(as_text=True)
    assert "Meine nächsten Termine" in html
    assert "Termin 0" in html and "Termin 2" in html and "Termin 3" not in html
    assert count_statements(app, client, "/home") == 1  # kept: the account's read alone
    make.activity(office, title="Noch einer", days_ahead=1)
    built = count_statements(app, client, "/home")  # made anew after a change
    sign_up(app, me, make.activity(office, title="Und noch einer", days_ahead=1).slot)
    assert count_statements(app, client, "/home") == built <= 3


def test_home_box_shows_what_my_activities_shows(app, client, make, auth):
    """The box's own light statement (mine.next_dates) gives the lines "My activities" starts
    with: the same dates in the same order, with the waiting place and a cancelled date."""
    from app.activities import mine

    office = make.office()
    me, first = make.full_volunteer(office), make.full_volunteer(office)
    full = make.activity(office, title="Voll", days_ahead=1, roles=(("Stand", 1),))
    make.signups(full.slot, first)
    (waiting,) = make.signups(full.slot, me, state="waiting")
    cancelled = make.activity(office, title="Abgesagt", days_ahead=2)
    make.signups(cancelled.slot, me)
    later = make.activity(office, title="Später", days_ahead=3)
    make.signups(later.slot, me)
    make.signups(make.activity(office, title="Vorbei", days_ahead=-2).slot, me)
    with app.app_context():
        db.session.execute(update(ActivityDate).where(ActivityDate.id == cancelled.date_ids[0])
                           .values(cancelled_at=utcnow()))
        db.session.commit()
        box = mine.next_dates(me.id, 3)
        full_list = mine.upcoming(me.id, limit=3)
        assert [(d.signup_id, d.starts_at, d.ends_at, d.title, d.role, d.state, d.position, d.called_off)
                for d in box] == [(d.signup.id, d.slot.starts_at, d.slot.ends_at, d.activity.title, d.role.name,
                                   d.state, d.position, d.called_off) for d in full_list]
        assert [d.title for d in box] == ["Voll", "Abgesagt", "Später"]
        assert box[0].signup_id == waiting and box[0].position == 1 and box[1].called_off
    auth.login(me)
    html = client.get("/home").get_data(as_text=True)
    assert "Warteliste, Platz 1" in html and "vom Veranstalter abgesagt" in html
    assert f"#signup-{waiting}" in html and "Vorbei" not in html


def test_mine_needs_log_in(client):
    assert client.get("/my/activities").status_code == 302


def test_cancel_from_my_activities_comes_back_here(app, client, make, auth):
    from tests.conftest import csrf_from

    office = make.office()
    act = make.activity(office, title="Brückenfest", roles=(("Stand", 1),))
    me, next_in_line = make.full_volunteer(office), make.full_volunteer(office)
    [mine] = sign_up(app, me, act.slot)
    [waiting] = sign_up(app, next_in_line, act.slot)
    auth.login(me)
    html = client.get("/my/activities").get_data(as_text=True)
    assert f'action="/activities/signups/{mine}/cancel"' in html
    assert 'name="next" value="/my/activities"' in html
    done = client.post(f"/activities/signups/{mine}/cancel",
                       data={"csrf_token": csrf_from(html), "next": "/my/activities"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/my/activities")
    with app.app_context():
        assert db.session.get(Signup, mine).state == SignupState.CANCELLED
        assert db.session.get(Signup, waiting).state == SignupState.OFFERED
    html = client.get("/my/activities").get_data(as_text=True)
    assert "Brückenfest" not in html.split('id="past"')[0]


def test_home_is_kept_for_the_volunteer_until_something_shown_changes(app, client, make, auth, monkeypatch):
    """The overview is made once (app.core.viewerpages) and made anew when a date of theirs
    changes, when they sign up, when their name changes — and when the first date shown ends."""
    import time as _time

    from app.accounts.models import User

    office = make.office()
    me = make.full_volunteer(office, name="Amina Haddad")
    # a date that began an hour ago and ends in four seconds, and a later one
    ends = utcnow() + timedelta(seconds=4)
    soon = make.activity(office, title="Gleich vorbei", dates=[ends - timedelta(hours=1)], hours=1)
    later = make.activity(office, title="Nächste Woche", days_ahead=7)
    make.signups(soon.slot, me)  # (begun: the builder, not the sign-up rules)
    auth.login(me)
    made = []
    real = mine.next_dates
    monkeypatch.setattr(mine, "next_dates", lambda *a, **k: made.append(1) or real(*a, **k))
    html = client.get("/home").get_data(as_text=True)
    assert "Gleich vorbei" in html and "Nächste Woche" not in html and len(made) == 1
    assert "Gleich vorbei" in client.get("/home").get_data(as_text=True) and len(made) == 1  # kept
    sign_up(app, me, later.slot)  # a sign-up (here through the service, as another process would)
    html = client.get("/home").get_data(as_text=True)
    assert "Nächste Woche" in html and len(made) == 2
    with app.app_context():
        db.session.get(User, me.id).name = "Amina Yılmaz"
        db.session.commit()
    assert "Hallo Amina Yılmaz" in client.get("/home").get_data(as_text=True) and len(made) == 3
    _time.sleep(max(0.0, (ends - utcnow()).total_seconds()) + 0.2)  # the first date ends: nothing committed, the clock alone changes the box
    html = client.get("/home").get_data(as_text=True)
    assert "Gleich vorbei" not in html and "Nächste Woche" in html and len(made) == 4


def test_home_of_staff_is_made_every_time(app, client, make, auth, monkeypatch):
    from app.offices.models import Office

    office = make.office(name="Büro Hörde")
    auth.login(make.coordinator(office))
    assert "Büro Hörde" in client.get("/home").get_data(as_text=True)
    with app.app_context():
        db.session.get(Office, office.id).name = "Büro Hörde-Mitte"
        db.session.commit()
    assert "Büro Hörde-Mitte" in client.get("/home").get_data(as_text=True)
