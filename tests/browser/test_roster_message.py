"""A coordinator on a phone writes to a date's roster from the roster page (issue 13): the
choice comes preselected, the preview shows the count and the mail with why the person gets it,
sending lands on the message's log — no sideways scrolling, axe clean."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import PHONE, no_sideways_scroll
from tests.browser.test_accessibility import check, log_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_write_to_a_dates_roster_on_a_phone(app, new_context, live_server, make):
    from app.accounts.models import User
    from app.activities import signup
    from app.extensions import db

    office = make.office(districts=("Hörde",))
    act = make.activity(office, title="Deutschkurs Hörde", dates=2, roles=(("Tutor", 3),))
    coordinator = make.coordinator(office, name="Jonas Becker")
    amina = make.full_volunteer(office, name="Amina Haddad")
    with app.test_request_context():
        signup.sign_up(db.session.get(User, amina.id), [act.slot])
    page = new_context(viewport=PHONE).new_page()
    log_in(page, coordinator.email, PASSWORD)
    page.goto(f"/manage/activities/{act.id}/slots/{act.slot}")
    page.get_by_role("link", name="An alle mit einem Platz schreiben").click()
    page.wait_for_url(re.compile(r".*/message\?to=slot-\d+$"))
    assert page.locator("#to").input_value() == f"slot-{act.slot}"
    no_sideways_scroll(page, "the roster message form")
    check(page, "the roster message form")
    page.locator("#subject").fill("Raumwechsel")
    page.locator("#body").fill("Wir sind heute in Raum 2.")
    page.locator("button[name=preview]").click()
    page.wait_for_selector("button[name=send]")
    assert "1 Empfänger" in page.locator("[role=status]").inner_text()
    mail = page.locator("iframe.preview-frame").first.content_frame.locator("body").inner_text()
    assert "Hallo Amina Haddad," in mail and "Sie sind angemeldet für Deutschkurs Hörde" in mail
    no_sideways_scroll(page, "the roster message preview")
    page.locator("button[name=send]").click()
    page.wait_for_url(re.compile(r".*/messages/\d+$"))
    no_sideways_scroll(page, "the message log")
