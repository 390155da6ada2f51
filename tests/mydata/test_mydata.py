""""My data": the page, the JSON download, deleting one's account, staff deleting on request."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from tests.conftest import PASSWORD, submit


def queue(app, user, kind="password_reset", **extra):
    from app.accounts.models import User
    from app.mail.services import queue_mail_to_user

    with app.app_context():
        u = db.session.get(User, user.id)
        context = {"link": "https://example.org/x", "minutes": 120, "hours": 72, **extra}
        row = queue_mail_to_user(kind, u, context)
        db.session.commit()
        return row.id


def note(app, user, author):
    from app.people.models import VolunteerNote

    with app.app_context():
        db.session.add(VolunteerNote(user_id=user.id, author_id=author.id, body="Spricht gut Arabisch."))
        db.session.commit()


def count(app, model, **where):
    with app.app_context():
        stmt = select(func.count()).select_from(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return db.session.scalar(stmt)


# ---------------------------------------------------------------- the page and the download
def test_page_shows_every_section_and_nobody_elses(app, make, client, auth, deliver):
    office = make.office()
    v = make.full_volunteer(office, email="amina@example.org", name="Amina Haddad")
    other = make.volunteer(email="someone.else@example.org", name="Jemand Anderes")
    queue(app, v)
    deliver()
    auth.login(v)
    html = client.get("/my-data").get_data(as_text=True)
    for text in ("Meine Daten", "Konto", "Amina Haddad", "amina@example.org", "Einwilligungen",
                 "E-Mails an Sie", "Ihr Passwort zurücksetzen", "Passwort zurücksetzen", "/my-data/download"):
        assert text in html, text
    assert "someone.else@example.org" not in html and "Jemand Anderes" not in html
    assert other  # exists, and is not shown


def test_download_is_one_json_attachment(app, make, client, auth, deliver):
    office = make.office()
    v = make.full_volunteer(office, email="amina@example.org", name="Amina Haddad")
    queue(app, v)
    deliver()
    auth.login(v)
    r = client.get("/my-data/download")
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert r.headers["Content-Disposition"].startswith('attachment; filename="willkommen-my-data-')
    data = r.get_json()
    assert data["user_id"] == v.id and data["format"] == "willkommen-my-data/1"
    account = data["sections"]["account"]["data"]
    assert account["email"] == "amina@example.org" and account["name"] == "Amina Haddad"
    assert account["role"] == "volunteer" and account["language"] == "de" and account["created_at"]
    assert account["last_login_at"] and account["sessions"][0]["created_at"]
    consents = {c["purpose"]: c for c in data["sections"]["consents"]["data"]["current"]}
    assert consents["contact"]["given"] is True and consents["contact"]["version"] == 1
    mails = data["sections"]["mails"]["data"]
    assert mails[0]["kind"] == "password_reset" and mails[0]["kind_name"] == "Passwort zurücksetzen"
    assert mails[0]["subject"] and mails[0]["sent_at"]


def test_coordinator_messages_appear_with_their_subject(app, make, client, auth):
    from app.mail.services import send_message
    from app.people.services import volunteer_recipients

    office = make.office()
    v = make.full_volunteer(office)
    with app.app_context():
        send_message(sender=None, office_id=office.id, subject="Sommerfest am Samstag", body="Hallo",
                     audience="alle", recipients=volunteer_recipients(office.id))
    auth.login(v)
    mails = client.get("/my-data/download").get_json()["sections"]["mails"]["data"]
    assert [(m["subject"], m["status"]) for m in mails] == [("Sommerfest am Samstag", "queued")]


def test_my_data_needs_a_log_in(client):
    for path in ("/my-data", "/my-data/download", "/my-data/delete"):
        assert client.get(path).status_code == 302


# ---------------------------------------------------------------- deleting one's account
def test_wrong_password_deletes_nothing(app, make, client, auth):
    from app.accounts.models import User

    v = make.volunteer()
    auth.login(v)
    r = submit(client, "/my-data/delete", {"password": "falsch falsch"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="password-error"' in html and "Das Passwort ist falsch." in html
    with app.app_context():
        assert db.session.get(User, v.id).deleted_at is None
    assert client.get("/home").status_code == 200


def test_deleting_erases_everything_and_keeps_an_anonymous_row(app, make, client, auth, deliver):
    from app.accounts.models import User, UserSession
    from app.mail.models import MailStatus, OutboxMail, SuppressedAddress
    from app.people.models import (ConsentRecord, StatusChange, VolunteerConsent, VolunteerLanguage,
                                   VolunteerNote, VolunteerProfile, volunteer_offices, volunteer_skills)

    office = make.office()
    coordinator = make.coordinator(office)
    v = make.full_volunteer(office, email="amina@example.org", name="Amina Haddad", phone="0231 999")
    note(app, v, coordinator)
    with app.app_context():
        db.session.add(StatusChange(user_id=v.id, new_status="active", changed_by_id=coordinator.id))
        db.session.add(SuppressedAddress(email="amina@example.org", reason="unsubscribed"))
        db.session.commit()
    sent_id = queue(app, v)
    deliver()
    queued_id = queue(app, v)
    other = make.full_volunteer(office)
    other_mail = queue(app, other)
    auth.login(v)
    r = submit(client, "/my-data/delete", {"password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"] == "/my-data/goodbye"
    assert "Ihr Konto ist gelöscht" in client.get("/my-data/goodbye").get_data(as_text=True)
    assert client.get("/home").status_code == 302  # logged out
    with app.app_context():
        user = db.session.get(User, v.id)
        assert user.deleted_at is not None and not user.active
        assert user.name == "" and user.email == f"deleted-{v.id}@invalid"
        assert user.password_hash.startswith("!")
        for model in (VolunteerProfile, VolunteerLanguage, VolunteerNote, StatusChange, VolunteerConsent,
                      ConsentRecord, UserSession):
            assert db.session.scalar(select(func.count()).select_from(model).where(model.user_id == v.id)) == 0, model
        for table in (volunteer_offices, volunteer_skills):
            assert db.session.scalar(select(func.count()).select_from(table).where(table.c.user_id == v.id)) == 0
        queued = db.session.get(OutboxMail, queued_id)
        assert queued.status == MailStatus.SKIPPED and queued.last_error == "account deleted"
        sent = db.session.get(OutboxMail, sent_id)
        assert sent.status == MailStatus.SENT and sent.to_address == f"deleted-{v.id}@invalid"
        assert sent.to_name == "" and sent.body_text is None and sent.body_html is None
        assert "amina" not in " ".join(db.session.scalars(select(OutboxMail.to_address)))
        assert db.session.get(SuppressedAddress, "amina@example.org") is None
        # other people keep theirs
        assert db.session.get(OutboxMail, other_mail).status == MailStatus.QUEUED
        assert db.session.get(VolunteerProfile, other.id) is not None
    assert [m.recipients for m in deliver()] == [[f"{other.name} <{other.email}>"]]  # the withdrawn one never goes


def test_a_bounced_address_stays_suppressed(app, make, client, auth):
    from app.mail.models import SuppressedAddress

    v = make.volunteer(email="bounced@example.org")
    with app.app_context():
        db.session.add(SuppressedAddress(email="bounced@example.org", reason="bounced", note="mailbox unknown"))
        db.session.commit()
    auth.login(v)
    submit(client, "/my-data/delete", {"password": PASSWORD})
    with app.app_context():
        assert db.session.get(SuppressedAddress, "bounced@example.org").reason == "bounced"


def test_deleted_account_cannot_log_in_and_the_address_registers_anew(app, make, client, auth, deliver):
    from app.accounts.models import User

    v = make.volunteer(email="amina@example.org")
    auth.login(v)
    submit(client, "/my-data/delete", {"password": PASSWORD})
    r = auth.login(v)
    assert r.status_code == 200 and "falsch" in r.get_data(as_text=True)
    r = auth.login(f"deleted-{v.id}@invalid")
    assert r.status_code == 200
    submit(client, "/register", {"name": "Amina Neu", "email": "amina@example.org",
                                 "password": "ein langes passwort", "privacy": "y"})
    with app.app_context():
        fresh = db.session.scalar(select(User).where(User.email == "amina@example.org"))
        assert fresh is not None and fresh.id != v.id and fresh.deleted_at is None
    kinds = [m.subject for m in deliver()]
    assert any("bestätigen" in s for s in kinds), kinds  # a confirmation, not "you already have an account"


def test_old_session_cookie_is_dead_after_deletion(app, make, auth):
    v = make.volunteer()
    first, second = app.test_client(), app.test_client()
    from tests.conftest import Auth

    Auth(first).login(v)
    Auth(second).login(v)
    assert second.get("/home").status_code == 200
    submit(first, "/my-data/delete", {"password": PASSWORD})
    assert second.get("/home").status_code == 302


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_staff_cannot_delete_their_own_account_here(app, make, client, auth, role):
    from app.accounts.models import User

    office = make.office()
    staff = make.coordinator(office) if role == "coordinator" else make.admin()
    auth.login(staff)
    assert "Administrator" in client.get("/my-data").get_data(as_text=True)
    assert client.get("/my-data/delete").status_code == 403
    with app.app_context():
        assert db.session.get(User, staff.id).deleted_at is None


# ---------------------------------------------------------------- staff delete for a person who asks
def test_coordinator_deletes_a_volunteer_of_their_office_on_request(app, make, client, auth):
    from app.accounts.models import User
    from app.core.models import AuditEntry
    from app.mail.models import MailStatus, OutboxMail

    office = make.office()
    coordinator = make.coordinator(office)
    v = make.full_volunteer(office, email="amina@example.org", name="Amina Haddad")
    queued = queue(app, v)
    auth.login(coordinator)
    page = client.get(f"/my-data/delete-on-request/{v.id}").get_data(as_text=True)
    assert "Amina Haddad" in page
    r = submit(client, f"/my-data/delete-on-request/{v.id}", {"confirm": "y"})
    assert r.status_code == 200 and 'id="how-error"' in r.get_data(as_text=True)
    r = submit(client, f"/my-data/delete-on-request/{v.id}", {"how": "nonsense", "confirm": "y"})
    assert r.status_code == 200
    r = submit(client, f"/my-data/delete-on-request/{v.id}", {"how": "in_person"})
    assert r.status_code == 200 and 'id="confirm-error"' in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, v.id).deleted_at is None
    r = submit(client, f"/my-data/delete-on-request/{v.id}", {"how": "in_person", "confirm": "y"})
    assert r.status_code == 302
    with app.app_context():
        user = db.session.get(User, v.id)
        assert user.deleted_at is not None and user.email == f"deleted-{v.id}@invalid"
        assert db.session.get(OutboxMail, queued).status == MailStatus.SKIPPED
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "person.deleted_on_request"))
        assert entry.actor_id == coordinator.id and entry.record_id == v.id and entry.office_id == office.id
        assert entry.detail == {"asked": "in_person", "role": "volunteer"}
        assert "amina" not in str(entry.detail).lower() and "Amina" not in str(entry.detail)
    # gone: a second visit is a 404
    assert client.get(f"/my-data/delete-on-request/{v.id}").status_code == 404


def test_another_offices_volunteer_answers_404(app, make, client, auth):
    from app.accounts.models import User

    mine, theirs = make.office(), make.office()
    v = make.full_volunteer(theirs)
    auth.login(make.coordinator(mine))
    assert client.get(f"/my-data/delete-on-request/{v.id}").status_code == 404
    from tests.conftest import csrf_from

    token = csrf_from(client.get("/account").get_data(as_text=True))
    assert client.post(f"/my-data/delete-on-request/{v.id}",
                       data={"how": "phone", "confirm": "y", "csrf_token": token}).status_code == 404
    assert client.get("/my-data/delete-on-request/999999").status_code == 404
    assert client.get("/my-data/delete-on-request/99999999999999999999").status_code == 404
    with app.app_context():
        assert db.session.get(User, v.id).deleted_at is None


def test_coordinators_cannot_delete_staff_or_partners_admins_not_staff(app, make, client, auth):
    office = make.office()
    coordinator = make.coordinator(office)
    colleague = make.coordinator(office)
    org = make.organisation(districts=office.district_ids)
    auth.login(coordinator)
    assert client.get(f"/my-data/delete-on-request/{colleague.id}").status_code == 404
    assert client.get(f"/my-data/delete-on-request/{org.contacts[0].id}").status_code == 404
    auth.logout()
    auth.login(make.admin())
    assert client.get(f"/my-data/delete-on-request/{colleague.id}").status_code == 404
    assert client.get(f"/my-data/delete-on-request/{org.contacts[0].id}").status_code == 200
    outsider = make.volunteer()  # no office at all: admins may still delete it
    assert client.get(f"/my-data/delete-on-request/{outsider.id}").status_code == 200


def test_volunteers_cannot_use_the_office_page(make, client, auth):
    office = make.office()
    v = make.full_volunteer(office)
    other = make.full_volunteer(office)
    auth.login(v)
    assert client.get(f"/my-data/delete-on-request/{other.id}").status_code == 403
    assert client.get(f"/my-data/delete-on-request/{v.id}").status_code == 403


def test_my_data_page_runs_few_statements(app, make, client, auth, deliver):
    from tests.conftest import count_statements

    office = make.office()
    v = make.full_volunteer(office)
    auth.login(v)
    for _ in range(3):
        queue(app, v)
    small = count_statements(app, client, "/my-data")
    for _ in range(20):
        queue(app, v)
    deliver()
    large = count_statements(app, client, "/my-data")
    assert small == large and small <= 17  # a few per registered section (matching: one), never per row


def test_my_data_has_the_status_history_and_a_switched_off_address(app, make, client, auth):
    """Review finding: the status changes and an unsubscribe are data about the person too."""
    from app.accounts.models import User
    from app.mail.preferences import set_mail_preference
    from app.people.care import change_status
    from app.people.models import VolunteerStatus

    office = make.office()
    coordinator = make.coordinator(office)
    volunteer = make.full_volunteer(office)
    with app.app_context():
        change_status(volunteer.id, VolunteerStatus.PAUSED, db.session.get(User, coordinator.id))
        set_mail_preference(volunteer.email, False)
    auth.login(volunteer)
    data = client.get("/my-data/download").get_json()
    text = str(data)
    assert "status_history" in text and "pausiert" in text and "unsubscribed" in text


def test_the_page_says_everything_in_words_not_codes(app, make, client, auth):
    person = make.full_volunteer(make.office())
    with app.app_context():
        from app.people import care
        from app.accounts.models import User

        care.add_note(person.id, "Kam zum Kennenlernen.", db.session.get(User, make.admin().id))
    auth.login(person)
    page = client.get("/my-data").get_data(as_text=True)
    for words in ("Bezirk, in dem Sie wohnen", "Sprachen", "Wann Sie Zeit haben", "Stunden im Monat",
                  "Ehrenamtliche", "Kam zum Kennenlernen."):
        assert words in page, words
    for code in ("<dt>district</dt>", "<dt>hours per month</dt>", ">share_with_partner<", ">volunteer<", "<dt>text</dt>"):
        assert code not in page, code
