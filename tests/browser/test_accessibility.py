"""WCAG 2.1 AA checks with axe-core (bundled in axe-playwright-python) on the pages people use,
in German and English, on a desk and on a phone."""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        "resultTypes": ["violations"]}


def check(page, what: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, f"{what}:\n{results.generate_report()}"


def log_in(page, email: str, password: str) -> None:
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/home$"))


@pytest.mark.parametrize("locale,viewport", [("de-DE", {"width": 1280, "height": 900}),
                                             ("en-GB", {"width": 390, "height": 844})])
def test_public_pages_have_no_wcag_violations(new_context, live_server, make, locale, viewport):
    make.office("Büro Nord")
    page = new_context(locale=locale, viewport=viewport, bypass_csp=True).new_page()
    for path in ["/", "/login", "/register", "/forgot-password", "/datenschutz", "/nope"]:
        page.goto(path)
        check(page, f"{path} ({locale})")
    # a form with errors: summary, messages at the fields
    page.goto("/register")
    page.locator("main button[type=submit]").click()
    page.wait_for_selector(".error-summary")
    check(page, "/register with errors")


def test_staff_pages_have_no_wcag_violations(new_context, live_server, make):
    from tests.conftest import PASSWORD

    office = make.office("Büro Süd")
    make.volunteer(district_id=office.district_ids[0])
    admin = make.admin()
    page = new_context(bypass_csp=True).new_page()
    log_in(page, admin.email, PASSWORD)
    for path in ["/home", "/offices/", f"/offices/{office.id}", f"/offices/{office.id}/edit",
                 f"/offices/{office.id}/satellites/new", "/admin/accounts", "/admin/outbox",
                 "/admin/templates", f"/admin/templates/colleague_invited/{office.id}/de", "/messages",
                 "/people/message", "/account"]:
        page.goto(path)
        check(page, path)
    page.goto("/people/message")
    page.locator("#subject").fill("Sommerfest")
    page.locator("#body").fill("Wir brauchen Hilfe.")
    page.locator("button[name=preview]").click()
    page.wait_for_selector("button[name=send]")
    check(page, "message preview")
    page.locator("button[name=send]").click()
    page.wait_for_url(re.compile(r".*/messages/\d+$"))
    check(page, "message log")
