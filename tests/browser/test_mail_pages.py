"""Mail pages in a real browser (issue 10, points 17 and 19): the compose form's district list
follows the office at once (and without JavaScript by a button), the preview is the mail as
sent; the message log, the template list and the outbox fit a 390 px phone."""
from __future__ import annotations

import re

import pytest

from tests.browser.test_accessibility import check, log_in
from tests.browser.conftest import PHONE
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser



def _district_names(page) -> list[str]:
    return page.locator("#district option").all_inner_texts()


def test_choosing_an_office_shows_its_districts_at_once(new_context, live_server, make):
    north = make.office("Büro Nord", districts=("Eving", "Scharnhorst"))
    south = make.office("Büro Süd", districts=("Hombruch",))
    make.volunteer(district_id=south.district_ids[0], name="Amina Haddad", languages=("ar",))
    make.volunteer(district_id=south.district_ids[0], name="Ben Clark", locale="en", languages=("ar",))
    coordinator = make.coordinator(north, south, name="Jonas Becker")
    page = new_context(bypass_csp=False).new_page()
    log_in(page, coordinator.email, PASSWORD)
    page.goto("/people/message")
    assert page.locator("button[name=refresh]").count() == 0  # the script took its place
    assert _district_names(page)[1:] == ["Eving", "Scharnhorst"]
    page.evaluate("window.sameDocument = true")
    page.locator("#office").select_option(str(south.id))
    assert _district_names(page) == ["alle Stadtbezirke des Büros", "Hombruch"]
    assert page.evaluate("window.sameDocument") is True  # no reload
    page.locator("#district").select_option(str(south.district_ids[0]))
    page.locator("#language").select_option("ar")
    page.locator("#subject").fill("Sommerfest")
    page.locator("#body").fill("Wir feiern am Samstag.")
    page.locator("button[name=preview]").click()
    page.wait_for_selector("button[name=send]")
    # the mail as each recipient gets it, rendered in the (sandboxed) frame
    frames = page.locator("iframe.preview-frame")
    assert frames.count() == 2
    german = frames.nth(0).content_frame.locator("body").inner_text()
    english = frames.nth(1).content_frame.locator("body").inner_text()
    assert "Hallo Amina Haddad," in german and "Jonas Becker" in german
    assert "Sie sind in Hombruch für das Ehrenamt registriert und sprechen Arabisch" in german
    assert "Hello Ben Clark," in english
    assert "you are registered as a volunteer in Hombruch and speak Arabic" in english
    assert "Sie sind" not in english
    page.locator("button[name=send]").click()
    page.wait_for_url(re.compile(r".*/messages/\d+$"))


def test_without_javascript_a_button_shows_the_offices_districts(new_context, live_server, make):
    north = make.office("Büro Nord", districts=("Eving",))
    south = make.office("Büro Süd", districts=("Hombruch",))
    coordinator = make.coordinator(north, south)
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, coordinator.email, PASSWORD)
    page.goto("/people/message")
    page.locator("#office").select_option(str(south.id))
    assert _district_names(page)[1:] == ["Eving"]  # nothing happens by itself
    page.locator("button[name=refresh]").click()
    page.wait_for_load_state()
    assert _district_names(page)[1:] == ["Hombruch"]
    assert page.locator("#office").input_value() == str(south.id)
    assert page.locator(".error-summary").count() == 0


def _fits_the_phone(page, what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{what} is {width} px wide on a {PHONE['width']} px phone"


@pytest.mark.parametrize("locale", ["de-DE", "en-GB"])
def test_mail_pages_fit_a_phone(new_context, live_server, make, locale):
    from sqlalchemy import update

    from app.extensions import db
    from app.mail.models import MailStatus, OutboxMail
    from app.mail.services import queue_mail, send_message
    from app.people.services import volunteer_recipients

    offices = [make.office(name) for name in (
        "Brackel + Aplerbeck", "Innenstadt-Nord", "Innenstadt-West", "Innenstadt-Ost", "Eving",
        "Scharnhorst + Lünen-Brambauer", "Hombruch + Hörde")]
    office = offices[0]
    for i in range(3):
        make.volunteer(district_id=office.district_ids[0], name=f"Amina Haddad-Al-Khatib {i}",
                       email=f"amina.haddad-al-khatib.{i}@ein-sehr-langer-anbieter.example.org")
    with live_server.app_context():
        message = send_message(sender=None, office_id=office.id, subject="Sommerfest: Helfende gesucht",
                               body="Wir feiern.", audience="Ehrenamtliche in Brackel",
                               recipients=volunteer_recipients(office.id))
        message_id = message.id
        db.session.execute(update(OutboxMail).where(OutboxMail.id == 1).values(
            status=MailStatus.FAILED, last_error="550 5.1.1 <amina.haddad-al-khatib.0@ein-sehr-langer-"
                                                 "anbieter.example.org>: Recipient address rejected"))
        with live_server.app.test_request_context():
            queue_mail("password_reset", to="jemand.mit.langer.adresse@beispiel-verwaltung.example.org",
                       context={"user": {"name": "Kim", "email": "k@x"}, "link": "https://x/1", "minutes": 5})
        db.session.commit()
    admin = make.admin()
    page = new_context(locale=locale, viewport=PHONE, bypass_csp=True).new_page()
    log_in(page, admin.email, PASSWORD)
    for path in [f"/messages/{message_id}", "/messages", "/admin/templates", "/admin/outbox"]:
        page.goto(path)
        _fits_the_phone(page, path)
        check(page, f"{path} on a phone ({locale})")
    # every template link stays reachable on the phone
    page.goto("/admin/templates")
    from app.mail.kinds import KINDS

    per_office = sum(1 for k in KINDS.values() if k.per_office)  # kinds × offices × languages
    assert page.locator("main a[href*='/admin/templates/']").count() == per_office * 7 * 2
