"""The big cached blocks put in as bytes (app.core.splice): the roster's and the attendance
screen's rows carry this session's CSRF token only, the festival page's kept body no viewer's
own data; a page whose markers don't come out once each is answered the plain way."""
from __future__ import annotations

import re

from app.activities.models import Signup, SignupState
from app.extensions import db
from tests.conftest import Auth, csrf_from


def test_attendance_list_carries_each_sessions_own_token(app, make):
    office = make.office()
    act = make.activity(office, days_ahead=-1, roles=(("Helfer", 5),))
    people = [make.full_volunteer(office) for _ in range(3)]
    make.signups(act.slot, *people)
    url = f"/manage/activities/{act.id}/slots/{act.slot}/attendance"
    one, two = app.test_client(), app.test_client()
    Auth(one).login(make.coordinator(office))
    Auth(two).login(make.coordinator(office))
    p1, p2 = one.get(url), two.get(url)  # the second page comes from the kept rows
    assert p1.status_code == p2.status_code == 200 and p1.mimetype == "text/html"
    for page in (p1.get_data(as_text=True), p2.get_data(as_text=True)):
        tokens = re.findall(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page)
        # the list is one form with one token, whatever the number of rows; every form this one's
        assert len(tokens) >= 2 and set(tokens) == {csrf_from(page)}
        assert page.count('name="mark"') == 3 * len(people)
        assert all(p.name in page for p in people) and "\x1e" not in page
    assert csrf_from(p1.get_data(as_text=True)) != csrf_from(p2.get_data(as_text=True))


def test_roster_rows_spliced_in_where_the_lists_are(app, client, auth, make):
    office = make.office()
    act = make.activity(office, roles=(("Helfer", 1),))
    first, second = make.full_volunteer(office), make.full_volunteer(office)
    make.signups(act.slot, first)
    with app.app_context():
        db.session.add(Signup(slot_id=act.slot, user_id=second.id, state=SignupState.WAITING, queue_no=1))
        db.session.commit()
    auth.login(make.coordinator(office))
    page = client.get(f"/manage/activities/{act.id}/slots/{act.slot}").get_data(as_text=True)
    assert "\x1e" not in page
    signed, waiting = page.index("<h2>Angemeldet (1)"), page.index("<h2>Warteliste (1)")
    assert signed < page.index(first.name) < waiting < page.index(second.name)


def test_festival_body_kept_per_kind_of_viewer_carries_nobodys_own_data(app, make):
    office = make.office()
    act = make.activity(office, roles=(("Aufbau", 3), ("Abbau", 3)))
    signed, other = make.volunteer(), make.volunteer()
    unconfirmed = make.volunteer(confirmed=False)
    make.signups(act.slot_ids[0][0], signed)
    pages = {}
    for who in (signed, other, unconfirmed):
        c = app.test_client()
        Auth(c).login(who)
        c.get(f"/activities/{act.id}")
        pages[who.id] = c.get(f"/activities/{act.id}").get_data(as_text=True)  # the kept body
    assert 'class="slot-row mine"' in pages[signed.id]
    assert 'class="slot-row mine"' not in pages[other.id]
    assert "Bitte bestätigen Sie zuerst" in pages[unconfirmed.id]
    assert "Bitte bestätigen Sie zuerst" not in pages[other.id] + pages[signed.id]
    for page in pages.values():
        assert page.count('id="role-') >= 2 and "\x1e" not in page


def test_splice_falls_back_when_a_marker_is_missing_or_twice(app):
    from app.core import splice

    with app.test_request_context("/"):
        blocks = [splice.encoded("<li>ä TOKEN</li>", "TOKEN")]
        good = splice.response(f"<ul>{splice.marker(0)}</ul>", blocks, fill="t1")
        assert good.get_data(as_text=True) == "<ul><li>ä t1</li></ul>"
        twice = splice.response(f"{splice.marker(0)}|{splice.marker(0)}", blocks, fill="t1")
        assert twice.get_data(as_text=True) == "<li>ä t1</li>|<li>ä t1</li>"
        missing = splice.response("<p>none</p>", blocks, fill="t1")
        assert missing.get_data(as_text=True) == "<p>none</p>"
