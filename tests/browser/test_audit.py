"""The audit log on a 390 px phone: rows stack into cards, nothing scrolls sideways, axe is
clean (German and English); filtering works without JavaScript; the print view drops the form."""
from __future__ import annotations

import pytest

from tests.browser.test_accessibility import check, log_in
from tests.browser.conftest import PHONE
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser



@pytest.mark.parametrize("locale", ["de-DE", "en-GB"])
def test_audit_log_on_a_phone(new_context, live_server, make, locale):
    from app.accounts.models import User
    from app.core import audit
    from app.extensions import db

    office = make.office("Innenstadt-West + Innenstadt-Ost", districts=("Innenstadt-West", "Innenstadt-Ost"))
    coordinator = make.coordinator(office, name="Amina Haddad-Al-Khatib von der Beratungsstelle")
    with live_server.app_context():
        actor = db.session.get(User, coordinator.id)
        for i in range(12):
            audit.record(actor, "satellite.updated", record_type="satellite_locations", record_id=i + 1,
                         office_id=office.id, name=f"Begegnungscafé im Gemeindehaus St. Reinoldi {i}",
                         fields=["name", "street", "postcode", "opens_at", "closes_at", "note"])
        audit.record(actor, "office.updated", record_type="offices", record_id=office.id,
                     office_id=office.id, fields=["opening_hours"], districts_added=office.district_ids)
        audit.record(actor, "widget.polished_with_a_very_long_unknown_action_key_without_spaces",
                     record_type="widgets", record_id=3, office_id=office.id,
                     note_without_label="ein-sehr-langer-wert-ohne-leerzeichen-der-umbrechen-muss")
        db.session.commit()
    page = new_context(locale=locale, viewport=PHONE, bypass_csp=True).new_page()
    log_in(page, coordinator.email, PASSWORD)
    page.goto("/audit")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"/audit is {width} px wide on a phone"
    # rows are cards: the table header is hidden and each cell says what it is
    assert page.locator("table.audit-log thead").is_hidden()
    first, second = page.locator("table.audit-log tbody tr").nth(0), page.locator("table.audit-log tbody tr").nth(1)
    assert first.bounding_box()["y"] + first.bounding_box()["height"] <= second.bounding_box()["y"] + 1
    check(page, f"/audit on a phone ({locale})")

    # the filter is a plain GET form (no script involved): its state lands in the URL
    page.select_option("#action", "office.updated")
    page.locator("main form[role=search] button[type=submit]").click()
    assert "action=office.updated" in page.url
    assert page.locator("table.audit-log tbody tr").count() == 1
    check(page, f"/audit filtered ({locale})")

    # a wrong date: a message by the field, axe still clean
    page.goto("/audit?date_from=2026-03-05&date_to=2026-03-01")
    assert page.locator("#date_to-error").is_visible()
    check(page, f"/audit with an error ({locale})")

    # printed: no filter form, no navigation
    page.emulate_media(media="print")
    assert page.locator("form[role=search]").is_hidden()
    assert page.locator(".site-header").is_hidden()
