"""The directory and a volunteer's page in a real browser: on a 390 px phone nothing scrolls
sideways and the filters fold away; on a desk and a phone axe finds no WCAG 2.1 AA violation."""
from __future__ import annotations

import pytest

from tests.browser.test_accessibility import check, log_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def people(make):
    office = make.office("Büro Brackel + Aplerbeck", districts=("Brackel", "Aplerbeck"))
    coordinator = make.coordinator(office)
    first = make.full_volunteer(office, name="Amina Haddad-Schneidermeisterin",
                                email="amina.haddad.sehr.lange.adresse@beispiel-verein-dortmund.example")
    for i in range(8):
        make.full_volunteer(office, name=f"Ehrenamt {i}", status=("active", "paused", "new")[i % 3])
    return coordinator, first


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 900}])
def test_directory_pages_fit_and_pass_axe(new_context, live_server, people, viewport):
    coordinator, first = people
    page = new_context(viewport=viewport, bypass_csp=True).new_page()
    log_in(page, coordinator.email, PASSWORD)
    for path in ["/people/volunteers", "/people/volunteers?language=ar&level=2&status=active&sort=district",
                 "/people/volunteers?slot=999&level=x", f"/people/volunteers/{first.id}",
                 "/people/volunteers/print"]:
        page.goto(path)
        check(page, f"{path} at {viewport['width']} px")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{path}: {width} px wide at {viewport['width']} px: {_widest(page)}"
    if viewport["width"] == 390:
        page.goto("/people/volunteers")
        details = page.locator("details.directory-more")
        assert not details.evaluate("d => d.open")  # folded on the phone until asked for
        assert not page.locator("#district").is_visible()
        page.locator("details.directory-more > summary").click()
        assert page.locator("#district").is_visible()


def test_filter_and_note_work_without_javascript(new_context, live_server, people):
    coordinator, first = people
    page = new_context(java_script_enabled=False, viewport={"width": 390, "height": 844}).new_page()
    log_in(page, coordinator.email, PASSWORD)
    page.goto("/people/volunteers")
    page.locator("#q").fill("haddad")
    page.locator("main button[type=submit].primary").first.click()
    page.wait_for_url("**/people/volunteers?*q=haddad*")
    assert page.locator("table.directory-table tbody tr").count() == 1
    page.locator("table.directory-table tbody a").first.click()
    page.locator("#body").fill("Kommt gern dienstags.")
    page.locator("#notes button[type=submit]").click()
    page.wait_for_selector("text=Kommt gern dienstags.")
    page.locator("#status-section select").select_option("paused")
    page.locator("#status-section button[type=submit]").click()
    page.wait_for_selector(".flash-success")
    assert page.locator("#status-section table tbody tr").count() == 1


def _widest(page):
    return page.evaluate("""() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)
        .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
