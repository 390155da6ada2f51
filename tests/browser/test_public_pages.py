"""In a real browser (issue 10, points 15 and 18): the public contact pages and the checkbox
pickers pass axe (WCAG 2.1 AA), fit a 390 px phone without sideways scrolling, print, and the
pickers work without JavaScript with targets of at least 24 px."""
from __future__ import annotations

import re

import pytest

from tests.browser.test_accessibility import check, log_in
from tests.browser.conftest import PHONE
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

DESK = {"width": 1280, "height": 900}


def _no_sideways_scrolling(page, what: str) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{what}: {overflow}px wider than the screen"


def _office_with_contact(live_server, make, name="Büro Innenstadt-Nord"):
    from app.extensions import db
    from app.offices.models import Office

    office = make.office(name, districts=("Innenstadt-Nord",), satellites=2)
    with live_server.app_context():
        o = db.session.get(Office, office.id)
        o.phone = "0231 50-12345"
        o.email = "koordination.innenstadt-nord.lange-adresse@willkommen-dortmund.example"
        o.opening_hours = "Montag bis Donnerstag 9–12 Uhr\nDienstag 14–17 Uhr und nach Vereinbarung"
        db.session.commit()
    return office


@pytest.mark.parametrize("locale,viewport", [("de-DE", DESK), ("en-GB", PHONE), ("de-DE", PHONE)])
def test_contact_pages_pass_axe_and_fit_a_phone(new_context, live_server, make, locale, viewport):
    _office_with_contact(live_server, make)
    page = new_context(locale=locale, viewport=viewport, bypass_csp=True).new_page()
    for path in ["/", "/impressum", "/datenschutz"]:
        page.goto(path)
        check(page, f"{path} ({locale}, {viewport['width']} px)")
        _no_sideways_scrolling(page, path)
    page.goto("/")
    assert page.locator("a[href^='mailto:koordination.innenstadt-nord']").is_visible()
    assert page.locator("a[href='tel:02315012345']").is_visible()


def test_footer_leads_to_the_impressum_without_javascript(new_context, live_server):
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/")
    page.locator("footer a", has_text="Impressum").click()
    page.wait_for_url(re.compile(r".*/impressum$"))
    assert page.locator("h1").inner_text() == "Impressum"


def test_contact_pages_print_without_navigation(new_context, live_server, make):
    _office_with_contact(live_server, make)
    page = new_context(viewport=PHONE).new_page()
    page.emulate_media(media="print")
    for path in ["/", "/impressum"]:
        page.goto(path)
        assert not page.locator("footer.site-footer").is_visible()
        assert page.locator("main h1").is_visible()
        _no_sideways_scrolling(page, f"{path} (print)")


def _boxes(page, selector):
    return [page.locator(selector).nth(i).bounding_box() for i in range(page.locator(selector).count())]


def test_district_checkboxes_without_javascript(new_context, live_server, make):
    from app.extensions import db
    from app.offices.models import District

    mine = make.office("Büro Ost", districts=("Aplerbeck", "Brackel"))
    make.office("Büro Nord", districts=("Eving",))
    admin = make.admin()
    page = new_context(java_script_enabled=False, viewport=PHONE).new_page()
    log_in(page, admin.email, PASSWORD)
    page.goto(f"/offices/{mine.id}/edit")
    group = page.get_by_role("group", name="Stadtbezirke")
    boxes = group.get_by_role("checkbox")
    assert boxes.count() == 3
    # targets of at least 24 px: the box and its label
    for box in _boxes(page, "fieldset#districts input[type=checkbox]") + _boxes(page, "fieldset#districts label"):
        assert box["width"] >= 24 and box["height"] >= 24, box
    eving = group.get_by_role("checkbox", name=re.compile(r"Eving \(zurzeit: Büro Nord\)"))
    assert not eving.is_checked()
    brackel = group.get_by_role("checkbox", name="Brackel")
    aplerbeck = group.get_by_role("checkbox", name="Aplerbeck")
    # one click on a label ticks or unticks that one only
    page.locator("fieldset#districts label", has_text="Aplerbeck").click()
    assert not aplerbeck.is_checked() and brackel.is_checked() and not eving.is_checked()
    _no_sideways_scrolling(page, "office form")
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(rf".*/offices/{mine.id}$"))
    with live_server.app_context():
        owners = {d.name: d.office_id for d in db.session.query(District)}
    assert owners["Brackel"] == mine.id and owners["Aplerbeck"] is None and owners["Eving"] != mine.id


def test_pickers_with_errors_pass_axe(new_context, live_server, make):
    office = make.office("Büro Ost", districts=("Aplerbeck", "Brackel"))
    make.office("Büro Nord", districts=("Eving",))
    coordinator = make.coordinator(office)
    admin = make.admin()
    page = new_context(bypass_csp=True, viewport=PHONE).new_page()
    log_in(page, admin.email, PASSWORD)
    # office form with an error (a 400-digit year) and the district checkboxes
    page.goto(f"/offices/{office.id}/edit")
    page.locator("#founded_year").fill("9" * 400)
    page.locator("main button[type=submit]").click()
    page.wait_for_selector(".error-summary")
    assert page.locator("#founded_year-error").is_visible()
    check(page, "office form with errors")
    _no_sideways_scrolling(page, "office form with errors")
    # the invitation: a coordinator without an office; the error belongs to the group
    page.goto("/admin/accounts")
    page.locator("#name").fill("Neue Kollegin")
    page.locator("#email").fill("neu@example.org")
    page.locator("main form.form button.primary").click()
    page.wait_for_selector("#offices-error")
    described = page.locator("fieldset#offices").get_attribute("aria-describedby")
    assert "offices-error" in described
    check(page, "invitation with errors")
    page.goto(f"/admin/accounts/{coordinator.id}")
    assert page.get_by_role("group", name="Büros").get_by_role("checkbox", name="Büro Ost").is_checked()
    check(page, "account page with office checkboxes")
