"""The volunteer's activity pages in Chromium on a 390 px phone, axe clean: the overview's box,
my activities (with a waiting place, an offered place and a cancelled date), places for me, and
answering an offered place from the mail's link without logging in."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, no_sideways_scroll
from tests.browser.test_accessibility import check, log_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _world(app, make):
    from app.accounts.models import User
    from app.activities import signup as svc
    from app.activities.models import ActivityDate, Signup
    from app.core.timeutil import utcnow
    from app.extensions import db
    from tests.activities.conftest import stand_ins

    stand_ins(app)  # until every part of the area is merged: the endpoints the mails link to
    office = make.office("Brackel + Aplerbeck", districts=("Brackel",))
    me = make.full_volunteer(office, name="Amina Haddad", slots=tuple((day, "evening") for day in range(7)))
    first = make.full_volunteer(office)
    course = make.activity(office, title="Deutschkurs für Anfängerinnen und Anfänger mit langem Namen",
                           dates=3, roles=(("Tutorin oder Tutor", 1),))
    fest = make.activity(office, title="Brückenfest", kind="event", roles=(("Getränkestand", 1),), days_ahead=10)
    make.activity(office, title="Sprachcafé Brackel", kind="language_cafe", days_ahead=4)
    with app.test_request_context():
        u = lambda p: db.session.get(User, p.id)  # noqa: E731
        [taken] = [s.id for s in svc.sign_up(u(first), [fest.slot])]
        svc.sign_up(u(me), [fest.slot])  # waiting …
        svc.sign_up(u(first), [course.slot_ids[0][0]])
        svc.sign_up(u(me), course.slot_ids[0])  # waiting on the first date, signed up on two
        svc.cancel(u(first), taken)  # … and now offered the festival's place
        offered = db.session.scalar(db.select(Signup).where(Signup.user_id == me.id, Signup.slot_id == fest.slot))
        token = svc.offer_link_token(offered)
        d = db.session.get(ActivityDate, course.date_ids[2])
        d.cancelled_at, d.cancel_reason = utcnow(), "Der Raum ist nicht frei."
        db.session.commit()
    return me, token


def test_my_activities_and_for_me_on_a_phone(app, make, live_server, new_context):
    me, _ = _world(app, make)
    page = new_context(viewport=PHONE).new_page()
    log_in(page, me.email, PASSWORD)
    box = page.locator(".home-dates")
    expect(box.get_by_role("heading", name="Meine nächsten Termine")).to_be_visible()
    expect(box.locator("li")).to_have_count(3)
    no_sideways_scroll(page)
    check(page, "/home with the next dates")

    box.get_by_role("link", name="Alle meine Termine").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Aktivitäten")
    cards = page.locator(".my-dates > li")
    expect(cards).to_have_count(4)
    expect(page.locator("main")).to_contain_text("Warteliste, Platz 1")
    expect(page.locator("main")).to_contain_text("Platz angeboten bis")
    expect(page.locator("main")).to_contain_text("vom Veranstalter abgesagt")
    expect(page.get_by_role("link", name=re.compile("Auf das Angebot antworten"))).to_be_visible()
    expect(page.locator("#feed-url")).to_have_value(re.compile(r"/calendar/.+\.ics$"))
    no_sideways_scroll(page)
    check(page, "/my/activities on a phone")
    page.emulate_media(media="print")
    no_sideways_scroll(page, "/my/activities printed")
    expect(page.locator(".calendar-feed")).to_be_hidden()
    page.emulate_media(media="screen")

    # give back a place: asked first, then back here with the date gone
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(".my-dates > li").filter(has=page.locator(".tag-ok")).first.get_by_role(
        "button", name=re.compile("^Meinen Platz absagen")).click()
    expect(page.locator(".flash")).to_contain_text("nicht mehr angemeldet")
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Aktivitäten")
    expect(cards).to_have_count(3)
    no_sideways_scroll(page)
    check(page, "/my/activities after cancelling")

    page.get_by_role("link", name="Plätze finden, die zu Ihnen passen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Plätze für mich")
    expect(page.locator(".for-me-entry")).to_have_count(2)  # the café, and the date just given back
    expect(page.locator(".for-me-entry").filter(has=page.get_by_role("heading", name="Sprachcafé Brackel")).locator(".for-me-reasons")).to_contain_text(re.compile(r"Sie sprechen Deutsch · .*tag abends passt"))
    no_sideways_scroll(page)
    check(page, "/my/activities/for-me on a phone")


def test_for_me_without_profile_points_to_it(app, make, live_server, new_context):
    office = make.office()
    nobody = make.volunteer(name="Nora Neu")
    page = new_context(viewport=PHONE).new_page()
    log_in(page, nobody.email, PASSWORD)
    page.goto("/my/activities/for-me")
    expect(page.get_by_role("link", name="Profil vervollständigen").first).to_be_visible()
    no_sideways_scroll(page)
    check(page, "/my/activities/for-me without a profile")


def test_answering_an_offer_from_the_mail_without_logging_in(app, make, live_server, new_context):
    me, token = _world(app, make)
    page = new_context(viewport=PHONE).new_page()
    page.goto(f"/activities/offer/{token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ein Platz ist für Sie frei")
    expect(page.locator("main")).to_contain_text("Getränkestand")
    no_sideways_scroll(page)
    check(page, "offer page on a phone")
    page.get_by_role("button", name="Ja, ich nehme den Platz").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Der Platz gehört Ihnen")
    check(page, "offer taken")
    page.goto(f"/activities/offer/{token}")  # the link again: a clear page
    expect(page.get_by_role("heading", level=1)).to_have_text("Dieser Link funktioniert nicht (mehr)")
    no_sideways_scroll(page)
    check(page, "spent offer link")
    page.goto("/activities/offer/kaputt")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dieser Link funktioniert nicht (mehr)")
