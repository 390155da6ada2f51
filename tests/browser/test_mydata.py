""""My data" in a browser on a 390 px phone: the page, the download, deleting the account."""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import check, log_in
from tests.browser.conftest import PHONE, no_sideways_scroll
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser



def test_my_data_download_and_delete_on_a_phone(new_context, live_server, make):
    from app.accounts.models import User
    from app.extensions import db

    office = make.office()
    v = make.full_volunteer(office, email="amina.haddad.mit.langer.adresse@example.org", name="Amina Haddad")
    page = new_context(viewport=PHONE, accept_downloads=True).new_page()
    log_in(page, v.email, PASSWORD)
    page.goto("/account")
    page.get_by_role("link", name=re.compile("Meine Daten")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Daten")
    expect(page.locator("#section-account")).to_contain_text("amina.haddad.mit.langer.adresse@example.org")
    expect(page.locator("#section-consents")).to_be_visible()
    no_sideways_scroll(page)
    check(page, "/my-data on a phone")

    with page.expect_download() as info:
        page.get_by_role("link", name="Alles herunterladen (JSON-Datei)").click()
    download = info.value
    assert download.suggested_filename.startswith("willkommen-my-data-")
    data = json.loads(open(download.path(), encoding="utf-8").read())
    assert data["sections"]["account"]["data"]["name"] == "Amina Haddad"

    page.get_by_role("link", name="Mein Konto löschen").click()
    page.locator("#password").fill("nicht mein passwort")
    page.get_by_role("button", name="Mein Konto jetzt löschen").click()
    expect(page.locator("#password-error")).to_have_text("Das Passwort ist falsch.")
    no_sideways_scroll(page)
    check(page, "/my-data/delete with an error on a phone")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Mein Konto jetzt löschen").click()
    page.wait_for_url(re.compile(r".*/my-data/goodbye$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihr Konto ist gelöscht")
    expect(page.get_by_role("link", name="Anmelden")).to_be_visible()  # logged out
    check(page, "goodbye page on a phone")
    with live_server.app_context():
        assert db.session.get(User, v.id).deleted_at is not None
