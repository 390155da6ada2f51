"""Calendar files and the private feed, parsed back with `icalendar`: UIDs, TZID Europe/Berlin,
a moved date at its new time with a higher SEQUENCE, cancelled dates STATUS:CANCELLED; the feed's
secret renewed kills the old URL; the feed answers in two statements and isn't kept by shared
caches."""
from __future__ import annotations

import re
from datetime import timedelta

from icalendar import Calendar

from app.activities.models import ActivityDate, CalendarFeed
from app.activities.structure import sync_slots
from app.core.timeutil import utcnow
from app.extensions import db
from tests.activities.volunteer_helpers import sign_up
from tests.conftest import csrf_from, recorded_statements


def _events(body: bytes):
    cal = Calendar.from_ical(body)
    return [c for c in cal.walk("VEVENT")]


def _feed_path(client) -> str:
    html = client.get("/my/activities").get_data(as_text=True)
    m = re.search(r'value="https?://[^/"]+(/calendar/[^"]+\.ics)"', html)
    assert m, "no feed address on my activities"
    return m.group(1)


def test_public_ics_of_an_activity(app, client, make):
    office = make.office()
    act = make.activity(office, title="Sprachcafé", dates=3)
    response = client.get(f"/activities/{act.id}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    events = _events(response.data)
    assert len(events) == 3
    assert {str(e["uid"]).split("@")[0] for e in events} == {f"date-{d}" for d in act.date_ids}
    assert all(e["dtstart"].params.get("TZID") == "Europe/Berlin" for e in events)
    assert all(e.decoded("dtstart").hour == 17 for e in events)  # Berlin wall clock
    assert b"BEGIN:VTIMEZONE" in response.data
    draft = make.activity(office, state="draft")
    assert client.get(f"/activities/{draft.id}/calendar.ics").status_code == 404
    assert client.get("/activities/999999/calendar.ics").status_code == 404


def test_own_signup_ics_and_another_persons_404(app, client, make, auth):
    office = make.office()
    act = make.activity(office, title="Theater")
    me, other = make.full_volunteer(office), make.full_volunteer(office)
    [mine] = sign_up(app, me, act.slot)
    auth.login(other)
    assert client.get(f"/activities/signups/{mine}.ics").status_code == 404
    auth.logout()
    auth.login(me)
    response = client.get(f"/activities/signups/{mine}.ics")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/calendar")
    [event] = _events(response.data)
    assert str(event["uid"]).startswith(f"slot-{act.slot}@")
    assert "Theater" in str(event["summary"])
    assert client.get("/activities/signups/99999999.ics").status_code == 404


def test_feed_made_on_first_use_then_renewed(app, client, make, auth):
    office = make.office()
    act = make.activity(office, title="Kurs", dates=2)
    me = make.full_volunteer(office)
    sign_up(app, me, *act.slot_ids[0])
    auth.login(me)
    path = _feed_path(client)
    assert _feed_path(client) == path  # the same address every time
    auth.logout()
    anonymous = app.test_client()
    response = anonymous.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    assert "private" in response.headers["Cache-Control"] and "public" not in response.headers["Cache-Control"]
    assert len(_events(response.data)) == 2
    with recorded_statements(app) as statements:
        assert anonymous.get(path).status_code == 200
    assert len(statements) <= 2

    auth.login(me)
    page = client.get("/people/profile")
    assert "/calendar/" in page.get_data(as_text=True)  # on the profile page too
    renewed = client.post("/my/activities/calendar/renew",
                          data={"csrf_token": csrf_from(page.get_data(as_text=True)), "back": "profile"})
    assert renewed.status_code == 302 and "/people/profile" in renewed.headers["Location"]
    assert anonymous.get(path).status_code == 404
    new_path = _feed_path(client)
    assert new_path != path and anonymous.get(new_path).status_code == 200
    assert anonymous.get("/calendar/" + "x" * 80 + ".ics").status_code == 404


def test_profile_page_offers_to_make_the_address(app, client, make, auth):
    office = make.office()
    me = make.full_volunteer(office)
    auth.login(me)
    page = client.get("/people/profile").get_data(as_text=True)
    assert "Meine Kalender-Adresse machen" in page
    client.post("/my/activities/calendar/renew", data={"csrf_token": csrf_from(page), "back": "profile"})
    with app.app_context():
        assert db.session.get(CalendarFeed, me.id) is not None


def test_feed_shows_moved_and_cancelled_dates(app, client, make, auth):
    office = make.office()
    act = make.activity(office, title="Kurs", dates=3)
    me = make.full_volunteer(office)
    sign_up(app, me, *act.slot_ids[0])
    auth.login(me)
    path = _feed_path(client)
    before = {str(e["uid"]): e for e in _events(client.get(path).data)}
    with app.app_context():  # the organiser moves the first date by a day and cancels the second
        moved = db.session.get(ActivityDate, act.date_ids[0])
        moved.original_starts_at = moved.starts_at
        moved.starts_at += timedelta(days=1)
        moved.ends_at += timedelta(days=1)
        moved.sequence += 1
        off = db.session.get(ActivityDate, act.date_ids[1])
        off.cancelled_at = utcnow()
        off.sequence += 1
        sync_slots(act.id)
        db.session.commit()
    after = {str(e["uid"]): e for e in _events(client.get(path).data)}
    assert after.keys() == before.keys()  # the same events, updated
    first, second, third = (f"slot-{s}@" for s in act.slot_ids[0])
    uid = lambda prefix: next(u for u in after if u.startswith(prefix))  # noqa: E731
    assert after[uid(first)].decoded("dtstart") == before[uid(first)].decoded("dtstart") + timedelta(days=1)
    assert int(after[uid(first)]["sequence"]) > int(before[uid(first)]["sequence"])
    assert str(after[uid(second)]["status"]) == "CANCELLED"
    assert int(after[uid(second)]["sequence"]) > int(before[uid(second)]["sequence"])
    assert str(after[uid(third)]["status"]) == "CONFIRMED"


def test_feed_marks_a_place_given_back_as_cancelled(app, client, make, auth):
    from app.activities import signup as svc
    from tests.activities.volunteer_helpers import user

    office = make.office()
    act = make.activity(office)
    me = make.full_volunteer(office)
    [sid] = sign_up(app, me, act.slot)
    auth.login(me)
    path = _feed_path(client)
    with app.test_request_context():
        svc.cancel(user(me.id), sid)
    [event] = _events(client.get(path).data)
    assert str(event["status"]) == "CANCELLED"
