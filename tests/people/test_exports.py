"""Exports of the filtered directory: CSV for German Excel and xlsx, streamed in chunks,
formula-safe, audited; the print view."""
from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
from sqlalchemy import select

from app.extensions import db


@pytest.fixture
def office(make):
    return make.office("Büro Nord")


@pytest.fixture
def coordinator(make, office, auth):
    c = make.coordinator(office)
    auth.login(c)
    return c


def _audit(app):
    from app.core.models import AuditEntry

    with app.app_context():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.action.startswith("directory."))).all()


def test_csv_for_german_excel(app, make, office, coordinator, client):
    make.full_volunteer(office, name="Amina Haddad", email="amina@example.org", phone="0231 123",
                        languages=(("ar", "native"), ("de", "good")), hours=8)
    make.full_volunteer(office, name="Paused Person", status="paused")
    r = client.get("/people/volunteers/export.csv?status=active")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.headers["Content-Disposition"].startswith('attachment; filename="ehrenamtliche-')
    raw = r.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 2  # header + the one active volunteer
    header, row = rows
    assert len(header) == 11
    assert row[0] == "Amina Haddad" and row[1] == "amina@example.org" and row[2] == "0231 123"
    assert row[4] == "Büro Nord"
    assert "Arabisch" in row[5] and "Deutsch" in row[5]
    assert row[8] == "8"
    assert ";" in raw.decode("utf-8-sig").splitlines()[0]


@pytest.mark.parametrize("evil", ["=HYPERLINK(\"http://x\",\"klick\")", "+1+2", "-2+3", "@SUM(A1)", "\tTab"])
def test_formulas_are_neutralised(app, make, office, coordinator, client, evil):
    make.full_volunteer(office, name=evil.replace("\t", " ") if evil.startswith("\t") else evil,
                        phone="=1+1")
    text = client.get("/people/volunteers/export.csv").get_data().decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(text), delimiter=";"))[1]
    assert row[0] == ("'" + evil if not evil.startswith("\t") else evil.replace("\t", " "))
    assert row[2] == "'=1+1"
    data = client.get("/people/volunteers/export.xlsx").get_data()
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet  # no formula cell at all
    assert "&apos;=1+1" in sheet or "'=1+1" in sheet


def test_xlsx_opens_and_holds_the_filtered_rows(app, make, office, coordinator, client):
    make.full_volunteer(office, name="Amina Haddad", hours=12)
    make.full_volunteer(office, name="Bernd Left", status="left")
    r = client.get("/people/volunteers/export.xlsx?status=active")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = zipfile.ZipFile(io.BytesIO(r.get_data()))
    assert book.testzip() is None
    assert "xl/workbook.xml" in book.namelist()
    sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "Amina Haddad" in sheet and "Bernd Left" not in sheet
    assert len(re.findall(r"<row ", sheet)) == 2  # header + one
    assert "<v>12</v>" in sheet  # hours as a number


def test_xlsx_temporary_file_is_removed(app, make, office, coordinator, client, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    make.full_volunteer(office)
    assert client.get("/people/volunteers/export.xlsx").status_code == 200
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".xlsx"] == []


def test_exports_are_audited_without_personal_data(app, make, office, coordinator, client):
    make.full_volunteer(office, name="Amina Haddad")
    make.full_volunteer(office, name="Bernd")
    client.get("/people/volunteers/export.csv?q=amina&language=ar&level=3")
    client.get("/people/volunteers/export.xlsx")
    client.get("/people/volunteers/print?status=active")
    entries = _audit(app)
    assert [(e.action, e.detail.get("format"), e.detail["rows"]) for e in entries] == [
        ("directory.exported", "csv", 1), ("directory.exported", "xlsx", 2), ("directory.printed", None, 2)]
    first = entries[0].detail
    assert first["filter"]["language"] == "ar" and first["filter"]["min_level"] == 3
    assert first["filter"]["search"] is True
    assert "amina" not in str(first).lower()
    assert entries[0].actor_id == coordinator.id


def test_exports_keep_to_the_viewers_offices(make, office, coordinator, client):
    other = make.office()
    make.full_volunteer(office, name="Mine")
    make.full_volunteer(other, name="Theirs")
    text = client.get("/people/volunteers/export.csv").get_data().decode("utf-8-sig")
    assert "Mine" in text and "Theirs" not in text
    text = client.get(f"/people/volunteers/export.csv?office={other.id}").get_data().decode("utf-8-sig")
    assert len(text.splitlines()) == 1  # header only


def test_rows_are_read_in_chunks(app, make, office):
    from app.people import directory

    for _ in range(5):
        make.full_volunteer(office)
    with app.app_context():
        chunks = list(directory.iter_rows(None, directory.DirectoryFilter(), chunk=2))
        assert [len(c) for c in chunks] == [2, 2, 1]
        assert all(r.languages and r.office_ids for c in chunks for r in c)


def test_csv_is_streamed(app, make, office, coordinator, client):
    for _ in range(3):
        make.full_volunteer(office)
    r = client.get("/people/volunteers/export.csv", buffered=False)
    try:
        assert r.is_streamed  # no Content-Length: sent as it is read
        assert "Content-Length" not in r.headers
        assert len(r.get_data().decode("utf-8-sig").splitlines()) == 4
    finally:
        r.close()


def test_print_view(app, make, office, coordinator, client):
    make.full_volunteer(office, name="Amina Haddad", phone="0231 77")
    r = client.get("/people/volunteers/print")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Amina Haddad" in html and "0231 77" in html
    assert 'directory-print-table' in html


def test_unknown_export_format_is_404(coordinator, client):
    assert client.get("/people/volunteers/export.pdf").status_code == 404


def test_an_unread_xlsx_export_leaves_no_file_behind(app, make, client, auth, tmp_path, monkeypatch):
    """Review finding: HEAD (or a client gone away) must not leave people's data in /tmp."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    office = make.office()
    make.full_volunteer(office)
    auth.login(make.coordinator(office))
    r = client.head("/people/volunteers/export.xlsx")
    assert r.status_code == 200
    r.close()
    assert list(tmp_path.glob("willkommen-*.xlsx")) == []
    r = client.get("/people/volunteers/export.xlsx")
    assert r.data[:2] == b"PK" and list(tmp_path.glob("willkommen-*.xlsx")) == []


def test_xlsx_reads_back_cell_for_cell(app, make, office, coordinator, client):
    """The workbook written by hand (exports._cells_xml) opens in openpyxl as Excel would show it:
    header bold and frozen, text as text, hours as a number, odd characters kept."""
    import openpyxl

    make.full_volunteer(office, name="Amina <Haddad> & Co", email="amina@example.org", phone="=1+1", hours=12,
                        status="active")
    make.full_volunteer(office, name="Zed _x0041_ \x07bell ", email="sp@example.org", hours=None,
                        status="active")
    data = client.get("/people/volunteers/export.xlsx?sort=name").get_data()
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    assert sheet.title == "Ehrenamtliche"
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Name" and sheet["A1"].font.b
    assert len(rows) == 3 and all(len(r) == 11 for r in rows)
    amina, spaces = rows[1], rows[2]
    assert amina[0] == "Amina <Haddad> & Co" and amina[1] == "amina@example.org" and amina[2] == "'=1+1"
    assert amina[8] == 12 and amina[4] == "Büro Nord"
    # as Excel writes them (and XlsxWriter did): a control character as _xHHHH_, a literal
    # "_xHHHH_" with its underscore escaped; the trailing space kept
    assert spaces[0] == "Zed _x005F_x0041_ _x0007_bell " and spaces[8] is None
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert '<t xml:space="preserve">Zed _x005F_x0041_ _x0007_bell </t>' in sheet_xml
    assert "Amina &lt;Haddad&gt; &amp; Co" in sheet_xml
    csv_rows = list(csv.reader(io.StringIO(client.get("/people/volunteers/export.csv?sort=name")
                                           .get_data().decode("utf-8-sig")), delimiter=";"))
    assert [[("" if v is None else str(v)) for v in r] for r in rows[:2]] == csv_rows[:2]
