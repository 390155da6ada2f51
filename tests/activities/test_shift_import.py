"""Festival shifts from a spreadsheet: the preview shows every row's problem at its row, nothing
is saved until the whole file is right and confirmed, the confirmation saves exactly the rows
previewed (once), the templates round-trip, xlsx and CSV alike; bad files never give a 500;
another office's activity answers 404, volunteers and partner contacts 403."""
from __future__ import annotations

import csv
import html
import io
import re
from datetime import date, datetime, time, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from app.activities.models import ActivityDate, Role, Slot
from app.core.models import AuditEntry
from app.core.timeutil import to_local, utcnow
from app.extensions import db
from app.people.models import ChoiceItem, LanguageLevel
from tests.conftest import PG_URL, csrf_from

HEAD = ["Rolle", "Datum", "Beginn", "Ende", "Plätze", "Fähigkeit", "Sprache", "Sprachniveau", "Beschreibung"]


def _day(days: int = 21) -> date:
    return to_local(utcnow()).date() + timedelta(days=days)


def _festival(make, office, **kw):
    kw.setdefault("roles", ())
    return make.activity(office, title="Brückenfest", kind="event", days_ahead=21, hours=5, **kw)


def _csv(rows, delimiter=";", bom=True) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


def _xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _url(activity_id: int, what: str = "import") -> str:
    return f"/manage/activities/{activity_id}/shifts/{what}"


def _upload(client, activity_id: int, data: bytes, filename: str = "schichten.csv"):
    page = client.get(_url(activity_id))
    assert page.status_code == 200
    token = csrf_from(page.get_data(as_text=True))
    return client.post(_url(activity_id), data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def _confirm_data(page: str) -> dict:
    m = re.search(r'<form method="post" action="[^"]*/shifts/import/confirm".*?</form>', page, re.S)
    assert m, "no confirmation form on the page"
    return {name: html.unescape(value) for name, value in
            re.findall(r'name="([\w-]+)" type="hidden" value="([^"]*)"', m.group(0))}


def _confirm(client, activity_id: int, page: str):
    return client.post(_url(activity_id, "import/confirm"), data=_confirm_data(page))


def _row_html(page: str, line: int) -> str:
    m = re.search(rf'<tr id="row-{line}"[^>]*>(.*?)</tr>', page, re.S)
    assert m, f"row {line} not shown"
    return html.unescape(m.group(1))


def _roles(app, activity_id):
    with app.app_context():
        return db.session.scalars(select(Role).where(Role.activity_id == activity_id).order_by(Role.position)).all()


def _count(app, model, activity_id):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(model.activity_id == activity_id))


@pytest.fixture
def coordinator_office(app, make, auth):
    from app.people.reference import load_people_reference

    with app.app_context():  # the admins' skills list
        load_people_reference()
        db.session.commit()
    office = make.office()
    auth.login(make.coordinator(office))
    return office


def test_preview_shows_every_rows_problem_at_its_row_and_saves_nothing(app, client, make, coordinator_office):
    act = _festival(make, coordinator_office)
    d = _day().strftime("%d.%m.%Y")
    rows = [HEAD,
            ["Getränkestand", d, "14:00", "16:00", "4", "", "", "", ""],        # 2: right
            ["Aufbau", "31.02.2027", "10:00", "12:00", "6", "", "", "", ""],    # 3: no such day
            ["Abbau", d, "25:00", "22:00", "6", "", "", "", ""],                # 4: no such time
            ["Spielstraße", d, "18:00", "16:00", "3", "", "", "", ""],          # 5: end before start
            ["Zirkus", d, "14:00", "16:00", "2", "Jonglieren", "", "", ""],     # 6: unknown skill
            ["Infostand", d, "13:00", "16:00", "2", "", "Zwergisch", "", ""],  # 7: unknown language
            ["Dolmetschen", d, "15:00", "18:00", "2", "", "Ukrainisch", "perfekt", ""],  # 8: unknown level
            ["Kuchen", d, "14:00", "17:00", "vier", "", "", "", ""],            # 9: not a number
            ["Kuchen", d, "17:00", "20:00", "0", "", "", "", ""],               # 10: not positive
            ["getränkestand", d, "14:00", "16:00", "4", "", "", "", ""],        # 11: same as row 2
            ["=HYPERLINK(\"http://x\")", d, "14:00", "16:00", "2", "", "", "", ""],  # 12: formula
            ["Erste Hilfe", d, "12:00", "20:00", "2", "", "", "gut", ""]]        # 13: level without language
    r = _upload(client, act.id, _csv(rows))
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "tag-ok" in _row_html(page, 2)
    expected = {3: "ist kein Datum", 4: "ist keine Uhrzeit", 5: "nicht nach dem Beginn",
                6: "Jonglieren", 7: "Zwergisch", 8: "perfekt", 9: "keine Zahl von Plätzen",
                10: "keine Zahl von Plätzen", 11: "Zeile 2", 12: "Formel", 13: "braucht eine Sprache"}
    for line, text in expected.items():
        row = _row_html(page, line)
        assert 'class="error"' in row and text in row, (line, row)
    assert "11 Zeilen haben ein Problem" in page
    assert "shifts/import/confirm" not in page  # nothing to confirm
    assert _count(app, Role, act.id) == 0


def test_confirm_creates_exactly_the_shifts_once(app, client, make, coordinator_office):
    act = _festival(make, coordinator_office)
    d = _day().strftime("%d.%m.%Y")
    rows = [HEAD,
            ["Getränkestand", d, "14:00", "16:00", "4", "", "", "", "Getränke ausgeben"],
            ["Kinderschminken", d, "14", "16 Uhr", "2", "Kinderbetreuung", "", "", ""],
            ["Infostand mehrsprachig", d, "13.00", "16:00", "2", "translating", "Arabisch", "fließend", ""],
            ["Abbau", d, "22:00", "24:00", "6", "", "uk", "", ""]]
    r = _upload(client, act.id, _csv(rows, delimiter=",", bom=False))
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "4 Zeilen, alle richtig" in page, page
    assert _count(app, Role, act.id) == 0  # the preview stores nothing
    saved = _confirm(client, act.id, page)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/manage/activities/{act.id}")
    roles = _roles(app, act.id)
    with app.app_context():
        skills = dict(db.session.execute(select(ChoiceItem.key, ChoiceItem.id)
                                    .where(ChoiceItem.list_name == ChoiceItem.SKILLS)).all())
    got = [(r.name, r.slot_start, r.slot_end, r.capacity, r.required_skill_id, r.required_language,
            r.required_level, r.description) for r in roles]
    assert got == [
        ("Getränkestand", time(14), time(16), 4, None, None, None, "Getränke ausgeben"),
        ("Kinderschminken", time(14), time(16), 2, skills["childcare"], None, None, ""),
        ("Infostand mehrsprachig", time(13), time(16), 2, skills["translating"], "ar", int(LanguageLevel.FLUENT), ""),
        ("Abbau", time(22), time(0), 6, None, "uk", int(LanguageLevel.BASIC), ""),
    ]
    assert _count(app, Slot, act.id) == 4 and _count(app, ActivityDate, act.id) == 1
    with app.app_context():
        slot = db.session.scalar(select(Slot).join(Role).where(Role.name == "Abbau"))
        assert slot.duration_minutes == 120  # until midnight
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "activity.shifts_imported"))
        assert entry is not None and entry.office_id == coordinator_office.id
    # the same preview sent again saves nothing more
    again = _confirm(client, act.id, page)
    assert again.status_code == 302
    assert len(_roles(app, act.id)) == 4
    # the same file again: every shift exists already
    r = _upload(client, act.id, _csv(rows, delimiter=",", bom=False))
    page = r.get_data(as_text=True)
    for line in (2, 3, 4, 5):
        assert "gibt es in der Aktivität schon" in _row_html(page, line)
    assert "shifts/import/confirm" not in page


def test_a_tampered_or_foreign_confirmation_saves_nothing(app, client, make, coordinator_office):
    act = _festival(make, coordinator_office)
    other = _festival(make, coordinator_office)
    rows = [HEAD, ["Getränkestand", _day().strftime("%d.%m.%Y"), "14:00", "16:00", "4", "", "", "", ""]]
    page = _upload(client, act.id, _csv(rows)).get_data(as_text=True)
    data = _confirm_data(page)
    tampered = {**data, "rows": data["rows"][:-3] + "abc"}
    r = client.post(_url(act.id, "import/confirm"), data=tampered)
    assert r.status_code == 302 and r.headers["Location"].endswith(_url(act.id))
    r = client.post(_url(other.id, "import/confirm"), data=data)  # another activity's preview
    assert r.status_code == 302
    assert _count(app, Role, act.id) == 0 and _count(app, Role, other.id) == 0
    assert client.post(_url(act.id, "import/confirm"), data=data).status_code == 302
    assert len(_roles(app, act.id)) == 1


def test_a_shift_added_meanwhile_is_reported_at_confirmation(app, client, make, coordinator_office):
    act = _festival(make, coordinator_office)
    rows = [HEAD, ["Getränkestand", _day().strftime("%d.%m.%Y"), "14:00", "16:00", "4", "", "", "", ""]]
    page = _upload(client, act.id, _csv(rows)).get_data(as_text=True)
    with app.app_context():
        from app.activities import manage

        manage.add_role(None, act.id, manage.RoleData(name="Getränkestand", capacity=3, slot_start=time(14),
                                                      slot_end=time(16)))
    r = _confirm(client, act.id, page)
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "gibt es in der Aktivität schon" in _row_html(body, 2)
    assert [x.capacity for x in _roles(app, act.id)] == [3]


def test_xlsx_template_round_trip(app, client, make, coordinator_office):
    act = _festival(make, coordinator_office)
    r = client.get(_url(act.id, "template.xlsx"))
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in r.headers["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(r.get_data()))
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == HEAD
    assert ws.cell(2, 2).value == _day().strftime("%d.%m.%Y")  # the activity's date
    assert "Kinderbetreuung" in [c.value for c in wb["Hinweise"]["A"]]
    ws.append(["Kuchenbuffet", date.fromisoformat(_day().isoformat()), time(14), time(17), 3, "cooking", "", "", ""])
    out = io.BytesIO()
    wb.save(out)
    page = _upload(client, act.id, out.getvalue(), "vorlage.xlsx").get_data(as_text=True)
    assert "3 Zeilen, alle richtig" in page, page
    assert _confirm(client, act.id, page).status_code == 302
    assert [r.name for r in _roles(app, act.id)] == ["Getränkestand", "Infostand mehrsprachig", "Kuchenbuffet"]
    assert _roles(app, act.id)[1].required_language == "ar"


def test_csv_template_round_trip(app, client, make, coordinator_office):
    act = _festival(make, coordinator_office)
    r = client.get(_url(act.id, "template.csv"))
    assert r.status_code == 200 and r.mimetype == "text/csv"
    body = r.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == HEAD
    rows.append(["Spielstraße", rows[1][1], "16:00", "18:00", "3", "", "", "", ""])
    page = _upload(client, act.id, _csv(rows)).get_data(as_text=True)
    assert "3 Zeilen, alle richtig" in page, page
    assert _confirm(client, act.id, page).status_code == 302
    assert len(_roles(app, act.id)) == 3


def test_xlsx_with_english_headings_typed_cells_and_a_formula(app, client, make, coordinator_office):
    act = _festival(make, coordinator_office)
    day = _day()
    rows = [["Role", "Date", "Start", "End", "Places", "Notes"],
            ["Drinks", datetime.combine(day, time(0)), time(14), time(16), 4, "ignored"],
            ["Cakes", day, time(14, 30), time(17), "=1+2", ""]]
    page = _upload(client, act.id, _xlsx(rows), "shifts.xlsx").get_data(as_text=True)
    assert "tag-ok" in _row_html(page, 2)
    assert "Formel" in _row_html(page, 3)
    assert "Notes" in page  # the column not used is named
    assert _count(app, Role, act.id) == 0


def test_row_numbers_are_the_spreadsheets_after_a_title_and_empty_rows(app, client, make, coordinator_office):
    act = _festival(make, coordinator_office)
    d = _day().strftime("%d.%m.%Y")
    rows = [["Schichtplan Brückenfest"], [], HEAD, ["Getränkestand", d, "14:00", "16:00", "4"], [],
            ["Aufbau", d, "10:00", "9:00", "6"]]
    for data, name in ((_xlsx(rows), "plan.xlsx"), (_csv(rows), "plan.csv")):
        page = _upload(client, act.id, data, name).get_data(as_text=True)
        assert "tag-ok" in _row_html(page, 4), name
        assert "nicht nach dem Beginn" in _row_html(page, 6), name


def test_a_festival_of_several_days(app, client, make, coordinator_office):
    act = make.activity(coordinator_office, title="Stadtteilfest", kind="event", dates=0, roles=())
    sat, sun = _day(20).strftime("%d.%m.%Y"), _day(21).strftime("%d.%m.%Y")
    rows = [HEAD, ["Getränkestand", sat, "14:00", "16:00", "4", "", "", "", ""],
            ["Getränkestand", sun, "14:00", "16:00", "4", "", "", "", ""],
            ["Aufbau", sat, "10:00", "12:00", "6", "", "", "", ""],
            ["Spielstraße", sat, "16:00", "18:00", "3", "", "", "", ""],
            ["Spielstraße", sun, "16:00", "18:00", "5", "", "", "", ""]]
    page = _upload(client, act.id, _csv(rows)).get_data(as_text=True)
    assert "fehlt am " + sun in _row_html(page, 4)  # Aufbau only on Saturday
    assert "anderen Plätzen" in _row_html(page, 6)
    assert "tag-ok" in _row_html(page, 2) and "tag-ok" in _row_html(page, 3)
    rows[3] = ["Aufbau", sun, "10:00", "12:00", "6", "", "", "", ""]
    rows.append(["Aufbau", sat, "10:00", "12:00", "6", "", "", "", ""])
    rows[5][4] = "3"
    page = _upload(client, act.id, _csv(rows)).get_data(as_text=True)
    assert "6 Zeilen, alle richtig" in page, page
    assert _confirm(client, act.id, page).status_code == 302
    assert len(_roles(app, act.id)) == 3
    assert _count(app, ActivityDate, act.id) == 2 and _count(app, Slot, act.id) == 6
    with app.app_context():
        dates = db.session.scalars(select(ActivityDate).where(ActivityDate.activity_id == act.id)
                                   .order_by(ActivityDate.starts_at)).all()
        first = to_local(dates[0].starts_at.replace(tzinfo=__import__("datetime").timezone.utc))
        assert (first.hour, first.minute) == (10, 0)  # from the first shift to the last
    # a new day for an activity with roles: refused, the existing roles would get it too
    rows = [HEAD, ["Getränkestand", _day(22).strftime("%d.%m.%Y"), "14:00", "16:00", "4", "", "", "", ""]]
    page = _upload(client, act.id, _csv(rows)).get_data(as_text=True)
    assert "keinen Termin" in _row_html(page, 2)


def test_past_shifts_are_refused(app, client, make, coordinator_office):
    act = _festival(make, coordinator_office)
    rows = [HEAD, ["Getränkestand", _day(-3).strftime("%d.%m.%Y"), "14:00", "16:00", "4", "", "", "", ""]]
    page = _upload(client, act.id, _csv(rows)).get_data(as_text=True)
    assert "Vergangenheit" in _row_html(page, 2)


@pytest.mark.parametrize("data, filename, message", [
    (b"", "leer.csv", "Die Datei ist leer"),
    (b"\xef\xbb\xbf\r\n\r\n", "leer.csv", "Die Datei ist leer"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "bild.png", "keine Tabelle"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "alt.xls", ".xls"),
    (b"PK\x03\x04" + b"kaputt" * 50, "kaputt.xlsx", "xlsx"),
    ("Rolle;Datum;Beginn\nA;01.01.2030;10:00\n".encode(), "s.csv", "„Ende“, „Plätze“"),
    ("Name;Wann\nA;01.01.2030\n".encode(), "s.csv", "Keine davon"),
    ("Rolle;Datum;Beginn;Ende;Plätze\n".encode(), "s.csv", "keine Schichten"),
    ("Rolle;Datum;Beginn;Ende;Plätze\nKüche;01.01.2030;10:00;12:00;2\n".encode("latin-1"), "s.csv", "UTF-8"),
    ("Rolle;Datum;Beginn;Ende;Plätze;Rolle\n".encode(), "s.csv", "zweimal"),
])
def test_bad_files_are_said_plainly(app, client, make, coordinator_office, data, filename, message):
    act = _festival(make, coordinator_office)
    r = _upload(client, act.id, data, filename)
    page = html.unescape(r.get_data(as_text=True))
    assert r.status_code == 200
    assert 'class="error"' in page and message in page, page
    assert _count(app, Role, act.id) == 0


def test_a_zip_file_that_is_no_workbook(app, client, make, coordinator_office):
    import zipfile

    act = _festival(make, coordinator_office)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "hi")
    page = _upload(client, act.id, out.getvalue(), "x.xlsx").get_data(as_text=True)
    assert "xlsx" in page and 'class="error"' in page


def test_too_many_rows_and_too_large_files(app, client, make, coordinator_office):
    act = _festival(make, coordinator_office)
    d = _day().strftime("%d.%m.%Y")
    rows = [HEAD] + [[f"Schicht {i}", d, "14:00", "16:00", "1", "", "", "", ""] for i in range(501)]
    page = _upload(client, act.id, _csv(rows)).get_data(as_text=True)
    assert "mehr als 500 Zeilen" in page
    page = _upload(client, act.id, _xlsx(rows), "viele.xlsx").get_data(as_text=True)
    assert "mehr als 500 Zeilen" in page
    # 3 MB: under the request limit, over the import's own: said at the field
    page = _upload(client, act.id, b"a;b\n" * (3 * 1024 * 256)).get_data(as_text=True)
    assert "zu groß" in page and 'class="error"' in page
    # 50 MB: refused before it is read, a plain page (413), no 500
    token = csrf_from(client.get(_url(act.id)).get_data(as_text=True))
    r = client.post(_url(act.id), data={"csrf_token": token, "file": (io.BytesIO(b"x" * (50 * 1024 * 1024)), "big.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 413 and "zu groß" in r.get_data(as_text=True)
    assert _count(app, Role, act.id) == 0


def test_five_hundred_long_rows_are_confirmed(app, client, make, coordinator_office):
    act = _festival(make, coordinator_office)
    d = _day().strftime("%d.%m.%Y")
    text = "مساعدة في كشك المشروبات وتنظيف الأكواب " * 12  # 500 characters of Arabic, 2 bytes each
    rows = [HEAD] + [[f"Schicht {i} " + "ü" * 100, d, "14:00", "16:00", "2", "", "ar", "gut", text[:500]]
                     for i in range(500)]
    page = _upload(client, act.id, _csv(rows)).get_data(as_text=True)
    assert "500 Zeilen, alle richtig" in page
    assert _confirm(client, act.id, page).status_code == 302
    assert _count(app, Role, act.id) == 500 and _count(app, Slot, act.id) == 500


def test_no_file_chosen(app, client, make, coordinator_office):
    act = _festival(make, coordinator_office)
    token = csrf_from(client.get(_url(act.id)).get_data(as_text=True))
    r = client.post(_url(act.id), data={"csrf_token": token}, content_type="multipart/form-data")
    assert r.status_code == 200 and "Bitte wählen Sie eine Datei" in r.get_data(as_text=True)


def test_who_may_import(app, client, auth, make):
    north, west = make.office(), make.office()
    org = make.organisation(districts=[north.district_ids[0]])
    act = _festival(make, north, organisation_id=org.id)
    paths = [_url(act.id), _url(act.id, "template.xlsx"), _url(act.id, "template.csv")]
    assert client.get(paths[0]).status_code == 302  # log in first
    auth.login(make.coordinator(west))
    for path in paths:
        assert client.get(path).status_code == 404, path
    token = csrf_from(client.get("/home").get_data(as_text=True))
    assert client.post(_url(act.id, "import/confirm"), data={"csrf_token": token, "rows": "x"}).status_code == 404
    assert client.post(_url(act.id), data={"csrf_token": token}).status_code == 404
    auth.logout()
    for user in (make.full_volunteer(north), org.contacts[0]):
        auth.login(user)
        for path in paths:
            assert client.get(path).status_code == 403, (user.role, path)
        auth.logout()
    auth.login(make.coordinator(north))
    page = client.get(f"/manage/activities/{act.id}").get_data(as_text=True)
    assert _url(act.id) in page  # linked from the activity's page
    assert client.get(_url(act.id)).status_code == 200
    assert client.get(_url(act.id, "template.pdf")).status_code == 404
    auth.logout()
    auth.login(make.admin())
    assert client.get(_url(act.id)).status_code == 200
    cancelled = _festival(make, north, state="cancelled")
    assert client.get(_url(cancelled.id)).status_code == 403  # as its other edit pages


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="races are proven on PostgreSQL (set TEST_DATABASE_URL)")
def test_two_confirmations_at_once_save_the_shifts_once(app, make, coordinator_office):
    """Two tabs with the same preview, confirmed at the same moment: the activity's row lock
    makes the second check again after the first committed, so it finds the shifts and saves
    nothing."""
    import threading

    from app import create_app
    from app.accounts.models import User
    from app.activities import shift_import
    from config import TestingConfig

    act = _festival(make, coordinator_office)
    coordinator = make.coordinator(coordinator_office)
    d = _day().strftime("%d.%m.%Y")
    cells = [[n, {"role": f"Schicht {n}", "date": d, "start": "14:00", "end": "16:00", "capacity": "2"}]
             for n in range(2, 12)]
    other = create_app(TestingConfig, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 4, "max_overflow": 0})
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            with other.test_request_context():
                actor = db.session.get(User, coordinator.id)
                barrier.wait(30)
                results.append(shift_import.import_shifts(actor, act.id, cells).roles)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with other.app_context():
        db.engine.dispose()
    assert not errors, errors
    assert sorted(results) == [0, 10]
    assert len(_roles(app, act.id)) == 10 and _count(app, Slot, act.id) == 10
