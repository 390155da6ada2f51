"""The anonymous start page comes from the cache (app.core.pagecache, filled by the activities'
cache) and shows every change of what it lists at once: an office's name or hours, a satellite
location switched off — in German and English, without a session (nothing on it needs a CSRF token)."""
from __future__ import annotations

from app.extensions import db
from app.offices.models import Office, SatelliteLocation


def test_cached_and_dropped_when_an_office_changes(app, client, make):
    office = make.office("Büro Hörde")
    first = client.get("/").get_data(as_text=True)
    assert "Büro Hörde" in first
    with app.app_context():
        o = db.session.get(Office, office.id)
        o.name, o.opening_hours = "Büro Hörde-Süd", "Mo 9–12 Uhr"
        db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Büro Hörde-Süd" in page and "Mo 9–12 Uhr" in page
    with app.app_context():
        sat = db.session.query(SatelliteLocation).filter_by(office_id=office.id).first()
        name = sat.name
        assert name in page
        sat.active = False
        db.session.commit()
    assert name not in client.get("/").get_data(as_text=True)


def test_each_language_gets_its_own(app, make):
    make.office("Büro Nord")
    de, en = app.test_client(), app.test_client()
    german = de.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    english = en.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="de"' in german and 'lang="en"' in english
    assert "Büro Nord" in german and "Büro Nord" in english
    again = app.test_client().get("/", headers={"Accept-Language": "de"})
    assert again.get_data(as_text=True) == german and "Set-Cookie" not in again.headers


def test_logged_in_people_are_sent_on(client, make, auth):
    auth.login(make.volunteer())
    assert client.get("/").status_code == 302
