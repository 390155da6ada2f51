"""An office's attendance of a year or a period for the funders (CSV and xlsx): every date that
took place, one row per person with activity, kind, role, attendance and hours, the newcomers
once per date; pseudonyms unless names are asked for, never contact data; the summary sheet; the
office's staff only (another office 404); bad input a message at the field, never a 500."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import openpyxl
from sqlalchemy import select

from app.activities.models import ActivityDate, Attendance
from app.core.models import AuditEntry
from app.core.timeutil import to_local, utcnow
from app.extensions import db


def _newcomers(app, date_id, n):
    with app.app_context():
        db.session.get(ActivityDate, date_id).newcomers = n
        db.session.commit()


def _period():
    today = to_local(utcnow()).date()
    return {"since": (today - timedelta(days=60)).isoformat(), "until": today.isoformat()}


def _url(office, **args):
    from urllib.parse import urlencode

    return f"/manage/offices/{office.id}/attendance" + (f"?{urlencode(args)}" if args else "")


def _csv(response):
    body = response.get_data()
    assert body.startswith("\ufeff".encode("utf-8"))
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def _world(app, make):
    office = make.office()
    course = make.activity(office, title="Deutschkurs Brackel", dates=2, days_ahead=-14)  # 90 minutes each
    cafe = make.activity(office, title="Sprachcafé", kind="language_cafe", days_ahead=-3)
    later = make.activity(office, title="Zukunft", days_ahead=5)
    draft = make.activity(office, title="Entwurf", state="draft", days_ahead=-2)
    other = make.activity(make.office(), title="Anderes Büro", days_ahead=-2)
    anna = make.full_volunteer(office, name="Anna Aufbau", phone="0231 111111", consents=("contact",))
    evil = make.full_volunteer(office, name="=HYPERLINK(\"x\")")
    wanda = make.full_volunteer(office, name="Wanda Warteliste")
    first, second = course.slot_ids[0]
    make.signups(first, anna, attendance=Attendance.PRESENT)
    make.signups(first, evil, attendance=Attendance.PRESENT, minutes=120, minutes_reason="Aufbau")
    make.signups(second, anna, attendance=Attendance.ABSENT)
    make.signups(second, evil)  # on the list, not marked
    make.signups(second, wanda, state="waiting")  # not a participant
    _newcomers(app, course.date_ids[0], 7)
    _newcomers(app, cafe.date_ids[0], 4)  # nobody on its list
    for act in (later, draft, other):
        make.signups(act.slot, anna, attendance=Attendance.PRESENT)
    return office, anna, evil


def test_xlsx_rows_summary_and_pseudonyms(app, client, auth, make):
    office, anna, evil = _world(app, make)
    auth.login(make.coordinator(office))
    r = client.get(_url(office, fmt="xlsx", **_period()))
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in r.headers["Content-Disposition"] and r.headers["Cache-Control"] == "no-store"
    book = openpyxl.load_workbook(io.BytesIO(r.get_data()))
    summary, sheet = book.worksheets
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    header = next(sheet.iter_rows(min_row=2, max_row=2, values_only=True))
    assert list(header) == ["Datum", "Uhrzeit", "Aktivität", "Art", "Rolle", "Person", "Organisation",
                            "Anwesenheit", "Stunden", "Neuzugewanderte am Termin"]
    assert all(isinstance(x[0], datetime) for x in rows)  # a real date, sortable in the spreadsheet
    assert len(rows) == 5  # 2 + 2 on the course's dates, the café's date without anyone
    titles = {x[2] for x in rows}
    assert titles == {"Deutschkurs Brackel", "Sprachcafé"}  # no future date, no draft, no other office
    text = repr(rows)
    assert "Anna" not in text and "HYPERLINK" not in text and anna.email not in text and "0231" not in text
    people = [x[5] for x in rows if x[2] == "Deutschkurs Brackel"]
    assert sorted(set(people)) == ["Person 1", "Person 2"] and people.count("Person 1") == 2
    by = {(x[0], x[5]): x for x in rows}
    present = [x for x in rows if x[7] == "da"]
    assert sorted(x[8] for x in present) == [1.5, 2.0]
    assert {x[7] for x in rows if x[2] == "Deutschkurs Brackel"} == {"da", "nicht da", "nicht erfasst"}
    assert [x[9] for x in rows if x[2] == "Deutschkurs Brackel"].count(7) == 1  # once per date
    cafe = [x for x in rows if x[2] == "Sprachcafé"]
    assert len(cafe) == 1 and cafe[0][5] == "niemand auf der Liste" and cafe[0][9] == 4 and cafe[0][3] == "Sprachcafé"
    assert len(by) == 5
    s = list(summary.iter_rows(min_row=3, values_only=True))
    assert s[0][:7] == ("Deutschkurs Brackel", "Sprachkurs", 2, 2, 2, 3.5, 7)
    assert s[1][:7] == ("Sprachcafé", "Sprachcafé", 1, 0, 0, 0, 4)
    assert s[2][0] == "Insgesamt" and s[2][2:7] == (3, 2, 2, 3.5, 11)
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "attendance.year_exported")).one()
        assert entry.office_id == office.id and entry.detail["rows"] == 5 and entry.detail["names"] is False


def test_csv_with_names_neutralised_and_german_decimals(app, client, auth, make):
    office, anna, evil = _world(app, make)
    auth.login(make.coordinator(office))
    r = client.get(_url(office, fmt="csv", names="y", **_period()))
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = _csv(r)
    assert rows[0][0] == "Datum" and len(rows) == 6
    assert all(len(x[0]) == 10 and x[0][4] == "-" for x in rows[1:])  # ISO dates
    names = {x[5] for x in rows[1:]}
    assert {"Anna Aufbau", "'=HYPERLINK(\"x\")", "niemand auf der Liste"} == names
    assert sorted(x[8] for x in rows[1:] if x[7] == "da") == ["1,50", "2,00"]
    assert anna.email not in r.get_data(as_text=True)


def test_a_year_and_the_form(app, client, auth, make):
    office, _anna, _evil = _world(app, make)
    auth.login(make.coordinator(office))
    page = client.get(_url(office))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f'value="{to_local(utcnow()).year}"' in html and 'name="fmt"' in html
    year = to_local(utcnow() - timedelta(days=14)).year
    r = client.get(_url(office, fmt="csv", year=year))
    assert r.status_code == 200 and any(x[2] == "Deutschkurs Brackel" for x in _csv(r)[1:])
    listing = client.get("/manage/activities").get_data(as_text=True)
    assert _url(office) in listing


def test_bad_input_is_a_message_at_the_field(app, client, auth, make):
    office = make.office()
    auth.login(make.coordinator(office))
    for args, field in [({"fmt": "xlsx", "year": "zwanzig"}, "year"), ({"fmt": "csv", "year": "1999"}, "year"),
                        ({"fmt": "csv"}, "year"), ({"fmt": "pdf", "year": "2025"}, "year"),
                        ({"fmt": "csv", "since": "2025-05-01", "until": "2025-04-01"}, "until"),
                        ({"fmt": "csv", "since": "kein Datum", "until": "2025-04-01"}, "since"),
                        ({"fmt": "xlsx", "since": "2020-01-01", "until": "2026-01-01"}, "until")]:
        r = client.get(_url(office, **args))
        page = r.get_data(as_text=True)
        assert r.status_code == 400, args
        assert f'id="{field}-error"' in page and 'aria-invalid="true"' in page, args
    with app.app_context():
        assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "attendance.year_exported")) is None


def test_only_the_offices_staff(app, client, auth, make):
    office = make.office()
    org = make.organisation(districts=office.district_ids)
    url = _url(office, fmt="csv", year=2025)
    assert client.get(url).status_code == 302  # log in first
    for user, status in [(make.coordinator(make.office()), 404), (make.full_volunteer(office), 403),
                         (org.contacts[0], 403), (make.admin(), 200), (make.coordinator(office), 200)]:
        auth.login(user)
        assert client.get(url).status_code == status, user
        assert client.get(_url(office)).status_code == status, user
        auth.logout()
    auth.login(make.coordinator(office))
    assert client.get("/manage/offices/999999/attendance").status_code == 404
