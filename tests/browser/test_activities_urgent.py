"""Urgent call end to end in Chromium on a 390 px phone: the coordinator opens the roster of a
short shift, sends an urgent call to the best-fitting free volunteers, the first to answer takes
the place from the mail's link (no log-in), the second's link says it is taken, and the roster
shows the call's status."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import PHONE, no_sideways_scroll
from tests.browser.test_accessibility import check, log_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

EVENINGS = tuple((d, "evening") for d in range(7))


def _path(app, user_id):
    from app.extensions import db
    from app.mail.models import OutboxMail

    with app.app_context():
        mail = db.session.scalar(select(OutboxMail).where(OutboxMail.kind == "activity_urgent_call",
                                                          OutboxMail.user_id == user_id))
        return re.search(r"https?://[^/\s]+(/activities/urgent/\S+)", mail.body_text).group(1)


def test_urgent_call_fills_a_shift(app, make, live_server, new_context):
    office = make.office("Brackel + Aplerbeck", districts=("Brackel",))
    coord = make.coordinator(office, name="Clara Koordinatorin")
    first = make.full_volunteer(office, name="Amina Haddad", slots=EVENINGS)
    second = make.full_volunteer(office, name="Jonas Becker", slots=EVENINGS)
    fest = make.activity(office, title="Brückenfest", kind="event", roles=(("Getränkestand", 1),), days_ahead=3)
    roster = f"/manage/activities/{fest.id}/slots/{fest.slot}"

    c = new_context(viewport=PHONE).new_page()
    log_in(c, coord.email, PASSWORD)
    c.goto(roster)
    c.get_by_role("link", name="Dringender Aufruf: die am besten passenden freien Ehrenamtlichen anfragen").click()
    expect(c.get_by_role("heading", level=1)).to_contain_text("Dringender Aufruf")
    expect(c.locator("ol.contact-list")).to_contain_text("Amina Haddad")
    expect(c.locator("ol.contact-list")).to_contain_text("Jonas Becker")
    no_sideways_scroll(c)
    check(c, "urgent call page")
    c.get_by_role("button", name="Dringenden Aufruf senden").click()
    expect(c.locator("body")).to_contain_text("an 2 Personen verschickt")
    check(c, "urgent call page with an open call")

    a = new_context(viewport=PHONE).new_page()  # no log-in: the link names the person
    a.goto(_path(app, first.id))
    expect(a.get_by_role("heading", level=1)).to_have_text("Dringend: Können Sie helfen?")
    no_sideways_scroll(a)
    check(a, "urgent call link page")
    a.get_by_role("button", name="Ja, ich nehme den Platz").click()
    expect(a.get_by_role("heading", level=1)).to_have_text("Der Platz gehört Ihnen")

    b = new_context(viewport=PHONE).new_page()
    b.goto(_path(app, second.id))
    expect(b.locator("main")).to_contain_text("Der Platz ist schon vergeben")
    check(b, "urgent call link page, taken")

    c.goto(roster)
    expect(c.locator("#urgent-title + p")).to_contain_text("2 angefragt, 1 von 1 Plätzen darüber vergeben")
    expect(c.locator("table.roster")).to_contain_text("Amina Haddad")
