
from app.accounts.models import User
from app.extensions import db
from tests.conftest import csrf_from, PASSWORD, link_in, submit

NEW = "ein ganz neues passwort"


def test_reset_flow_single_use(app, client, make, auth, deliver):
    user = make.volunteer()
    r = submit(client, "/forgot-password", {"email": user.email})
    assert r.status_code == 200
    link = link_in(deliver()[0], "/reset-password/")
    r = submit(client, link, {"password": NEW, "confirm": NEW})
    assert r.status_code == 302 and r.location.endswith("/home")  # logged in with the new password
    assert client.get("/home").status_code == 200
    auth.logout()
    assert auth.login(user, password=NEW).status_code == 302
    auth.logout()
    # the link works once
    r = client.get(link, follow_redirects=True)
    assert r.request.path == "/forgot-password"


def test_reset_for_unknown_address_looks_the_same_and_sends_nothing(client, make, deliver):
    make.volunteer(email="known@example.org")
    known = submit(client, "/forgot-password", {"email": "known@example.org"})
    unknown = submit(client, "/forgot-password", {"email": "unknown@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert [m.recipients for m in deliver()] == [["Volunteer 1 <known@example.org>"]]


def test_older_reset_links_die_when_one_is_used(app, client, make, deliver):
    user = make.volunteer()
    submit(client, "/forgot-password", {"email": user.email})
    submit(client, "/forgot-password", {"email": user.email})
    first, second = (link_in(m, "/reset-password/") for m in deliver())
    assert submit(client, second, {"password": NEW, "confirm": NEW}).status_code == 302
    r = client.get(first, follow_redirects=True)
    assert r.request.path == "/forgot-password"


def test_reset_mismatch_and_short_password_are_form_errors(app, client, make, deliver):
    user = make.volunteer()
    submit(client, "/forgot-password", {"email": user.email})
    link = link_in(deliver()[0], "/reset-password/")
    r = submit(client, link, {"password": NEW, "confirm": NEW + "x"})
    assert r.status_code == 200 and 'id="confirm-error"' in r.get_data(as_text=True)
    r = submit(client, link, {"password": "kurz", "confirm": "kurz"})
    assert r.status_code == 200 and 'id="password-error"' in r.get_data(as_text=True)
    with app.app_context():  # nothing changed, link still good
        from app.accounts.services import verify_password
        assert verify_password(db.session.get(User, user.id), PASSWORD)
    assert submit(client, link, {"password": NEW, "confirm": NEW}).status_code == 302


def test_expired_reset_link(app, client, make, deliver):
    user = make.volunteer()
    submit(client, "/forgot-password", {"email": user.email})
    link = link_in(deliver()[0], "/reset-password/")
    app.config["RESET_LINK_MAX_AGE"] = -10  # older than allowed; invitations live longer, resets don't
    r = client.get(link, follow_redirects=True)
    assert r.request.path == "/forgot-password"
    r = submit(client, link, {"password": NEW, "confirm": NEW}, form_url="/forgot-password")
    with app.app_context():
        from app.accounts.services import verify_password
        assert verify_password(db.session.get(User, user.id), PASSWORD)


def test_change_password_logs_out_other_sessions(app, make, auth, client):
    user = make.volunteer()
    other = app.test_client()
    submit(other, "/login", {"email": user.email, "password": PASSWORD})
    assert other.get("/home").status_code == 200
    auth.login(user)
    r = submit(client, "/account", {"pw-current": PASSWORD, "pw-password": NEW, "pw-confirm": NEW,
                                    "pw-submit": "1"}, prefix="pw-")
    assert r.status_code == 302
    assert client.get("/home").status_code == 200  # this device stays logged in
    assert other.get("/home").status_code == 302  # the other one is out


def test_change_password_wrong_current(app, make, auth, client):
    user = make.volunteer()
    auth.login(user)
    r = submit(client, "/account", {"pw-current": "falsch-falsch", "pw-password": NEW, "pw-confirm": NEW,
                                    "pw-submit": "1"}, prefix="pw-")
    assert r.status_code == 200 and 'id="pw-current-error"' in r.get_data(as_text=True)


def test_change_email_is_reconfirmed(app, make, auth, client, deliver):
    user = make.volunteer()
    auth.login(user)
    r = submit(client, "/account", {"em-email": "New@Example.org", "em-current": PASSWORD, "em-submit": "1"},
               prefix="em-")
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).email == user.email  # unchanged until confirmed
    mail = deliver()[0]
    assert mail.recipients[0].endswith("<new@example.org>")
    link = link_in(mail, "/account/confirm-email/")
    page = client.get(link)  # a page with a button: opening the link changes nothing yet
    with app.app_context():
        assert db.session.get(User, user.id).email == user.email
    client.post(link, data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    with app.app_context():
        assert db.session.get(User, user.id).email == "new@example.org"
    assert client.get("/account").status_code == 200  # this device stays logged in
    r = client.get(link, follow_redirects=True)  # single use; the user's language (de) wins
    assert "schon benutzt" in r.get_data(as_text=True)


def test_change_email_to_taken_address_fails_on_confirm(app, make, auth, client, deliver):
    user = make.volunteer()
    make.volunteer(email="taken@example.org")
    auth.login(user)
    submit(client, "/account", {"em-email": "taken@example.org", "em-current": PASSWORD, "em-submit": "1"},
           prefix="em-")
    link = link_in(deliver()[0], "/account/confirm-email/")
    submit(client, link, {})
    with app.app_context():
        assert db.session.get(User, user.id).email == user.email


def test_one_address_gets_at_most_three_reset_mails_an_hour(app, make, deliver):
    user = make.volunteer()
    for i in range(5):  # from five different clients (IPs): the IP limit alone would not stop it
        r = submit(app.test_client(), "/forgot-password", {"email": user.email})
        assert r.status_code == 200  # the answer stays the same
    assert len(deliver()) == 3


def test_email_change_form_cannot_bomb_an_address(app, make, auth, client, deliver):
    user = make.volunteer()
    auth.login(user)
    for _ in range(5):
        submit(client, "/account", {"em-email": "victim@example.org", "em-current": PASSWORD, "em-submit": "1"},
               prefix="em-")
    assert len([m for m in deliver() if "victim@example.org" in m.recipients[0]]) == 3


def test_after_a_reset_the_page_says_the_password_is_set_and_you_are_logged_in(app, client, make, deliver):
    from tests.conftest import link_in, submit

    user = make.volunteer()
    submit(client, "/forgot-password", {"email": user.email})
    link = link_in(deliver()[0], "/reset-password/")
    r = submit(client, link, {"password": "ein ganz neues passwort", "confirm": "ein ganz neues passwort"})
    assert r.status_code == 302
    assert "Ihr neues Passwort ist gespeichert" in client.get(r.location).get_data(as_text=True)
