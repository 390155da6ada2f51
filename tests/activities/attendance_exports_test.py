"""Exports of a slot's and an activity's roster and attendance (CSV with BOM and semicolons,
xlsx read back with openpyxl), contact data only as consent allows, formulas neutralised,
audited; the sign-in sheet."""
from __future__ import annotations

import csv
import io

import openpyxl
from sqlalchemy import select

from app.activities.models import Attendance, Signup
from app.core.models import AuditEntry
from app.extensions import db


def _csv(response):
    body = response.get_data()
    assert body.startswith("\ufeff".encode("utf-8"))
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_slot_csv_and_xlsx_for_staff(app, client, auth, make):
    office = make.office()
    act = make.activity(office, days_ahead=-1, roles=(("Tutor", 2),))
    evil = make.full_volunteer(office, name="=HYPERLINK(\"x\")", phone="0231 999999", consents=("contact",))
    plain = make.full_volunteer(office, name="Anna Aufbau")
    waiting = make.full_volunteer(office, name="Wanda Warteliste")
    make.signups(act.slot, evil, attendance=Attendance.PRESENT, minutes=120, minutes_reason="+Abbau")
    make.signups(act.slot, plain, attendance=Attendance.ABSENT)
    make.signups(act.slot, waiting, state="waiting")
    auth.login(make.coordinator(office))
    base = f"/manage/activities/{act.id}/slots/{act.slot}/export"
    r = client.get(base + ".csv")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in r.headers["Content-Disposition"]
    rows = _csv(r)
    assert rows[0][:7] == ["Name", "Organisation", "Rolle", "Datum", "Status", "Anwesenheit", "Minuten"]
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {"'=HYPERLINK(\"x\")", "Anna Aufbau", "Wanda Warteliste"}
    e = by_name["'=HYPERLINK(\"x\")"]
    assert e[5] == "da" and e[6] == "120" and e[7] == "'+Abbau" and evil.email in e and "0231 999999" in e
    assert by_name["Anna Aufbau"][5] == "nicht da" and by_name["Anna Aufbau"][6] == "0"
    r = client.get(base + ".xlsx")
    assert r.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(r.get_data())).active
    values = [[c for c in row] for row in sheet.iter_rows(min_row=3, values_only=True)]
    names = {v[0] for v in values}
    assert "'=HYPERLINK(\"x\")" in names and "Anna Aufbau" in names
    assert all(sheet.cell(row=i, column=1).data_type == "s" for i in range(3, 3 + len(values)))
    assert [v[6] for v in values if v[0] == "'=HYPERLINK(\"x\")"] == [120]
    with app.app_context():
        formats = list(db.session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "attendance.exported")))
        assert len(formats) == 2


def test_partner_gets_contact_data_only_with_consent(app, client, auth, make):
    office = make.office()
    org = make.organisation(districts=office.district_ids)
    act = make.activity(office, organisation_id=org.id)
    sharing = make.full_volunteer(office, phone="0231 111111", consents=("contact", "share_with_partner"))
    private = make.full_volunteer(office, phone="0231 222222", consents=("contact",))
    make.signups(act.slot, sharing)
    make.signups(act.slot, private)
    auth.login(org.contacts[0])
    text = client.get(f"/manage/activities/{act.id}/export.csv").get_data(as_text=True)
    # consent 2 passes on name and phone (its text says so), never the e-mail address
    assert sharing.name in text and "0231 111111" in text and sharing.email not in text
    assert private.name not in text and private.email not in text and "0231 222222" not in text
    assert "Ehrenamtliche Person (Name nicht freigegeben)" in text
    other = make.activity(office)
    assert client.get(f"/manage/activities/{other.id}/export.csv").status_code == 404
    assert client.get(f"/manage/activities/{other.id}/slots/{other.slot}/export.xlsx").status_code == 404


def test_whole_activity_every_date_and_role(app, client, auth, make):
    office = make.office()
    act = make.activity(office, dates=2, roles=(("Tutor", 2), ("Küche", 2)))
    v = make.full_volunteer(office)
    for slot_ids in act.slot_ids:
        for sid in slot_ids:
            make.signups(sid, v)
    auth.login(make.coordinator(office))
    r = client.get(f"/manage/activities/{act.id}/export.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(r.get_data())).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 4 and {x[2] for x in rows} == {"Tutor", "Küche"} and len({x[3] for x in rows}) == 2
    auth.logout()
    auth.login(make.coordinator(make.office()))
    assert client.get(f"/manage/activities/{act.id}/export.csv").status_code == 404


def test_sign_in_sheet(app, client, auth, make):
    office = make.office()
    act = make.activity(office, title="Sprachcafé Nord")
    a = make.full_volunteer(office, name="Berta Beispiel")
    gone = make.full_volunteer(office, name="Gerd Gegangen")
    make.signups(act.slot, a)
    make.signups(act.slot, gone, state="cancelled")
    auth.login(make.coordinator(office))
    page = client.get(f"/manage/activities/{act.id}/slots/{act.slot}/sign-in-sheet").get_data(as_text=True)
    assert "Unterschriftenliste" in page and "Sprachcafé Nord" in page and "Berta Beispiel" in page
    assert "Gerd Gegangen" not in page and a.email not in page
    assert page.count('class="sheet-empty"') == 12 and page.count('class="sheet-sign"') == 1 + 1 + 12
    with app.app_context():
        assert db.session.scalar(select(Signup.id).where(Signup.user_id == a.id)) is not None
    auth.logout()
    auth.login(make.coordinator(make.office()))
    assert client.get(f"/manage/activities/{act.id}/slots/{act.slot}/sign-in-sheet").status_code == 404
