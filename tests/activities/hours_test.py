"""My hours, the certificate of hours (PDF read back), the Ehrenamtskarte list, and who may see what."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

from pypdf import PdfReader
from sqlalchemy import select

from app.activities.models import Activity, Attendance, Signup, SignupState
from app.core.audit import AuditEntry
from app.core.timeutil import utcnow
from app.extensions import db
from tests.conftest import count_statements, recorded_statements, submit


def _present(app, act, user_id, minutes=None, date_index=None):
    with app.app_context():
        for i, slot_id in enumerate(act.slot_ids[0]):
            if date_index is None or i == date_index:
                db.session.add(Signup(slot_id=slot_id, user_id=user_id, state=SignupState.CONFIRMED,
                                      attendance=Attendance.PRESENT, minutes=minutes))
        db.session.commit()


def _past(year, month=3, n=1):
    return [datetime(year, month, 10, 16) + timedelta(weeks=i) for i in range(n)]


def _pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def _contact(app, act, user_id):
    with app.app_context():
        db.session.get(Activity, act.id).contact_id = user_id
        db.session.commit()


def test_my_hours_per_year_and_total(app, make, client, auth):
    office = make.office()
    v, other = make.full_volunteer(office), make.full_volunteer(office)
    a = make.activity(office, title="Sprachcafé Größe", dates=_past(2025, n=2), hours=2)
    b = make.activity(office, title="Hausaufgabenhilfe", dates=_past(2026, n=1), hours=1.5)
    _present(app, a, v.id)
    _present(app, b, v.id, minutes=90)
    _present(app, a, other.id)
    auth.login(v)
    html = client.get("/my/hours").get_data(as_text=True)
    assert "Sprachcafé Größe" in html and "Hausaufgabenhilfe" in html
    assert "Insgesamt: 5,5 Stunden" in html and "2026: 1,5 Stunden" in html and "2025: 4 Stunden" in html
    assert html.index("2026") < html.index("2025")
    with recorded_statements(app) as statements:
        assert client.get("/my/hours").status_code == 200
    assert len(statements) == 2  # the session with its user, then the hours: nothing per row
    assert count_statements(app, client, "/my/hours") == 2


def test_own_certificate_pdf_names_total_activities_umlauts(app, make, client, auth):
    office = make.office(name="Büro Nordstadt")
    coord = make.coordinator(office, name="Jürgen Weiß")
    v = make.full_volunteer(office, name="Łucja Öztürk-Σοφία")
    a = make.activity(office, title="Sprachcafé für Frauen", dates=_past(2025, n=3), hours=2)
    b = make.activity(office, title="Straßenfest Übergabe", dates=_past(2025, 7), hours=4)
    _contact(app, a, coord.id)
    _present(app, a, v.id)
    _present(app, b, v.id)
    auth.login(v)
    r = submit(client, "/my/hours/certificate", {"year": "2025", "lang": "de"})
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = _pdf_text(r.data)
    for words in ("Nachweis über ehrenamtliches Engagement", "Łucja Öztürk-Σοφία", "Sprachcafé für Frauen",
                  "Straßenfest Übergabe", "Büro Nordstadt", "Jürgen Weiß", "Insgesamt", "10"):
        assert words in text, words
    r = submit(client, "/my/hours/certificate", {"since": "2025-07-01", "until": "2025-12-31", "lang": "en"})
    text = _pdf_text(r.data)
    assert "Certificate of volunteering" in text and "Total" in text
    assert "Straßenfest Übergabe" in text and "Sprachcafé" not in text and "4" in text


def test_bad_periods_answer_at_the_field(app, make, client, auth):
    office = make.office()
    v = make.full_volunteer(office)
    auth.login(v)
    for data, message in (({"year": "19x"}, "Jahr zwischen"), ({}, "ein Jahr"),
                          ({"since": "2025-05-01", "until": "2025-01-01"}, "nicht vor dem ersten Tag"),
                          ({"since": "2025-05-01"}, "letzten Tag"), ({"since": "kaputt", "until": "2025-01-01"}, "")):
        r = submit(client, "/my/hours/certificate", {**data, "lang": "de"})
        assert r.status_code == 400 and r.mimetype == "text/html", data
        html = r.get_data(as_text=True)
        assert 'class="error"' in html and message in html, data


def test_volunteer_sees_only_own(app, make, client, auth):
    office = make.office()
    v, other = make.full_volunteer(office), make.full_volunteer(office, name="Zweite Person")
    a = make.activity(office, title="Nur für die Zweite", dates=_past(2025), hours=2)
    _present(app, a, other.id)
    auth.login(v)
    assert "Nur für die Zweite" not in client.get("/my/hours").get_data(as_text=True)
    assert client.get(f"/manage/volunteers/{other.id}/certificate").status_code == 403
    assert client.get("/manage/ehrenamtskarte").status_code == 403
    r = submit(client, "/my/hours/certificate", {"year": "2025", "lang": "de"})
    assert "Nur für die Zweite" not in _pdf_text(r.data)
    auth.logout()
    assert client.get("/my/hours").status_code in (302, 401)


def test_coordinator_issues_for_own_office_only_audited(app, make, client, auth):
    office, elsewhere = make.office(), make.office()
    coord = make.coordinator(office, name="Ayşe Koordinatorin")
    v, stranger = make.full_volunteer(office), make.full_volunteer(elsewhere)
    a = make.activity(office, title="Theater", dates=_past(2025, n=2), hours=3)
    _present(app, a, v.id)
    auth.login(coord)
    r = submit(client, f"/manage/volunteers/{v.id}/certificate", {"year": "2025", "lang": "de"})
    assert r.mimetype == "application/pdf"
    text = _pdf_text(r.data)
    assert "Ayşe Koordinatorin" in text and "Theater" in text and "6" in text
    assert client.get(f"/manage/volunteers/{stranger.id}/certificate").status_code == 404
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "hours.certificate"))
        assert entry.record_id == v.id and entry.actor_id == coord.id and entry.office_id == office.id
    assert "/certificate" in client.get(f"/people/volunteers/{v.id}").get_data(as_text=True)


def test_ehrenamtskarte_list(app, make, client, auth):
    app.config["EHRENAMTSKARTE_HOURS"] = 5
    office, elsewhere = make.office(), make.office()
    coord = make.coordinator(office)
    busy, idle, far = (make.full_volunteer(office, name="Fleißige Frau"), make.full_volunteer(office, name="Ruhiger Mann"),
                       make.full_volunteer(elsewhere, name="Andere Stadt"))
    recent = [utcnow() - timedelta(days=20 + 7 * i) for i in range(3)]
    a = make.activity(office, title="Kurs", dates=recent, hours=2)
    old = make.activity(office, title="Alt", dates=[utcnow() - timedelta(days=400)], hours=10)
    x = make.activity(elsewhere, title="Anderswo", dates=recent, hours=3)
    _present(app, a, busy.id)  # 6 h
    _present(app, a, idle.id, date_index=0)  # 2 h
    _present(app, old, idle.id)  # 10 h, too long ago
    _present(app, x, far.id)  # 9 h, another office
    auth.login(coord)
    html = client.get("/manage/ehrenamtskarte").get_data(as_text=True)
    assert "Fleißige Frau" in html and "Ruhiger Mann" not in html and "Andere Stadt" not in html
    assert count_statements(app, client, "/manage/ehrenamtskarte?page=2") <= 4


def test_certificate_without_contact_names_the_office_and_reads_in_two_statements(app, make):
    from datetime import date

    from app.activities import hours as svc

    office = make.office(name="Büro Hörde")
    v = make.full_volunteer(office, name="Ömer Şahin")
    a = make.activity(office, title="Nähcafé", dates=_past(2025, n=2), hours=1.5)
    _present(app, a, v.id)
    with app.test_request_context():
        with recorded_statements(app) as statements:
            cert = svc.certificate(v.id, date(2025, 1, 1), date(2025, 12, 31))
        assert len(statements) <= 3  # the lines, the office with its contact, the name
        assert cert.office == "Büro Hörde" and cert.issuer == "" and cert.minutes == 180
        text = _pdf_text(svc.certificate_pdf(cert, "en"))
        assert "Ömer Şahin" in text and "Nähcafé" in text and "Büro Hörde" in text and "Issued on" in text
        empty = svc.certificate(v.id, date(2024, 1, 1), date(2024, 12, 31))
        assert "In diesem Zeitraum keine Stunden." in _pdf_text(svc.certificate_pdf(empty, "de"))


def test_coordinator_unknown_or_deleted_volunteer_is_404(app, make, client, auth):
    office = make.office()
    auth.login(make.coordinator(office))
    assert client.get("/manage/volunteers/999999/certificate").status_code == 404
    assert client.get("/manage/volunteers/999999/certificate", method="POST").status_code in (400, 404)
