from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from tests.conftest import PASSWORD, submit


def test_login_and_logout(client, make, auth):
    user = make.volunteer()
    r = auth.login(user)
    assert r.status_code == 302
    assert client.get("/home").status_code == 200
    auth.logout()
    assert client.get("/home").status_code == 302


def test_wrong_password_and_unknown_address_look_the_same(client, make, auth):
    user = make.volunteer()
    wrong = auth.login(user, password="wrong password!").get_data(as_text=True)
    unknown = auth.login("nobody@example.org").get_data(as_text=True)
    assert 'id="password-error"' in wrong and 'id="password-error"' in unknown
    msg = lambda html: html.split('id="password-error">')[1].split("<")[0]
    assert msg(wrong) == msg(unknown)


def test_remember_me_sets_a_persistent_cookie(client, make, auth):
    user = make.volunteer()
    r = auth.login(user, remember=True)
    cookies = r.headers.getlist("Set-Cookie")
    assert any(c.startswith("remember_token=") and "Expires=" in c for c in cookies)


def test_without_remember_me_no_persistent_cookie(client, make, auth):
    r = auth.login(make.volunteer())
    assert not any(c.startswith("remember_token=") for c in r.headers.getlist("Set-Cookie"))


def test_next_parameter_only_redirects_inside_the_site(client, make, auth):
    user = make.volunteer()
    r = submit(client, "/login?next=https://evil.example/x", {"email": user.email, "password": PASSWORD},
               form_url="/login")
    assert r.location.endswith("/home")
    auth.logout()
    r = submit(client, "/login?next=/account", {"email": user.email, "password": PASSWORD},
               form_url="/login")
    assert r.location.endswith("/account")


def test_login_is_rate_limited(app, client, make):
    user = make.volunteer()
    codes = [submit(client, "/login", {"email": user.email, "password": "wrong-password"}).status_code
             for _ in range(12)]
    assert codes[0] == 200 and codes[-1] == 429


def test_inactive_user_cannot_log_in(app, client, make, auth):
    user = make.volunteer()
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    r = auth.login(user)
    assert r.status_code == 200 and 'id="password-error"' in r.get_data(as_text=True)


def test_login_records_time(app, make, auth):
    user = make.volunteer()
    auth.login(user)
    with app.app_context():
        assert db.session.scalar(select(User.last_login_at).where(User.id == user.id)) is not None
