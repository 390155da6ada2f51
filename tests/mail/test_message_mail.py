"""A coordinator's message as each recipient gets it (issue 10, point 17): replies reach the
coordinator, one greeting and one signature, and "why you get this mail" in the recipient's
own language."""
from __future__ import annotations

from email.header import decode_header, make_header
from email.utils import getaddresses, parseaddr

from sqlalchemy import select

from app.extensions import db
from tests.conftest import submit


def _send(client, office, **data):
    form = {"office": office.id, "district": 0, "language": "", "subject": "Sommerfest",
            "body": "Wir brauchen Hilfe beim Aufbau.", "send": "1", **data}
    r = submit(client, "/people/message", form)
    assert r.status_code == 302, r.get_data(as_text=True)
    return r


def test_replies_go_to_the_coordinator_who_wrote(app, client, make, auth, smtp_app, smtp):
    from app.mail.worker import send_pending

    office = make.office()
    vol = make.volunteer(district_id=office.district_ids[0])
    coordinator = make.coordinator(office, name="Jonas Becker", email="jonas.becker@example.org")
    auth.login(coordinator)
    _send(client, office)
    with smtp_app.app_context():
        send_pending()
    (mail,) = smtp.handler.to(vol.email)
    assert getaddresses([mail["Reply-To"]]) == [("Jonas Becker", "jonas.becker@example.org")]


def test_without_a_sender_replies_go_to_the_office(app, make, deliver):
    from app.mail.services import send_message
    from app.offices.models import Office
    from app.people.services import volunteer_recipients

    office = make.office("Büro Nord")
    make.volunteer(district_id=office.district_ids[0])
    with app.app_context():
        db.session.get(Office, office.id).email = "nord@willkommen.example"
        db.session.commit()
        send_message(sender=None, office_id=office.id, subject="s", body="b", audience="a",
                     recipients=volunteer_recipients(office.id))
    (mail,) = deliver()
    with app.app_context():
        reply_to = str(make_header(decode_header(mail._message()["Reply-To"])))
    assert getaddresses([reply_to]) == [("Büro Nord", "nord@willkommen.example")]


def test_a_long_non_ascii_writer_name_stays_one_reply_address(app, client, make, auth, smtp_app, smtp):
    from app.mail.worker import send_pending

    office = make.office()
    vol = make.volunteer(district_id=office.district_ids[0])
    name = "Jürgen Müller-Lüdenscheidt, Büro für Begegnung und Nachbarschaftshilfe"
    auth.login(make.coordinator(office, name=name, email="jm@example.org"))
    _send(client, office)
    with smtp_app.app_context():
        send_pending()
    (mail,) = smtp.handler.to(vol.email)
    decoded = str(make_header(decode_header(mail["Reply-To"])))
    ((shown, address),) = getaddresses([decoded])
    # one address, the right one; Python's parser (not RFC 2047 decoders) shows the folding
    # between encoded words as an extra space, so the words are split before a space
    assert address == "jm@example.org" and " ".join(shown.split()) == name


def test_one_greeting_and_one_signature(app, client, make, auth, deliver):
    office = make.office()
    vol = make.volunteer(district_id=office.district_ids[0], name="Amina Haddad")
    auth.login(make.coordinator(office, name="Jonas Becker"))
    _send(client, office, body="am Samstag feiern wir.")  # no greeting, no closing of its own
    _send(client, office, subject="Fest 2", body="Liebe Ehrenamtliche,\n\nam Samstag feiern wir.\n\n"
                                                 "Viele Grüße\nJonas")
    _send(client, office, subject="Fest 3", body="Hallo zusammen!\n\nam Samstag feiern wir.\n\nJonas Becker")
    by_subject = {m.subject: m for m in deliver()}
    for part in ("body", "html"):
        bare = getattr(by_subject["Sommerfest"], part)
        assert bare.count("Hallo Amina Haddad,") == 1 and bare.count("Jonas Becker") == 1
        for subject in ("Fest 2", "Fest 3"):
            text = getattr(by_subject[subject], part)
            assert "Hallo Amina Haddad" not in text, (subject, part)  # the writer greets
            assert text.count("Jonas Becker") <= 1 and "Büro" not in text.split("Warum")[0], (subject, part)
    assert by_subject["Fest 2"].body.count("Liebe Ehrenamtliche") == 1
    assert "\n-- \n" not in by_subject["Fest 2"].body and "\n-- \n" in by_subject["Sommerfest"].body


def test_why_you_get_this_mail_is_in_the_recipients_language(app, client, make, auth, deliver):
    office = make.office(districts=("Brackel",))
    brackel = office.district_ids[0]
    de = make.volunteer(district_id=brackel, languages=("ar",), locale="de")
    en = make.volunteer(district_id=brackel, languages=("ar",), locale="en")
    auth.login(make.coordinator(office, locale="de"))  # writes with a German UI
    _send(client, office, district=brackel, language="ar")
    mails = {parseaddr(m.recipients[0])[1]: m for m in deliver()}
    english, german = mails[en.email], mails[de.email]
    for part in (english.body, english.html):
        assert "Why you get this mail: you are registered as a volunteer in Brackel and speak Arabic." in part
        assert "Sie sind" not in part and "Warum" not in part
    assert "Warum Sie diese Mail bekommen: Sie sind in Brackel für das Ehrenamt registriert und sprechen " \
           "Arabisch." in german.body
    with app.app_context():
        from app.mail.models import Message

        message = db.session.scalar(select(Message))
        assert message.audience_data["language"] == "ar" and message.audience_data["place"] == "Brackel"


def test_message_lists_name_the_audience_in_the_readers_language(app, client, make, auth):
    office = make.office(districts=("Brackel",))
    make.volunteer(district_id=office.district_ids[0])
    auth.login(make.coordinator(office, locale="de"))
    log_url = _send(client, office, district=office.district_ids[0]).location
    auth.logout()
    auth.login(make.coordinator(office, locale="en"))
    assert "Volunteers in Brackel" in client.get("/messages").get_data(as_text=True)
    assert "Volunteers in Brackel" in client.get(log_url).get_data(as_text=True)
