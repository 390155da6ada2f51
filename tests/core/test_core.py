import re
from pathlib import Path

import pytest

from sqlalchemy.exc import OperationalError

from app import create_app


def test_healthz_ok(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json == {"status": "ok", "database": "ok"}


def test_healthz_503_when_database_unreachable(app, client, monkeypatch):
    from app.extensions import db

    def broken(*a, **k):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    with app.app_context():
        monkeypatch.setattr(db.session, "execute", broken)
        r = client.get("/healthz")
    assert r.status_code == 503 and r.json["database"] == "unreachable"


def test_healthz_503_with_a_real_unreachable_database(tmp_path):
    from config import TestingConfig

    class Down(TestingConfig):
        SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"

    app = create_app(Down)
    r = app.test_client().get("/healthz")
    assert r.status_code == 503


def test_error_pages_use_the_layout(client):
    r = client.get("/does-not-exist")
    assert r.status_code == 404 and 'class="skip-link"' in r.get_data(as_text=True)


def test_500_page_in_layout_and_logged(app, client, caplog):
    @app.get("/boom")
    def boom():
        raise RuntimeError("kaputt")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    r = client.get("/boom")
    assert r.status_code == 500 and 'class="skip-link"' in r.get_data(as_text=True)
    assert any("kaputt" in (rec.exc_text or "") or "kaputt" in rec.getMessage() or rec.exc_info for rec in caplog.records)


def test_german_is_default_and_english_by_browser(client):
    assert 'lang="de"' in client.get("/").get_data(as_text=True)
    page = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert 'lang="en"' in page and "Log in" in page


def test_language_switch_sticks(client, make, auth):
    from tests.conftest import csrf_from

    # a visitor's switch only sets a cookie: no token, no session needed (cached pages carry none)
    assert 'name="csrf_token"' not in client.get("/").get_data(as_text=True)
    r = client.post("/sprache", data={"lang": "en", "next": "/login"})
    assert r.status_code == 302 and r.location.endswith("/login")
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)
    # an open redirect is not possible through the switch
    r = client.post("/sprache", data={"lang": "de", "next": "https://evil.example"})
    assert r.location == "/"
    # a signed-in person's choice is stored with the account: that takes the form's token
    auth.login(make.volunteer())
    assert client.post("/sprache", data={"lang": "en", "next": "/home"}).status_code == 400
    token = csrf_from(client.get("/home").get_data(as_text=True))
    assert client.post("/sprache", data={"lang": "en", "next": "/home", "csrf_token": token}).status_code == 302


def test_german_translation_is_used(client):
    page = client.get("/login", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Anmelden" in page  # needs compiled catalogs (make test compiles them)


def test_dates_are_formatted_for_the_locale(app):
    from datetime import datetime

    from flask_babel import force_locale

    with app.test_request_context():
        render = app.jinja_env.from_string("{{ d|datetime }}")
        with force_locale("de"):
            de = render.render(d=datetime(2026, 7, 1, 12, 0))
        with force_locale("en"):
            en = render.render(d=datetime(2026, 7, 1, 12, 0))
    assert "14:00" in de and "01.07.2026" in de  # UTC 12:00 is 14:00 in Berlin in summer
    assert "Jul" in en


APP = Path(__file__).resolve().parents[2] / "app"


def test_no_asset_from_another_host():
    """Data protection: templates and CSS load nothing from another host."""
    pattern = re.compile(r"""(src|href)\s*=\s*["']?(https?:)?//|@import\s+url\(\s*["']?https?:|url\(\s*["']?(https?:)?//""")
    offenders = []
    for path in list(APP.rglob("*.html")) + list(APP.rglob("*.css")):
        if "/email/" in str(path):
            continue  # mails link to our own BASE_URL, built at send time
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path}:{n}: {line.strip()}")
    assert not offenders, offenders


def test_pages_have_accessibility_landmarks(client):
    html = client.get("/register").get_data(as_text=True)
    assert '<html lang="de"' in html and 'href="#main"' in html and '<main id="main"' in html
    # every visible input has a label
    ids = re.findall(r'<input[^>]*id="([^"]+)"[^>]*>', html)
    for i in ids:
        if i != "csrf_token":
            assert f'for="{i}"' in html, i
    assert html.count("<h1") == 1


def test_css_uses_logical_properties():
    css = (APP / "static" / "css" / "app.css").read_text()
    assert not re.search(r"(margin|padding|border)-(left|right)\s*:", css)
    assert "@media print" in css


def test_create_admin_cli(app, runner):
    result = runner.invoke(args=["users", "create-admin", "--email", "Chef@Example.org", "--password", "ein sicheres passwort"])
    assert result.exit_code == 0, result.output
    from app.accounts.models import Role, User
    from app.extensions import db

    with app.app_context():
        user = db.session.query(User).filter_by(email="chef@example.org").one()
        assert user.role == Role.ADMIN and user.confirmed_at is not None
    result = runner.invoke(args=["users", "create-admin", "--email", "chef@example.org", "--password", "kurz"])
    assert result.exit_code != 0


def test_seed_demo_twice_is_harmless(app, runner):
    from sqlalchemy import func, select

    from app.accounts.models import User
    from app.extensions import db

    r1 = runner.invoke(args=["seed-demo", "--volunteers", "40"])
    assert r1.exit_code == 0, r1.output
    assert "admin@willkommen.example" in r1.output
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(User))
    r2 = runner.invoke(args=["seed-demo", "--volunteers", "40"])
    assert r2.exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == n
        assert n == 40 + 7 + 1 + 16  # volunteers, coordinators, admin, partner contacts
    assert r1.output.count("demo data") == 1 and "kontakt09@partner.example" in r1.output


def test_seed_demo_builds_full_profiles_and_organisations(app, runner):
    from sqlalchemy import func, select

    from app.extensions import db
    from app.people.models import (ConsentPurpose, Organisation, OrganisationState, VolunteerConsent,
                                   VolunteerLanguage, VolunteerProfile, VolunteerStatus, volunteer_skills)

    runner.invoke(args=["seed-demo", "--volunteers", "60"])
    with app.app_context():
        profiles = db.session.scalars(select(VolunteerProfile)).all()
        assert len(profiles) == 60
        assert all(p.availability and p.wanted_kinds and p.offices for p in profiles)
        assert {p.status for p in profiles} >= {VolunteerStatus.ACTIVE, VolunteerStatus.NEW}
        assert db.session.scalar(select(func.count()).select_from(volunteer_skills)) >= 60
        levels = set(db.session.scalars(select(VolunteerLanguage.level)))
        assert levels <= {1, 2, 3, 4} and len(levels) >= 3
        contact = db.session.scalar(select(func.count()).where(
            VolunteerConsent.purpose == ConsentPurpose.CONTACT, VolunteerConsent.given.is_(True)))
        assert 0 < contact < 60
        states = {o.state for o in db.session.scalars(select(Organisation))}
        assert states == {OrganisationState.APPROVED, OrganisationState.PENDING, OrganisationState.REFUSED}
        several = db.session.scalars(select(Organisation).where(Organisation.name == "Nachbarschaftsinitiative Nordstadt")).one()
        assert len(several.contacts) == 3


def test_demo_logins_work(app, runner, client):
    runner.invoke(args=["seed-demo", "--volunteers", "5"])
    from tests.conftest import submit

    for email in ["admin@willkommen.example", "koordination.innenstadt-nord@willkommen.example",
                  "ehrenamt001@willkommen.example", "kontakt01@partner.example", "kontakt09@partner.example"]:
        c = app.test_client()
        r = submit(c, "/login", {"email": email, "password": app.config["DEMO_PASSWORD"]})
        assert r.status_code == 302, email
        assert c.get("/home").status_code == 200


def test_start_page_lists_offices_with_consultation_hours(client, make):
    make.office("Büro Nord")  # its satellite: Tuesdays 14–16
    html = client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Büro Nord" in html and "Dienstag, 14:00–16:00" in html
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Tuesday, 2:00\u202fPM–4:00\u202fPM" in html or "Tuesday, 2:00 PM–4:00 PM" in html


def test_security_headers_enforce_same_host_assets(client):
    r = client.get("/")
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["Referrer-Policy"] == "same-origin"  # tokens in URLs never leak
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in r.headers  # only with secure cookies (production)


def test_purge_used_links(app, runner):
    from datetime import timedelta

    from app.core.models import UsedToken
    from app.core.timeutil import utcnow
    from app.extensions import db

    with app.app_context():
        db.session.add_all([UsedToken(jti="old", purpose="x", used_at=utcnow() - timedelta(days=40)),
                            UsedToken(jti="new", purpose="x", used_at=utcnow())])
        db.session.commit()
    result = runner.invoke(args=["purge-used-links"])
    assert result.exit_code == 0 and "purged 1" in result.output
    with app.app_context():
        assert [t.jti for t in db.session.query(UsedToken)] == ["new"]


@pytest.mark.parametrize("target", ["/\\evil.example", "/\\/evil.example", "//evil.example", "https://evil.example/",
                                    "/a\tb", "/a\r\nLocation: x", "evil.example", ""])
def test_next_refuses_anything_but_a_plain_path_here(target):
    from app.core.safe_redirect import safe_next

    assert safe_next(target) is None
    assert safe_next("/activities/?q=a%2Fb") == "/activities/?q=a%2Fb"
