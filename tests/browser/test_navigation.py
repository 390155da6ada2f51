"""The header navigation on a phone: staff's dozen links fold into a "Menu" disclosure that opens
by keyboard and without JavaScript; volunteers keep their few links in view; desks see the list."""
from __future__ import annotations

import re

import pytest

from tests.browser.test_accessibility import check, log_in
from tests.browser.conftest import PHONE
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser



@pytest.mark.parametrize("javascript", [True, False])
def test_admin_menu_on_a_phone_opens_by_keyboard(new_context, live_server, make, javascript):
    make.office()
    admin = make.admin()
    page = new_context(viewport=PHONE, bypass_csp=True, java_script_enabled=javascript).new_page()
    log_in(page, admin.email, PASSWORD)
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    menu = nav.locator("summary")
    assert menu.is_visible() and menu.inner_text().strip() == "Menü"
    assert not nav.get_by_role("link", name="Protokoll").is_visible()  # folded away
    header_height = page.locator(".site-header").bounding_box()["height"]
    assert header_height < 160, header_height  # two rows, not six rows of links
    if javascript:  # axe runs as a script in the page
        check(page, "admin on a phone, menu closed")

    menu.focus()
    page.keyboard.press("Enter")
    links = nav.locator(".nav-menu a, .nav-menu button")
    assert links.count() == 14  # 13 links (with "Bedarfe") and "Log out"
    for i in range(links.count()):
        box = links.nth(i).bounding_box()
        assert box["height"] >= 44 and box["width"] >= 300, (links.nth(i).inner_text(), box)
    assert page.locator("html").evaluate("e => e.scrollWidth") <= PHONE["width"]
    if javascript:
        check(page, "admin on a phone, menu open")

    page.keyboard.press("Tab")  # from the summary into the first link
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Übersicht"
    nav.get_by_role("link", name="Protokoll").click()
    page.wait_for_url(re.compile(r".*/audit$"))
    assert page.locator("h1").inner_text() == "Protokoll"


def test_desk_shows_the_list_and_a_volunteer_keeps_links_in_view(new_context, live_server, make):
    office = make.office()
    admin, volunteer = make.admin(), make.full_volunteer(office)
    desk = new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(desk, admin.email, PASSWORD)
    nav = desk.get_by_role("navigation", name="Hauptnavigation")
    assert not nav.locator("summary").is_visible()
    assert nav.get_by_role("link", name="Protokoll").is_visible()

    phone = new_context(viewport=PHONE).new_page()
    log_in(phone, volunteer.email, PASSWORD)
    nav = phone.get_by_role("navigation", name="Hauptnavigation")
    assert nav.locator("summary").count() == 0  # four links need no menu
    assert nav.get_by_role("link", name="Mein Profil").is_visible()
