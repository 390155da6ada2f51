from sqlalchemy import func, select

from app.extensions import db
from app.offices.models import District, Office, SatelliteLocation
from app.offices.reference import DISTRICTS, OFFICES, load_reference_data
from tests.conftest import submit

SAT = {"name": "Café Nord", "street": "Nordmarkt 1", "postcode": "44145", "weekday": "1",
       "opens_at": "14:00", "closes_at": "16:00", "note": "Begegnungscafé", "active": "y"}


def test_reference_data_is_dortmund_and_idempotent(app):
    with app.app_context():
        first = load_reference_data()
        second = load_reference_data()
        assert first["districts"] == 12 and first["offices"] == 7 and first["satellites"] > 0
        assert second == {"districts": 0, "offices": 0, "satellites": 0}
        assert sorted(db.session.scalars(select(District.name))) == sorted(DISTRICTS)
        # every district is covered by exactly one office
        assert db.session.scalar(select(func.count()).where(District.office_id.is_(None))) == 0
        brackel = db.session.scalar(select(Office).filter_by(slug="brackel-aplerbeck"))
        assert brackel.operator == "Caritas" and brackel.founded_year == 2016
        assert [d.name for d in brackel.districts] == ["Aplerbeck", "Brackel"]
        assert len(OFFICES) == 7


def test_coordinator_sees_only_their_offices(client, make, auth):
    mine, other = make.office("Mein Büro"), make.office("Anderes Büro")
    auth.login(make.coordinator(mine))
    page = client.get("/offices/").get_data(as_text=True)
    assert "Mein Büro" in page and "Anderes Büro" not in page
    assert client.get(f"/offices/{mine.id}").status_code == 200
    assert client.get(f"/offices/{other.id}").status_code == 404


def test_admin_sees_all_offices(client, make, auth):
    make.office("Büro A"), make.office("Büro B")
    auth.login(make.admin())
    page = client.get("/offices/").get_data(as_text=True)
    assert "Büro A" in page and "Büro B" in page


def test_volunteer_and_anonymous_have_no_office_pages(client, make, auth):
    office = make.office()
    assert client.get("/offices/").status_code == 302  # to the log-in
    auth.login(make.volunteer())
    assert client.get("/offices/").status_code == 403
    assert client.get(f"/offices/{office.id}").status_code == 403


def test_coordinator_manages_satellites_only_in_own_office(app, client, make, auth):
    mine, other = make.office(), make.office()
    auth.login(make.coordinator(mine))
    r = submit(client, f"/offices/{mine.id}/satellites/new", SAT)
    assert r.status_code == 302
    with app.app_context():
        other_sat = db.session.scalar(select(SatelliteLocation.id).where(SatelliteLocation.office_id == other.id))
        mine_sat = db.session.scalar(select(SatelliteLocation.id).where(SatelliteLocation.office_id == mine.id))
    assert client.get(f"/offices/{other.id}/satellites/new").status_code == 404
    assert client.get(f"/offices/{other.id}/satellites/{other_sat}").status_code == 404
    # the other office's satellite through my office's URL: still 404
    assert client.get(f"/offices/{mine.id}/satellites/{other_sat}").status_code == 404
    token_page = client.get(f"/offices/{mine.id}").get_data(as_text=True)
    from tests.conftest import csrf_from
    r = client.post(f"/offices/{other.id}/satellites/{other_sat}/delete", data={"csrf_token": csrf_from(token_page)})
    assert r.status_code == 404
    with app.app_context():
        assert db.session.get(SatelliteLocation, other_sat) is not None
        assert db.session.scalar(select(func.count()).where(SatelliteLocation.office_id == mine.id)) == 2
    r = client.post(f"/offices/{mine.id}/satellites/{mine_sat}/delete", data={"csrf_token": csrf_from(token_page)})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(SatelliteLocation, mine_sat) is None


def test_satellite_form_errors_store_nothing(app, client, make, auth):
    office = make.office(satellites=0)
    auth.login(make.coordinator(office))
    r = submit(client, f"/offices/{office.id}/satellites/new", {**SAT, "postcode": "12", "closes_at": "13:00"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="postcode-error"' in html and 'id="closes_at-error"' in html
    r = submit(client, f"/offices/{office.id}/satellites/new", {**SAT, "opens_at": "kaputt"})
    assert r.status_code == 200 and 'id="opens_at-error"' in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SatelliteLocation)) == 0


def test_coordinator_cannot_edit_office_master_data(client, make, auth):
    office = make.office()
    auth.login(make.coordinator(office))
    assert client.get(f"/offices/{office.id}/edit").status_code == 403
    assert client.get("/offices/new").status_code == 403


def test_admin_creates_and_edits_office_and_moves_districts(app, client, make, auth):
    a = make.office("Alt", districts=("Nordbezirk", "Südbezirk"))
    auth.login(make.admin())
    data = {"name": "Neues Büro", "slug": "neues-buero", "operator": "AWO", "street": "Weg 1",
            "postcode": "44137", "phone": "0231", "email": "neu@example.org", "opening_hours": "Mo 9–12",
            "founded_year": "2024", "districts": [str(a.district_ids[1])]}
    r = submit(client, "/offices/new", data)
    assert r.status_code == 302
    with app.app_context():
        new = db.session.scalar(select(Office).filter_by(slug="neues-buero"))
        assert [d.name for d in new.districts] == ["Südbezirk"]
        assert [d.name for d in db.session.get(Office, a.id).districts] == ["Nordbezirk"]
    # duplicate name is a field error
    r = submit(client, "/offices/new", {**data, "slug": "anders"})
    assert r.status_code == 200 and 'id="name-error"' in r.get_data(as_text=True)
    r = submit(client, f"/offices/{a.id}/edit", {**data, "name": "Alt umbenannt", "slug": a.slug, "districts": []})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(Office, a.id).name == "Alt umbenannt"


def test_admin_assigns_coordinator_offices(app, client, make, auth):
    a, b = make.office(), make.office()
    coord = make.coordinator(a)
    auth.login(make.admin())
    r = submit(client, f"/admin/accounts/{coord.id}", {"offices": [str(b.id)]})
    assert r.status_code == 302
    other = app.test_client()
    submit(other, "/login", {"email": coord.email, "password": "correct horse battery"})
    assert other.get(f"/offices/{a.id}").status_code == 404
    assert other.get(f"/offices/{b.id}").status_code == 200


def test_admin_invites_coordinator_who_sets_password(app, client, make, auth, deliver):
    office = make.office()
    auth.login(make.admin())
    r = submit(client, "/admin/accounts", {"name": "Kim Koch", "email": "kim@example.org",
                                           "role": "coordinator", "offices": [str(office.id)]})
    assert r.status_code == 302
    r = submit(client, "/admin/accounts", {"name": "Ohne Büro", "email": "x@example.org", "role": "coordinator"})
    assert r.status_code == 200 and 'id="offices-error"' in r.get_data(as_text=True)
    from tests.conftest import link_in
    mail = deliver()[0]
    assert office.name in mail.body
    link = link_in(mail, "/reset-password/")
    fresh = app.test_client()
    assert submit(fresh, link, {"password": "mein neues passwort", "confirm": "mein neues passwort"}).status_code == 302
    assert fresh.get(f"/offices/{office.id}").status_code == 200  # setting the password logged in
    later = app.test_client()
    assert submit(later, "/login", {"email": "kim@example.org", "password": "mein neues passwort"}).status_code == 302
    assert later.get(f"/offices/{office.id}").status_code == 200


def test_office_list_has_no_query_per_row(app, client, make, auth):
    from sqlalchemy import event

    for _ in range(8):
        o = make.office(satellites=2)
        make.coordinator(o)
    auth.login(make.admin())
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get("/offices/").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) <= 6, statements
