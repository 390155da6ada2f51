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

from contextlib import contextmanager

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url


def _database_per_worker() -> None:
    """Under pytest-xdist each worker gets a PostgreSQL database of its own
    (`<name>_gw0`, `<name>_gw1`, …), made here before config reads TEST_DATABASE_URL:
    the tests truncate every table between tests and must not see each other's rows."""
    base, worker = os.environ.get("TEST_DATABASE_URL"), os.environ.get("PYTEST_XDIST_WORKER")
    if not base or not worker or not base.startswith("postgresql"):
        return
    url = make_url(base)
    name = f"{url.database}_{worker}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    os.environ["TEST_DATABASE_URL"] = url.set(database=name).render_as_string(hide_password=False)


_database_per_worker()

from app import create_app  # noqa: E402  (after the worker's database is chosen)
from app.extensions import db, mail  # noqa: E402
from config import TestingConfig  # noqa: E402

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
                with db.engine.begin() as conn:  # whatever an older run left, also old tables
                    conn.execute(text("DROP SCHEMA public CASCADE"))
                    conn.execute(text("CREATE SCHEMA public"))
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


# ---------------------------------------------------------------- SQL statements
@contextmanager
def recorded_statements(app):
    """The SQL statements run inside the block (for query-count tests): on the engine and on the
    connections of their own that the account and cache versions are read on (app.core.ownread,
    used on PostgreSQL; the in-memory SQLite database has none) — the benchmarks' own counter."""
    from bench.common import statements_seen

    with app.app_context():
        engine = db.engine
    with statements_seen(engine) as statements:
        yield statements


def count_statements(app, client, path: str) -> int:
    """How many SQL statements one GET of `path` runs (it must answer 200)."""
    with recorded_statements(app) as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(statements)


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


@dataclass
class OrganisationInfo:
    id: int
    name: str
    contacts: list[UserInfo]


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
             name=None, locale="de", district_id=None, languages=(), skills=(), slots=(),
             wants=(), hours=None, phone="", status="new", consents=None, work_offices=None,
             organisation_id=None) -> UserInfo:
        """A user; a volunteer with `district_id` gets a profile in the same line.

        languages: codes ("ar") or (code, level) pairs, level a name ("good") or 1..4;
        skills: keys of the skill list; slots: (weekday, part) pairs, part 0/1/2 or a name;
        wants: ActivityKind names ("theatre"); consents: purposes given (default: "contact" for
        a volunteer with a profile); work_offices: office ids (default: the district's office)."""
        from app.accounts.models import Role, User
        from app.accounts.services import hash_password
        from app.core.timeutil import utcnow
        from app.offices.models import District, Office
        from app.people.models import (DAY_PARTS, ActivityKind, ChoiceItem, ConsentPurpose, LanguageLevel,
                                       VolunteerLanguage, VolunteerProfile, VolunteerStatus, slot_bit)

        n = self._next()
        with self.app.app_context():
            user = User(email=email or f"{role}{n}@example.org", name=name or f"{role.title()} {n}",
                        role=Role(role), password_hash=hash_password(PASSWORD), locale=locale,
                        confirmed_at=utcnow() if confirmed else None, organisation_id=organisation_id)
            user.offices = [db.session.get(Office, o.id if hasattr(o, "id") else o) for o in offices]
            db.session.add(user)
            if role == "volunteer" and district_id:
                self._reference()
                langs = []
                for entry in languages:
                    code, level = (entry, LanguageLevel.NATIVE) if isinstance(entry, str) else entry
                    if isinstance(level, str):
                        level = LanguageLevel[level.upper()]
                    langs.append(VolunteerLanguage(code=code, level=int(level)))
                availability = 0
                for day, part in slots:
                    availability |= slot_bit(day, DAY_PARTS.index(part) if isinstance(part, str) else part)
                kinds = 0
                for kind in wants:
                    kinds |= ActivityKind[kind.upper()].bit
                district = db.session.get(District, district_id)
                office_ids = work_offices if work_offices is not None else (
                    [district.office_id] if district and district.office_id else [])
                profile = VolunteerProfile(
                    user=user, district_id=district_id, languages=langs, phone=phone,
                    hours_per_month=hours, availability=availability, wanted_kinds=kinds,
                    status=VolunteerStatus(status),
                    offices=[db.session.get(Office, o) for o in office_ids],
                    skills=list(db.session.scalars(select(ChoiceItem).where(
                        ChoiceItem.list_name == ChoiceItem.SKILLS, ChoiceItem.key.in_(skills)))) if skills else [])
                db.session.add(profile)
                db.session.flush()
                for purpose in (("contact",) if consents is None else consents):
                    self._consent(user.id, ConsentPurpose(purpose))
            db.session.commit()
            return UserInfo(user.id, user.email, user.name, role, office_ids=[o.id for o in user.offices])

    def _reference(self) -> None:
        from app.people.reference import load_people_reference

        if not getattr(self, "_reference_loaded", False):
            load_people_reference()
            self._reference_loaded = True

    def _consent(self, user_id: int, purpose) -> None:
        from app.people.models import ConsentRecord, ConsentText, VolunteerConsent

        text = db.session.scalar(select(ConsentText).where(ConsentText.purpose == purpose)
                                 .order_by(ConsentText.version.desc()))
        db.session.add(ConsentRecord(user_id=user_id, purpose=purpose, text_id=text.id, given=True))
        db.session.merge(VolunteerConsent(user_id=user_id, purpose=purpose, given=True, text_id=text.id))

    def volunteer(self, **kw) -> UserInfo:
        return self.user("volunteer", **kw)

    def full_volunteer(self, office: OfficeInfo, **kw) -> UserInfo:
        """A volunteer with a complete profile in the office's first district, in one line."""
        defaults = dict(district_id=office.district_ids[0], languages=(("ar", "native"), ("de", "good")),
                        skills=("accompanying", "translating"), slots=((1, "morning"), (3, "afternoon")),
                        wants=("need_help", "language_course"), hours=8, phone="0231 123456",
                        status="active", consents=("contact", "share_with_partner"))
        return self.user("volunteer", **{**defaults, **kw})

    def coordinator(self, *offices, **kw) -> UserInfo:
        return self.user("coordinator", offices=offices, **kw)

    def admin(self, **kw) -> UserInfo:
        return self.user("admin", **kw)

    def organisation(self, name: str | None = None, districts=(), state: str = "approved",
                     kind: str = "association", contacts: int = 1) -> OrganisationInfo:
        """A partner organisation in the given district ids, with `contacts` contact accounts."""
        from app.core.timeutil import utcnow
        from app.offices.models import District
        from app.people.models import Organisation, OrganisationState, OrganisationType

        n = self._next()
        with self.app.app_context():
            org = Organisation(name=name or f"Verein {n}", kind=OrganisationType(kind),
                               state=OrganisationState(state), description="Wir helfen.",
                               approved_at=utcnow() if state == "approved" else None,
                               districts=[db.session.get(District, d) for d in districts])
            db.session.add(org)
            db.session.commit()
            org_id, org_name = org.id, org.name
        people = [self.user("partner", organisation_id=org_id) for _ in range(contacts)]
        return OrganisationInfo(org_id, org_name, people)


    def activity(self, office: OfficeInfo, title: str | None = None, kind: str = "language_course",
                 state: str = "published", dates=1, roles=(("Tutor", 2),), organisation_id=None,
                 languages=("de",), days_ahead: int = 7, hours: float = 1.5, **role_kw) -> "ActivityInfo":
        """A published activity of the office with `dates` weekly dates (an int: that many, a week
        apart from `days_ahead` days on at 17:00 Berlin time; or a list of naive UTC datetimes) and
        roles given as (name, capacity) pairs; `role_kw` (deadline_hours, auto_move_up,
        for_partners, max_per_organisation, required_language, required_level, …) applies to
        every role. Slots for every role × date."""
        from datetime import timedelta

        from app.activities.models import Activity, ActivityDate, ActivityState, ActivityType, Role, Slot
        from app.activities.series import local_to_utc
        from app.activities.structure import sync_slots
        from app.core.timeutil import to_local, utcnow

        n = self._next()
        with self.app.app_context():
            if isinstance(dates, int):
                first = to_local(utcnow()).date() + timedelta(days=days_ahead)
                starts = [local_to_utc(first + timedelta(weeks=i), time(17)) for i in range(dates)]
            else:
                starts = list(dates)
            act = Activity(title=title or f"Aktivität {n}", kind=ActivityType(kind), office_id=office.id,
                           district_id=office.district_ids[0] if office.district_ids else None,
                           description="Wir **üben** Deutsch.", state=ActivityState(state),
                           organisation_id=organisation_id,
                           published_at=utcnow() if state == "published" else None)
            db.session.add(act)
            db.session.flush()
            from app.activities.models import activity_languages

            for code in languages:
                db.session.execute(activity_languages.insert().values(activity_id=act.id, code=code))
            for i, (name, capacity) in enumerate(roles):
                db.session.add(Role(activity_id=act.id, name=name, capacity=capacity, position=i, **role_kw))
            for st in starts:
                db.session.add(ActivityDate(activity_id=act.id, starts_at=st,
                                            ends_at=st + timedelta(minutes=int(hours * 60))))
            db.session.flush()
            sync_slots(act.id)
            db.session.commit()
            role_ids = [r.id for r in act.roles]
            date_ids = [d.id for d in act.dates]
            slots = {(s.role_id, s.date_id): s.id for s in db.session.scalars(
                select(Slot).where(Slot.activity_id == act.id))}
            return ActivityInfo(act.id, act.title, office.id, role_ids, date_ids,
                                [[slots[(r, d)] for d in date_ids] for r in role_ids])

    def signups(self, slot_id: int, *users: UserInfo, state: str = "confirmed", **columns) -> list[int]:
        """Sign-ups of `users` on a slot as they stand in the database (no rule, no mail):
        `state="waiting"` queues them after whoever waits already; `columns` such as
        `attendance=` or `minutes=` go on every row. Their ids, in order."""
        from sqlalchemy import func

        from app.activities.models import Signup, SignupState

        with self.app.app_context():
            state_ = SignupState(state)
            top = 0
            if state_ == SignupState.WAITING:
                top = db.session.scalar(select(func.coalesce(func.max(Signup.queue_no), 0))
                                        .where(Signup.slot_id == slot_id))
            rows = [Signup(slot_id=slot_id, user_id=u.id, state=state_,
                           queue_no=top + n if state_ == SignupState.WAITING else None, **columns)
                    for n, u in enumerate(users, start=1)]
            db.session.add_all(rows)
            db.session.commit()
            return [r.id for r in rows]


@dataclass
class ActivityInfo:
    id: int
    title: str
    office_id: int
    role_ids: list[int]
    date_ids: list[int]
    slot_ids: list[list[int]]  # slot_ids[role_index][date_index]

    @property
    def slot(self) -> int:
        """The first role's first slot."""
        return self.slot_ids[0][0]


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
