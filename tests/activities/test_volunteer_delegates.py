"""Round-table delegates: a partner contact of an approved organisation registers named people
per date and cancels them; the per-organisation limit is a clear message at the field; nobody
else gets in."""
from __future__ import annotations

from sqlalchemy import select

from app.activities.models import Signup, SignupState
from app.extensions import db
from tests.conftest import csrf_from


def _round_table(make, office, limit=2, capacity=6):
    return make.activity(office, title="Runder Tisch Brackel", kind="round_table", dates=2,
                         roles=(("Delegierte", capacity),), for_partners=True, max_per_organisation=limit)


def _url(act):
    return f"/activities/{act.id}/roles/{act.role_ids[0]}/delegates"


def test_register_and_cancel_delegates(app, client, make, auth):
    office = make.office()
    org = make.organisation(districts=office.district_ids)
    act = _round_table(make, office)
    auth.login(org.contacts[0])
    page = client.get(_url(act))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Runder Tisch Brackel" in html and "Höchstens 2 Personen" in html
    csrf = csrf_from(html)
    done = client.post(_url(act), data={"csrf_token": csrf, "slot": act.slot_ids[0][0],
                                        "names": "Amina Haddad\r\nJonas Becker\n"})
    assert done.status_code == 302
    html = client.get(_url(act)).get_data(as_text=True)
    assert "Amina Haddad" in html and "Jonas Becker" in html and "Angemeldet: 2." in html
    with app.app_context():
        rows = db.session.scalars(select(Signup).order_by(Signup.id)).all()
        assert [(r.delegate_name, r.state, r.organisation_id) for r in rows] == [
            ("Amina Haddad", SignupState.CONFIRMED, org.id), ("Jonas Becker", SignupState.CONFIRMED, org.id)]
        first = rows[0].id
    gone = client.post(_url(act), data={"csrf_token": csrf, "signup": first})
    assert gone.status_code == 302
    assert "Amina Haddad ist nicht mehr angemeldet." in client.get(_url(act)).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Signup, first).state == SignupState.CANCELLED


def test_limit_per_organisation_is_said_at_the_field(app, client, make, auth):
    office = make.office()
    org = make.organisation(districts=office.district_ids)
    act = _round_table(make, office, limit=2)
    auth.login(org.contacts[0])
    csrf = csrf_from(client.get(_url(act)).get_data(as_text=True))
    slot = act.slot_ids[0][0]
    client.post(_url(act), data={"csrf_token": csrf, "slot": slot, "names": "Amina Haddad"})
    refused = client.post(_url(act), data={"csrf_token": csrf, "slot": slot, "names": "Jonas Becker\nLea Schulz"})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert f'id="names-{slot}-error"' in html and "Höchstens 2" in html
    assert "Jonas Becker\nLea Schulz" in html  # what was typed stays
    for bad in ({"names": ""}, {"names": "x" * 200}, {"names": "Amina Haddad"}):
        assert client.post(_url(act), data={"csrf_token": csrf, "slot": slot, **bad}).status_code == 400
    with app.app_context():
        assert len(db.session.scalars(select(Signup)).all()) == 1


def test_forged_ids_and_other_people(app, client, make, auth):
    office = make.office()
    org, other_org = (make.organisation(districts=office.district_ids) for _ in range(2))
    pending = make.organisation(districts=office.district_ids, state="pending")
    act = _round_table(make, office)
    course = make.activity(office)
    auth.login(other_org.contacts[0])
    csrf = csrf_from(client.get(_url(act)).get_data(as_text=True))
    client.post(_url(act), data={"csrf_token": csrf, "slot": act.slot_ids[0][0], "names": "Fremde Person"})
    with app.app_context():
        foreign = db.session.scalar(select(Signup.id))
    auth.logout()
    auth.login(org.contacts[0])
    csrf = csrf_from(client.get(_url(act)).get_data(as_text=True))
    assert client.post(_url(act), data={"csrf_token": csrf, "signup": foreign}).status_code == 302
    with app.app_context():
        assert db.session.get(Signup, foreign).state == SignupState.CONFIRMED  # not theirs: refused
    assert client.post(_url(act), data={"csrf_token": csrf, "slot": course.slot, "names": "X"}).status_code == 404
    assert client.post(_url(act), data={"csrf_token": csrf, "slot": "abc", "names": "X"}).status_code == 404
    assert client.get(f"/activities/{course.id}/roles/{course.role_ids[0]}/delegates").status_code == 404
    assert client.get(f"/activities/{act.id}/roles/999999/delegates").status_code == 404
    auth.logout()
    auth.login(make.full_volunteer(office))
    assert client.get(_url(act)).status_code == 403
    auth.logout()
    auth.login(pending.contacts[0])
    assert client.get(_url(act)).status_code == 403
