"""The user loader (one Core statement, the User attached to the request's session without the
ORM's loading) and the session cookie opened once per value: what an account's state says counts
at the very next request, and a change through `current_user` is saved like any other."""
from __future__ import annotations

import re
import time

from sqlalchemy import update

from app.accounts.models import Role, User
from app.core.timeutil import utcnow
from app.extensions import db
from tests.conftest import csrf_from


def test_the_loaded_user_is_the_sessions_own_and_a_change_to_it_is_saved(app, client, make, auth):
    user = make.volunteer(locale="de")
    auth.login(user)
    page = client.get("/home").get_data(as_text=True)
    # the language switch sets current_user.locale: stored, and the next page follows it
    r = client.post("/sprache", data={"lang": "en", "next": "/home", "csrf_token": csrf_from(page)})
    assert r.status_code in (302, 303)
    with app.app_context():
        assert db.session.get(User, user.id).locale == "en"
    assert '<html lang="en"' in client.get("/home").get_data(as_text=True)


def test_loader_returns_the_identity_mapped_user_with_lazy_relationships(app, make):
    from sqlalchemy.orm import object_session

    from app.accounts import services

    office = make.office()
    coordinator = make.coordinator(office)
    with app.test_request_context("/"):
        u = db.session.get(User, coordinator.id)
        key = services.start_session(u)
        db.session.commit()
        db.session.remove()
        loaded = services.session_user(f"s:{key}")
        assert isinstance(loaded, User) and object_session(loaded) is db.session()
        assert db.session.get(User, coordinator.id) is loaded  # one instance per request
        assert [o.id for o in loaded.offices] == [office.id]  # relationships load as before
        assert loaded.current_session is not None and loaded.current_session.id
        assert not db.session.dirty and not db.session.new
        loaded.name = "Neuer Name"
        db.session.commit()
        db.session.remove()
        assert db.session.get(User, coordinator.id).name == "Neuer Name"


def test_deactivated_deleted_or_logged_out_elsewhere_counts_at_once(app, make):
    from app.accounts import services

    users = [make.volunteer() for _ in range(3)]
    clients = []
    for u in users:
        c = app.test_client()
        from tests.conftest import Auth

        Auth(c).login(u)
        assert c.get("/home").status_code == 200
        clients.append(c)
    with app.app_context():
        db.session.execute(update(User).where(User.id == users[0].id).values(active=False))
        db.session.execute(update(User).where(User.id == users[1].id).values(deleted_at=utcnow()))
        services.end_sessions(db.session.get(User, users[2].id))
        db.session.commit()
    for c in clients:
        r = c.get("/home")
        assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_a_role_change_shows_in_the_navigation_at_once_and_nobody_gets_anothers_token(app, make):
    from tests.conftest import Auth

    office = make.office()
    a, b = make.volunteer(), make.volunteer()
    ca, cb = app.test_client(), app.test_client()
    Auth(ca).login(a)
    Auth(cb).login(b)
    pa, pb = ca.get("/home").get_data(as_text=True), cb.get("/home").get_data(as_text=True)
    assert "/manage/activities" not in pa and "Abmelden" in pa
    ta, tb = csrf_from(pa), csrf_from(pb)
    assert ta != tb
    # the log-out form in the (kept) navigation carries each person's own token, never the other's
    assert set(re.findall(r'name="csrf_token" value="([^"]+)"', pa)) == {ta}
    assert set(re.findall(r'name="csrf_token" value="([^"]+)"', pb)) == {tb}
    with app.app_context():
        user = db.session.get(User, a.id)
        user.role = Role.COORDINATOR
        user.offices = [db.session.get(__import__("app.offices.models", fromlist=["Office"]).Office, office.id)]
        db.session.commit()
    pa = ca.get("/home").get_data(as_text=True)
    assert "/manage/activities" in pa
    assert "/manage/activities" not in cb.get("/home").get_data(as_text=True)
    # the log-out form still works with the page's token
    r = ca.post("/logout", data={"csrf_token": csrf_from(pa)})
    assert r.status_code in (302, 303)
    assert ca.get("/home").status_code == 302


def test_session_cookie_kept_once_opened_is_still_checked_for_age_and_signature(app, client, make, auth,
                                                                                 monkeypatch):
    auth.login(make.volunteer())
    assert client.get("/home").status_code == 200
    cookie = client.get_cookie("session").value
    # a forged variant of the same cookie is another key: checked in full, refused
    client.set_cookie("session", cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))
    assert client.get("/home").status_code == 302
    client.set_cookie("session", cookie)
    assert client.get("/home").status_code == 200  # the kept one
    # past PERMANENT_SESSION_LIFETIME the kept cookie counts as expired, like an unopened one
    later = time.time() + app.permanent_session_lifetime.total_seconds() + 60
    monkeypatch.setattr(time, "time", lambda: later)
    assert client.get("/home").status_code == 302


def test_flash_messages_are_shown_once_although_sessions_are_kept(client):
    # a session with a message waiting (a list in it) is never kept: the message shows once
    r = client.get("/home")
    assert r.status_code == 302
    first = client.get("/login").get_data(as_text=True)
    assert "Bitte melden Sie sich an" in first or 'class="flash flash-warning"' in first
    again = client.get("/login").get_data(as_text=True)
    assert 'class="flash flash-warning"' not in again
