"""The audit page: admins see all, coordinators their offices' entries; filters in the URL,
pagination in SQL, a constant number of statements, and no way to change an entry."""
from __future__ import annotations

import html as html_lib
from datetime import datetime

import pytest

from app.core import audit
from app.extensions import db
from tests.conftest import count_statements


def add(app, actor, action, *, office_id=None, record_type="offices", record_id=None, at=None, **detail):
    from app.accounts.models import User

    with app.app_context():
        user = db.session.get(User, actor.id) if actor is not None else None
        entry = audit.record(user, action, record_type=record_type, record_id=record_id,
                             office_id=office_id, **detail)
        if at is not None:
            entry.at = at
        db.session.commit()
        return entry.id


def text_of(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def rows_of(response) -> list[str]:
    body = text_of(response).split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [r for r in body.split("<tr>")[1:] if "colspan" not in r]


@pytest.fixture
def two_offices(app, make):
    a, b = make.office("Büro Nord"), make.office("Büro Süd")
    admin = make.admin(name="Ada Admin")
    ca, cb = make.coordinator(a, name="Carla Nord"), make.coordinator(b, name="Bodo Süd")
    add(app, ca, "satellite.created", office_id=a.id, record_type="satellite_locations", record_id=1,
        name="Treff Nord", fields=["name"])
    add(app, cb, "satellite.updated", office_id=b.id, record_type="satellite_locations", record_id=2,
        name="Treff Süd", fields=["note"])
    add(app, admin, "address.bounced", record_type="suppressed_addresses", address_hash="abcdef123456")
    add(app, admin, "office.updated", office_id=a.id, record_id=a.id, fields=["phone", "opening_hours"],
        districts_added=[b.district_ids[0]])
    return a, b, admin, ca, cb


def test_coordinator_sees_only_their_offices_entries(client, auth, two_offices):
    a, b, admin, ca, cb = two_offices
    auth.login(ca)
    r = client.get("/audit")
    page, rows = text_of(r), rows_of(r)
    assert "Treff Nord" in page and "Treff Süd" not in page
    assert len(rows) == 2  # the bounce has no office: admins only
    assert not any("Adresse als unzustellbar markiert" in row for row in rows)
    assert "Bodo Süd" not in page  # not even in the person filter
    assert "Ada Admin" in page  # the admin changed this office
    # asking for the other office's record does not show it either
    assert rows_of(client.get("/audit?record_type=satellite_locations&record_id=2")) == []


def test_admin_sees_everything_readably(client, auth, two_offices):
    a, b, admin, ca, cb = two_offices
    auth.login(admin)
    r = client.get("/audit")
    page = text_of(r)
    assert len(rows_of(r)) == 4
    assert "Treff Nord" in page and "Treff Süd" in page and "Adresse als unzustellbar markiert" in page
    # detail as "field: value", field names and district names in words, no JSON
    assert "Geändert: Telefon, Öffnungszeiten" in page
    assert f"Stadtbezirke hinzugefügt: Bezirk " in page
    assert '{"' not in page and "['" not in page
    # links where a page exists: the office, the satellite's office
    assert f'href="/offices/{a.id}"' in page
    # newest first
    assert page.index("Büro geändert") < page.index("Dependance angelegt")


def test_only_staff_see_the_log(client, make, auth):
    office = make.office()
    assert client.get("/audit").status_code == 302
    auth.login(make.volunteer())
    assert client.get("/audit").status_code == 403
    auth.logout()
    org = make.organisation(districts=office.district_ids)
    auth.login(org.contacts[0])
    assert client.get("/audit").status_code == 403


def test_no_route_changes_an_entry(app, client, auth, make, two_offices):
    a, b, admin, ca, cb = two_offices
    auth.login(admin)
    assert client.post("/audit").status_code == 405
    assert client.delete("/audit").status_code == 405
    assert client.put("/audit").status_code == 405
    for path in ("/audit/1", "/audit/1/edit", "/audit/1/delete"):
        assert client.get(path).status_code == 404
        assert client.post(path).status_code in (404, 405)
        assert client.delete(path).status_code in (404, 405)
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/audit")]
    assert [(r.rule, sorted(r.methods - {"HEAD", "OPTIONS"})) for r in rules] == [("/audit", ["GET"])]
    assert not any(name in dir(audit) for name in ("delete", "update", "edit", "remove"))


def test_filters_by_person_action_record_and_office_in_the_url(client, auth, two_offices):
    a, b, admin, ca, cb = two_offices
    auth.login(admin)
    r = client.get(f"/audit?actor={ca.id}")
    assert len(rows_of(r)) == 1 and "Treff Nord" in rows_of(r)[0]
    assert f'<option selected value="{ca.id}">Carla Nord</option>' in r.get_data(as_text=True)
    r = client.get("/audit?action=address.bounced")
    assert len(rows_of(r)) == 1 and "Adresse als unzustellbar markiert" in rows_of(r)[0]
    r = client.get(f"/audit?record_type=offices&record_id={a.id}")
    assert len(rows_of(r)) == 1 and "Büro geändert" in rows_of(r)[0]
    r = client.get("/audit?record_type=satellite_locations")
    assert len(rows_of(r)) == 2
    # a bookmarked URL naming one filter: no message under the others
    for query in (f"actor={ca.id}", f"record_id={a.id}", "action=address.bounced"):
        assert "Keine gültige Auswahl" not in client.get(f"/audit?{query}").get_data(as_text=True)
    # the state survives paging: the page links keep the filter
    assert "Alle Einträge zeigen" in text_of(r)


def test_system_entries_can_be_chosen(app, client, auth, make):
    admin = make.admin()
    add(app, None, "account.admin_created", record_type="users", record_id=admin.id, created=True)
    add(app, admin, "address.bounced", record_type="suppressed_addresses", address_hash="x")
    auth.login(admin)
    r = client.get("/audit?actor=system")
    assert len(rows_of(r)) == 1 and "System" in rows_of(r)[0]
    assert "Neues Konto: ja" in rows_of(r)[0]
    assert f'href="/admin/accounts/{admin.id}"' in rows_of(r)[0]  # the account, for admins


def test_date_range_is_in_berlin_time(app, client, auth, make):
    admin = make.admin()
    # 23:30 UTC on 1 March is 00:30 on 2 March in Berlin
    add(app, admin, "office.updated", record_id=1, at=datetime(2026, 3, 1, 23, 30), fields=["phone"])
    add(app, admin, "office.updated", record_id=2, at=datetime(2026, 3, 1, 12, 0), fields=["phone"])
    auth.login(admin)
    assert len(rows_of(client.get("/audit?date_from=2026-03-02"))) == 1
    assert len(rows_of(client.get("/audit?date_to=2026-03-01"))) == 1
    assert len(rows_of(client.get("/audit?date_from=2026-03-01&date_to=2026-03-02"))) == 2
    assert len(rows_of(client.get("/audit?date_from=02.03.2026&date_to=02.03.2026"))) == 1
    assert len(rows_of(client.get("/audit?date_from=2026-03-03"))) == 0
    # shown in local time
    assert "02.03.26, 00:30" in text_of(client.get("/audit?date_from=2026-03-02"))


@pytest.mark.parametrize("query", [
    "action=nope%20nope", "action=" + "a" * 500, "record_type=DROP TABLE", "record_id=-1",
    "record_id=99999999999999999999", "record_id=abc", "date_from=2026-02-30", "date_from=9999-01-01",
    "date_from=2026-03-05&date_to=2026-03-01", "actor=12345", "actor=abc", "page=99999999999999999999",
    "page=-3", "date_to=0001-01-01", "actor=%00",
])
def test_bad_filters_are_form_errors_not_500(client, auth, two_offices, query):
    a, b, admin, ca, cb = two_offices
    auth.login(admin)
    r = client.get(f"/audit?{query}")
    assert r.status_code == 200, query
    if not query.startswith("page"):
        assert 'class="error"' in r.get_data(as_text=True), query
        assert len(rows_of(r)) == 4  # a refused filter is not applied


def test_unknown_action_key_is_shown_and_filterable(app, client, auth, make):
    admin = make.admin()
    add(app, admin, "widget.polished", record_type="widgets", record_id=7, colour="blau")
    auth.login(admin)
    r = client.get("/audit?action=widget.polished")
    assert len(rows_of(r)) == 1
    row = rows_of(r)[0]
    assert "widget.polished" in row and "widgets #7" in row and "colour: blau" in row


def test_pagination_newest_first(app, client, auth, make):
    admin = make.admin()
    for i in range(60):
        add(app, admin, "office.updated", record_id=i + 1, at=datetime(2026, 1, 1, 8, i), fields=["phone"])
    auth.login(admin)
    first = client.get("/audit")
    assert len(rows_of(first)) == 50 and "60 Einträge" in text_of(first)
    assert "01.01.26, 09:59" in rows_of(first)[0]  # 08:59 UTC, winter time
    second = client.get("/audit?page=2")
    assert len(rows_of(second)) == 10 and "01.01.26, 09:00" in rows_of(second)[-1]
    assert 'rel="next"' in first.get_data(as_text=True)


def test_statement_count_does_not_grow(app, client, auth, make):
    office = make.office()
    admin, coordinator = make.admin(), make.coordinator(office)
    others = [make.coordinator(office) for _ in range(3)]

    def grow(n):
        for i in range(n):
            actor = others[i % 3]
            add(app, actor, "office.updated", office_id=office.id, record_id=office.id, fields=["phone"],
                districts_added=office.district_ids)
            add(app, actor, "account.role_changed", office_id=office.id, record_type="users",
                record_id=coordinator.id, old_role="volunteer", new_role="coordinator", office_ids=[office.id])
            add(app, actor, "satellite.deleted", office_id=office.id, record_type="satellite_locations",
                record_id=i, name="Treff")

    for who in (admin, coordinator):
        auth.login(who)
        grow(2)
        small = count_statements(app, client, "/audit")
        grow(20)
        large = count_statements(app, client, "/audit")
        assert small == large, (who.role, small, large)
        assert small <= 10, small
        auth.logout()


def test_nav_link_for_staff_only(client, auth, make):
    office = make.office()
    auth.login(make.coordinator(office))
    assert 'href="/audit">Protokoll</a>' in client.get("/home").get_data(as_text=True)
    auth.logout()
    auth.login(make.volunteer())
    assert 'href="/audit"' not in client.get("/home").get_data(as_text=True)
