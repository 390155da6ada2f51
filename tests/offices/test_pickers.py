"""Office and district pickers are checkboxes (issue 10, point 18), not a multi-select that needs
Ctrl: a fieldset with a legend, one checkbox per option, errors tied to the fieldset, and a note
next to a district that belongs to another office."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from app.offices.models import District
from tests.conftest import submit


def _checkbox(html: str, name: str, value: int) -> str | None:
    m = re.search(rf'<input[^>]*name="{name}"[^>]*value="{value}"[^>]*>', html) or \
        re.search(rf'<input[^>]*value="{value}"[^>]*name="{name}"[^>]*>', html)
    return m.group(0) if m else None


def _fieldset(html: str, field_id: str) -> str:
    m = re.search(rf'<fieldset[^>]*id="{field_id}"[^>]*>.*?</fieldset>', html, re.S)
    assert m, f"no fieldset #{field_id}"
    return m.group(0)


def test_office_form_districts_are_checkboxes_with_owner_note(client, make, auth):
    mine = make.office("Büro Ost", districts=("Brackel", "Aplerbeck"))
    other = make.office("Büro Nord", districts=("Eving",))
    auth.login(make.admin())
    html = client.get(f"/offices/{mine.id}/edit").get_data(as_text=True)
    fieldset = _fieldset(html, "districts")
    assert "<select" not in fieldset and "<legend>Stadtbezirke</legend>" in fieldset
    for d in mine.district_ids:
        box = _checkbox(fieldset, "districts", d)
        assert box and 'type="checkbox"' in box and "checked" in box
    eving = _checkbox(fieldset, "districts", other.district_ids[0])
    assert eving and "checked" not in eving
    # the other office's district says where it belongs now, in its label
    label = re.search(rf'<label for="(districts-\d+)">Eving (.*?)</label>', fieldset)
    assert label and "zurzeit: Büro Nord" in label.group(2)
    assert f'id="{label.group(1)}"' in eving
    # own districts carry no note
    assert "zurzeit: Büro Ost" not in fieldset


def test_new_office_form_notes_every_taken_district(client, make, auth):
    make.office("Büro Nord", districts=("Eving",))
    auth.login(make.admin(locale="en"))
    html = client.get("/offices/new").get_data(as_text=True)
    assert "currently: Büro Nord" in _fieldset(html, "districts")


def test_saving_with_the_ticked_boxes_moves_nothing_else(app, client, make, auth):
    mine = make.office("Büro Ost", districts=("Brackel", "Aplerbeck"))
    other = make.office("Büro Nord", districts=("Eving",))
    auth.login(make.admin())
    # the browser sends every ticked box: both own districts, not Eving
    r = client.post(f"/offices/{mine.id}/edit", data={
        "name": mine.name, "slug": mine.slug, "districts": mine.district_ids,
        "csrf_token": _token(client, f"/offices/{mine.id}/edit")})
    assert r.status_code == 302
    with app.app_context():
        owners = {d.name: d.office_id for d in db.session.scalars(select(District))}
    assert owners == {"Brackel": mine.id, "Aplerbeck": mine.id, "Eving": other.id}


def test_unticking_one_district_keeps_the_others(app, client, make, auth):
    mine = make.office("Büro Ost", districts=("Brackel", "Aplerbeck"))
    auth.login(make.admin())
    keep = mine.district_ids[0]
    assert submit(client, f"/offices/{mine.id}/edit",
                  {"name": mine.name, "slug": mine.slug, "districts": [keep]}).status_code == 302
    with app.app_context():
        assert [d.id for d in db.session.scalars(select(District).where(District.office_id == mine.id))] == [keep]


def test_a_district_not_offered_is_refused(app, client, make, auth):
    mine = make.office()
    auth.login(make.admin())
    r = submit(client, f"/offices/{mine.id}/edit", {"name": mine.name, "slug": mine.slug, "districts": 99999})
    assert r.status_code == 200 and 'id="districts-error"' in r.get_data(as_text=True)


def _token(client, url):
    from tests.conftest import csrf_from

    return csrf_from(client.get(url).get_data(as_text=True))


def test_invite_office_picker_is_checkboxes_with_error_on_the_fieldset(client, make, auth):
    a, b = make.office("Büro A"), make.office("Büro B")
    auth.login(make.admin(locale="en"))
    html = client.get("/admin/accounts").get_data(as_text=True)
    fieldset = _fieldset(html, "offices")
    assert "<select" not in fieldset and "Ctrl" not in html
    assert _checkbox(fieldset, "offices", a.id) and _checkbox(fieldset, "offices", b.id)
    # a coordinator without an office: the error is at the fieldset and in the summary
    r = submit(client, "/admin/accounts", {"name": "Neu", "email": "neu@example.org", "role": "coordinator"})
    html = r.get_data(as_text=True)
    fieldset = _fieldset(html, "offices")
    assert re.search(r'<fieldset[^>]*aria-describedby="[^"]*offices-error', fieldset)
    assert 'id="offices-error"' in fieldset and "A coordinator needs at least one office." in fieldset
    assert 'href="#offices-0"' in html  # the summary leads to the first checkbox


def test_invite_with_two_offices_ticked(app, client, make, auth):
    a, b = make.office("Büro A"), make.office("Büro B")
    auth.login(make.admin())
    r = submit(client, "/admin/accounts", {"name": "Neu", "email": "neu@example.org",
                                           "role": "coordinator", "offices": [a.id, b.id]})
    assert r.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(email="neu@example.org"))
        assert sorted(o.id for o in user.offices) == sorted([a.id, b.id])


def test_assign_offices_picker_shows_ticked_offices_and_saves(app, client, make, auth):
    a, b, c = make.office("Büro A"), make.office("Büro B"), make.office("Büro C")
    coordinator = make.coordinator(a, b)
    auth.login(make.admin())
    html = client.get(f"/admin/accounts/{coordinator.id}").get_data(as_text=True)
    fieldset = _fieldset(html, "offices")
    assert "checked" in _checkbox(fieldset, "offices", a.id) and "checked" in _checkbox(fieldset, "offices", b.id)
    assert "checked" not in _checkbox(fieldset, "offices", c.id)
    assert submit(client, f"/admin/accounts/{coordinator.id}", {"offices": [b.id, c.id]}).status_code == 302
    with app.app_context():
        assert sorted(o.id for o in db.session.get(User, coordinator.id).offices) == sorted([b.id, c.id])
