"""Sign-up end to end in Chromium on a 390 px phone: one volunteer takes the last place, a second
joins the waiting list, the first cancels, and the second gets the place from the mail's link."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, no_sideways_scroll
from tests.browser.test_accessibility import check, log_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_sign_up_cancel_and_the_waiting_list_moves_up(app, make, live_server, new_context):
    office = make.office("Brackel + Aplerbeck", districts=("Brackel",))
    first = make.full_volunteer(office, name="Amina Haddad")
    second = make.full_volunteer(office, name="Jonas Becker")
    fest = make.activity(office, title="Brückenfest", kind="event", roles=(("Getränkestand", 1),), days_ahead=10)
    url = f"/activities/{fest.id}"

    a = new_context(viewport=PHONE).new_page()
    log_in(a, first.email, PASSWORD)
    a.goto(url)
    a.locator(".signup-form").get_by_role("button", name="Anmelden").click()
    expect(a.locator(".slot-mine")).to_contain_text("Sie sind angemeldet.")
    no_sideways_scroll(a)
    check(a, "activity page after signing up")

    b = new_context(viewport=PHONE).new_page()
    log_in(b, second.email, PASSWORD)
    b.goto(url)
    b.locator(".signup-form").get_by_role("button", name="Auf die Warteliste").click()
    expect(b.locator(".slot-mine")).to_contain_text("Sie stehen auf der Warteliste, Platz 1.")

    a.goto(url)
    a.on("dialog", lambda d: d.accept())  # a "really cancel?" question, if the page asks one
    a.locator(".slot-mine").get_by_role("button", name="Meinen Platz absagen").click()
    expect(a.locator(".slot-mine")).to_have_count(0)

    b.goto(url)  # the freed place is held for the first in line
    expect(b.locator(".slot-mine")).to_contain_text("Ein Platz ist für Sie bis")
    from sqlalchemy import select

    from app.extensions import db
    from app.mail.models import OutboxMail

    with app.app_context():
        mail = db.session.scalar(select(OutboxMail).where(OutboxMail.kind == "activity_offer",
                                                          OutboxMail.user_id == second.id))
        path = re.search(r"https?://[^/\s]+(/activities/offer/\S+)", mail.body_text).group(1)
    b.goto(path)
    b.get_by_role("button", name="Ja, ich nehme den Platz").click()
    expect(b.get_by_role("heading", level=1)).to_have_text("Der Platz gehört Ihnen")
    b.goto(url)
    expect(b.locator(".slot-mine")).to_contain_text("Sie sind angemeldet.")
    check(b, "activity page after moving up")
