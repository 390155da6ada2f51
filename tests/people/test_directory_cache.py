"""The directory's kept table (app.people.cache): a repeated view runs no page statement, and
every change to something the table shows or filters on shows at once — whoever made it, in
whichever process; a kept table never reaches a viewer of another scope."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text, update

from app.extensions import db
from tests.conftest import Auth, count_statements, csrf_from

ROW = re.compile(r'<th scope="row"><a href="/people/volunteers/(\d+)">([^<]+)</a>')


def html(client, query: str = "") -> str:
    r = client.get("/people/volunteers" + query)
    assert r.status_code == 200
    return r.get_data(as_text=True)


def names(client, query: str = "") -> list[str]:
    return [name for _id, name in ROW.findall(html(client, query))]


def row_of(client, user_id: int, query: str = "") -> str:
    page = html(client, query)
    start = page.index(f'<a href="/people/volunteers/{user_id}">')
    return page[start:page.index("</tr>", start)]


def kept(app, client, query: str = "") -> str:
    """View twice; the second view must come from the kept table: the session with its user
    and the lists (with the version), no page statement."""
    first = html(client, query)
    assert count_statements(app, client, "/people/volunteers" + query) <= 2
    assert html(client, query) == first
    return first


def logged_in(app, user):
    """A client of its own, logged in as user (as another person's browser)."""
    client = app.test_client()
    Auth(client).login(user)
    return client


@pytest.fixture
def office(make):
    return make.office("Büro Nord", districts=("Eving", "Scharnhorst"))


@pytest.fixture
def coordinator(make, office, auth):
    c = make.coordinator(office)
    auth.login(c)
    return c


def _version(app) -> int:
    from app.people.cache import people_cache_version

    with app.app_context():
        return db.session.scalar(select(people_cache_version.c.version)) or 0


def test_a_repeated_view_is_kept_and_byte_identical(app, make, office, coordinator, client):
    make.full_volunteer(office, name="Amina Haddad")
    query = "?sort=name&status=active"
    first = html(client, query)  # built and kept
    again = count_statements(app, client, "/people/volunteers" + query)
    make.full_volunteer(office, name="Zora Neu", status="paused")  # a change: built anew
    built = count_statements(app, client, "/people/volunteers" + query)
    assert again == built - 1  # kept: no page statement
    assert html(client, query) == first  # Zora is paused: the same table, built anew


def _actor(app, user_id):
    from app.accounts.models import User

    return db.session.get(User, user_id)


def _skill_id(key: str) -> int:
    from app.people.models import ChoiceItem

    return db.session.scalar(select(ChoiceItem.id).where(ChoiceItem.key == key))


# Each change through the services a person or coordinator uses, and what it must change on
# the page: (query, the change, the text that must then be in the volunteer's row or page).
def _rename(app, v, c, office):
    from app.accounts.services import change_name

    change_name(_actor(app, v.id), "Renamed Person")


def _email(app, v, c, office):
    _actor(app, v.id).email = "new-address@example.org"
    db.session.commit()


def _phone(app, v, c, office):
    from app.people import profiles

    profiles.set_phone(v.id, "0231 999999", _actor(app, c.id))


def _district(app, v, c, office):
    from app.people import profiles

    profiles.set_district(v.id, office.district_ids[1], _actor(app, c.id))


def _languages(app, v, c, office):
    from app.people import profiles

    profiles.set_languages(v.id, [("ti", 4)], _actor(app, c.id))


def _skills(app, v, c, office):
    from app.people import profiles

    profiles.set_skills(v.id, [_skill_id("cooking")], [], _actor(app, c.id))


def _status(app, v, c, office):
    from app.people import care

    care.change_status(v.id, "paused", _actor(app, c.id))


def _consent(app, v, c, office):
    from app.people.consent import record_consent
    from app.people.models import ConsentPurpose

    record_consent(v.id, ConsentPurpose.CONTACT, False)


CHANGES = {
    "name": ("", _rename, "Renamed Person"),
    "email": ("", _email, "new-address@example.org"),
    "phone": ("", _phone, "0231 999999"),
    "district": ("", _district, "Scharnhorst"),
    "languages": ("", _languages, "Tigrinya"),
    "skills": ("", _skills, "Kochen"),
    "status": ("", _status, "status-paused"),
    "consent": ("", _consent, 'data-label="Darf kontaktiert werden">nein'),
}


@pytest.mark.parametrize("what", list(CHANGES))
def test_each_shown_fact_changed_shows_at_once(app, make, office, coordinator, client, what):
    query, change, expected = CHANGES[what]
    v = make.full_volunteer(office, name="Amina Haddad", email="amina@example.org")
    make.full_volunteer(office, name="Bernd Müller")
    before = row_of(client, v.id, query)
    kept(app, client, query)
    with app.app_context():
        change(app, v, coordinator, office)
    after = row_of(client, v.id, query)
    assert after != before
    assert expected in after or expected in html(client, query), after


def _tigrinya_native(app, v, c, office):
    _languages(app, v, c, office)


def _times(app, v, c, office):
    from app.people import profiles

    profiles.set_times(v.id, 1 << 20, 4, _actor(app, c.id))  # Sunday evening only


def _kinds(app, v, c, office):
    from app.people import profiles
    from app.people.models import ActivityKind

    profiles.set_skills(v.id, [_skill_id("cooking")], [ActivityKind.THEATRE.value], _actor(app, c.id))


def _offices(app, v, c, office):
    from app.offices.models import Office
    from app.people import profiles

    other = db.session.scalar(select(Office.id).where(Office.name == "Büro Süd"))  # made before the view
    profiles.set_offices(v.id, [other], _actor(app, c.id))


def _delete_account(app, v, c, office):
    from app.mydata.services import delete_account

    delete_account(_actor(app, v.id), _actor(app, v.id))


def _deleted_by_sql(app, v, c, office):
    from app.accounts.models import User
    from app.core.timeutil import utcnow

    db.session.execute(update(User).where(User.id == v.id).values(deleted_at=utcnow()))
    db.session.commit()


def _role(app, v, c, office):
    _actor(app, v.id).role = "partner"
    db.session.commit()


def _bulk_status(app, v, c, office):
    from app.people.models import VolunteerProfile, VolunteerStatus

    db.session.execute(update(VolunteerProfile).where(VolunteerProfile.user_id == v.id)
                       .values(status=VolunteerStatus.LEFT))
    db.session.commit()


def _bulk_language(app, v, c, office):
    from sqlalchemy import insert

    from app.people.models import VolunteerLanguage

    db.session.execute(insert(VolunteerLanguage).values(user_id=v.id, code="ti", level=4))
    db.session.commit()


# Filters: (query, the change, is the volunteer listed before, after)
FILTERS = {
    "language": ("?language=ti&level=3", _tigrinya_native, False, True),
    "skill": ("?skill={cooking}", _skills, False, True),
    "slot": ("?slot=20", _times, False, True),
    "kind": ("?kind=theatre", _kinds, False, True),
    "status": ("?status=paused", _status, False, True),
    "district": ("?district={scharnhorst}", _district, False, True),
    "contact": ("?contact=yes", _consent, True, False),
    "search": ("?q=renamed", _rename, False, True),
    "offices": ("", _offices, True, False),
    "deleted": ("", _delete_account, True, False),
    "deleted (SQL)": ("", _deleted_by_sql, True, False),
    "role": ("", _role, True, False),
    "status (bulk SQL)": ("?status=left", _bulk_status, False, True),
    "language (SQL insert)": ("?language=ti", _bulk_language, False, True),
}


@pytest.mark.parametrize("what", list(FILTERS))
def test_each_filtered_fact_changed_shows_at_once(app, make, office, coordinator, client, what):
    query, change, listed_before, listed_after = FILTERS[what]
    v = make.full_volunteer(office, name="Amina Haddad", languages=(("ar", "native"),),
                            skills=("translating",), slots=((0, "morning"),), wants=("need_help",),
                            status="active", consents=("contact",))
    with app.app_context():
        query = query.format(cooking=_skill_id("cooking"), scharnhorst=office.district_ids[1])
    make.full_volunteer(office, name="Bernd Müller", status="introduced")
    make.office("Büro Süd")  # another office to move to ("offices")
    kept(app, client, query)
    assert (str(v.id) in dict(ROW.findall(html(client, query)))) is listed_before
    with app.app_context():
        change(app, v, coordinator, office)
    assert (str(v.id) in dict(ROW.findall(html(client, query)))) is listed_after


def test_a_new_volunteer_shows_at_once(app, make, office, coordinator, client):
    make.full_volunteer(office, name="Amina Haddad")
    assert "1 Person gefunden" in kept(app, client)
    make.full_volunteer(office, name="Bernd Müller")
    assert names(client) == ["Amina Haddad", "Bernd Müller"]
    assert "2 Ehrenamtliche gefunden" in html(client)


def test_names_of_districts_and_skills_show_at_once(app, make, office, coordinator, client):
    from app.offices.models import District
    from app.people import profiles
    from app.people.models import ChoiceItem

    v = make.full_volunteer(office, name="Amina Haddad", skills=("translating",))
    kept(app, client)
    with app.app_context():
        db.session.get(District, office.district_ids[0]).name = "Eving-Nord"
        db.session.commit()
        item = db.session.get(ChoiceItem, _skill_id("translating"))
        profiles.rename_item(ChoiceItem.SKILLS, item.id, "Dolmetschen", "Interpreting", _actor(app, coordinator.id))
    row = row_of(client, v.id)
    assert "Eving-Nord" in row and "Dolmetschen" in row


def test_a_change_in_another_process_shows_at_once(app, make, office, coordinator, client):
    """Another app process changed a name and bumped the version in the database: this
    process reads the version with every request and builds the table anew."""
    v = make.full_volunteer(office, name="Amina Haddad")
    kept(app, client)
    with app.app_context(), db.engine.begin() as conn:  # not through this process's session
        conn.execute(text("UPDATE users SET name = 'Elsewhere Renamed' WHERE id = :id"), {"id": v.id})
    assert names(client) == ["Amina Haddad"]  # no bump yet: still the kept table
    with app.app_context():
        from app.people import cache

        cache.bump()  # what the other process does right after its commit
    assert names(client) == ["Elsewhere Renamed"]


def test_unrelated_changes_keep_the_table(app, make, office, coordinator, client):
    from app.accounts.models import User
    from app.core.timeutil import utcnow

    v = make.full_volunteer(office, name="Amina Haddad")
    kept(app, client)
    version = _version(app)
    with app.app_context():
        db.session.get(User, v.id).last_login_at = utcnow()  # not shown in the directory
        db.session.commit()
        db.session.get(User, v.id).name = "Rolled Back"
        db.session.flush()
        db.session.rollback()
    assert _version(app) == version
    assert names(client) == ["Amina Haddad"]


def test_a_kept_table_never_reaches_another_scope(app, make):
    north, south = make.office("Nord"), make.office("Süd")
    make.full_volunteer(north, name="In Nord")
    make.full_volunteer(south, name="In Süd")
    clients = {who: logged_in(app, user) for who, user in [
        ("north", make.coordinator(north)), ("south", make.coordinator(south)),
        ("both", make.coordinator(north, south)), ("admin", make.admin())]}
    expected = {"north": ["In Nord"], "south": ["In Süd"], "both": ["In Nord", "In Süd"],
                "admin": ["In Nord", "In Süd"]}
    for query in ("", "?sort=name", "?status=active&page=1", f"?office={north.id}"):
        for who in ("north", "north", "south", "both", "admin", "north", "south"):
            listed = names(clients[who], query)
            if query.startswith("?office="):  # south's coordinator may not ask for north
                assert listed == ([] if who == "south" else ["In Nord"]), (who, query)
            else:
                assert listed == expected[who], (who, query)


def test_a_coordinators_changed_offices_change_the_scope(app, make, auth, client):
    from app.accounts import services
    from app.accounts.models import User

    north, south = make.office("Nord"), make.office("Süd")
    make.full_volunteer(north, name="In Nord")
    make.full_volunteer(south, name="In Süd")
    c, admin = make.coordinator(north), make.admin()
    auth.login(c)
    assert names(client) == ["In Nord"]
    with app.app_context():
        services.set_offices(db.session.get(User, c.id), [south.id], actor=db.session.get(User, admin.id))
    assert names(client) == ["In Süd"]


def test_the_kept_table_follows_the_language(app, make, office, coordinator, client):
    make.full_volunteer(office, name="Amina Haddad")
    assert "1 Person gefunden" in kept(app, client)
    client.set_cookie("lang", "en")
    page = html(client)
    assert "1 volunteer found" in page and "gefunden" not in page
    client.set_cookie("lang", "de")
    assert "gefunden" in html(client)


def test_the_kept_table_holds_nothing_of_the_viewer(app, make, office):
    make.full_volunteer(office, name="Amina Haddad")
    a = logged_in(app, make.coordinator(office, name="Erste Koordinatorin", email="erste@example.org"))
    b = logged_in(app, make.coordinator(office, name="Zweiter Koordinator", email="zweiter@example.org"))
    first, second = html(a), html(b)  # b's table is a's, kept, around b's own page
    token_a, token_b = csrf_from(first), csrf_from(second)
    assert token_a != token_b
    assert token_b in second and token_a not in second
    entries = app.extensions.get("people_cache") or {}
    assert entries
    for _expires, table in entries.values():
        for viewer_bit in (token_a, token_b, "Koordinat", "erste@", "zweiter@", "csrf"):
            assert viewer_bit not in str(table)
