"""Fixtures: a fresh app and database per test, a client, and one-line builders.

No app context stays pushed while the test client runs requests (a shared context would
share `g` and the DB session between requests and hide bugs); builders open their own
context and return plain snapshots. Use `with app.app_context():` to look into the database.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import time

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from app import create_app
from app.extensions import db, mail
from config import TestingConfig

PG_URL = os.environ.get("TEST_DATABASE_URL")
_schema_ready = False


class _Client(FlaskClient):
    """Closes each response at once, as a server does after sending it: work deferred until
    after the response (core.deferred) has run when the call returns."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def app():
    global _schema_ready
    app = create_app(TestingConfig)
    app.test_client_class = _Client
    with app.app_context():
        if PG_URL:
            if not _schema_ready:  # build the schema once per run; truncate between tests
                db.drop_all()
                with db.engine.begin() as conn:
                    conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
                db.create_all()
                _schema_ready = True
        else:
            db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        if PG_URL:
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# ---------------------------------------------------------------- forms with CSRF
CSRF_RE = re.compile(r'name="(?:[\w-]+-)?csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "no CSRF token on the page"
    return m.group(1) or m.group(2)


def submit(client, url: str, data: dict, form_url: str | None = None, prefix: str = "", **kw):
    """GET the form page, take its CSRF token, POST the data — as a browser would."""
    page = client.get(form_url or url)
    token = csrf_from(page.get_data(as_text=True))
    data = {**data, f"{prefix}csrf_token": token}
    return client.post(url, data=data, **kw)


# ---------------------------------------------------------------- builders
PASSWORD = "correct horse battery"


@dataclass
class UserInfo:
    id: int
    email: str
    name: str
    role: str
    password: str = PASSWORD
    office_ids: list[int] = field(default_factory=list)


@dataclass
class OfficeInfo:
    id: int
    name: str
    slug: str
    district_ids: list[int]


class Builders:
    """`make.office()`, `make.coordinator(office)`, `make.volunteer()`: one line each."""

    def __init__(self, app):
        self.app = app
        self.n = 0

    def _next(self) -> int:
        self.n += 1
        return self.n

    def office(self, name: str | None = None, districts: tuple[str, ...] | None = None,
               satellites: int = 1) -> OfficeInfo:
        from app.offices.models import District, Office, SatelliteLocation

        n = self._next()
        with self.app.app_context():
            office = Office(name=name or f"Büro {n}", slug=f"buero-{n}", operator="Caritas",
                            street="Hauptstraße 1", postcode="44135")
            for d in districts or (f"Bezirk {n}",):
                office.districts.append(District(name=d))
            for s in range(satellites):
                office.satellites.append(SatelliteLocation(
                    name=f"Treff {n}.{s}", street="Markt 2", postcode="44135", weekday=1,
                    opens_at=time(14), closes_at=time(16)))
            db.session.add(office)
            db.session.commit()
            return OfficeInfo(office.id, office.name, office.slug, [d.id for d in office.districts])

    def user(self, role: str = "volunteer", confirmed: bool = True, offices=(), email=None,
             name=None, locale="de", district_id=None, languages=()) -> UserInfo:
        from app.accounts.models import Role, User
        from app.accounts.services import hash_password
        from app.core.timeutil import utcnow
        from app.offices.models import Office
        from app.people.models import VolunteerLanguage, VolunteerProfile

        n = self._next()
        with self.app.app_context():
            user = User(email=email or f"{role}{n}@example.org", name=name or f"{role.title()} {n}",
                        role=Role(role), password_hash=hash_password(PASSWORD), locale=locale,
                        confirmed_at=utcnow() if confirmed else None)
            user.offices = [db.session.get(Office, o.id if hasattr(o, "id") else o) for o in offices]
            db.session.add(user)
            if role == "volunteer" and district_id:
                db.session.add(VolunteerProfile(
                    user=user, district_id=district_id,
                    languages=[VolunteerLanguage(code=c) for c in languages]))
            db.session.commit()
            return UserInfo(user.id, user.email, user.name, role, office_ids=[o.id for o in user.offices])

    def volunteer(self, **kw) -> UserInfo:
        return self.user("volunteer", **kw)

    def coordinator(self, *offices, **kw) -> UserInfo:
        return self.user("coordinator", offices=offices, **kw)

    def admin(self, **kw) -> UserInfo:
        return self.user("admin", **kw)


@pytest.fixture
def make(app) -> Builders:
    return Builders(app)


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, user: UserInfo | str, password: str = PASSWORD, remember: bool = False):
        email = user if isinstance(user, str) else user.email
        data = {"email": email, "password": password}
        if remember:
            data["remember"] = "y"
        return submit(self.client, "/login", data)

    def logout(self):
        page = self.client.get("/home")
        return self.client.post("/logout", data={"csrf_token": csrf_from(page.get_data(as_text=True))})


@pytest.fixture
def auth(client) -> Auth:
    return Auth(client)


# ---------------------------------------------------------------- mail
@pytest.fixture
def deliver(app):
    """Run the outbox worker once and return what Flask-Mail sent (captured, not sent)."""

    def _deliver():
        from app.mail.worker import send_pending

        with app.app_context():
            with mail.record_messages() as outbox:
                send_pending()
            return list(outbox)

    return _deliver


def link_in(message, path_part: str) -> str:
    """The first link in a mail's text containing path_part, as a path for the test client."""
    for url in re.findall(r"https?://[^/\s]+(/\S*)", message.body):
        if path_part in url:
            return url
    raise AssertionError(f"no link with {path_part!r} in mail: {message.body}")
