"""Coordinators' messages: preview with count, set-based queueing, log, unsubscribe."""
from __future__ import annotations

import re

from sqlalchemy import event, func, select

from app.extensions import db
from app.mail.models import MailStatus, Message, OutboxMail, SuppressedAddress
from tests.conftest import csrf_from, submit


def _office_with_volunteers(make, n=3, language=None):
    office = make.office()
    vols = [make.volunteer(district_id=office.district_ids[0], languages=(language,) if language else ())
            for _ in range(n)]
    return office, vols


def _compose_form(client) -> tuple[str, str]:
    """The compose page's one-time message token and its CSRF token."""
    page = client.get("/people/message").get_data(as_text=True)
    token = re.search(r'id="token" name="token" type="hidden" value="([^"]+)"', page).group(1)
    return token, csrf_from(page)


def test_preview_shows_count_then_send_queues_and_logs(app, client, make, auth):
    office, vols = _office_with_volunteers(make, 3)
    make.volunteer(district_id=make.office().district_ids[0])  # another office's volunteer
    make.volunteer(confirmed=False, district_id=office.district_ids[0])  # unconfirmed: not mailed
    auth.login(make.coordinator(office))
    data = {"office": office.id, "district": 0, "language": "", "subject": "Sommerfest",
            "body": "Wir brauchen Hilfe beim Aufbau.", "preview": "1"}
    r = submit(client, "/people/message", data)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "3" in html and 'name="send"' in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 0  # preview sends nothing
    data.pop("preview")
    r = submit(client, "/people/message", {**data, "send": "1"})
    assert r.status_code == 302 and "/messages/" in r.location
    with app.app_context():
        msg = db.session.scalar(select(Message))
        assert msg.recipient_count == 3
        rows = db.session.scalars(select(OutboxMail)).all()
        assert sorted(r.to_address for r in rows) == sorted(v.email for v in vols)
        assert all(not r.is_service and r.status == MailStatus.QUEUED for r in rows)
    log = client.get(r.location).get_data(as_text=True)
    assert all(v.email in log for v in vols)


def test_filter_by_language(app, client, make, auth):
    office = make.office()
    ar = make.volunteer(district_id=office.district_ids[0], languages=("ar",))
    make.volunteer(district_id=office.district_ids[0], languages=("uk",))
    auth.login(make.coordinator(office))
    submit(client, "/people/message", {"office": office.id, "district": 0, "language": "ar",
                                           "subject": "Dolmetschen", "body": "…", "send": "1"})
    with app.app_context():
        assert [r.to_address for r in db.session.scalars(select(OutboxMail))] == [ar.email]


def test_coordinator_cannot_write_to_another_office(app, client, make, auth):
    mine, theirs = make.office(), make.office()
    make.volunteer(district_id=theirs.district_ids[0])
    auth.login(make.coordinator(mine))
    r = submit(client, "/people/message", {"office": theirs.id, "district": 0, "language": "",
                                           "subject": "x", "body": "y", "send": "1"})
    assert r.status_code == 200 and 'id="office-error"' in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 0


def test_message_log_of_another_office_is_404(app, client, make, auth):
    from app.mail.services import send_message
    from app.people.services import volunteer_recipients

    mine, theirs = make.office(), make.office()
    make.volunteer(district_id=theirs.district_ids[0])
    with app.app_context():
        msg = send_message(sender=None, office_id=theirs.id, subject="s", body="b", audience="a",
                           recipients=volunteer_recipients(theirs.id))
        msg_id = msg.id
    auth.login(make.coordinator(mine))
    assert client.get(f"/messages/{msg_id}").status_code == 404
    assert "/messages/%d" % msg_id not in client.get("/messages").get_data(as_text=True)


def test_volunteer_cannot_write_messages(client, make, auth):
    auth.login(make.volunteer())
    assert client.get("/people/message").status_code == 403


def test_ten_thousand_recipients_are_one_insert(app, make):
    """The request does a fixed number of statements, whatever the roster size."""
    from app.accounts.models import Role, User
    from app.core.timeutil import utcnow
    from app.mail.services import send_message
    from app.people.models import VolunteerProfile
    from app.people.services import volunteer_recipients

    office = make.office()
    with app.app_context():
        now = utcnow()
        db.session.execute(User.__table__.insert(), [
            {"email": f"v{i}@example.org", "name": f"V {i}", "password_hash": "x", "role": Role.VOLUNTEER.value,
             "locale": "de", "confirmed_at": now, "active": True, "session_version": 1, "created_at": now}
            for i in range(10_000)])
        ids = db.session.scalars(select(User.id)).all()
        db.session.execute(VolunteerProfile.__table__.insert(),
                           [{"user_id": i, "district_id": office.district_ids[0]} for i in ids])
        # they chose to work with the office (the scope a message reaches: app.people.services)
        from app.people.models import volunteer_offices

        db.session.execute(volunteer_offices.insert(), [{"user_id": i, "office_id": office.id} for i in ids])
        # only volunteers who agreed to be contacted get messages (app.people.consent)
        from app.people.consent import current_text
        from app.people.models import ConsentPurpose, VolunteerConsent

        text_id = current_text(ConsentPurpose.CONTACT).id
        db.session.execute(VolunteerConsent.__table__.insert(), [
            {"user_id": i, "purpose": "contact", "given": True, "text_id": text_id, "recorded_at": now}
            for i in ids])
        db.session.commit()
        statements = []
        listener = lambda *a: statements.append(a[2])
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            msg = send_message(sender=None, office_id=office.id, subject="Hallo", body="Text", audience="alle",
                               recipients=volunteer_recipients(office.id))
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert msg.recipient_count == 10_000
        assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 10_000
        assert len(statements) <= 5, statements


def test_message_mail_says_why_and_unsubscribes_without_login(app, make, smtp_app, smtp):
    from app.mail.services import send_message
    from app.mail.worker import send_pending
    from app.people.services import volunteer_recipients

    office, (vol,) = _office_with_volunteers(make, 1)
    with app.app_context():
        send_message(sender=None, office_id=office.id, subject="Sprachcafé", body="Am Dienstag <b>neu</b>",
                     audience="Sie sind Ehrenamtliche in Bezirk", recipients=volunteer_recipients(office.id))
        send_pending()
    (mail,) = smtp.handler.messages
    link = mail["List-Unsubscribe"].strip("<>")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Sie sind Ehrenamtliche in Bezirk" in text and link in text
    assert "&lt;b&gt;neu&lt;/b&gt;" in html and "<b>neu</b>" not in html  # escaped
    path = link.split("http://localhost", 1)[1]
    anonymous = app.test_client()
    page = anonymous.get(path)
    assert page.status_code == 200
    assert anonymous.post(path).status_code == 200  # RFC 8058 one-click: no log-in, no CSRF token
    assert anonymous.post(path).status_code == 200  # idempotent
    with app.app_context():
        assert db.session.get(SuppressedAddress, vol.email).reason == "unsubscribed"
        send_message(sender=None, office_id=office.id, subject="Noch mal", body="…", audience="a",
                     recipients=volunteer_recipients(office.id))
        stats = send_pending()
        assert stats.skipped == 1 and stats.sent == 0
    assert anonymous.get(path[:-4] + "xxxx").status_code == 404  # tampered link


def test_outbox_admin_marks_bounced(app, client, make, auth):
    auth.login(make.admin())
    r = submit(client, "/admin/outbox", {"email": "Gone@Example.org", "note": "550"})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(SuppressedAddress, "gone@example.org").reason == "bounced"
    assert "gone@example.org" in client.get("/admin/outbox").get_data(as_text=True)
    r = submit(client, "/admin/outbox", {"email": "kaputt"})
    assert r.status_code == 200 and 'id="email-error"' in r.get_data(as_text=True)


def test_message_log_filters_by_state(app, client, make, auth):
    from sqlalchemy import update

    from app.mail.services import send_message
    from app.people.services import volunteer_recipients

    office, vols = _office_with_volunteers(make, 3)
    with app.app_context():
        msg = send_message(sender=None, office_id=office.id, subject="s", body="b", audience="a",
                           recipients=volunteer_recipients(office.id))
        db.session.execute(update(OutboxMail).where(OutboxMail.to_address == vols[0].email)
                           .values(status=MailStatus.FAILED, last_error="550 mailbox unavailable"))
        db.session.commit()
        msg_id = msg.id
    auth.login(make.coordinator(office))
    html = client.get(f"/messages/{msg_id}?status=failed").get_data(as_text=True)
    assert vols[0].email in html and "550 mailbox unavailable" in html
    assert vols[1].email not in html and vols[2].email not in html


def test_message_list_shows_own_offices_messages(app, client, make, auth):
    from app.mail.services import send_message
    from app.people.services import volunteer_recipients

    mine, theirs = make.office(), make.office()
    make.volunteer(district_id=mine.district_ids[0])
    with app.app_context():
        for office, subject in ((mine, "Sprachcafé am Dienstag"), (theirs, "Geheimes Treffen")):
            send_message(sender=None, office_id=office.id, subject=subject, body="b", audience="a",
                         recipients=volunteer_recipients(office.id))
    auth.login(make.coordinator(mine))
    html = client.get("/messages").get_data(as_text=True)
    assert "Sprachcafé am Dienstag" in html and "Geheimes Treffen" not in html
    auth.logout()
    auth.login(make.admin())
    html = client.get("/messages").get_data(as_text=True)
    assert "Sprachcafé am Dienstag" in html and "Geheimes Treffen" in html


def test_sending_the_same_form_twice_sends_one_message(app, client, make, auth):
    office, vols = _office_with_volunteers(make, 2)
    auth.login(make.coordinator(office))
    token, csrf = _compose_form(client)
    data = {"office": office.id, "district": 0, "language": "", "subject": "Fest", "body": "Text",
            "send": "1", "token": token, "csrf_token": csrf}
    first = client.post("/people/message", data=data)
    second = client.post("/people/message", data=data)  # double click / back and resend
    assert first.location == second.location
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 1
        assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 2


def test_an_edited_resend_or_a_foreign_token_is_a_new_message(app, client, make, auth):
    office, vols = _office_with_volunteers(make, 1)
    auth.login(make.coordinator(office))
    token, csrf = _compose_form(client)
    data = {"office": office.id, "district": 0, "language": "", "subject": "Fest", "body": "Text",
            "send": "1", "token": token, "csrf_token": csrf}
    first = client.post("/people/message", data=data)
    edited = client.post("/people/message", data={**data, "body": "Text, korrigiert"})
    assert first.location != edited.location
    other = app.test_client()
    submit(other, "/login", {"email": make.coordinator(office).email, "password": "correct horse battery"})
    third = other.post("/people/message", data={**data, "csrf_token": _compose_form(other)[1]})
    assert third.location not in (first.location, edited.location)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 3
