"""The shift import in Chromium on a 390 px phone, axe clean: choose a CSV with a bad row, see
the problem at its row, upload the corrected file, save, and find the shifts on the activity's
page."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, no_sideways_scroll
from tests.browser.test_accessibility import check, log_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


def test_import_shifts_on_a_phone(app, make, live_server, new_context, tmp_path):
    from app.core.timeutil import to_local, utcnow
    from app.extensions import db
    from app.people.reference import load_people_reference

    with app.app_context():
        load_people_reference()
        db.session.commit()
    office = make.office("Innenstadt-Nord", districts=("Innenstadt-Nord",))
    coordinator = make.coordinator(office)
    fest = make.activity(office, title="Brückenfest", kind="event", roles=(), days_ahead=21, hours=8)
    day = (to_local(utcnow()).date() + timedelta(days=21)).strftime("%d.%m.%Y")
    head = ["Rolle", "Datum", "Beginn", "Ende", "Plätze", "Fähigkeit", "Sprache", "Sprachniveau", "Beschreibung"]
    long_role = "Dolmetschen an der Bühne für Familien mit Kindern und Großeltern aus der ganzen Nachbarschaft"
    rows = [head, ["Getränkestand", day, "14:00", "16:00", "4", "", "", "", "Getränke ausgeben und kassieren."],
            [long_role, day, "15:00", "18:00", "zwei", "", "Ukrainisch", "fließend", ""]]
    bad, good = tmp_path / "schichten.csv", tmp_path / "schichten-richtig.csv"
    bad.write_bytes(_csv(rows))
    rows[2][4] = "2"
    good.write_bytes(_csv(rows))

    page = new_context(viewport=PHONE).new_page()
    log_in(page, coordinator.email, PASSWORD)
    page.goto(f"/manage/activities/{fest.id}")
    page.get_by_role("link", name="Schichten aus einer Tabelle importieren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Schichten aus einer Tabelle importieren")
    no_sideways_scroll(page)
    check(page, "the import page")

    page.get_by_label("Tabelle mit den Schichten (xlsx oder CSV)").set_input_files(str(bad))
    page.get_by_role("button", name="Datei prüfen").click()
    expect(page.locator("#row-3 .error")).to_contain_text("keine Zahl von Plätzen")
    expect(page.get_by_role("button", name="2 Schichten speichern")).to_have_count(0)
    no_sideways_scroll(page)
    check(page, "the preview with a bad row")

    page.get_by_label("Tabelle mit den Schichten (xlsx oder CSV)").set_input_files(str(good))
    page.get_by_role("button", name="Datei prüfen").click()
    expect(page.get_by_text("2 Zeilen, alle richtig.")).to_be_visible()
    no_sideways_scroll(page)
    check(page, "the preview, all right")
    page.get_by_role("button", name="2 Schichten speichern").click()
    expect(page.get_by_text("2 Schichten importiert.")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Getränkestand")).to_be_visible()
    expect(page.get_by_role("rowheader", name=long_role)).to_be_visible()
