"""The coordinators' volunteer directory: filters, sorting, pagination, URL state, scope and a
constant number of SQL statements."""
from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from app.extensions import db
from tests.conftest import count_statements

ROW = re.compile(r'<th scope="row"><a href="/people/volunteers/(\d+)">([^<]+)</a>')


def names(client, query: str = "") -> list[str]:
    r = client.get("/people/volunteers" + query)
    assert r.status_code == 200, r.get_data(as_text=True)[:2000]
    return [name for _id, name in ROW.findall(r.get_data(as_text=True))]


@pytest.fixture
def office(make):
    return make.office("Büro Nord", districts=("Eving", "Scharnhorst"))


@pytest.fixture
def coordinator(make, office, auth):
    c = make.coordinator(office)
    auth.login(c)
    return c


def test_search_by_name_or_email_case_insensitive(make, office, coordinator, client):
    make.full_volunteer(office, name="Amina Haddad", email="amina@example.org")
    make.full_volunteer(office, name="Bernd Müller", email="bm@post.example")
    assert names(client, "?q=HADDAD") == ["Amina Haddad"]
    assert names(client, "?q=post.EXAMPLE") == ["Bernd Müller"]
    assert names(client, "?q=%25") == []  # a LIKE wildcard is just a character
    assert sorted(names(client)) == ["Amina Haddad", "Bernd Müller"]


def test_language_with_minimum_level(make, office, coordinator, client):
    make.full_volunteer(office, name="A native", languages=(("ar", "native"),))
    make.full_volunteer(office, name="B good", languages=(("ar", "good"), ("fa", "native")))
    make.full_volunteer(office, name="C basic", languages=(("ar", "basic"),))
    assert names(client, "?language=ar&level=1") == ["A native", "B good", "C basic"]
    assert names(client, "?language=ar&level=2") == ["A native", "B good"]
    assert names(client, "?language=ar&level=3") == ["A native"]
    assert names(client, "?language=ar&level=4") == ["A native"]
    assert names(client, "?language=fa&level=4") == ["B good"]
    assert names(client, "?language=ti") == []
    # without a language the level alone filters nothing
    assert len(names(client, "?level=4")) == 3


def test_skill_district_slot_status_kind_and_contact(app, make, office, coordinator, client):
    eving, scharnhorst = office.district_ids
    make.full_volunteer(office, name="Anna", district_id=eving, skills=("cooking",), slots=((0, "morning"),),
                        status="active", wants=("theatre",), consents=("contact",))
    make.full_volunteer(office, name="Ben", district_id=scharnhorst, skills=("driving",),
                        slots=((6, "evening"), (2, "afternoon")), status="paused", wants=("event", "need_help"),
                        consents=())
    from app.people.models import ChoiceItem

    with app.app_context():
        cooking = db.session.scalar(select(ChoiceItem.id).where(ChoiceItem.key == "cooking"))
    assert names(client, f"?skill={cooking}") == ["Anna"]
    assert names(client, f"?district={scharnhorst}") == ["Ben"]
    assert names(client, "?slot=0") == ["Anna"]          # Monday morning: bit 0
    assert names(client, f"?slot={6 * 3 + 2}") == ["Ben"]  # Sunday evening: bit 20
    assert names(client, f"?slot={2 * 3 + 1}") == ["Ben"]  # Wednesday afternoon
    assert names(client, "?slot=1") == []
    assert names(client, "?status=paused") == ["Ben"]
    assert names(client, "?status=new") == []
    assert names(client, "?kind=theatre") == ["Anna"]
    assert names(client, "?kind=need_help") == ["Ben"]
    assert names(client, "?kind=round_table") == []
    assert names(client, "?contact=yes") == ["Anna"]
    assert names(client, "?contact=no") == ["Ben"]
    # filters combine
    assert names(client, f"?district={eving}&status=paused") == []


def test_withdrawn_contact_consent_counts_as_none(app, make, office, coordinator, client):
    v = make.full_volunteer(office, name="Withdrawn", consents=("contact",))
    from app.people.models import VolunteerConsent

    with app.app_context():
        db.session.execute(update(VolunteerConsent).where(VolunteerConsent.user_id == v.id).values(given=False))
        db.session.commit()
    assert names(client, "?contact=yes") == []
    assert names(client, "?contact=no") == ["Withdrawn"]


def test_office_filter_within_scope_and_forged_office(make, auth, client):
    north = make.office("Nord")
    south = make.office("Süd")
    other = make.office("Ost")
    c = make.coordinator(north, south)
    make.full_volunteer(north, name="In Nord")
    make.full_volunteer(south, name="In Süd")
    make.full_volunteer(other, name="In Ost")
    make.full_volunteer(other, name="Ost und Nord", work_offices=[other.id, north.id])
    auth.login(c)
    assert names(client) == ["In Nord", "In Süd", "Ost und Nord"]
    assert names(client, f"?office={north.id}") == ["In Nord", "Ost und Nord"]
    assert names(client, f"?office={south.id}") == ["In Süd"]
    r = client.get(f"/people/volunteers?office={other.id}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Bitte wählen Sie einen Wert aus der Liste." in html
    assert ROW.findall(html) == []
    assert "In Ost" not in html


def test_scope_admin_sees_all_coordinator_only_own_offices(make, auth, client):
    mine = make.office()
    other = make.office()
    make.full_volunteer(mine, name="Mine")
    make.full_volunteer(other, name="Theirs")
    make.volunteer(name="No profile")  # not in the directory: nothing to look after yet
    auth.login(make.coordinator(mine))
    assert names(client) == ["Mine"]
    auth.logout()
    auth.login(make.admin())
    assert names(client) == ["Mine", "Theirs"]


def test_deleted_accounts_are_not_listed(app, make, office, coordinator, client):
    v = make.full_volunteer(office, name="Gone")
    from app.accounts.models import User
    from app.core.timeutil import utcnow

    with app.app_context():
        db.session.execute(update(User).where(User.id == v.id).values(deleted_at=utcnow()))
        db.session.commit()
    assert names(client) == []
    assert client.get(f"/people/volunteers/{v.id}").status_code == 404


@pytest.mark.parametrize("role", ["volunteer", "partner"])
def test_volunteers_and_partner_contacts_never_see_the_directory(make, office, auth, client, role):
    v = make.full_volunteer(office, name="Private Person", phone="0231 999")
    if role == "partner":
        org = make.organisation(districts=office.district_ids)
        user = org.contacts[0]
    else:
        user = make.full_volunteer(office)
    auth.login(user)
    for path in ["/people/volunteers", f"/people/volunteers/{v.id}", "/people/volunteers/export.csv",
                 "/people/volunteers/export.xlsx", "/people/volunteers/print"]:
        r = client.get(path)
        assert r.status_code in (403, 404), path
        assert "0231 999" not in r.get_data(as_text=True)


def test_anonymous_is_sent_to_log_in(client):
    r = client.get("/people/volunteers")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_sorting(app, make, office, coordinator, client):
    eving, scharnhorst = office.district_ids
    a = make.full_volunteer(office, name="anna", district_id=scharnhorst, status="paused")
    b = make.full_volunteer(office, name="Bert", district_id=eving, status="left")
    c = make.full_volunteer(office, name="Carla", district_id=eving, status="new")
    from app.core.timeutil import utcnow
    from app.people.models import VolunteerProfile

    with app.app_context():
        now = utcnow()
        for uid, days in ((a.id, 3), (b.id, 1), (c.id, 2)):
            db.session.execute(update(VolunteerProfile).where(VolunteerProfile.user_id == uid)
                               .values(created_at=now - timedelta(days=days)))
        db.session.commit()
    assert names(client, "?sort=name") == ["anna", "Bert", "Carla"]  # case-insensitive
    assert names(client) == ["anna", "Bert", "Carla"]
    assert names(client, "?sort=district") == ["Bert", "Carla", "anna"]  # Eving before Scharnhorst
    assert names(client, "?sort=status") == ["Carla", "anna", "Bert"]  # new, paused, left
    assert names(client, "?sort=newest") == ["Bert", "Carla", "anna"]


def test_pagination_in_sql(make, office, coordinator, client):
    for i in range(53):
        make.full_volunteer(office, name=f"V{i:03d}")
    first = names(client)
    assert len(first) == 50 and first[0] == "V000"
    assert names(client, "?page=2") == ["V050", "V051", "V052"]
    assert names(client, "?page=99999") == ["V050", "V051", "V052"]  # beyond the end: the last page
    assert names(client, "?page=abc")[0] == "V000"
    html = client.get("/people/volunteers?status=active").get_data(as_text=True)
    assert "53" in html
    assert 'href="/people/volunteers?status=active&amp;page=2"' in html  # the filter survives paging


def test_count_is_capped_and_paging_goes_on(make, office, coordinator, client, monkeypatch):
    from app.people import directory

    monkeypatch.setattr(directory, "COUNT_CAP", 5)
    monkeypatch.setattr(directory, "PER_PAGE", 3)
    for i in range(8):
        make.full_volunteer(office, name=f"V{i:03d}")
    html = client.get("/people/volunteers").get_data(as_text=True)
    assert "Mehr als 5 Ehrenamtliche gefunden" in html
    assert [n for _i, n in ROW.findall(html)] == ["V000", "V001", "V002"]
    assert 'href="/people/volunteers?page=2" rel="next"' in html and "Seite 1<" in html
    html = client.get("/people/volunteers?page=3").get_data(as_text=True)
    assert [n for _i, n in ROW.findall(html)] == ["V006", "V007"]
    assert 'rel="next"' not in html and 'rel="prev"' in html
    # beyond the end: the last page, counted exactly
    html = client.get("/people/volunteers?page=40").get_data(as_text=True)
    assert [n for _i, n in ROW.findall(html)] == ["V006", "V007"]
    assert "8 Ehrenamtliche gefunden" in html and "Seite 3 von 3" in html
    # a filter below the cap: the exact number
    html = client.get("/people/volunteers?q=V001").get_data(as_text=True)
    assert "Mehr als" not in html and 'rel="next"' not in html
    assert [n for _i, n in ROW.findall(html)] == ["V001"]


def test_filter_state_lives_in_the_url(app, make, office, coordinator, client):
    make.full_volunteer(office, name="Anna")
    eving = office.district_ids[0]
    html = client.get(f"/people/volunteers?q=ann&language=ar&level=2&district={eving}&slot=3"
                      "&status=active&kind=need_help&contact=yes&sort=district").get_data(as_text=True)
    assert ROW.findall(html)
    assert 'value="ann"' in html
    assert '<option value="ar" selected>' in html
    for name, value in [("level", "2"), ("district", str(eving)), ("slot", "3"), ("status", "active"),
                        ("kind", "need_help"), ("contact", "yes"), ("sort", "district")]:
        assert re.search(rf'<select[^>]*name="{name}".*?<option selected value="{value}">', html, re.S), name
    assert "<details class=\"directory-more\" open>" in html
    # the export and print links carry the same filter
    assert f"/people/volunteers/export.csv?q=ann&amp;language=ar&amp;level=2&amp;district={eving}" in html
    assert "/people/volunteers/print?q=ann" in html


@pytest.mark.parametrize("query", [
    "?level=9&language=ar", "?slot=99", "?slot=-1", "?status=bogus", "?skill=abc", "?skill=999999",
    "?district=1e9", "?kind=nothing", "?contact=maybe", "?sort=password", "?language=xx-evil",
    "?q=" + "a" * 300, "?q=%00abc", "?office=99999999999999999999", "?page=-4", "?level=%E2%80%AE"])
def test_bad_values_in_the_url_are_messages_not_errors(make, office, coordinator, client, query):
    make.full_volunteer(office, name="Anna")
    r = client.get("/people/volunteers" + query)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    if query not in ("?page=-4",):
        assert 'class="error"' in html, query


def test_plain_list_has_no_messages_and_folded_filters(make, office, coordinator, client):
    make.full_volunteer(office, name="Anna")
    for query in ("", "?q=", "?q=&language=&level=1&skill=&district=&slot=&status=&kind=&office=&contact=&sort=name"):
        html = client.get("/people/volunteers" + query).get_data(as_text=True)
        assert 'class="error"' not in html, query
        assert '<details class="directory-more">' in html, query


def test_skill_id_from_another_list_is_refused(app, make, office, coordinator, client):
    make.full_volunteer(office, name="Anna")
    from app.people.models import ChoiceItem

    with app.app_context():
        need = db.session.scalar(select(ChoiceItem.id).where(ChoiceItem.list_name == ChoiceItem.NEED_CATEGORIES))
    html = client.get(f"/people/volunteers?skill={need}").get_data(as_text=True)
    assert "Bitte wählen Sie einen Wert aus der Liste." in html
    assert [n for _i, n in ROW.findall(html)] == ["Anna"]  # the bad filter is ignored, not applied


# ---------------------------------------------------------------- statements


@pytest.mark.parametrize("who", ["coordinator", "admin"])
@pytest.mark.parametrize("query", ["", "?language=ar&level=2&sort=district&contact=yes", "?sort=status&kind=need_help"])
def test_page_runs_a_constant_number_of_statements(app, make, auth, client, who, query):
    office = make.office()
    auth.login(make.coordinator(office) if who == "coordinator" else make.admin())

    def grow(n):
        for _ in range(n):
            make.full_volunteer(office)

    grow(3)
    client.get("/people/volunteers" + query)  # warm up (first-use caches)
    grow(1)  # a change: the kept table (app.people.cache) is built anew
    small = count_statements(app, client, "/people/volunteers" + query)
    grow(26)
    large = count_statements(app, client, "/people/volunteers" + query)
    assert large == small
    # the session with its user (and a coordinator's offices), the lists (with the people
    # cache's version), the page with its facts
    assert small <= 3, small
    # nothing changed since: the kept table, no page statement
    assert count_statements(app, client, "/people/volunteers" + query) == small - 1


def test_volunteer_page_runs_a_constant_number_of_statements(app, make, auth, client):
    """A volunteer's page for staff: the same statements with 1 note and status change as with
    many (no query per note, change, consent or audit entry)."""
    from app.accounts.models import User
    from app.people import care

    office = make.office()
    coordinator = make.coordinator(office)
    v = make.full_volunteer(office, status="new")
    auth.login(coordinator)

    def grow(n, start):
        with app.app_context():
            actor = db.session.get(User, coordinator.id)
            statuses = ["introduced", "active", "paused", "active"]
            for i in range(start, start + n):
                care.add_note(v.id, f"Note {i}", actor)
                care.change_status(v.id, statuses[i % 4], actor)

    grow(1, 0)
    client.get(f"/people/volunteers/{v.id}")  # warm up
    small = count_statements(app, client, f"/people/volunteers/{v.id}")
    grow(12, 1)
    large = count_statements(app, client, f"/people/volunteers/{v.id}")
    assert large == small
    assert small <= 9, small


# ---------------------------------------------------------------- the kept filter form
# directory_views keeps the rendered filter form by language, lists, viewer's offices and query:
# an entry must never be stale.
def _select_html(html: str, name: str) -> str:
    start = html.index(f'<select id="{name}"')
    return html[start:html.index("</select>", start)]


def test_kept_filter_form_shows_an_edited_skill_list_at_once(app, make, office, coordinator, client):
    from app.people.models import ChoiceItem

    make.full_volunteer(office, name="Anna")
    first = _select_html(client.get("/people/volunteers").get_data(as_text=True), "skill")
    with app.app_context():
        item = db.session.scalar(select(ChoiceItem).where(ChoiceItem.list_name == ChoiceItem.SKILLS)
                                 .order_by(ChoiceItem.position))
        old = item.label_de
        item.label_de = "Schach spielen"
        db.session.commit()
    assert old in first and "Schach spielen" not in first
    second = _select_html(client.get("/people/volunteers").get_data(as_text=True), "skill")
    assert "Schach spielen" in second and f">{old}<" not in second
    with app.app_context():
        db.session.execute(update(ChoiceItem).where(ChoiceItem.label_de == "Schach spielen").values(active=False))
        db.session.commit()
    assert "Schach spielen" not in client.get("/people/volunteers").get_data(as_text=True)


def test_kept_filter_form_follows_the_query_language_and_offices(app, make, office, coordinator, client, auth):
    html = client.get("/people/volunteers?status=active").get_data(as_text=True)
    assert '<option selected value="active">' in _select_html(html, "status")
    html = client.get("/people/volunteers?status=paused").get_data(as_text=True)
    status = _select_html(html, "status")
    assert '<option selected value="paused">' in status and '<option selected value="active">' not in status
    html = client.get("/people/volunteers?status=nonsense").get_data(as_text=True)
    assert "Bitte wählen Sie einen Wert aus der Liste." in html
    html = client.get("/people/volunteers?status=active").get_data(as_text=True)
    assert "Bitte wählen Sie einen Wert aus der Liste." not in html
    # another language: another entry
    client.set_cookie("lang", "en")
    assert "Name or e-mail" in client.get("/people/volunteers").get_data(as_text=True)
    client.delete_cookie("lang")
    assert "Name oder E-Mail" in client.get("/people/volunteers").get_data(as_text=True)
    # another coordinator's offices: another entry
    south = make.office("Büro Süd")
    other = make.coordinator(south)
    auth.logout()
    auth.login(other)
    offices = _select_html(client.get("/people/volunteers").get_data(as_text=True), "office")
    assert "Büro Süd" in offices and "Büro Nord" not in offices


def test_row_values_are_escaped_even_with_odd_characters(app, make, office, coordinator, client):
    from app.accounts.models import User

    v = make.full_volunteer(office, name="Ali <b>")
    with app.app_context():
        # the separator of the one-call escape inside a value (forms refuse it, PostgreSQL can't
        # store it; SQLite can): the row falls back to escaping value by value
        odd = "a\x00<i>@example.org" if db.engine.dialect.name == "sqlite" else "a<i>@example.org"
        db.session.execute(update(User).where(User.id == v.id).values(email=odd))
        db.session.commit()
    html = client.get("/people/volunteers").get_data(as_text=True)
    assert "Ali &lt;b&gt;" in html and "<b>" not in html.split("<tbody>")[1]
    assert odd.replace("<", "&lt;").replace(">", "&gt;") in html


def test_a_volunteers_page_shows_languages_best_first_offices_and_skills_in_the_page_language(app, client, make,
                                                                                              auth):
    office = make.office(name="Büro Nordstadt")
    v = make.full_volunteer(office, languages=(("de", "basic"), ("ar", "native"), ("fr", "good")),
                            skills=("translating", "accompanying"))
    auth.login(make.coordinator(office))
    html = client.get(f"/people/volunteers/{v.id}").get_data(as_text=True)
    assert "<dd>Arabisch (Muttersprache), Französisch (gut), Deutsch (Grundkenntnisse)</dd>" in html
    assert "<dd>Büro Nordstadt</dd>" in html
    assert "<dd>Begleitung zu Ämtern oder Ärzten, Übersetzen und Dolmetschen</dd>" in html  # the list's order
    auth.logout()
    auth.login(make.coordinator(office, locale="en"))
    html = client.get(f"/people/volunteers/{v.id}").get_data(as_text=True)
    assert "<dd>Accompanying to authorities or doctors, Translating and interpreting</dd>" in html
    assert "<dd>Arabic (native language), French (good), German (basic)</dd>" in html


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="prepared statements are PostgreSQL's")
def test_the_page_is_read_on_libpq_and_planned_for_its_values_every_time(app, make, office, coordinator, client,
                                                                         monkeypatch):
    """The page's statement runs on the own connection straight through libpq (app.core.ownread),
    never as a prepared statement: PostgreSQL's generic plan for `LIKE $1` can't use the trigram
    index, so from the sixth run on a prepared search would read every account."""
    from app.core import ownread, ownread_pg

    make.full_volunteer(office, name="Amina Haddad")
    ways = []
    real = ownread_pg.fetch

    def spy(conn, sql, args, one, prepare=True):
        answer = real(conn, sql, args, one, prepare)
        if ") AS page" in sql:  # the page's statement (`directory._page_stmt`)
            ways.append((prepare, answer is ownread_pg.NOT_HERE))
        return answer

    monkeypatch.setattr(ownread_pg, "fetch", spy)
    app.config["PEOPLE_CACHE_SECONDS"] = app.config["VIEWER_PAGE_SECONDS"] = 0  # the page read every time
    for _ in range(7):
        assert names(client, "?q=hadd") == ["Amina Haddad"]
    assert ways and all(way == (False, False) for way in ways), ways
    prepared = ownread._own.conn.dbapi_connection.execute("SELECT statement FROM pg_prepared_statements").fetchall()
    assert not any(") AS page" in s for (s,) in prepared)


def test_rows_are_reused_by_their_content_and_an_edited_row_is_made_anew(app, make, office, coordinator, client):
    from app.people import directory_views
    from app.people.models import VolunteerProfile

    anna = make.full_volunteer(office, name="Anna", phone="0231 111")
    make.full_volunteer(office, name="Bert", status="new")
    directory_views._ROWS.clear()
    assert names(client) == ["Anna", "Bert"]
    assert len(directory_views._ROWS) == 2
    assert names(client, "?status=active") == ["Anna"]  # another page, the same row: no new entry
    assert len(directory_views._ROWS) == 2
    with app.app_context():
        db.session.get(VolunteerProfile, anna.id).phone = "0231 222"
        db.session.commit()
    html = client.get("/people/volunteers?status=active").get_data(as_text=True)
    assert "0231 222" in html and "0231 111" not in html
    assert len(directory_views._ROWS) == 3


def test_a_volunteers_page_names_its_log_entries_and_links_to_deletion_on_request(app, make, office, coordinator,
                                                                                 client):
    from app.accounts.models import User
    from app.people import care
    from app.people.models import VolunteerStatus

    v = make.full_volunteer(office, status="new")
    with app.app_context():
        care.change_status(v.id, VolunteerStatus.INTRODUCED, db.session.get(User, coordinator.id))
    page = client.get(f"/people/volunteers/{v.id}").get_data(as_text=True)
    assert "volunteer.status_changed" not in page
    assert "Status einer ehrenamtlichen Person geändert: neu → kennengelernt" in page
    assert f'href="/my-data/delete-on-request/{v.id}"' in page


def test_a_pending_organisations_contact_is_told_why_there_are_no_activities_yet(make, auth, client, office):
    org = make.organisation(districts=office.district_ids, state="pending")
    auth.login(org.contacts[0])
    r = client.get("/manage/activities")
    assert r.status_code == 403
    assert "wartet darauf, dass ein Büro des Netzwerks sie bestätigt" in r.get_data(as_text=True)


def test_the_way_back_from_a_volunteer_keeps_the_lists_filters(make, office, coordinator, client):
    v = make.full_volunteer(office)
    page = client.get(f"/people/volunteers/{v.id}",
                      headers={"Referer": "http://localhost/people/volunteers?status=active&language=de"})
    assert 'href="/people/volunteers?status=active&amp;language=de"' in page.get_data(as_text=True)
    page = client.get(f"/people/volunteers/{v.id}", headers={"Referer": "http://evil.example/people/volunteers?x=1"})
    assert 'href="/people/volunteers">' in page.get_data(as_text=True)
