"""Partner organisations in a real (headless) Chromium on a 390 px phone, German UI, axe-checked:
registering an organisation, the public list, a coordinator approving it."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.people.models import Organisation
from tests.browser.conftest import PHONE, no_sideways_scroll
from tests.browser.test_accessibility import check, log_in
from tests.conftest import PASSWORD, link_in

pytestmark = pytest.mark.browser



def test_register_an_organisation_on_a_phone(new_context, live_server, make, deliver):
    office = make.office("Brackel + Aplerbeck", districts=("Brackel", "Aplerbeck"))
    with live_server.app_context():
        make._reference()
        db.session.commit()
    page = new_context(viewport=PHONE, bypass_csp=True).new_page()
    page.goto("/partner/register")
    expect(page.get_by_role("heading", level=1)).to_have_text("Organisation anmelden")
    check(page, "/partner/register")
    no_sideways_scroll(page, "/partner/register")
    # sent empty: errors at the fields, still axe-clean and narrow
    page.get_by_role("button", name="Organisation anmelden").click()
    page.wait_for_selector(".error-summary")
    check(page, "/partner/register with errors")
    no_sideways_scroll(page, "/partner/register with errors")

    page.get_by_label(re.compile(r"^Name der Organisation")).fill("Nachbarschaftshilfe Brackel")
    page.get_by_label(re.compile(r"^Art")).select_option("association")
    page.get_by_label("Brackel", exact=True).check()
    page.get_by_label(re.compile(r"^Webseite")).fill("https://nachbarn.example")
    page.get_by_label("Sprachkurse und Sprachcafés").check()
    page.get_by_label(re.compile(r"^Beschreibung")).fill("Wir helfen beim Umzug.")
    page.get_by_label(re.compile(r"^Ihr Name")).fill("Amina Haddad")
    page.get_by_label(re.compile(r"^Ihre E-Mail-Adresse")).fill("amina@example.org")
    page.get_by_label(re.compile(r"^Passwort( \*)?$")).fill("ein langer satz als passwort")
    page.get_by_label("Ich habe die Datenschutzhinweise gelesen.").check()
    page.get_by_role("button", name="Organisation anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Bitte prüfen Sie"))
    check(page, "registered")
    with live_server.app_context():
        org = db.session.scalar(select(Organisation))
        assert org.name == "Nachbarschaftshilfe Brackel" and org.state.value == "pending"
        assert [d.id for d in org.districts] == [office.district_ids[1]]  # Brackel (sorted after Aplerbeck)
    assert "/confirm/" in link_in(deliver()[0], "/confirm/")

    # a coordinator of the office approves it on a phone
    coordinator = make.coordinator(office)
    staff = new_context(viewport=PHONE, bypass_csp=True).new_page()
    log_in(staff, coordinator.email, PASSWORD)
    staff.goto("/people/organisations?state=pending")
    check(staff, "staff list")
    no_sideways_scroll(staff, "staff list")
    staff.get_by_role("link", name="Nachbarschaftshilfe Brackel").click()
    check(staff, "organisation detail")
    no_sideways_scroll(staff, "organisation detail")
    staff.get_by_role("button", name="Freigeben").click()
    expect(staff.locator(".flash-success")).to_be_visible()

    # now it is on the public list
    page.goto("/partner")
    expect(page.get_by_role("heading", name="Nachbarschaftshilfe Brackel")).to_be_visible()


def test_public_list_on_a_phone(new_context, live_server, make):
    office = make.office("Brackel + Aplerbeck", districts=("Brackel", "Aplerbeck"))
    other = make.office("Eving + Scharnhorst", districts=("Eving", "Scharnhorst"))
    make.organisation(name="Evangelische Kirchengemeinde Eving mit einem sehr langen Namen ohne Ende",
                      districts=other.district_ids, kind="parish")
    make.organisation(name="Sportverein Brackel", districts=office.district_ids[:1])
    make.organisation(name="Wartet noch", districts=office.district_ids, state="pending")
    for locale in ("de-DE", "en-GB"):
        page = new_context(viewport=PHONE, locale=locale, bypass_csp=True).new_page()
        page.goto("/partner")
        check(page, f"/partner ({locale})")
        no_sideways_scroll(page, f"/partner ({locale})")
        expect(page.get_by_text("Wartet noch")).to_have_count(0)
    page.select_option("#f-type", "parish")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name=re.compile("Kirchengemeinde Eving"))).to_be_visible()
    expect(page.get_by_role("heading", name="Sportverein Brackel")).to_have_count(0)
    assert "type=parish" in page.url
    check(page, "/partner filtered")
