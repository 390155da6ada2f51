"""The consent page and the renewal page in a browser, on a 390 px phone, with axe."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import check, log_in
from tests.browser.conftest import PHONE, no_sideways_scroll
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser



def test_consent_page_on_a_phone(new_context, live_server, make):
    from app.extensions import db
    from app.people.models import ConsentPurpose, VolunteerConsent

    office = make.office()
    v = make.volunteer(district_id=office.district_ids[0], consents=("contact",))
    page = new_context(viewport=PHONE).new_page()
    log_in(page, v.email, PASSWORD)
    page.goto("/people/consents")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihre Einwilligungen")
    no_sideways_scroll(page)
    check(page, "/people/consents on a phone")

    photos = page.locator("#photos")
    photos.get_by_role("button", name="Ja, ich bin einverstanden").click()
    expect(page.locator(".flash-success")).to_contain_text("Einwilligung ist gespeichert")
    page.locator("#contact").get_by_role("button", name="Meine Einwilligung widerrufen").click()
    expect(page.locator(".flash-success")).to_contain_text("gilt ab sofort")
    with live_server.app_context():
        assert db.session.get(VolunteerConsent, (v.id, ConsentPurpose.CONTACT)).given is False
        assert db.session.get(VolunteerConsent, (v.id, ConsentPurpose.PHOTOS)).given is True
    # the history lists each answer, stacked so nothing scrolls sideways
    expect(page.locator("table.consent-history tbody tr")).to_have_count(3)
    button = page.locator("#photos").get_by_role("button").first.bounding_box()
    assert button["height"] >= 44, button
    no_sideways_scroll(page)
    check(page, "/people/consents after answers on a phone")


def test_renewal_page_after_a_new_version_on_a_phone(new_context, live_server, make):
    from app.accounts.models import User
    from app.extensions import db
    from app.people import consent
    from app.people.models import ConsentPurpose

    office = make.office()
    v = make.volunteer(district_id=office.district_ids[0], consents=("contact",))
    admin = make.admin()
    with live_server.app_context():
        consent.record_consent(v.id, ConsentPurpose.PRIVACY, True)
        for purpose in (ConsentPurpose.PRIVACY, ConsentPurpose.CONTACT):
            text = consent.current_text(purpose)
            consent.publish_text(purpose, title_de=text.title_de, title_en=text.title_en,
                                 body_de=text.body_de + "\n\n## Neu\n\nEin **neuer** Absatz.",
                                 body_en=text.body_en + "\n\nNew.", actor=db.session.get(User, admin.id))
    page = new_context(viewport=PHONE).new_page()
    page.goto("/login")
    page.locator("#email").fill(v.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/people/consents/renew.*"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Wir haben die Datenschutzhinweise geändert")
    expect(page.locator(".consent-text strong")).to_have_text("neuer")
    expect(page.get_by_role("button", name="Abmelden").last).to_be_visible()
    no_sideways_scroll(page)
    check(page, "renewal of the privacy notice on a phone")
    page.get_by_role("button", name="Ich nehme die Datenschutzhinweise an").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wir haben einen Einwilligungstext geändert")
    no_sideways_scroll(page)
    check(page, "renewal of a consent on a phone")
    page.get_by_role("button", name="Nein, ich bin nicht einverstanden").click()
    page.wait_for_url(re.compile(r".*/home$"))
    page.goto("/people/consents")
    expect(page.locator("#contact .consent-state")).to_contain_text("abgelehnt")
