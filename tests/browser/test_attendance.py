"""A coordinator at the door marks attendance on a phone (issue 13): one tap per person saves
that person's mark and comes back to their row, the list is one form (one token however long
it is), the time correction is a page of its own — no sideways scrolling, axe clean."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import PHONE, no_sideways_scroll
from tests.browser.test_accessibility import check, log_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_mark_attendance_with_one_tap_per_person_on_a_phone(app, new_context, live_server, make):
    from app.activities.models import Attendance, Signup
    from app.extensions import db

    office = make.office(districts=("Hörde",))
    act = make.activity(office, title="Sprachcafé Hörde", days_ahead=-1, roles=(("Gastgeberin", 6),))
    coordinator = make.coordinator(office, name="Jonas Becker")
    people = [make.full_volunteer(office, name=n) for n in ("Amina Haddad", "Bea Schulz", "Olena Koval")]
    ids = make.signups(act.slot, *people)
    page = new_context(viewport=PHONE).new_page()
    log_in(page, coordinator.email, PASSWORD)
    page.goto(f"/manage/activities/{act.id}/slots/{act.slot}/attendance")
    assert page.locator("form:has(ul.att-list) input[name=csrf_token]").count() == 1
    no_sideways_scroll(page, "the attendance screen")
    check(page, "the attendance screen")
    row = page.locator(f"#a{ids[1]}")
    row.get_by_role("button", name="da", exact=True).click()
    page.wait_for_url(re.compile(rf".*/attendance#a{ids[1]}$"))
    assert page.locator(f"#a{ids[1]} button[aria-pressed=true]").inner_text().strip().endswith("da")
    page.locator(f"#a{ids[2]}").get_by_role("button", name="entschuldigt").click()
    page.wait_for_url(re.compile(rf".*/attendance#a{ids[2]}$"))
    assert "2 von 3 eingetragen, 1 da" in page.locator("[role=status]").first.inner_text()
    with live_server.app_context():
        marks = {s.id: s.attendance for s in db.session.scalars(db.select(Signup).where(Signup.id.in_(ids)))}
    assert marks == {ids[0]: None, ids[1]: Attendance.PRESENT, ids[2]: Attendance.EXCUSED}
    # the person present has a link to correct the time, on a page of its own
    page.locator(f"#a{ids[1]}").get_by_role("link", name="Zeit korrigieren").click()
    page.wait_for_url(re.compile(rf".*/attendance/{ids[1]}/minutes$"))
    no_sideways_scroll(page, "the time correction")
    check(page, "the time correction")
