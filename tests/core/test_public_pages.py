"""Contact for everyone (issue 10, point 15): the start page shows every office's address, phone,
e-mail and consultation hours (and its satellite locations' weekly hours) to visitors; an
Impressum at /impressum with the operator from the OPERATOR_* settings, linked in the footer;
the privacy page names the controller and the data protection officer."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.offices.models import Office, SatelliteLocation
import config

EN = {"Accept-Language": "en"}


def _contact(app, office, **values):
    with app.app_context():
        o = db.session.get(Office, office.id)
        for k, v in values.items():
            setattr(o, k, v)
        db.session.commit()


def test_start_page_shows_every_offices_contact_to_visitors(app, client, make):
    north = make.office("Büro Nord", districts=("Eving", "Scharnhorst"))
    south = make.office("Büro Süd")
    _contact(app, north, phone="0231 50-12345", email="nord@willkommen.example",
             opening_hours="Mo–Do 9–12 Uhr\nDi 14–17 Uhr")
    _contact(app, south, phone="0231 50-999", email="sued@willkommen.example")
    html = client.get("/", headers=EN).get_data(as_text=True)
    for text in ("Hauptstraße 1, 44135 Dortmund", "0231 50-12345", 'href="tel:02315012345"',
                 'href="mailto:nord@willkommen.example"', "Mo–Do 9–12 Uhr\nDi 14–17 Uhr",
                 "Eving, Scharnhorst", "0231 50-999", 'href="mailto:sued@willkommen.example"',
                 "Consultation hours"):
        assert text in html, text
    # satellite locations with their weekly hour and address
    assert "Treff 1.0, Markt 2: Tuesday" in html


def test_start_page_leaves_out_inactive_satellites_and_empty_contact(app, client, make):
    office = make.office("Büro Nord", satellites=2)
    with app.app_context():
        sat = db.session.query(SatelliteLocation).filter_by(name="Treff 1.1").one()
        sat.active = False
        db.session.commit()
    html = client.get("/", headers=EN).get_data(as_text=True)
    assert "Treff 1.0" in html and "Treff 1.1" not in html
    assert "tel:" not in html and "mailto:nord" not in html  # no phone or e-mail set: no empty rows
    assert office.name in html


def test_start_page_with_the_reference_offices_shows_all_seven(app, client):
    from app.offices.reference import load_reference_data

    with app.app_context():
        load_reference_data()
        offices = db.session.query(Office).all()
    html = client.get("/").get_data(as_text=True)
    for o in offices:
        assert o.name in html and o.email in html and o.phone in html


@pytest.mark.parametrize("path", ["/", "/login", "/register", "/datenschutz", "/impressum"])
def test_footer_links_impressum_beside_privacy(client, path):
    html = client.get(path).get_data(as_text=True)
    footer = html.split('<footer class="site-footer">', 1)[1]
    assert 'href="/datenschutz"' in footer and 'href="/impressum">Impressum</a>' in footer


def test_impressum_shows_the_configured_operator(app, client):
    app.config.update(
        OPERATOR_IS_PLACEHOLDER=False, OPERATOR_NAME="Stadt Dortmund, Sozialamt",
        OPERATOR_STREET="Luisenstraße 11-13", OPERATOR_POSTCODE="44137", OPERATOR_CITY="Dortmund",
        OPERATOR_REPRESENTATIVE="Oberbürgermeister Max Beispiel", OPERATOR_EMAIL="sozialamt@example.org",
        OPERATOR_PHONE="0231 50-0", OPERATOR_CONTENT_RESPONSIBLE="Erika Muster, Anschrift wie oben",
        OPERATOR_VAT_ID="DE123456789", OPERATOR_REGISTER="")
    r = client.get("/impressum")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    for text in ("<h1>Impressum</h1>", "Angaben nach § 5 DDG", "Stadt Dortmund, Sozialamt",
                 "Luisenstraße 11-13", "44137 Dortmund", "Vertreten durch", "Oberbürgermeister Max Beispiel",
                 'href="mailto:sozialamt@example.org"', 'href="tel:0231500"', "Erika Muster",
                 "Verantwortlich für den Inhalt nach § 18 Abs. 2 MStV", "DE123456789"):
        assert text in html, text
    assert "Platzhalter" not in html and "Registereintrag" not in html


def test_impressum_says_placeholder_with_the_defaults(client):
    assert config.Config.OPERATOR_IS_PLACEHOLDER and config.Config.OPERATOR_NAME.startswith("[Platzhalter]")
    html = client.get("/impressum").get_data(as_text=True)
    assert "Platzhalter: Das sind Beispielangaben" in html
    assert "[Platzhalter]" in html  # the default values say so themselves


def test_impressum_in_english(client):
    html = client.get("/impressum", headers=EN).get_data(as_text=True)
    assert "<h1>Legal notice</h1>" in html and "Information according to § 5 DDG" in html


def test_privacy_page_names_controller_and_data_protection_officer(app, client):
    app.config.update(OPERATOR_IS_PLACEHOLDER=False, OPERATOR_NAME="Stadt Dortmund, Sozialamt",
                      OPERATOR_EMAIL="sozialamt@example.org", OPERATOR_PHONE="0231 50-0",
                      OPERATOR_DPO_NAME="Datenschutzbeauftragte der Stadt Dortmund",
                      OPERATOR_DPO_EMAIL="datenschutz@example.org", OPERATOR_DPO_ADDRESS="Friedensplatz 1, 44135 Dortmund")
    html = client.get("/datenschutz").get_data(as_text=True)
    for text in ("Wer ist verantwortlich?", "Verantwortliche Stelle", "Stadt Dortmund, Sozialamt",
                 'href="mailto:sozialamt@example.org"', "Datenschutzbeauftragte der Stadt Dortmund",
                 'href="mailto:datenschutz@example.org"', "Friedensplatz 1, 44135 Dortmund", "LDI NRW",
                 'href="/impressum"'):
        assert text in html, text
    assert "Platzhalter: Das sind Beispielangaben" not in html


def test_operator_settings_come_from_the_environment(monkeypatch):
    import importlib

    monkeypatch.setenv("OPERATOR_NAME", "Verein Beispiel e. V.")
    monkeypatch.setenv("OPERATOR_DPO_EMAIL", "dsb@verein.example")
    try:
        reloaded = importlib.reload(config)
        assert reloaded.Config.OPERATOR_NAME == "Verein Beispiel e. V."
        assert reloaded.Config.OPERATOR_DPO_EMAIL == "dsb@verein.example"
        assert reloaded.Config.OPERATOR_IS_PLACEHOLDER is False
    finally:
        monkeypatch.undo()
        importlib.reload(config)
