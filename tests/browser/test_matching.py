"""Matching end to end in Chromium on a 390 px phone: a coordinator records a need, sees the
ranked candidates with their reasons, proposes; the volunteer answers yes from the mail's link
without logging in, sees the assignment and reports it done with hours."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, no_sideways_scroll
from tests.browser.test_accessibility import check, log_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_record_propose_accept_done(app, make, live_server, new_context):
    from sqlalchemy import select

    from app.extensions import db
    from app.mail.models import OutboxMail

    office = make.office("Hörde + Hombruch", districts=("Hörde", "Hombruch"))
    coordinator = make.coordinator(office, name="Clara Koordinatorin")
    volunteer = make.full_volunteer(office, name="Amina Haddad", languages=(("ar", "native"), ("de", "good")),
                                    district_id=office.district_ids[0])
    make.full_volunteer(office, name="Jonas Becker", languages=(("de", "native"),))

    c = new_context(viewport=PHONE).new_page()
    log_in(c, coordinator.email, PASSWORD)
    c.goto("/matching/needs/new")
    no_sideways_scroll(c)
    check(c, "record a need")
    c.locator("#category_id").select_option(label="Begleitung zu einem Amt oder Arzt")
    c.locator("#case_code").fill("HH-2027-014")
    c.locator("#required_language").select_option("ar")
    c.get_by_label("wöchentlich").check()
    c.locator("#slots-1-0").check()  # Tuesday morning
    c.locator("#description").fill("Begleitung zur Ausländerbehörde, Verlängerung.")
    c.get_by_role("button", name="Speichern").click()
    expect(c.get_by_role("heading", level=1)).to_have_text("Bedarf HH-2027-014")
    expect(c.locator("ol.candidates")).to_contain_text("Amina Haddad")
    expect(c.locator("ol.candidates")).to_contain_text("spricht Arabisch (Muttersprache)")
    expect(c.locator("ol.candidates")).not_to_contain_text("Jonas Becker")  # no Arabic
    no_sideways_scroll(c)
    check(c, "a need with its candidates")
    c.locator("#shared_text").fill("Eine Familie braucht Begleitung zur Ausländerbehörde, Arabisch hilft.")
    c.get_by_role("button", name="Amina Haddad anfragen").click()
    expect(c.locator("main")).to_contain_text("wartet auf Antwort")
    c.goto("/matching/needs")
    expect(c.locator("main table")).to_contain_text("HH-2027-014")
    no_sideways_scroll(c)
    check(c, "the board")

    with app.app_context():
        mail = db.session.scalar(select(OutboxMail).where(OutboxMail.kind == "matching_proposal"))
        assert "HH-2027" not in mail.body_text
        path = re.search(r"https?://[^/\s]+(/matching/answer/\S+)", mail.body_text).group(1)
    v = new_context(viewport=PHONE).new_page()
    v.goto(path)  # not logged in
    expect(v.get_by_role("heading", level=1)).to_have_text("Können Sie helfen?")
    expect(v.locator("main")).not_to_contain_text("HH-2027")
    no_sideways_scroll(v)
    check(v, "the answer page")
    v.get_by_role("button", name="Ja, ich kann helfen").click()
    expect(v.get_by_role("heading", level=1)).to_have_text("Danke für Ihr Ja!")

    log_in(v, volunteer.email, PASSWORD)
    v.goto("/my/assignments")
    expect(v.locator("main")).to_contain_text("Begleitung zu einem Amt oder Arzt")
    expect(v.locator("main")).not_to_contain_text("HH-2027")
    no_sideways_scroll(v)
    check(v, "my assignments")
    v.locator("main input[name=hours_given]").fill("2,5")
    v.get_by_role("button", name="Erledigt").click()
    expect(v.locator("main")).to_contain_text("erledigt")
    v.goto("/my/hours")
    expect(v.locator("main")).to_contain_text("Hilfe bei einem Bedarf")


def test_batch_on_a_phone_then_a_withdrawal_before_confirming(app, make, live_server, new_context):
    """The office's batch on a phone: every open need with its proposed person; the coordinator
    takes one row out and confirms; a volunteer who withdrew their consent meanwhile is refused
    with the reason, the others get exactly one mail each."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.mail.models import OutboxMail
    from tests.matching.conftest import NeedBuilder

    need_builder = NeedBuilder(app)
    office = make.office("Hörde + Hombruch", districts=("Hörde", "Hombruch"))
    coordinator = make.coordinator(office, name="Clara Koordinatorin")
    amina = make.full_volunteer(office, name="Amina Haddad", languages=(("ar", "native"), ("de", "good")))
    olena = make.full_volunteer(office, name="Olena Petrenko", languages=(("uk", "native"), ("de", "good")))
    make.full_volunteer(office, name="Jonas Becker", languages=(("de", "native"),))
    ids = [need_builder(office, coordinator, case_code=code, required_language=lang, required_level=3)
           for code, lang in (("HH-1", "ar"), ("HH-2", "uk"), ("HH-3", None))]

    c = new_context(viewport=PHONE).new_page()
    log_in(c, coordinator.email, PASSWORD)
    c.goto("/matching/needs")
    c.get_by_role("link", name="Alle offenen Bedarfe zuordnen").click()
    expect(c.get_by_role("heading", level=1)).to_contain_text("Alle offenen Bedarfe zuordnen")
    expect(c.locator(f"#user-{ids[0]} option:checked")).to_contain_text("Amina Haddad")
    expect(c.locator(f"#user-{ids[1]} option:checked")).to_contain_text("Olena Petrenko")
    no_sideways_scroll(c)
    check(c, "the batch page")
    c.locator(f"#propose-{ids[2]}").uncheck()  # this one the coordinator does by hand
    c.locator("#shared_text").fill("Eine Familie braucht Begleitung zu einem Termin.")
    with live_server.app_context():  # Olena withdraws her consent while the page is open
        from app.people.consent import record_consent
        from app.people.models import ConsentPurpose

        record_consent(olena.id, ConsentPurpose.CONTACT, False)
    c.get_by_role("button", name="Angekreuzte Vorschläge verschicken").click()
    expect(c.get_by_role("heading", level=1)).to_contain_text("Vorschläge verschickt")
    expect(c.locator("main")).to_contain_text("HH-1: Amina Haddad")
    expect(c.locator("#not-sent-title")).to_be_visible()
    expect(c.locator("main")).to_contain_text("HH-2")
    no_sideways_scroll(c)
    check(c, "the batch's result")
    with live_server.app_context():
        sent = dict(db.session.execute(select(OutboxMail.user_id, func.count()).where(
            OutboxMail.kind == "matching_proposal").group_by(OutboxMail.user_id)).all())
    assert sent == {amina.id: 1}
