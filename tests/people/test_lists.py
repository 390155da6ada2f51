"""The lists admins edit (skills, need categories): add, rename, reorder, retire/reactivate;
admins only; every change audited."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core.models import AuditEntry
from app.extensions import db
from app.people import profiles
from app.people.models import ChoiceItem
from app.people.profiles import ProfileInputError
from tests.conftest import csrf_from, submit

BASE = "/people/admin/lists/"


@pytest.fixture
def admin(app, make):
    with app.app_context():
        make._reference()
    return make.admin()


def _keys(list_name=ChoiceItem.SKILLS):
    return [i.key for i in profiles.list_items(list_name)]


def _actor(user_id):
    from app.accounts.models import User

    return db.session.get(User, user_id)


def _actions():
    return [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


# ---------------------------------------------------------------- services
def test_key_from_german_label():
    assert profiles.key_from_label("Begleitung zu Ämtern & Ärzten") == "begleitung_zu_aemtern_aerzten"
    assert profiles.key_from_label("Straße") == "strasse"
    assert profiles.key_from_label("  ...  ") == "entry"
    assert len(profiles.key_from_label("x" * 500)) == 40


def test_add_generates_unique_keys_per_list_and_audits(app, admin):
    with app.app_context():
        me = _actor(admin.id)
        item = profiles.add_item(ChoiceItem.SKILLS, "  Gärtnern ", "Gardening", me)
        assert (item.key, item.label_de, item.active) == ("gaertnern", "Gärtnern", True)
        assert _keys()[-1] == "gaertnern"
        # the same key in another list is fine; the same key in this list gets a suffix
        other = profiles.add_item(ChoiceItem.NEED_CATEGORIES, "Gärtnern", "Gardening", me)
        assert other.key == "gaertnern"
        third = profiles.add_item(ChoiceItem.SKILLS, "Gärtnern!", "Gardening 2", me)
        assert third.key == "gaertnern_2"
        with pytest.raises(ProfileInputError) as exc:
            profiles.add_item(ChoiceItem.SKILLS, "gärtnern", "x", me)  # same label
        assert exc.value.field == "label_de"
        db.session.rollback()
        for de, en, field in (("", "x", "label_de"), ("x", " ", "label_en"), ("x" * 10000, "x", "label_de"),
                              ("x", "y" * 121, "label_en")):
            with pytest.raises(ProfileInputError) as exc:
                profiles.add_item(ChoiceItem.SKILLS, de, en, me)
            assert exc.value.field == field
        with pytest.raises(LookupError):
            profiles.add_item("colours", "Rot", "Red", me)
        db.session.rollback()
        assert _actions() == ["list.item_added"] * 3
        entry = db.session.scalar(select(AuditEntry))
        assert entry.actor_id == admin.id and entry.record_type == "choice_items" and entry.detail["key"] == "gaertnern"


def test_rename_keeps_the_key(app, admin):
    with app.app_context():
        me = _actor(admin.id)
        cooking = next(i for i in profiles.list_items(ChoiceItem.SKILLS) if i.key == "cooking")
        profiles.rename_item(ChoiceItem.SKILLS, cooking.id, "Kochen und Backen", "Cooking and baking", me)
        item = db.session.get(ChoiceItem, cooking.id)
        assert (item.key, item.label_de, item.label_en) == ("cooking", "Kochen und Backen", "Cooking and baking")
        with pytest.raises(ProfileInputError):
            profiles.rename_item(ChoiceItem.SKILLS, cooking.id, "Sport", "Sports", me)
        db.session.rollback()
        need = db.session.scalar(select(ChoiceItem).where(ChoiceItem.list_name == ChoiceItem.NEED_CATEGORIES))
        with pytest.raises(LookupError):  # an id from the other list
            profiles.rename_item(ChoiceItem.SKILLS, need.id, "X", "X", me)
        db.session.rollback()
        assert _actions() == ["list.item_renamed"]


def test_move_up_and_down(app, admin):
    with app.app_context():
        me = _actor(admin.id)
        keys = _keys()
        second = next(i for i in profiles.list_items(ChoiceItem.SKILLS) if i.key == keys[1])
        profiles.move_item(ChoiceItem.SKILLS, second.id, -1, me)
        assert _keys()[:2] == [keys[1], keys[0]]
        profiles.move_item(ChoiceItem.SKILLS, second.id, -1, me)  # already first: nothing changes
        assert _keys()[:2] == [keys[1], keys[0]]
        profiles.move_item(ChoiceItem.SKILLS, second.id, 1, me)
        assert _keys() == keys
        last = profiles.list_items(ChoiceItem.SKILLS)[-1]
        profiles.move_item(ChoiceItem.SKILLS, last.id, 1, me)
        assert _keys() == keys
        assert _actions() == ["list.item_moved", "list.item_moved"]


def test_retired_entries_stay_on_profiles_but_are_not_offered(app, make, admin):
    office = make.office()
    v = make.volunteer(district_id=office.district_ids[0], skills=("driving",))
    with app.app_context():
        me = _actor(admin.id)
        driving = next(i for i in profiles.list_items(ChoiceItem.SKILLS) if i.key == "driving")
        profiles.set_item_active(ChoiceItem.SKILLS, driving.id, False, me)
        assert "driving" not in {i.key for i in profiles.offered_skills()}
        assert [s.key for s in profiles.get_profile(v.id).skills] == ["driving"]
        profiles.set_item_active(ChoiceItem.SKILLS, driving.id, False, me)  # no change, no entry
        profiles.set_item_active(ChoiceItem.SKILLS, driving.id, True, me)
        assert "driving" in {i.key for i in profiles.offered_skills()}
        assert _actions() == ["list.item_retired", "list.item_reactivated"]


# ---------------------------------------------------------------- pages
def test_admin_edits_a_list_in_the_browser_flow(app, client, auth, admin):
    auth.login(admin)
    page = client.get(BASE + "skill").get_data(as_text=True)
    assert "Deutsch unterrichten" in page and "Teaching German" in page
    r = submit(client, BASE + "skill", {"new-label_de": "Gärtnern", "new-label_en": "Gardening"})
    assert r.status_code == 302
    with app.app_context():
        item = db.session.scalar(select(ChoiceItem).where(ChoiceItem.key == "gaertnern"))
        first = profiles.list_items(ChoiceItem.SKILLS)[0]
    page = client.get(BASE + "skill").get_data(as_text=True)
    assert "Hinzugefügt: Gärtnern." in page
    token = csrf_from(page)
    assert client.post(f"{BASE}skill/{item.id}/up", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert _keys()[-2] == "gaertnern"
    assert client.post(f"{BASE}skill/{item.id}/retire", data={"csrf_token": token}).status_code == 302
    page = client.get(BASE + "skill").get_data(as_text=True)
    assert "Zurückgezogen: Gärtnern." in page and "Wieder anbieten" in page
    assert client.post(f"{BASE}skill/{item.id}/reactivate", data={"csrf_token": token}).status_code == 302
    r = submit(client, f"{BASE}skill/{item.id}/edit", {"label_de": "Garten", "label_en": "Garden"})
    assert r.status_code == 302
    with app.app_context():
        renamed = db.session.get(ChoiceItem, item.id)
        assert (renamed.key, renamed.label_de, renamed.active) == ("gaertnern", "Garten", True)
    # errors at the field, nothing stored
    r = submit(client, BASE + "skill", {"new-label_de": "x" * 10000, "new-label_en": ""})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "höchstens 120 Zeichen" in page and "englische Bezeichnung" in page
    r = submit(client, BASE + "skill", {"new-label_de": "garten", "new-label_en": "x"})
    assert "schon einen Eintrag" in r.get_data(as_text=True)
    # forged: unknown list, an id from the other list, an unknown change, no token
    assert client.get(BASE + "colours").status_code == 404
    assert client.get(f"{BASE}need_category/{first.id}/edit").status_code == 404
    assert client.post(f"{BASE}need_category/{first.id}/up", data={"csrf_token": token}).status_code == 404
    assert client.post(f"{BASE}skill/{item.id}/explode", data={"csrf_token": token}).status_code == 400
    assert client.post(f"{BASE}skill/{item.id}/retire", data={}).status_code == 400
    assert client.get(BASE + "need_category").status_code == 200


@pytest.mark.parametrize("role", ["coordinator", "volunteer", "partner"])
def test_only_admins_edit_lists(app, client, auth, make, admin, role):
    office = make.office()
    auth.login(make.user(role, offices=(office,) if role == "coordinator" else ()))
    with app.app_context():
        item = profiles.list_items(ChoiceItem.SKILLS)[0]
        item_id, label = item.id, item.label_de
    assert client.get(BASE + "skill").status_code == 403
    assert client.get(f"{BASE}skill/{item_id}/edit").status_code == 403
    token = csrf_from(client.get("/home").get_data(as_text=True))
    assert client.post(f"{BASE}skill/{item_id}/retire", data={"csrf_token": token}).status_code == 403
    assert client.post(BASE + "skill", data={"csrf_token": token, "new-label_de": "X",
                                             "new-label_en": "X"}).status_code == 403
    with app.app_context():
        item = db.session.get(ChoiceItem, item_id)
        assert item.active and item.label_de == label
        assert db.session.scalar(select(AuditEntry)) is None


def test_anonymous_is_asked_to_log_in(client):
    assert client.get(BASE + "skill").status_code == 302
