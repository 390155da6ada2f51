"""The signed CSRF token of a session is reused across requests (app.core.security) and stays
valid; a new session token gets a new signed token."""
from __future__ import annotations

from tests.conftest import csrf_from


def test_signed_token_is_reused_and_still_accepted(app, make, auth, client, monkeypatch):
    import time

    user = make.volunteer()
    auth.login(user)
    first = csrf_from(client.get("/home").get_data(as_text=True))
    # a minute later Flask-WTF alone would sign anew (the signature carries the time)
    later = time.time() + 60
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    second = csrf_from(client.get("/home").get_data(as_text=True))
    assert first == second
    # the reused token is accepted by a form (here: the language switch)
    r = client.post("/sprache", data={"lang": "en", "next": "/home", "csrf_token": second})
    assert r.status_code == 302


def test_log_out_gives_a_new_token(app, make, auth, client):
    user = make.volunteer()
    auth.login(user)
    before = csrf_from(client.get("/home").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": before})
    after = csrf_from(client.get("/login").get_data(as_text=True))
    assert after != before
    auth.login(user)
    r = client.post("/sprache", data={"lang": "en", "next": "/", "csrf_token": before})
    assert r.status_code == 400  # the old session's token no longer counts
