"""The volunteer's profile on a 390 px phone: the whole first-time path by tapping, the weekly
grid, no sideways scrolling, axe clean in German and English; the admins' list page."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, no_sideways_scroll
from tests.browser.test_accessibility import check, log_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser



def phone_page(new_context, locale="de-DE"):
    return new_context(viewport=PHONE, has_touch=True, is_mobile=True, locale=locale, bypass_csp=True).new_page()


def fits(page, what: str) -> None:
    no_sideways_scroll(page, what)
    check(page, what)


def next_step(page) -> None:
    page.get_by_role("button", name="Speichern und weiter").tap()


def test_first_time_path_by_tapping_on_a_phone(new_context, live_server, make):
    office = make.office("Büro Brackel", districts=("Brackel", "Aplerbeck"))
    with live_server.app_context():
        make._reference()
    volunteer = make.volunteer()
    page = phone_page(new_context)
    log_in(page, volunteer.email, PASSWORD)
    page.get_by_role("link", name="Profil vervollständigen").tap()

    # 1 where one lives
    expect(page.locator(".step-indicator")).to_have_text("Schritt 1 von 6")
    fits(page, "step district")
    page.get_by_label("In welchem Stadtbezirk wohnen Sie?").select_option(label="Brackel")
    next_step(page)

    # 2 offices, preset from the district
    expect(page.locator(".step-indicator")).to_have_text("Schritt 2 von 6")
    expect(page.get_by_label(re.compile("^Büro Brackel"))).to_be_checked()
    fits(page, "step offices")
    next_step(page)

    # 3 languages: German is there; say how well, add Arabic, and one more row
    expect(page.locator(".step-indicator")).to_have_text("Schritt 3 von 6")
    fits(page, "step languages")
    page.locator("label[for=languages-languages-0-level-2]").tap()  # good
    page.locator("#languages-languages-1-code").select_option("ar")
    page.locator("label[for=languages-languages-1-level-0]").tap()  # native
    page.get_by_role("button", name="Weitere Sprache hinzufügen").tap()
    expect(page.locator("#languages-languages-2-code")).to_be_visible()
    expect(page.locator("#languages-languages-1-code")).to_have_value("ar")
    page.locator("#languages-languages-2-code").select_option("ar")  # twice: a clear message
    page.locator("label[for=languages-languages-2-level-3]").tap()
    next_step(page)
    expect(page.locator(".error-summary")).to_contain_text("Diese Sprache haben Sie schon genannt.")
    fits(page, "step languages with an error")
    page.locator("#languages-languages-2-code").select_option("")  # "no language": the row is left out
    next_step(page)

    # 4 skills and kinds
    expect(page.locator(".step-indicator")).to_have_text("Schritt 4 von 6")
    page.get_by_text("Kochen", exact=True).tap()
    page.get_by_text("Theater und Kunst").last.tap()
    fits(page, "step skills")
    next_step(page)

    # 5 the grid: big targets, a tap ticks
    expect(page.locator(".step-indicator")).to_have_text("Schritt 5 von 6")
    tuesday_morning = page.get_by_label("Dienstag vormittags")
    target = page.locator("label[for=times-slots-1-0]").bounding_box()
    assert target["height"] >= 44 and target["width"] >= 80, target
    page.locator("label[for=times-slots-1-0]").tap()
    expect(tuesday_morning).to_be_checked()
    page.locator("label[for=times-slots-5-2]").tap()
    expect(page.get_by_label("Samstag abends")).to_be_checked()
    page.get_by_label(re.compile("Stunden im Monat")).fill("6")
    fits(page, "step times")
    next_step(page)

    # 6 phone (optional), then the summary
    expect(page.locator(".step-indicator")).to_have_text("Schritt 6 von 6")
    page.get_by_label("Telefonnummer (freiwillig)").fill("0231 12345")
    fits(page, "step phone")
    page.get_by_role("button", name="Speichern").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Das haben Sie angegeben")
    summary = page.locator(".summary-list")
    for text in ("Brackel", "Deutsch (gut)", "Arabisch (Muttersprache)", "Kochen", "Theater und Kunst",
                 "Dienstag vormittags", "Samstag abends", "etwa 6 Stunden im Monat", "0231 12345"):
        expect(summary).to_contain_text(text)
    fits(page, "summary")
    # change one thing from the summary and come back to it
    page.get_by_role("link", name=re.compile("^Ändern.*Telefon$")).tap()
    page.get_by_label("Telefonnummer (freiwillig)").fill("0231 54321")
    page.get_by_role("button", name="Speichern").tap()
    expect(summary).to_contain_text("0231 54321")
    page.get_by_role("button", name="Fertig").tap()
    page.wait_for_url(re.compile(r".*/home$"))
    expect(page.get_by_role("link", name="Profil vervollständigen")).to_have_count(0)
    expect(page.get_by_role("link", name="Mein Profil ansehen und ändern")).to_be_visible()


@pytest.mark.parametrize("locale", ["de-DE", "en-GB"])
def test_edit_page_on_a_phone(new_context, live_server, make, locale):
    office = make.office("Büro Süd")
    volunteer = make.full_volunteer(office, locale=locale[:2])
    page = phone_page(new_context, locale)
    log_in(page, volunteer.email, PASSWORD)
    page.goto("/people/profile")
    fits(page, f"edit page ({locale})")
    label = "Wednesday afternoon" if locale == "en-GB" else "Mittwoch nachmittags"
    expect(page.get_by_label(label)).not_to_be_checked()
    page.get_by_label(label).tap()
    page.locator("#section-times button[name=save]").tap()
    page.wait_for_url(re.compile(r".*/people/profile#section-times$"))
    expect(page.get_by_label(label)).to_be_checked()
    # an error shown at its field is clean too
    page.locator("#phone-phone").fill("call me maybe")
    page.locator("#section-phone button[name=save]").tap()
    expect(page.locator("#phone-phone-error")).to_be_visible()
    fits(page, f"edit page with an error ({locale})")


def test_admin_list_page_on_a_phone(new_context, live_server, make):
    with live_server.app_context():
        make._reference()
    admin = make.admin()
    page = phone_page(new_context)
    log_in(page, admin.email, PASSWORD)
    page.goto("/people/admin/lists/skill")
    fits(page, "skill list")
    page.get_by_label("Deutsche Bezeichnung").fill("Gärtnern")
    page.get_by_label("Englische Bezeichnung").fill("Gardening")
    page.get_by_role("button", name="Hinzufügen").tap()
    row = page.locator("tr", has_text="Gärtnern")
    expect(row).to_be_visible()
    row.get_by_role("button", name="Nach oben").tap()
    page.locator("tr", has_text="Gärtnern").get_by_role("button", name="Zurückziehen").tap()
    expect(page.locator("tr", has_text="Gärtnern")).to_contain_text("zurückgezogen")
    fits(page, "skill list after changes")
    page.goto("/people/admin/lists/need_category")
    fits(page, "need categories")
