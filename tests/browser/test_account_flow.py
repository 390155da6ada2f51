"""A person's way into the platform, in a real (headless) Chromium with the German UI.

The German strings below are the msgstr of app/translations/de/LC_MESSAGES/messages.po.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.accounts.models import User
from app.extensions import db
from app.mail.models import OutboxMail
from tests.conftest import link_in

pytestmark = pytest.mark.browser

NAME = "Amina Haddad"
EMAIL = "amina.haddad@example.org"
PASSWORD = "ein langer satz als passwort"

NOT_CONFIRMED = "Ihre E-Mail-Adresse ist noch nicht bestätigt."
CONFIRMED_FLASH = "Vielen Dank, Ihre E-Mail-Adresse ist bestätigt."
CHECK_MAIL = "Bitte prüfen Sie Ihre E-Mails"
LOGIN_BUTTON = "Anmelden"  # also the nav link's name, so always ask for the *button*
PHONE_SCREENSHOT = "/tmp/willkommen-login-phone.png"


def register_in_browser(page, name=NAME, email=EMAIL, password=PASSWORD, privacy=True):
    page.goto("/register")
    expect(page.get_by_role("heading", level=1)).to_have_text("Registrieren")
    page.get_by_label(re.compile(r"^Ihr Name( \*)?$")).fill(name)
    page.get_by_label(re.compile(r"^E-Mail-Adresse( \*)?$")).fill(email)
    page.get_by_label(re.compile(r"^Passwort( \*)?$")).fill(password)
    if privacy:
        page.get_by_label("Ich habe die Datenschutzhinweise gelesen.").check()
    page.get_by_role("button", name="Konto erstellen").click()


def log_in_in_browser(page, email=EMAIL, password=PASSWORD):
    if not page.url.endswith("/login"):
        page.goto("/login")
    page.get_by_label(re.compile(r"^E-Mail-Adresse( \*)?$")).fill(email)
    page.get_by_label(re.compile(r"^Passwort( \*)?$")).fill(password)
    page.get_by_role("button", name=LOGIN_BUTTON, exact=True).click()


def confirmation_path(deliver) -> str:
    sent = deliver()
    assert len(sent) == 1, [m.subject for m in sent]
    assert sent[0].recipients == [f"{NAME} <{EMAIL}>"]
    return link_in(sent[0], "/confirm/")


def stored_user(live_server) -> User | None:
    with live_server.app_context():
        user = db.session.scalar(select(User).where(User.email == EMAIL))
        if user is not None:
            db.session.expunge(user)
        return user


# ---------------------------------------------------------------- happy path
def test_register_confirm_by_mail_then_log_in(live_server, page, deliver):
    register_in_browser(page)

    # the form answers in place with the "check your mail" page
    expect(page).to_have_url(live_server("/register"))
    expect(page.get_by_role("heading", level=1)).to_have_text(CHECK_MAIL)
    expect(page.get_by_role("main")).to_contain_text(EMAIL)
    user = stored_user(live_server)
    assert user is not None and user.name == NAME and user.confirmed_at is None

    # the mail's link points at BASE_URL; open the same path on the live server
    page.goto(live_server(confirmation_path(deliver)))
    expect(page).to_have_url(live_server("/login"))
    expect(page.get_by_role("status").filter(has_text=CONFIRMED_FLASH)).to_be_visible()
    assert stored_user(live_server).confirmed_at is not None

    log_in_in_browser(page)
    expect(page).to_have_url(live_server("/home"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hallo {NAME}")
    expect(page.get_by_text(NOT_CONFIRMED)).to_have_count(0)
    # logged-in navigation instead of the log-in link
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    expect(nav.get_by_role("button", name="Abmelden")).to_be_visible()
    expect(nav.get_by_role("link", name=LOGIN_BUTTON)).to_have_count(0)


def test_banner_until_confirmed_when_logged_in_first(live_server, page, deliver):
    register_in_browser(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(CHECK_MAIL)

    # logging in before confirming works, but a banner asks to confirm
    log_in_in_browser(page)
    expect(page).to_have_url(live_server("/home"))
    banner = page.locator(".banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(NOT_CONFIRMED)

    # opening the link in the same browser leads back to the overview, banner gone
    page.goto(live_server(confirmation_path(deliver)))
    expect(page).to_have_url(live_server("/home"))
    expect(page.get_by_role("status").filter(has_text=CONFIRMED_FLASH)).to_be_visible()
    expect(page.get_by_text(NOT_CONFIRMED)).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hallo {NAME}")


# ---------------------------------------------------------------- form errors
def test_bad_registration_shows_errors_at_the_fields_and_stores_nothing(live_server, page):
    register_in_browser(page, email="not-an-address", password="short")

    expect(page).to_have_url(live_server("/register"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Registrieren")
    expect(page.get_by_role("alert")).to_contain_text("Bitte prüfen Sie Ihre Eingaben")

    for field, message in [
        ("email", "Das ist keine gültige E-Mail-Adresse."),
        ("password", "Das Passwort muss mindestens 10 Zeichen haben."),
    ]:
        box = page.locator(".field").filter(has=page.locator(f"#{field}"))
        error = box.locator(f"#{field}-error")  # in the same field box as the input
        expect(error).to_be_visible()
        expect(error).to_have_text(message)
        expect(page.locator(f"#{field}")).to_have_attribute("aria-invalid", "true")
        expect(page.locator(f"#{field}")).to_have_attribute("aria-describedby", re.compile(rf"\b{field}-error\b"))

    # the fields that were fine are not marked, and the typed values are kept
    expect(page.locator("#name")).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label(re.compile(r"^Ihr Name( \*)?$"))).to_have_value(NAME)
    expect(page.get_by_label(re.compile(r"^E-Mail-Adresse( \*)?$"))).to_have_value("not-an-address")
    expect(page.get_by_label(re.compile(r"^Passwort( \*)?$"))).to_have_value("")  # never echoed back

    with live_server.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 0


# ---------------------------------------------------------------- phone layout
def test_login_page_on_a_phone(new_context):
    page = new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                       is_mobile=True, has_touch=True).new_page()
    page.goto("/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")

    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "page scrolls sideways"

    # the skip link is hidden above the page until it gets keyboard focus
    skip = page.get_by_role("link", name="Zum Inhalt springen")
    box = skip.bounding_box()
    assert box["y"] + box["height"] <= 0, f"skip link visible before focus: {box}"
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 844, f"skip link not on screen: {box}"
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, f"skip link not on screen: {box}"
    # following it puts the keyboard into the content: the next Tab reaches the first field
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/login#main$"))
    expect(page.get_by_role("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label(re.compile(r"^E-Mail-Adresse( \*)?$"))).to_be_focused()

    button = page.get_by_role("button", name=LOGIN_BUTTON, exact=True)
    height = button.bounding_box()["height"]
    assert height >= 44, f"log-in button only {height}px tall"

    page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")  # a clean picture
    page.screenshot(path=PHONE_SCREENSHOT, full_page=True)


# ---------------------------------------------------------------- privacy: no third parties
def test_pages_load_nothing_from_other_hosts(live_server, page):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    for path in ("/", "/login", "/register"):
        page.goto(path, wait_until="networkidle")
        expect(page.get_by_role("heading", level=1)).to_be_visible()

    foreign = [url for url in requested if not url.startswith(live_server.url + "/")]
    assert not foreign, f"requests to other hosts: {foreign}"
    # the check saw the real traffic: the pages and their stylesheet
    assert {live_server("/"), live_server("/login"), live_server("/register")} <= set(requested)
    assert any(url.endswith("/static/css/app.css") for url in requested), requested
