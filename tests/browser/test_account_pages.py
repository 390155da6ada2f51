"""What a first-time user stumbled over on registration, and the account page on a phone."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import check
from tests.browser.conftest import PHONE, no_sideways_scroll
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser



def test_registration_after_an_error_on_a_phone(new_context, live_server):
    page = new_context(viewport=PHONE).new_page()
    page.goto("/register")
    page.get_by_label(re.compile(r"^Ihr Name")).fill("Amina Haddad")
    page.get_by_label(re.compile(r"^E-Mail-Adresse")).fill("amina@example.org")
    page.locator("#password").fill("Sommer im Westpark 2026")
    # the switch shows the password, and hides it again
    page.get_by_label("Passwort anzeigen").check()
    assert page.locator("#password").get_attribute("type") == "text"
    page.get_by_label("Passwort anzeigen").uncheck()
    assert page.locator("#password").get_attribute("type") == "password"
    page.get_by_role("button", name="Konto erstellen").click()  # privacy box not ticked

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    # the summary reads as a sentence, not "label.: message"
    expect(summary.locator("li").first).to_have_text("Bitte bestätigen Sie, dass Sie die Datenschutzhinweise gelesen haben.")
    # what was typed stays, except the password, which says it must be typed again
    expect(page.get_by_label(re.compile(r"^Ihr Name"))).to_have_value("Amina Haddad")
    expect(page.get_by_label(re.compile(r"^E-Mail-Adresse"))).to_have_value("amina@example.org")
    expect(page.locator("#password")).to_have_value("")
    expect(page.locator("#password-hint")).to_contain_text("noch einmal ein")
    # the privacy box is a real target, its error below it, and nothing scrolls sideways
    box = page.locator("#privacy").bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24, box
    error = page.locator("#privacy-error").bounding_box()
    assert error["y"] >= box["y"] + box["height"] - 1, (box, error)
    label = page.locator("label[for=privacy]").bounding_box()
    assert label["height"] >= 24
    no_sideways_scroll(page)
    check(page, "/register with errors on a phone")

    # tapping the label ticks the box; then the account is made
    page.locator("label[for=privacy]").click()
    page.locator("#password").fill("Sommer im Westpark 2026")
    page.get_by_role("button", name="Konto erstellen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("E-Mail")


def test_account_page_fits_a_phone(new_context, live_server, make):
    user = make.volunteer(email="a.very.long.address.of.a.volunteer@beispiel-verein-dortmund.example")
    page = new_context(viewport=PHONE, user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1").new_page()
    page.goto("/login")
    page.locator("#email").fill(user.email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    page.wait_for_url(re.compile(r".*/home$"))
    page.goto("/account")
    expect(page.get_by_role("heading", name="Wo Sie angemeldet sind")).to_be_visible()
    expect(page.locator(".session-list")).to_contain_text("dieses Gerät")
    no_sideways_scroll(page)
    check(page, "/account on a phone")
    # end this session from the list: logged out
    page.get_by_role("button", name=re.compile("^Hier abmelden")).click()
    page.goto("/account")
    expect(page).to_have_url(re.compile(r".*/login"))
