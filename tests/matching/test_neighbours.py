"""Admins keep the districts' neighbours (/matching/districts): both directions, audited, only
admins; the candidates' score reads the change at once."""
from sqlalchemy import select

from app.extensions import db
from tests.conftest import csrf_from


def _ids(app):
    from app.offices.models import District
    from app.offices.reference import load_reference_data
    from app.matching.reference import load_neighbours

    with app.app_context():
        load_reference_data()
        load_neighbours()
        return dict(db.session.execute(select(District.name, District.id)).all())


def _pairs(app):
    from app.matching.models import DistrictNeighbour

    with app.app_context():
        return set(db.session.execute(select(DistrictNeighbour.district_id, DistrictNeighbour.neighbour_id)).all())


def _post(client, district_id, chosen):
    page = client.get(f"/matching/districts/{district_id}")
    return client.post(f"/matching/districts/{district_id}",
                       data={"csrf_token": csrf_from(page.get_data(as_text=True)), "neighbours": [str(i) for i in chosen]})


def test_admin_changes_neighbours_both_ways_with_an_audit_entry(app, client, make, auth):
    from app.core.models import AuditEntry

    ids = _ids(app)
    auth.login(make.admin())
    listing = client.get("/matching/districts").get_data(as_text=True)
    assert "Mengede" in listing and "Eving, Huckarde" in listing
    page = client.get(f"/matching/districts/{ids['Hörde']}").get_data(as_text=True)
    assert f'value="{ids["Aplerbeck"]}" checked' in page or f'checked id' in page
    keep = {ids["Aplerbeck"], ids["Hombruch"]}  # drop Innenstadt-West and -Ost, add Brackel
    r = _post(client, ids["Hörde"], keep | {ids["Brackel"]})
    assert r.status_code == 302
    pairs = _pairs(app)
    assert (ids["Hörde"], ids["Brackel"]) in pairs and (ids["Brackel"], ids["Hörde"]) in pairs
    assert (ids["Hörde"], ids["Innenstadt-Ost"]) not in pairs and (ids["Innenstadt-Ost"], ids["Hörde"]) not in pairs
    assert (ids["Hörde"], ids["Aplerbeck"]) in pairs
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "district.neighbours_changed")).one()
        assert entry.detail["added"] == "Brackel" and entry.detail["removed"] == "Innenstadt-Ost, Innenstadt-West"
    # the same again: nothing changes, no second entry
    assert _post(client, ids["Hörde"], keep | {ids["Brackel"]}).status_code == 302
    with app.app_context():
        assert len(db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "district.neighbours_changed")).all()) == 1


def test_bad_input_is_refused_at_the_field(app, client, make, auth):
    ids = _ids(app)
    auth.login(make.admin())
    before = _pairs(app)
    r = _post(client, ids["Hörde"], [ids["Hörde"]])  # itself: not among the choices
    assert r.status_code == 400 and 'class="error"' in r.get_data(as_text=True)
    r = _post(client, ids["Hörde"], [999999])
    assert r.status_code == 400
    assert _pairs(app) == before
    assert client.get("/matching/districts/999999").status_code == 404


def test_only_admins(app, client, make, auth):
    ids = _ids(app)
    office = make.office()
    auth.login(make.coordinator(office))
    assert client.get("/matching/districts").status_code == 403
    assert client.get(f"/matching/districts/{ids['Hörde']}").status_code == 403
    board = client.get("/matching/needs").get_data(as_text=True)
    assert "/matching/districts" not in board
    auth.logout()
    auth.login(make.volunteer())
    assert client.get("/matching/districts").status_code == 403
    auth.logout()
    assert client.get("/matching/districts").status_code in (302, 401)


def test_the_score_reads_a_change_at_once(app, make, need):
    """A volunteer living in the other district of the office: "further away" until an admin makes
    the two districts neighbours, then "next door" with the neighbour's weight."""
    from app.accounts.models import User
    from app.matching import candidates as cand
    from app.matching import neighbours
    from app.matching.models import Need

    office = make.office(districts=("Nordbezirk", "Südbezirk"))
    coordinator = make.coordinator(office)
    volunteer = make.full_volunteer(office, district_id=office.district_ids[1])
    need_id = need(office, coordinator, district_id=office.district_ids[0])
    admin = make.admin()

    def reasons():
        with app.test_request_context():
            n = db.session.get(Need, need_id)
            (c,) = [c for c in cand.candidates_for(n) if c.user_id == volunteer.id]
            return c.components["district"], " · ".join(c.reasons)

    weight, words = reasons()
    assert weight == -cand.P_FURTHER and "Südbezirk" in words
    with app.app_context():
        neighbours.set_neighbours_of(db.session.get(User, admin.id), office.district_ids[0], {office.district_ids[1]})
    weight, words = reasons()
    assert weight == cand.W_NEIGHBOUR and "Südbezirk" in words
    with app.app_context():
        neighbours.set_neighbours_of(db.session.get(User, admin.id), office.district_ids[1], set())
    assert reasons()[0] == -cand.P_FURTHER
