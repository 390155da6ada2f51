"""The attendance screen of one slot: three buttons per person (plain form posts that come back
to the row), time corrections with a reason, walk-ins, newcomers; errors at the field; another
office's slot answers 404; a constant number of statements for 300 people."""
from __future__ import annotations

from sqlalchemy import insert, select

from app.activities.models import ActivityDate, Attendance, Signup, SignupState
from app.core.models import AuditEntry
from app.core.timeutil import utcnow
from app.extensions import db
from tests.conftest import count_statements, csrf_from


def _url(act, suffix=""):
    return f"/manage/activities/{act.id}/slots/{act.slot}/attendance{suffix}"


def _token(client, act):
    return csrf_from(client.get(_url(act)).get_data(as_text=True))


def test_mark_present_absent_excused_and_come_back_to_the_row(app, client, auth, make):
    office = make.office()
    act = make.activity(office, days_ahead=-1)
    v = make.full_volunteer(office)
    (sid,) = make.signups(act.slot, v)
    auth.login(make.coordinator(office))
    page = client.get(_url(act)).get_data(as_text=True)
    assert f'id="a{sid}"' in page and v.name in page
    assert page.count(f'name="mark" value="{sid}:') == 3
    token = csrf_from(page)
    for value in ("present", "absent", "excused"):
        r = client.post(_url(act, f"/{sid}"), data={"csrf_token": token, "attendance": value})
        assert r.status_code == 303 and r.headers["Location"].endswith(f"/attendance#a{sid}")
        with app.app_context():
            assert db.session.get(Signup, sid).attendance == Attendance(value)
    page = client.get(_url(act)).get_data(as_text=True)
    assert f'value="{sid}:excused" aria-pressed="true"' in page
    with app.app_context():
        assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "attendance.marked")) is not None
    # a bad value and an expired form: a message at the row, nothing stored, never a 500
    r = client.post(_url(act, f"/{sid}"), data={"csrf_token": token, "attendance": "maybe"})
    assert r.status_code == 400 and "Bitte wählen Sie" in r.get_data(as_text=True)
    r = client.post(_url(act, f"/{sid}"), data={"attendance": "present"})
    assert r.status_code == 400
    with app.app_context():
        assert db.session.get(Signup, sid).attendance == Attendance.EXCUSED


def test_a_tap_in_the_list_saves_that_one_mark(app, client, auth, make):
    """The list is one form; the tapped button sends "<sign-up>:<mark>" (the browser sends only
    the pressed button's value) and the answer comes back to that row."""
    office = make.office()
    act = make.activity(office, days_ahead=-1, roles=(("Tutor", 5),))
    other_act = make.activity(office, days_ahead=-1)
    a, b = make.full_volunteer(office), make.full_volunteer(office)
    sa, sb = make.signups(act.slot, a, b)
    (foreign,) = make.signups(other_act.slot, make.full_volunteer(office))
    auth.login(make.coordinator(office))
    page = client.get(_url(act)).get_data(as_text=True)
    assert f'<form method="post" action="{_url(act)}">' in page
    token = csrf_from(page)
    r = client.post(_url(act), data={"csrf_token": token, "mark": f"{sb}:present"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/attendance#a{sb}")
    with app.app_context():
        assert db.session.get(Signup, sb).attendance == Attendance.PRESENT
        assert db.session.get(Signup, sa).attendance is None
    # forged or broken values: a message, nothing stored, never a 500; another slot's sign-up 404
    for bad in ("", "x:present", f"{sa}", f"{sa}:", "1" * 20 + ":present", "99999999999:present", "0:present"):
        r = client.post(_url(act), data={"csrf_token": token, "mark": bad})
        assert r.status_code in (400, 404), bad
    assert "Bitte tippen Sie" in client.post(_url(act), data={"csrf_token": token, "mark": "x"}).get_data(as_text=True)
    r = client.post(_url(act), data={"csrf_token": token, "mark": f"{sa}:maybe"})
    assert r.status_code == 400 and "Bitte tippen Sie" in r.get_data(as_text=True)
    assert client.post(_url(act), data={"csrf_token": token, "mark": f"{foreign}:present"}).status_code in (400, 404)
    assert client.post(_url(act), data={"mark": f"{sa}:present"}).status_code == 400  # expired form
    with app.app_context():
        assert db.session.get(Signup, sa).attendance is None and db.session.get(Signup, foreign).attendance is None


def test_minutes_correction_needs_a_reason_when_longer(app, client, auth, make):
    office = make.office()
    act = make.activity(office, days_ahead=-1)  # 90 minutes
    v = make.full_volunteer(office)
    (sid,) = make.signups(act.slot, v)
    auth.login(make.coordinator(office))
    token = _token(client, act)
    # the list links the time of each person present to a page of its own
    assert _url(act, f"/{sid}/minutes") not in client.get(_url(act)).get_data(as_text=True)
    client.post(_url(act, f"/{sid}"), data={"csrf_token": token, "attendance": "present"})
    screen = client.get(_url(act)).get_data(as_text=True)
    assert "90 Minuten" in screen and f'href="{_url(act, f"/{sid}/minutes")}"' in screen
    assert 'name="minutes"' not in screen  # no time fields in the list: 300 rows stay light
    page = client.get(_url(act, f"/{sid}/minutes")).get_data(as_text=True)
    assert v.name in page and "90 Minuten" in page and f'id="m{sid}"' in page and f'href="{_url(act)}#a{sid}"' in page
    r = client.post(_url(act, f"/{sid}/minutes"), data={"csrf_token": token, "minutes": "200", "minutes_reason": ""})
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and f'id="re{sid}"' in page and 'aria-describedby="re' in page
    assert 'name="minutes" value="200"' in page  # what was sent stays in the field
    r = client.post(_url(act, f"/{sid}/minutes"), data={"csrf_token": token, "minutes": "zwei"})
    assert r.status_code == 400 and f'id="me{sid}"' in r.get_data(as_text=True)
    r = client.post(_url(act, f"/{sid}/minutes"), data={"minutes": "60"})  # an expired form
    assert r.status_code == 400 and "abgelaufen" in r.get_data(as_text=True)
    # a sign-up of another slot, or none: 404
    other = make.activity(office, days_ahead=-1)
    (foreign,) = make.signups(other.slot, make.full_volunteer(office))
    assert client.get(_url(act, f"/{foreign}/minutes")).status_code == 404
    assert client.get(_url(act, "/999999/minutes")).status_code == 404
    r = client.post(_url(act, f"/{sid}/minutes"),
                    data={"csrf_token": token, "minutes": "200", "minutes_reason": "Aufbau und Abbau"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"#a{sid}")
    with app.app_context():
        s = db.session.get(Signup, sid)
        assert (s.minutes, s.minutes_reason) == (200, "Aufbau und Abbau")


def test_only_this_lists_people_are_marked_or_timed_here(app, client, auth, make):
    """A sign-up of another role on the same date, or one on the waiting list, is not on this
    slot's attendance list: marking it or correcting its time through this list answers 404 and
    stores nothing."""
    office = make.office()
    act = make.activity(office, days_ahead=-1, roles=(("Ausschank", 1), ("Aufbau", 2)))
    first, second = act.slot_ids[0][0], act.slot_ids[1][0]
    here, waiting, elsewhere = (make.full_volunteer(office) for _ in range(3))
    make.signups(first, here)
    (w,) = make.signups(first, waiting, state="waiting")
    (e,) = make.signups(second, elsewhere)
    auth.login(make.coordinator(office))
    base = f"/manage/activities/{act.id}/slots/{first}/attendance"
    token = csrf_from(client.get(base).get_data(as_text=True))
    for sid in (w, e):
        assert client.post(f"{base}/{sid}/minutes", data={"csrf_token": token, "minutes": "30"}).status_code == 404
        assert client.post(f"{base}/{sid}", data={"csrf_token": token, "attendance": "present"}).status_code in (400, 404)
    with app.app_context():
        for sid in (w, e):
            s = db.session.get(Signup, sid)
            assert s.minutes is None and s.attendance is None


def test_walk_in_and_newcomers(app, client, auth, make):
    office = make.office()
    act = make.activity(office, days_ahead=-1, roles=(("Helfer", 1),))
    a = make.full_volunteer(office)
    b = make.full_volunteer(office, name="Zeynep Helferin")
    elsewhere = make.full_volunteer(make.office(), name="Zeynep Anderswo")
    make.signups(act.slot, a)
    auth.login(make.coordinator(office))
    page = client.get(_url(act) + "?q=zeynep").get_data(as_text=True)
    assert "Zeynep Helferin" in page and "Zeynep Anderswo" not in page
    token = csrf_from(page)
    r = client.post(_url(act, "/walk-in"), data={"csrf_token": token, "user_id": str(elsewhere.id)})
    assert r.status_code == 400
    r = client.post(_url(act, "/walk-in"), data={"csrf_token": token, "user_id": str(b.id)})
    assert r.status_code == 303
    with app.app_context():
        w = db.session.scalar(select(Signup).where(Signup.slot_id == act.slot, Signup.user_id == b.id))
        assert w.walk_in and w.attendance == Attendance.PRESENT
    r = client.post(_url(act, "/walk-in"), data={"csrf_token": token, "user_id": str(b.id)})
    assert r.status_code == 400 and "schon auf dieser Liste" in r.get_data(as_text=True)
    r = client.post(_url(act, "/newcomers"), data={"csrf_token": token, "newcomers": "-3"})
    assert r.status_code == 400 and 'id="newcomers-error"' in r.get_data(as_text=True)
    r = client.post(_url(act, "/newcomers"), data={"csrf_token": token, "newcomers": "7"})
    assert r.status_code == 303 and r.headers["Location"].endswith("#newcomers")
    with app.app_context():
        assert db.session.get(ActivityDate, act.date_ids[0]).newcomers == 7


def test_future_date_says_so_at_the_row(app, client, auth, make):
    office = make.office()
    act = make.activity(office)  # next week
    (sid,) = make.signups(act.slot, make.full_volunteer(office))
    auth.login(make.coordinator(office))
    token = _token(client, act)
    r = client.post(_url(act, f"/{sid}"), data={"csrf_token": token, "attendance": "present"})
    assert r.status_code == 400 and "sobald der Termin begonnen hat" in r.get_data(as_text=True)


def test_who_may_keep_the_roster(app, client, auth, make):
    office = make.office()
    org = make.organisation(districts=office.district_ids)
    act = make.activity(office, days_ahead=-1, organisation_id=org.id)
    (sid,) = make.signups(act.slot, make.full_volunteer(office))
    auth.login(make.coordinator(make.office()))
    assert client.get(_url(act)).status_code == 404
    auth.logout()
    auth.login(make.organisation(districts=office.district_ids).contacts[0])
    assert client.get(_url(act)).status_code == 404
    auth.logout()
    auth.login(org.contacts[0])
    assert client.get(_url(act)).status_code == 200
    r = client.post(_url(act, f"/{sid}"), data={"csrf_token": _token(client, act), "attendance": "present"})
    assert r.status_code == 303
    # a sign-up of another slot through this slot's address: 404
    other = make.activity(office, days_ahead=-1, organisation_id=org.id)
    (foreign,) = make.signups(other.slot, make.full_volunteer(office))
    r = client.post(_url(act, f"/{foreign}"), data={"csrf_token": _token(client, act), "attendance": "present"})
    assert r.status_code == 404


def test_roster_links_the_screen(app, client, auth, make):
    office = make.office()
    act = make.activity(office)
    auth.login(make.coordinator(office))
    page = client.get(f"/manage/activities/{act.id}/slots/{act.slot}").get_data(as_text=True)
    assert page.count(_url(act) + '"') == 1


def test_300_people_run_a_constant_small_number_of_statements(app, client, auth, make):
    from app.accounts.models import Role, User

    office = make.office()
    act = make.activity(office, days_ahead=-1, roles=(("Getränkestand", 300),))
    auth.login(make.coordinator(office))
    client.get(_url(act))
    with app.app_context():
        from app.activities import cache

        cache.bump()  # the rows are built again (the first request after any change) …
    few = count_statements(app, client, _url(act))
    few_cached = count_statements(app, client, _url(act))  # … and then come from the cache
    with app.app_context():
        now = utcnow()
        db.session.execute(insert(User), [dict(email=f"att{i}@example.org", name=f"Att {i:03d}", role=Role.VOLUNTEER,
                                               password_hash="x", locale="de", confirmed_at=now) for i in range(300)])
        ids = db.session.scalars(select(User.id).where(User.email.like("att%@example.org")))
        db.session.execute(insert(Signup), [dict(slot_id=act.slot, user_id=uid, state=SignupState.CONFIRMED)
                                            for uid in ids])
        db.session.commit()
    many = count_statements(app, client, _url(act))
    many_cached = count_statements(app, client, _url(act))
    assert many == few and many <= 6, (few, many)
    assert many_cached == few_cached and many_cached < many, (few_cached, many_cached)
    assert client.get(_url(act)).get_data(as_text=True).count('<li id="a') == 300


def test_volunteers_are_refused(app, client, auth, make):
    office = make.office()
    act = make.activity(office, days_ahead=-1)
    auth.login(make.full_volunteer(office))
    assert client.get(_url(act)).status_code == 403
    assert client.get(f"/manage/activities/{act.id}/export.csv").status_code == 403


def test_partner_contacts_cannot_search_the_offices_volunteers(app, client, make, auth):
    """A partner organisation keeps its own activity's attendance, but the office's volunteers
    are not theirs to browse: no search, no walk-in by id."""
    from app.accounts.models import User
    from app.activities import signup as svc
    from app.extensions import db

    office = make.office()
    org = make.organisation(districts=office.district_ids)
    act = make.activity(office, organisation_id=org.id)
    stranger = make.full_volunteer(office, name="Zora Geheim")
    auth.login(org.contacts[0])
    url = f"/manage/activities/{act.id}/slots/{act.slot}/attendance"
    page = client.get(url + "?q=Zora")
    assert page.status_code == 200 and "Zora Geheim" not in page.get_data(as_text=True)
    from tests.conftest import csrf_from

    r = client.post(url + "/walk-in", data={"user_id": stranger.id, "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert r.status_code in (400, 403, 404)
    with app.app_context():
        assert svc.counts([act.slot])[act.slot].confirmed == 0
        assert db.session.get(User, stranger.id) is not None
