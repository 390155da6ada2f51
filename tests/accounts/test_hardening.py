"""The hardening issue's account points: each test failed before its fix."""
from __future__ import annotations

import io

from sqlalchemy import event, func, select

from app.accounts.models import User, UserSession
from app.extensions import db
from app.mail.models import OutboxMail, SuppressedAddress
from tests.conftest import PASSWORD, csrf_from, link_in, submit


def _copy_cookies(src, dst, *names):
    for name in names:
        cookie = src.get_cookie(name)
        assert cookie is not None, name
        dst.set_cookie(name, cookie.value)


# ---------------------------------------------------------------- 1. parked e-mail-change link
def test_parked_email_change_link_dies_when_the_password_is_reset(app, client, make, auth, deliver):
    victim = make.volunteer(confirmed=False, email="victim@example.org")
    auth.login(victim)  # the attacker registered the victim's address and logged in
    r = submit(client, "/account", {"em-email": "attacker@example.org", "em-current": PASSWORD,
                                    "em-submit": "1"}, prefix="em-")
    assert r.status_code == 302
    parked = link_in(deliver()[-1], "/account/confirm-email/")
    # the real owner resets the password and uses the account
    app.test_client().get("/")
    other = app.test_client()
    submit(other, "/forgot-password", {"email": "victim@example.org"})
    reset = link_in(deliver()[-1], "/reset-password/")
    submit(other, reset, {"password": "a new and long secret", "confirm": "a new and long secret"})
    # the parked link no longer moves the account
    app.test_client().get(parked)
    with app.app_context():
        assert db.session.get(User, victim.id).email == "victim@example.org"


def test_old_address_is_told_and_can_undo_the_change(app, client, make, auth, deliver):
    user = make.volunteer(email="old@example.org")
    auth.login(user)
    submit(client, "/account", {"em-email": "new@example.org", "em-current": PASSWORD,
                                "em-submit": "1"}, prefix="em-")
    submit(client, link_in(deliver()[-1], "/account/confirm-email/"), {})
    notice = [m for m in deliver() if "<old@example.org>" in m.recipients[0]]
    assert notice and "new@example.org" in notice[0].body
    undo = link_in(notice[0], "/account/undo-email-change/")
    stranger = app.test_client()
    page = stranger.get(undo)
    assert page.status_code == 200  # a page with a button: link scanners change nothing
    with app.app_context():
        assert db.session.get(User, user.id).email == "new@example.org"
    r = stranger.post(undo, data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert r.status_code == 200
    with app.app_context():
        assert db.session.get(User, user.id).email == "old@example.org"
    assert client.get("/account").status_code == 302  # everyone, the other device too, is out
    mails = deliver()
    assert any("<old@example.org>" in m.recipients[0] and "/reset-password/" in m.body for m in mails)
    assert stranger.get(undo).status_code == 302  # used: back to log-in with a message


def test_an_email_change_link_works_only_in_the_accounts_own_session(app, client, make, auth, deliver):
    """Review finding: the owner of the new mailbox (or a link scanner) opening the link must not
    attach their address to someone else's account — which would park an undo link with the
    attacker and let them take the account back after the victim reset its password."""
    attacker = make.volunteer(email="attacker@example.org")
    auth.login(attacker)
    submit(client, "/account", {"em-email": "victim@example.org", "em-current": PASSWORD,
                                "em-submit": "1"}, prefix="em-")
    link = link_in(deliver()[-1], "/account/confirm-email/")
    scanner = app.test_client()
    r = scanner.get(link)  # not logged in: sent to log in, nothing changes
    assert r.status_code == 302 and "/login" in r.location
    victim = make.volunteer(email="someone@example.org")
    other = app.test_client()
    submit(other, "/login", {"email": victim.email, "password": PASSWORD})
    assert other.get(link).status_code == 404  # another account's session: not theirs
    page = client.get("/home")
    assert other.post(link, data={"csrf_token": csrf_from(other.get("/home").get_data(as_text=True))}).status_code == 404
    with app.app_context():
        assert db.session.get(User, attacker.id).email == "attacker@example.org"
    assert page.status_code == 200


# ---------------------------------------------------------------- 2. forgot-password timing
def _statements_until_response(app, email: str) -> tuple[int, object]:
    """Run the POST as a server would, counting SQL until the response is ready (not closed)."""
    client = app.test_client()
    token = csrf_from(client.get("/forgot-password").get_data(as_text=True))
    count = 0

    def _count(*_a, **_k):
        nonlocal count
        count += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", _count)
    try:
        body = f"email={email}&csrf_token={token}".encode()
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/forgot-password", "SERVER_NAME": "localhost",
                   "SERVER_PORT": "80", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
                   "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(len(body)),
                   "HTTP_COOKIE": "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())}
        result = app.wsgi_app(environ, lambda status, headers: None)
        b"".join(result)
        before_close = count
    finally:
        event.remove(engine, "before_cursor_execute", _count)
    return before_close, result


def test_forgot_password_costs_the_same_for_known_and_unknown_addresses(app, make):
    user = make.volunteer()
    known, known_result = _statements_until_response(app, user.email)
    unknown, unknown_result = _statements_until_response(app, "nobody@example.org")
    assert known == unknown
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 0
    known_result.close()  # the server has sent the response: now the work runs
    unknown_result.close()
    with app.app_context():
        rows = db.session.scalars(select(OutboxMail)).all()
        assert [r.to_address for r in rows] == [user.email]


# ---------------------------------------------------------------- 3. log-out ends the session
def test_logout_kills_copied_session_and_remember_cookies(app, client, make, auth):
    user = make.volunteer()
    auth.login(user, remember=True)
    thief = app.test_client()
    _copy_cookies(client, thief, "session")
    thief_remember = app.test_client()
    _copy_cookies(client, thief_remember, "remember_token")
    assert thief.get("/home").status_code == 200
    assert thief_remember.get("/home").status_code == 200
    auth.logout()
    assert thief.get("/home").status_code == 302
    assert thief_remember.get("/home").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(UserSession.ended_at.is_(None))) == 0


def test_account_page_lists_sessions_and_ends_them(app, make):
    user = make.volunteer()
    phone, desk = app.test_client(), app.test_client()
    submit(phone, "/login", {"email": user.email, "password": PASSWORD},
           headers={"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1"})
    submit(desk, "/login", {"email": user.email, "password": PASSWORD},
           headers={"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"})
    html = desk.get("/account").get_data(as_text=True)
    assert "Mobile Safari · iOS" in html and "Firefox · Windows" in html
    with app.app_context():
        phone_session = db.session.scalar(select(UserSession.id).where(UserSession.device.like("Mobile%")))
    r = desk.post(f"/account/sessions/{phone_session}/end", data={"csrf_token": csrf_from(html)})
    assert r.status_code == 302
    assert phone.get("/home").status_code == 302 and desk.get("/home").status_code == 200
    # someone else's session id: 404, nothing ends
    other = make.volunteer()
    third = app.test_client()
    submit(third, "/login", {"email": other.email, "password": PASSWORD})
    with app.app_context():
        other_session = db.session.scalar(select(UserSession.id).where(UserSession.user_id == other.id))
    html = desk.get("/account").get_data(as_text=True)
    assert desk.post(f"/account/sessions/{other_session}/end", data={"csrf_token": csrf_from(html)}).status_code == 404
    assert third.get("/home").status_code == 200


def test_end_all_other_sessions_keeps_this_one(app, make):
    user = make.volunteer()
    a, b, c = app.test_client(), app.test_client(), app.test_client()
    for cl in (a, b, c):
        submit(cl, "/login", {"email": user.email, "password": PASSWORD})
    html = a.get("/account").get_data(as_text=True)
    a.post("/account/sessions/end-others", data={"csrf_token": csrf_from(html)})
    assert [cl.get("/home").status_code for cl in (a, b, c)] == [200, 302, 302]


def test_password_change_keeps_this_device_and_ends_the_others(app, make):
    user = make.volunteer()
    a, b = app.test_client(), app.test_client()
    for cl in (a, b):
        submit(cl, "/login", {"email": user.email, "password": PASSWORD})
    r = submit(a, "/account", {"pw-current": PASSWORD, "pw-password": "a much better secret",
                               "pw-confirm": "a much better secret", "pw-submit": "1"}, prefix="pw-")
    assert r.status_code == 302
    assert a.get("/home").status_code == 200 and b.get("/home").status_code == 302


def test_deactivation_ends_sessions_at_once(app, client, make, auth):
    user = make.volunteer()
    auth.login(user)
    admin = make.admin()
    boss = app.test_client()
    submit(boss, "/login", {"email": admin.email, "password": PASSWORD})
    html = boss.get(f"/admin/accounts/{user.id}").get_data(as_text=True)
    r = boss.post(f"/admin/accounts/{user.id}/active", data={"active": "0", "csrf_token": csrf_from(html)})
    assert r.status_code == 302
    assert client.get("/home").status_code == 302
    assert auth.login(user).status_code == 200  # refused
    html = boss.get(f"/admin/accounts/{user.id}").get_data(as_text=True)
    boss.post(f"/admin/accounts/{user.id}/active", data={"active": "1", "csrf_token": csrf_from(html)})
    assert auth.login(user).status_code == 302


# ---------------------------------------------------------------- 4. resend confirmation cap
def test_resending_the_confirmation_link_is_capped_per_address(app, client, make, auth, deliver):
    user = make.volunteer(confirmed=False)
    auth.login(user)
    for _ in range(6):
        r = submit(client, "/unconfirmed", {})
        assert r.status_code == 302
    with app.app_context():
        n = db.session.scalar(select(func.count()).where(OutboxMail.kind == "confirm_address",
                                                         OutboxMail.to_address == user.email))
    assert n == 3
    page = client.get("/unconfirmed").get_data(as_text=True)
    assert "spam" in page.lower() or "Spam" in page


# ---------------------------------------------------------------- 5. passwords
def test_common_and_personal_passwords_are_refused(app, client):
    for password in ("passwort123", "1234567890", "qwertzuiop"):
        r = submit(client, "/register", {"name": "Amina Haddad", "email": "amina@example.org",
                                         "password": password, "privacy": "y"})
        assert 'id="password-error"' in r.get_data(as_text=True), password
    for password in ("amina@example.org", "Amina Haddad", "aminahaddad"):
        r = submit(client, "/register", {"name": "Amina Haddad", "email": "amina@example.org",
                                         "password": password, "privacy": "y"})
        html = r.get_data(as_text=True)
        assert 'id="password-error"' in html, password
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
    r = submit(client, "/register", {"name": "Amina Haddad", "email": "amina@example.org",
                                     "password": "Sommer im Westpark 2026", "privacy": "y"})
    assert 'id="password-error"' not in r.get_data(as_text=True)


def test_reset_and_change_refuse_the_own_name(app, client, make, auth):
    user = make.volunteer(name="Jonas Becker")
    auth.login(user)
    r = submit(client, "/account", {"pw-current": PASSWORD, "pw-password": "jonas becker",
                                    "pw-confirm": "jonas becker", "pw-submit": "1"}, prefix="pw-")
    assert r.status_code == 200 and 'id="pw-password-error"' in r.get_data(as_text=True)


_ip = iter(range(1, 10**6))


def _attempt(client, email, password, ip=None):
    """A log-in attempt; strangers come from ever new addresses (the per-IP limit is not what
    is tested here)."""
    n = next(_ip) if ip is None else ip
    return submit(client, "/login", {"email": email, "password": password},
                  environ_base={"REMOTE_ADDR": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"})


def test_wrong_passwords_slow_down_new_devices_but_not_the_owner(app, make):
    user = make.volunteer()
    owner = app.test_client()
    _attempt(owner, user.email, PASSWORD)  # the owner's phone has logged in before
    owner.post("/logout", data={"csrf_token": csrf_from(owner.get("/home").get_data(as_text=True))})
    # a stranger from many addresses (the per-IP limit is not what stops them)
    for i in range(5):
        stranger = app.test_client()
        r = submit(stranger, "/login", {"email": user.email, "password": f"guess number {i}"},
                   environ_base={"REMOTE_ADDR": f"10.0.0.{i}"})
        assert r.status_code == 200
    late = app.test_client()
    r = submit(late, "/login", {"email": user.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert r.status_code == 200 and "15" in r.get_data(as_text=True)  # paused for new devices
    # the owner's known device still gets in
    r = _attempt(owner, user.email, PASSWORD)
    assert r.status_code == 302


def test_password_reset_lifts_the_pause(app, make, deliver):
    user = make.volunteer()
    for i in range(5):
        _attempt(app.test_client(), user.email, f"guess number {i}")
    c = app.test_client()
    assert _attempt(c, user.email, PASSWORD).status_code == 200
    submit(c, "/forgot-password", {"email": user.email})
    reset = link_in(deliver()[-1], "/reset-password/")
    submit(c, reset, {"password": "a new and long secret", "confirm": "a new and long secret"})
    assert _attempt(app.test_client(), user.email, "a new and long secret").status_code == 302


def test_unknown_addresses_are_paused_alike(app):
    for i in range(5):
        _attempt(app.test_client(), "nobody@example.org", f"guess number {i}")
    html = _attempt(app.test_client(), "nobody@example.org", "guess again").get_data(as_text=True)
    assert "15" in html  # the pause says nothing about whether the account exists


# ---------------------------------------------------------------- 6. renewal, no-store
def test_session_and_csrf_token_are_renewed_at_login(app, client, make, auth):
    user = make.volunteer()
    client.get("/login")
    with client.session_transaction() as s:
        before = dict(s)
    auth.login(user)
    client.get("/home")
    with client.session_transaction() as s:
        after = dict(s)
    assert before.get("csrf_token") and after.get("csrf_token")
    assert before["csrf_token"] != after["csrf_token"]


def test_logged_in_pages_are_not_stored(client, make, auth):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    auth.login(make.volunteer())
    r = client.get("/account")
    assert r.headers["Cache-Control"] == "no-store"
    assert client.get("/home").headers["Cache-Control"] == "no-store"


# ---------------------------------------------------------------- 16. my account
def test_change_my_name(app, client, make, auth):
    user = make.volunteer()
    auth.login(user)
    r = submit(client, "/account", {"nm-name": "Amina Haddad-Becker", "nm-submit": "1"}, prefix="nm-")
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).name == "Amina Haddad-Becker"
    r = submit(client, "/account", {"nm-name": "", "nm-submit": "1"}, prefix="nm-")
    assert r.status_code == 200 and 'id="nm-name-error"' in r.get_data(as_text=True)


def test_mail_preferences_on_the_account_page(app, client, make, auth):
    user = make.volunteer()
    auth.login(user)
    html = client.get("/account").get_data(as_text=True)
    assert 'id="mp-messages"' in html and "checked" in html.split('id="mp-messages"')[0][-200:] + html.split('id="mp-messages"')[1][:50]
    submit(client, "/account", {"mp-submit": "1"}, prefix="mp-")  # unticked: no messages
    with app.app_context():
        assert db.session.get(SuppressedAddress, user.email).reason == "unsubscribed"
    submit(client, "/account", {"mp-messages": "y", "mp-submit": "1"}, prefix="mp-")
    with app.app_context():
        assert db.session.get(SuppressedAddress, user.email) is None


def _undo_action(html: str) -> str:
    import re

    return re.search(r'action="([^"]*/unsubscribe/undo/[^"]+)"', html).group(1)


def test_unsubscribe_can_be_undone(app, client, make):
    from app.mail.services import unsubscribe_link

    user = make.volunteer()
    with app.test_request_context():
        link = unsubscribe_link(user.email).split("localhost", 1)[1]
    page = client.post(link)
    html = page.get_data(as_text=True)
    undo = _undo_action(html)
    with app.app_context():
        assert db.session.get(SuppressedAddress, user.email) is not None
    r = client.post(undo, data={"csrf_token": csrf_from(html)})
    assert r.status_code == 200
    with app.app_context():
        assert db.session.get(SuppressedAddress, user.email) is None
    # the undo link works once
    assert client.post(undo, data={"csrf_token": csrf_from(html)}).status_code == 404


def test_an_old_unsubscribe_link_cannot_switch_messages_back_on(app, client, make):
    """Review finding: the never-expiring unsubscribe link must not double as an opt-in."""
    from app.mail.services import unsubscribe_link

    user = make.volunteer()
    with app.test_request_context():
        link = unsubscribe_link(user.email).split("localhost", 1)[1]
    client.post(link)
    stranger = app.test_client()
    html = stranger.get("/login").get_data(as_text=True)
    for attempt in (link + "/undo", link.replace("/unsubscribe/", "/unsubscribe/undo/")):
        assert stranger.post(attempt, data={"csrf_token": csrf_from(html)}).status_code in (404, 405)
    with app.app_context():
        assert db.session.get(SuppressedAddress, user.email) is not None


# ---------------------------------------------------------------- 18. admins: role, activity
def _admin_client(app, make):
    admin = make.admin()
    c = app.test_client()
    submit(c, "/login", {"email": admin.email, "password": PASSWORD})
    return admin, c


def test_admin_changes_a_role(app, make):
    office = make.office()
    user = make.volunteer()
    _admin, boss = _admin_client(app, make)
    url = f"/admin/accounts/{user.id}"
    r = submit(boss, url, {"role": "coordinator"})
    assert r.status_code == 200 and "office" in r.get_data(as_text=True).lower()  # needs an office
    r = submit(boss, url, {"role": "coordinator", "offices": str(office.id)})
    assert r.status_code == 302
    with app.app_context():
        u = db.session.get(User, user.id)
        assert u.role.value == "coordinator" and [o.id for o in u.offices] == [office.id]
    r = submit(boss, url, {"role": "partner"})  # no organisation: not offered, refused
    assert r.status_code == 200
    with app.app_context():
        assert db.session.get(User, user.id).role.value == "coordinator"


def test_admin_cannot_demote_or_deactivate_themselves(app, make):
    admin, boss = _admin_client(app, make)
    url = f"/admin/accounts/{admin.id}"
    html = boss.get(url).get_data(as_text=True)
    boss.post(url, data={"role": "volunteer", "csrf_token": csrf_from(html)})
    boss.post(url + "/active", data={"active": "0", "csrf_token": csrf_from(html)})
    with app.app_context():
        u = db.session.get(User, admin.id)
        assert u.role.value == "admin" and u.active


# ---------------------------------------------------------------- 20. BASE_URL in development
def test_development_links_follow_the_address_the_page_was_opened_at(app, make, deliver):
    app.config["BASE_URL_FROM_REQUEST"] = True
    user = make.volunteer()
    c = app.test_client()
    submit(c, "http://127.0.0.1:8123/forgot-password", {"email": user.email})
    assert "http://127.0.0.1:8123/reset-password/" in deliver()[-1].body


def test_production_never_takes_links_from_the_host_header(app, make, deliver):
    from config import ProductionConfig

    assert ProductionConfig.BASE_URL_FROM_REQUEST is False
    user = make.volunteer()
    c = app.test_client()
    submit(c, "http://evil.example/forgot-password", {"email": user.email})
    assert deliver()[-1].body.count("http://localhost/reset-password/") == 1


def test_spent_links_are_kept_longer_than_any_link_lives():
    import pytest

    from app.accounts.services import UNDO_EMAIL_CHANGE_MAX_AGE
    from app.core.tokens import MIN_PURGE_DAYS, purge_used

    assert MIN_PURGE_DAYS * 86400 > UNDO_EMAIL_CHANGE_MAX_AGE
    with pytest.raises(ValueError):
        purge_used(MIN_PURGE_DAYS - 1)


# ---------------------------------------------------------------- review findings
def test_an_unconfirmed_account_cannot_be_made_staff(app, make):
    """A squatted registration of an office address must not become a coordinator account."""
    office = make.office()
    squatter = make.volunteer(confirmed=False, email="koordination@buero.example")
    _admin, boss = _admin_client(app, make)
    r = submit(boss, f"/admin/accounts/{squatter.id}", {"role": "coordinator", "offices": str(office.id)})
    assert r.status_code == 200 and "nicht bestätigt" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, squatter.id).role.value == "volunteer"


def test_huge_input_is_not_analysed(app, client, monkeypatch):
    from app.accounts import forms as account_forms
    from app.core.passwords import _inputs

    assert len(_inputs(["word " * 48000, "x@example.org"])) <= 20
    calls = []
    monkeypatch.setattr(account_forms, "password_problem", lambda pw, inputs: calls.append(len(pw)))
    submit(client, "/register", {"name": "abcd " * 2000, "email": "a@example.org", "password": "0" * 5000,
                                 "privacy": "y"})
    assert calls == []


def test_a_password_reset_logs_the_browser_in_as_a_known_device(app, make, deliver):
    user = make.volunteer()
    for i in range(5):
        _attempt(app.test_client(), user.email, f"guess number {i}")
    owner = app.test_client()
    submit(owner, "/forgot-password", {"email": user.email})
    reset = link_in(deliver()[-1], "/reset-password/")
    r = submit(owner, reset, {"password": "a new and long secret", "confirm": "a new and long secret"})
    assert r.status_code == 302 and owner.get("/home").status_code == 200
    assert owner.get_cookie("known_device") is not None
    owner.post("/logout", data={"csrf_token": csrf_from(owner.get("/home").get_data(as_text=True))})
    for i in range(5):  # the stranger goes on guessing
        _attempt(app.test_client(), user.email, f"guess again {i}")
    assert _attempt(owner, user.email, "a new and long secret").status_code == 302


def test_device_cookies_from_before_a_reset_count_as_unknown(app, make, deliver):
    user = make.volunteer()
    old_device = app.test_client()
    _attempt(old_device, user.email, PASSWORD)
    old_device.post("/logout", data={"csrf_token": csrf_from(old_device.get("/home").get_data(as_text=True))})
    c = app.test_client()
    submit(c, "/forgot-password", {"email": user.email})
    submit(c, link_in(deliver()[-1], "/reset-password/"), {"password": "a new and long secret",
                                                           "confirm": "a new and long secret"})
    results = [_attempt(old_device, user.email, f"guess {i}").get_data(as_text=True) for i in range(6)]
    assert "15" in results[-1]  # paused like any new device: its old cookie no longer counts


def test_the_account_limit_counts_before_checking(app, make):
    """Attempts are counted first, so parallel guesses can't all pass between check and count."""
    from app.accounts import services

    user = make.volunteer()
    with app.test_request_context():
        results = [services.log_in(user.email, f"wrong {i}", remember=False) for i in range(6)]
        assert [r.throttled for r in results] == [False] * 5 + [True]


def test_development_links_ignore_a_foreign_host(app, make, deliver):
    app.config["BASE_URL_FROM_REQUEST"] = True
    user = make.volunteer()
    submit(app.test_client(), "http://evil.example/forgot-password", {"email": user.email})
    body = deliver()[-1].body
    assert "evil.example" not in body and "http://localhost/reset-password/" in body
