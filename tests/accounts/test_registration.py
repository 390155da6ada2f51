from sqlalchemy import func, select

from app.accounts.models import User
from app.extensions import db
from app.mail.models import OutboxMail
from tests.conftest import link_in, submit

GOOD = {"name": "Amina Haddad", "email": "Amina@Example.org", "password": "ein langes passwort", "privacy": "y"}


def count_users(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def test_register_queues_confirmation_in_same_transaction(app, client, deliver):
    r = submit(client, "/register", GOOD)
    assert r.status_code == 200
    assert "amina@example.org" in r.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == "amina@example.org"  # normalised
        assert user.confirmed_at is None
        assert user.password_hash.startswith("$argon2id$")
        mails = db.session.scalars(select(OutboxMail)).all()
        assert [m.kind for m in mails] == ["confirm_address"]
    sent = deliver()
    assert len(sent) == 1 and sent[0].recipients == ["Amina Haddad <amina@example.org>"]
    assert "/confirm/" in sent[0].body and sent[0].html


def test_confirm_link_confirms_then_login_works(app, client, auth, deliver):
    submit(client, "/register", GOOD)
    link = link_in(deliver()[0], "/confirm/")
    r = client.get(link)
    assert r.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User)).confirmed_at is not None
    r = auth.login("amina@example.org", GOOD["password"])
    assert r.status_code == 302 and r.location.endswith("/home")
    assert client.get("/home").status_code == 200
    # a second click on the same link does no harm
    assert client.get(link).status_code == 302


def test_invalid_email_is_a_form_error_and_stores_nothing(app, client):
    r = submit(client, "/register", {**GOOD, "email": "not-an-address"})
    assert r.status_code == 200
    assert "valid e-mail address" in r.get_data(as_text=True) or "gültige" in r.get_data(as_text=True)
    assert 'aria-invalid="true"' in r.get_data(as_text=True)
    assert count_users(app) == 0


def test_short_password_is_a_form_error_and_stores_nothing(app, client):
    r = submit(client, "/register", {**GOOD, "password": "short"})
    assert r.status_code == 200
    assert 'id="password-error"' in r.get_data(as_text=True)
    assert count_users(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 0


def test_missing_privacy_consent_is_refused(app, client):
    data = {k: v for k, v in GOOD.items() if k != "privacy"}
    r = submit(client, "/register", data)
    assert r.status_code == 200 and 'id="privacy-error"' in r.get_data(as_text=True)
    assert count_users(app) == 0


def test_duplicate_email_stores_nothing_and_reveals_nothing(app, client, make, deliver):
    existing = make.volunteer(email="amina@example.org")
    first = submit(client, "/register", GOOD)
    other = submit(app.test_client(), "/register", {**GOOD, "email": "new@example.org"})
    # the same answer for a known and an unknown address …
    assert first.status_code == other.status_code == 200
    strip = lambda r, e: r.get_data(as_text=True).replace(e, "X").split('name="csrf_token" value="')[0]
    assert strip(first, "amina@example.org").count("<h1>") == strip(other, "new@example.org").count("<h1>")
    # … no second account, and the owner gets a hint instead of a confirmation link
    assert count_users(app) == 2
    sent = {m.recipients[0]: m for m in deliver()}
    owner_mail = next(m for r, m in sent.items() if existing.email in r)
    assert "/confirm/" not in owner_mail.body and "/forgot-password" in owner_mail.body


def test_missing_csrf_token_is_refused(app, client):
    r = client.post("/register", data=GOOD)
    assert r.status_code == 400
    assert count_users(app) == 0


def test_tampered_confirmation_token_is_refused(app, client, deliver):
    submit(client, "/register", GOOD)
    link = link_in(deliver()[0], "/confirm/")
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    r = client.get(tampered, follow_redirects=True)
    assert r.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(User)).confirmed_at is None


def test_expired_confirmation_token_is_refused(app, client, deliver, monkeypatch):
    submit(client, "/register", GOOD)
    link = link_in(deliver()[0], "/confirm/")
    app.config["CONFIRM_LINK_MAX_AGE"] = -1  # every link is older than that
    r = client.get(link, follow_redirects=True)
    assert "expired" in r.get_data(as_text=True) or "abgelaufen" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User)).confirmed_at is None


def test_unconfirmed_user_sees_banner_and_can_resend(app, client, make, auth, deliver):
    user = make.volunteer(confirmed=False)
    auth.login(user)
    page = client.get("/home").get_data(as_text=True)
    assert "/unconfirmed" in page
    r = submit(client, "/unconfirmed", {})
    assert r.status_code == 302
    assert [m.subject for m in deliver()]


def test_confirmed_required_redirects_unconfirmed(app, make, client, auth):
    from flask import Blueprint

    from app.core.permissions import confirmed_required

    user = make.volunteer(confirmed=False)
    bp = Blueprint("probe", __name__)

    @bp.get("/probe-signup")
    @confirmed_required
    def probe():
        return "ok"

    app.register_blueprint(bp)
    auth.login(user)
    r = client.get("/probe-signup")
    assert r.status_code == 302 and "/unconfirmed" in r.location
    confirmed = make.volunteer()
    auth.logout()
    auth.login(confirmed)
    assert client.get("/probe-signup").get_data(as_text=True) == "ok"


def test_registering_an_unconfirmed_address_again_sends_a_reset_hint_not_a_confirmation(app, client, auth, deliver):
    """Pre-registration takeover: an attacker registers the victim's address first. The victim's
    own registration must not send a link that confirms the attacker's account."""
    submit(client, "/register", {**GOOD, "name": "Attacker", "password": "attacker password"})
    deliver()  # goes to the victim's mailbox; the victim ignores it
    r = submit(app.test_client(), "/register", GOOD)
    assert r.status_code == 200 and count_users(app) == 1
    (mail,) = deliver()
    assert "/confirm/" not in mail.body and "/forgot-password" in mail.body
