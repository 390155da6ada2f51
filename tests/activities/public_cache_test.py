"""Cached anonymous pages and API answers are dropped the moment what they show changes."""
from __future__ import annotations

from sqlalchemy import select, update

from app.activities import cache
from app.activities.models import Activity, ActivityState, Signup, SignupState
from app.extensions import db


def _free(client, path):
    return client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)


def _api_free(client, activity_id):
    body = client.get(f"/api/v1/activities/{activity_id}").get_json()
    return body["data"]["roles"][0]["dates"][0]["free"]


def _sign_up_directly(app, make, slot_id):
    """A sign-up written as a service would, without the HTTP layer."""
    user = make.volunteer()
    with app.app_context():
        db.session.add(Signup(slot_id=slot_id, user_id=user.id, state=SignupState.CONFIRMED))
        db.session.commit()


def test_a_second_anonymous_request_comes_from_the_cache(app, client, make):
    from tests.conftest import recorded_statements

    office = make.office()
    act = make.activity(office, title="Kurs", roles=(("Tutor", 3),))
    for path in ("/activities/", f"/activities/{act.id}", "/api/v1/activities", f"/api/v1/activities/{act.id}"):
        assert client.get(path).status_code == 200
        with recorded_statements(app) as statements:
            assert client.get(path).status_code == 200
        # nothing but the version (read on a connection of its own where the database allows,
        # which no statement hook sees: an in-memory test database reads it on the request's)
        assert len(statements) <= 1 and all("activity_cache_version" in s for s in statements), (path, statements)


def test_sign_up_edit_and_cancel_show_at_once_on_list_page_and_api(app, client, make):
    office = make.office()
    act = make.activity(office, title="Deutschkurs", roles=(("Tutor", 3),))
    assert "3 free places on the next date" in _free(client, "/activities/")
    assert "3 of 3 places free" in _free(client, f"/activities/{act.id}")
    assert _api_free(client, act.id) == 3
    list_json = client.get("/api/v1/activities").get_json()
    assert list_json["data"][0]["roles"][0]["dates"][0]["free"] == 3

    _sign_up_directly(app, make, act.slot)
    assert "2 free places on the next date" in _free(client, "/activities/")
    assert "2 of 3 places free" in _free(client, f"/activities/{act.id}")
    assert _api_free(client, act.id) == 2
    assert client.get("/api/v1/activities").get_json()["data"][0]["roles"][0]["dates"][0]["free"] == 2

    with app.app_context():
        db.session.get(Activity, act.id).title = "Deutschkurs für Eltern"
        db.session.commit()
    assert "Deutschkurs für Eltern" in _free(client, "/activities/")
    assert "Deutschkurs für Eltern" in _free(client, f"/activities/{act.id}")
    assert client.get(f"/api/v1/activities/{act.id}").get_json()["data"]["title"] == "Deutschkurs für Eltern"

    with app.app_context():
        db.session.get(Activity, act.id).state = ActivityState.CANCELLED
        db.session.commit()
    assert "Deutschkurs" not in _free(client, "/activities/")
    assert client.get(f"/activities/{act.id}").status_code == 404
    assert client.get(f"/api/v1/activities/{act.id}").status_code == 404
    assert client.get("/api/v1/activities").get_json()["meta"]["total"] == 0


def test_a_service_saying_changed_bumps_even_for_a_core_update(app, client, make):
    """A set-based UPDATE flushes no ORM object: the service's changed() call is what counts."""
    from app.activities.events import changed

    office = make.office()
    act = make.activity(office, title="Alt")
    assert "Alt" in _free(client, "/activities/")
    with app.app_context():
        db.session.execute(update(Activity).where(Activity.id == act.id).values(title="Neu"))
        changed(act.id)
        db.session.commit()
    html = _free(client, "/activities/")
    assert "Neu" in html and ">Alt<" not in html


def test_a_rolled_back_change_drops_nothing(app, client, make):
    office = make.office()
    make.activity(office, title="Bleibt")
    client.get("/activities/")
    with app.app_context():
        before = cache.current_version()
    with app.app_context():
        db.session.scalars(select(Activity)).first().title = "Nie gespeichert"
        db.session.flush()
        db.session.rollback()
        assert db.session.execute(select(cache.cache_version.c.version)).scalar() == before


def test_another_process_sees_the_change(app, client, make):
    """Each gunicorn worker has its own SimpleCache; the version in the database tells a worker
    that did not see the commit that its entries are old. A second app stands in for it."""
    from app import create_app
    from config import TestingConfig

    office = make.office()
    act = make.activity(office, title="Kurs", roles=(("Tutor", 3),))
    other = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://":
        # in-memory SQLite is one connection per engine: share the first app's engine
        with app.app_context():
            engine = db.engine
        with other.app_context():
            db._app_engines[other] = {None: engine}
    other_client = other.test_client()
    assert "3 of 3 places free" in _free(other_client, f"/activities/{act.id}")
    _sign_up_directly(app, make, act.slot)  # committed through the first app
    assert "2 of 3 places free" in _free(other_client, f"/activities/{act.id}")


def test_the_locale_is_part_of_the_key(client, make):
    office = make.office()
    make.activity(office, kind="theatre")
    assert "Theaterprojekt" in client.get("/activities/").get_data(as_text=True)
    assert "Theatre project" in _free(client, "/activities/")
    assert "Theaterprojekt" in client.get("/activities/", headers={"Accept-Language": "de"}).get_data(as_text=True)


def test_logged_in_pages_never_come_from_the_anonymous_cache(client, make, auth):
    office = make.office()
    act = make.activity(office)
    anonymous = client.get(f"/activities/{act.id}").get_data(as_text=True)
    assert "Einloggen und anmelden" in anonymous
    volunteer = make.full_volunteer(office)
    auth.login(volunteer)
    page = client.get(f"/activities/{act.id}")
    html = page.get_data(as_text=True)
    assert "Einloggen und anmelden" not in html
    assert page.headers["Cache-Control"] == "no-store"


def test_cached_pages_carry_no_token_and_make_no_session(app, make):
    """A visitor's page has no form that needs a CSRF token (the language switch only sets a
    cookie for them), so serving it from the cache creates no session and sets no cookie."""
    office = make.office()
    act = make.activity(office)
    for path in ("/", "/activities/", f"/activities/{act.id}"):
        c = app.test_client()
        c.get(path)
        r = c.get(path)
        assert r.status_code == 200
        assert "Set-Cookie" not in r.headers, path
        assert 'name="csrf_token"' not in r.get_data(as_text=True), path
    # the language switch works from such a page
    c = app.test_client()
    r = c.post("/sprache", data={"lang": "en", "next": "/activities/"})
    assert r.status_code == 302
    assert 'lang="en"' in c.get("/activities/").get_data(as_text=True)


def test_a_flash_message_is_never_cached_nor_served_to_others(app, make, client):
    office = make.office()
    act = make.activity(office)
    with client.session_transaction() as s:
        s["_flashes"] = [("success", "Nur für mich")]
    assert "Nur für mich" in client.get(f"/activities/{act.id}").get_data(as_text=True)
    assert "Nur für mich" not in app.test_client().get(f"/activities/{act.id}").get_data(as_text=True)
