"""Consent by purpose: versioned texts, registration, the consent page, withdrawal acting at once,
and asking again after a new version."""
from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.people.models import ConsentPurpose, ConsentRecord, ConsentText, VolunteerConsent
from tests.conftest import submit

EN = {"Accept-Language": "en"}
GOOD = {"name": "Amina Haddad", "email": "amina@example.org", "password": "ein langes passwort", "privacy": "y"}


def publish(app, purpose, admin_id=None, **changes):
    from app.accounts.models import User
    from app.people import consent

    with app.app_context():
        current = consent.current_text(ConsentPurpose(purpose))
        values = {"title_de": current.title_de, "title_en": current.title_en,
                  "body_de": current.body_de + "\n\nNeu.", "body_en": current.body_en + "\n\nNew.", **changes}
        text = consent.publish_text(ConsentPurpose(purpose), actor=db.session.get(User, admin_id) if admin_id else None,
                                    **values)
        return text.id, text.version


def current_answer(app, user_id, purpose):
    with app.app_context():
        row = db.session.get(VolunteerConsent, (user_id, ConsentPurpose(purpose)))
        return None if row is None else (row.given, row.text.version)


def answer(client, purpose, yes: bool, text_id=None, app=None):
    if text_id is None:
        from app.people import consent

        with app.app_context():
            text_id = consent.current_text(ConsentPurpose(purpose)).id
    return submit(client, "/people/consents", {"purpose": purpose, "text_id": str(text_id),
                                               "answer": "yes" if yes else "no"})


# ---------------------------------------------------------------- texts
def test_privacy_page_shows_version_one_on_a_fresh_database(app, client):
    html = client.get("/datenschutz").get_data(as_text=True)
    assert "<h1>Datenschutzhinweise</h1>" in html and "Version 1" in html
    assert "<h2>Wer ist verantwortlich?</h2>" in html  # Markdown rendered
    assert "Verantwortliche Stelle" in html and "LDI NRW" in html  # the operator block stays
    html = client.get("/datenschutz", headers=EN).get_data(as_text=True)
    assert "<h1>Privacy notice</h1>" in html and "<h2>Who is responsible?</h2>" in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ConsentText)) == 4


def test_texts_are_sanitised_markdown(app, make, client):
    publish(app, "privacy", body_de="## Titel\n\n<script>alert(1)</script> [Link](javascript:alert(1)) "
                                    "[gut](https://example.org) <b onclick=x>fett</b>")
    html = client.get("/datenschutz").get_data(as_text=True)
    main = html.split('<main', 1)[1]
    assert "<script>alert" not in main and 'href="javascript' not in main and "<b onclick" not in main
    assert '<a href="https://example.org" rel="noopener noreferrer">gut</a>' in main
    assert "&lt;script&gt;" in main  # shown as text, not run
    assert "Version 2" in main


def test_admin_publishes_a_new_version_and_the_old_one_stays(app, make, client, auth):
    from app.core.models import AuditEntry

    admin = make.admin()
    auth.login(admin)
    page = client.get("/people/consent-texts/contact/new").get_data(as_text=True)
    assert "Nachrichten über neue Einsätze" in page  # prefilled with the current text
    r = submit(client, "/people/consent-texts/contact/new", {
        "title_de": "Nachrichten über neue Einsätze", "title_en": "Messages about new opportunities",
        "body_de": "Neuer **Text**.", "body_en": "New **text**."})
    assert r.status_code == 302
    with app.app_context():
        texts = db.session.scalars(select(ConsentText).where(ConsentText.purpose == ConsentPurpose.CONTACT)
                                   .order_by(ConsentText.version)).all()
        assert [t.version for t in texts] == [1, 2]
        assert texts[0].body_de.startswith("Ich bin einverstanden")  # never edited
        assert texts[1].created_by_id == admin.id
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "consent_text.published"))
        assert entry.actor_id == admin.id and entry.detail == {"purpose": "contact", "version": 2}
    listing = client.get("/people/consent-texts").get_data(as_text=True)
    assert "/people/consent-texts/contact/1" in listing and "/people/consent-texts/contact/2" in listing
    old = client.get("/people/consent-texts/contact/1").get_data(as_text=True)
    assert "Ich bin einverstanden" in old and "frühere Version" in old
    new = client.get("/people/consent-texts/contact/2").get_data(as_text=True)
    assert "Neuer <strong>Text</strong>." in new


def test_publishing_refuses_bad_input(app, make, client, auth):
    auth.login(make.admin())
    client.get("/datenschutz")  # version 1 exists
    same = submit(client, "/people/consent-texts/photos/new", {
        "title_de": "Fotos bei Theaterprojekten und Festen", "title_en": "Photos at theatre projects and festivals",
        "body_de": _body(app, "photos", "de"),
        "body_en": _body(app, "photos", "en")})
    assert same.status_code == 200 and "Nichts geändert" in same.get_data(as_text=True)
    huge = submit(client, "/people/consent-texts/photos/new", {
        "title_de": "T", "title_en": "T", "body_de": "x" * 60_000, "body_en": "y"})
    assert huge.status_code == 200 and 'id="body_de-error"' in huge.get_data(as_text=True)
    empty = submit(client, "/people/consent-texts/photos/new", {"title_de": "", "title_en": "T",
                                                                "body_de": "a", "body_en": "b"})
    assert 'id="title_de-error"' in empty.get_data(as_text=True)
    control = submit(client, "/people/consent-texts/photos/new", {"title_de": "T\u202e", "title_en": "T",
                                                                  "body_de": "a", "body_en": "b"})
    assert 'id="title_de-error"' in control.get_data(as_text=True)
    assert client.get("/people/consent-texts/nonsense/new").status_code == 404
    assert client.get("/people/consent-texts/photos/99").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.max(ConsentText.version))
                                 .where(ConsentText.purpose == ConsentPurpose.PHOTOS)) == 1


def _body(app, purpose, locale):
    from app.people import consent

    with app.app_context():
        return consent.current_text(ConsentPurpose(purpose)).body(locale)


@pytest.mark.parametrize("role", ["volunteer", "coordinator"])
def test_only_admins_edit_texts(make, client, auth, role):
    office = make.office()
    auth.login(make.coordinator(office) if role == "coordinator" else make.volunteer())
    assert client.get("/people/consent-texts").status_code == 403
    assert client.get("/people/consent-texts/privacy/new").status_code == 403
    r = client.post("/people/consent-texts/privacy/new", data={"title_de": "x"})
    assert r.status_code in (400, 403)


# ---------------------------------------------------------------- registration
def test_registration_records_the_accepted_privacy_version(app, client):
    page = client.get("/register").get_data(as_text=True)
    assert 'name="contact"' in page and 'id="contact" name="contact" type="checkbox" value="y">' in page  # not ticked
    r = submit(client, "/register", GOOD)
    assert r.status_code == 200
    with app.app_context():
        from app.accounts.models import User

        user = db.session.scalar(select(User).where(User.email == "amina@example.org"))
        records = db.session.scalars(select(ConsentRecord).where(ConsentRecord.user_id == user.id)).all()
        assert [(r.purpose, r.given, r.text.version) for r in records] == [(ConsentPurpose.PRIVACY, True, 1)]
        assert records[0].recorded_at is not None
        assert db.session.get(VolunteerConsent, (user.id, ConsentPurpose.PRIVACY)).given
        assert db.session.get(VolunteerConsent, (user.id, ConsentPurpose.CONTACT)) is None


def test_registration_may_give_the_contact_consent(app, client):
    submit(client, "/register", {**GOOD, "contact": "y"})
    with app.app_context():
        from app.accounts.models import User

        user = db.session.scalar(select(User).where(User.email == "amina@example.org"))
        assert db.session.get(VolunteerConsent, (user.id, ConsentPurpose.CONTACT)).given


def test_registration_against_an_outdated_privacy_version_stores_nothing(app, client):
    page = client.get("/register").get_data(as_text=True)
    from tests.conftest import csrf_from

    old_id = page.split('name="privacy_text" value="', 1)[1].split('"', 1)[0]
    publish(app, "privacy")
    r = client.post("/register", data={**GOOD, "privacy_text": old_id, "csrf_token": csrf_from(page)})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="privacy-error"' in html and "geändert" in html
    with app.app_context():
        from app.accounts.models import User

        assert db.session.scalar(select(func.count()).select_from(User)) == 0
    # the form now carries the new version: sending it again works
    new_id = html.split('name="privacy_text" value="', 1)[1].split('"', 1)[0]
    assert new_id != old_id
    r = client.post("/register", data={**GOOD, "privacy_text": new_id, "csrf_token": csrf_from(html)})
    with app.app_context():
        from app.accounts.models import User

        user = db.session.scalar(select(User))
        assert db.session.get(VolunteerConsent, (user.id, ConsentPurpose.PRIVACY)).text.version == 2


def test_forged_privacy_version_is_a_form_error(app, client):
    r = submit(client, "/register", {**GOOD, "privacy_text": "abc"})
    assert r.status_code == 200
    r = submit(client, "/register", {**GOOD, "privacy_text": "999999"})
    assert r.status_code == 200 and 'id="privacy-error"' in r.get_data(as_text=True)


# ---------------------------------------------------------------- the consent page
def test_consent_page_gives_and_withdraws_with_history(app, make, client, auth):
    office = make.office()
    v = make.volunteer(district_id=office.district_ids[0], consents=())
    auth.login(v)
    html = client.get("/people/consents").get_data(as_text=True)
    for title in ("Nachrichten über neue Einsätze", "Name und Telefon für Partnerorganisationen",
                  "Fotos bei Theaterprojekten und Festen", "Ich bin einverstanden, dass ich auf Fotos"):
        assert title in html
    assert answer(client, "photos", True, app=app).status_code == 302
    assert current_answer(app, v.id, "photos") == (True, 1)
    assert answer(client, "photos", False, app=app).status_code == 302
    assert current_answer(app, v.id, "photos") == (False, 1)
    with app.app_context():
        records = db.session.scalars(select(ConsentRecord).where(ConsentRecord.user_id == v.id)
                                     .order_by(ConsentRecord.id)).all()
        assert [(r.purpose.value, r.given) for r in records] == [("photos", True), ("photos", False)]
    html = client.get("/people/consents").get_data(as_text=True)
    assert "Ihre bisherigen Antworten" in html and html.count("<tr>") == 3


def test_consent_page_refuses_bad_answers(app, make, client, auth):
    v = make.volunteer()
    auth.login(v)
    # the privacy notice is not withdrawn here, unknown purposes and forged ids change nothing
    for data in ({"purpose": "privacy", "text_id": "1", "answer": "no"},
                 {"purpose": "nonsense", "text_id": "1", "answer": "yes"},
                 {"purpose": "photos", "text_id": "x" * 500, "answer": "yes"},
                 {"purpose": "photos", "text_id": "1", "answer": "maybe"}):
        assert submit(client, "/people/consents", data).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ConsentRecord)) == 0


def test_answer_to_a_text_that_changed_meanwhile_is_not_recorded(app, make, client, auth):
    v = make.volunteer()
    auth.login(v)
    client.get("/people/consents")
    publish(app, "photos")
    with app.app_context():
        v1 = db.session.scalar(select(ConsentText.id).where(ConsentText.purpose == ConsentPurpose.PHOTOS,
                                                            ConsentText.version == 1))
    r = answer(client, "photos", True, text_id=v1)
    assert r.status_code == 302
    assert current_answer(app, v.id, "photos") is None
    assert "geändert" in client.get("/people/consents").get_data(as_text=True)


def test_consent_pages_need_a_log_in(client):
    assert client.get("/people/consents").status_code == 302
    assert client.get("/people/consents/renew").status_code == 302


# ---------------------------------------------------------------- withdrawal acts at once
def test_withdrawing_contact_stops_coordinators_messages_at_once(app, make, client, auth):
    from app.mail.models import OutboxMail
    from app.mail.services import send_message
    from app.people.services import volunteer_recipients

    office = make.office()
    keeps = make.volunteer(district_id=office.district_ids[0], consents=("contact",))
    leaves = make.volunteer(district_id=office.district_ids[0], consents=("contact",))
    never = make.volunteer(district_id=office.district_ids[0], consents=())

    def recipients():
        with app.app_context():
            return {row[0] for row in db.session.execute(volunteer_recipients(office.id))}

    assert recipients() == {keeps.id, leaves.id}  # no consent, no messages
    auth.login(leaves)
    answer(client, "contact", False, app=app)
    assert recipients() == {keeps.id}
    with app.app_context():
        send_message(sender=None, office_id=office.id, subject="Sommerfest", body="Hallo", audience="alle",
                     recipients=volunteer_recipients(office.id))
        sent_to = set(db.session.scalars(select(OutboxMail.user_id)))
    assert sent_to == {keeps.id} and never.id not in sent_to


def test_withdrawing_contact_also_stops_messages_already_queued(app, make, client, auth, deliver):
    """Review finding: a message queued before the withdrawal must not go out after it."""
    from app.mail.models import MailStatus, OutboxMail
    from app.mail.services import send_message
    from app.people.services import volunteer_recipients

    office = make.office()
    keeps = make.volunteer(district_id=office.district_ids[0], consents=("contact",))
    leaves = make.volunteer(district_id=office.district_ids[0], consents=("contact",))
    with app.app_context():
        send_message(sender=None, office_id=office.id, subject="Sommerfest", body="Hallo", audience="alle",
                     recipients=volunteer_recipients(office.id))
    auth.login(leaves)
    answer(client, "contact", False, app=app)
    sent = deliver()
    assert [m.recipients[0].split("<")[1].rstrip(">") for m in sent if m.subject == "Sommerfest"] == [keeps.email]
    with app.app_context():
        row = db.session.scalar(select(OutboxMail).where(OutboxMail.user_id == leaves.id))
        assert row.status == MailStatus.SKIPPED and row.last_error == "consent withdrawn"


def test_an_accept_header_does_not_skip_the_new_version_question(app, make, client, auth):
    from app.people import consent as service
    from app.people.models import ConsentPurpose

    user = make.volunteer(district_id=make.office().district_ids[0])
    with app.app_context():
        service.record_consent(user.id, ConsentPurpose.PRIVACY, True)
    from app.accounts.models import User

    with app.app_context():
        admin = db.session.get(User, make.admin().id)
        service.publish_text(ConsentPurpose.PRIVACY, title_de="Neu", title_en="New", body_de="Neu 2",
                             body_en="New 2", actor=admin)
    auth.login(user)
    r = client.get("/people/profile", headers={"Accept": "application/json"})
    assert r.status_code == 302 and "/consents/renew" in r.location


def test_contactable_volunteers_honour_the_contact_consent(app, make):
    from app.people.services import contactable_volunteers, count_rows

    office = make.office()
    yes = make.volunteer(district_id=office.district_ids[0], consents=("contact",))
    make.volunteer(district_id=office.district_ids[0], consents=("photos",))
    make.volunteer(district_id=office.district_ids[0], consents=("contact",), confirmed=False)
    with app.app_context():
        assert count_rows(contactable_volunteers()) == 1
        assert db.session.execute(contactable_volunteers()).one()[0] == yes.id


def test_withdrawing_share_with_partner_acts_at_once(app, make, client, auth):
    from app.accounts.models import User
    from app.people.consent import may_share_with_partner, shares_with_partner

    office = make.office()
    v = make.full_volunteer(office)  # contact + share_with_partner
    other = make.volunteer(district_id=office.district_ids[0], consents=())

    def sharing():
        with app.app_context():
            return (may_share_with_partner(v.id), set(db.session.scalars(
                select(User.id).where(shares_with_partner(User.id)))))

    assert sharing() == (True, {v.id})
    auth.login(v)
    answer(client, "share_with_partner", False, app=app)
    assert sharing() == (False, set())
    with app.app_context():
        assert not may_share_with_partner(other.id)


def test_withdrawing_photos_acts_at_once(app, make, client, auth):
    from app.people.consent import photo_consent

    office = make.office()
    a = make.volunteer(district_id=office.district_ids[0], consents=("photos",))
    b = make.volunteer(district_id=office.district_ids[0], consents=("photos",))
    c = make.volunteer(district_id=office.district_ids[0], consents=())
    with app.app_context():
        assert photo_consent([a.id, b.id, c.id]) == {a.id, b.id}
        assert photo_consent([]) == set()
    auth.login(a)
    answer(client, "photos", False, app=app)
    with app.app_context():
        assert photo_consent([a.id, b.id, c.id]) == {b.id}


# ---------------------------------------------------------------- asked again after a new version
def _registered(app, make, consents=("contact",)):
    """A volunteer who accepted privacy v1 (and `consents` v1)."""
    from app.people import consent

    office = make.office()
    v = make.volunteer(district_id=office.district_ids[0], consents=consents)
    with app.app_context():
        consent.record_consent(v.id, ConsentPurpose.PRIVACY, True)
    return v


def test_new_privacy_version_is_asked_at_the_next_log_in(app, make, client, auth):
    v = _registered(app, make)
    publish(app, "privacy")
    r = auth.login(v)
    assert r.status_code == 302
    r = client.get("/home")
    assert r.status_code == 302 and r.headers["Location"].startswith("/people/consents/renew")
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Wir haben die Datenschutzhinweise geändert" in page and "Version 2" in page and "Neu." in page
    assert "Abmelden" in page  # log-out is the other choice
    # declining the privacy notice is no way on
    renew = r.headers["Location"]
    submit(client, renew, {"purpose": "privacy", "text_id": _current_id(app, "privacy"), "answer": "no"})
    assert client.get("/home").status_code == 302
    r = submit(client, renew, {"purpose": "privacy", "text_id": _current_id(app, "privacy"), "answer": "yes"})
    assert r.status_code == 302
    r = client.get(r.headers["Location"])  # the renewal page, now with nothing left, sends on
    assert r.status_code == 302 and r.headers["Location"] == "/home"
    assert client.get("/home").status_code == 200
    assert current_answer(app, v.id, "privacy") == (True, 2)
    with app.app_context():  # the old answer stays in the history
        versions = [r.text.version for r in db.session.scalars(select(ConsentRecord).where(
            ConsentRecord.user_id == v.id, ConsentRecord.purpose == ConsentPurpose.PRIVACY).order_by(ConsentRecord.id))]
        assert versions == [1, 2]
    # answered: not asked again, also after logging in anew
    auth.logout()
    auth.login(v)
    assert client.get("/home").status_code == 200


def test_new_version_while_logged_in_is_asked_on_the_next_page(app, make, client, auth):
    v = _registered(app, make)
    auth.login(v)
    assert client.get("/home").status_code == 200
    publish(app, "contact")
    r = client.get("/account?x=1")
    assert r.status_code == 302 and "/people/consents/renew" in r.headers["Location"]
    assert "next=/account?x%3D1" in r.headers["Location"] or "next=%2Faccount%3Fx%3D1" in r.headers["Location"]
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Nein, ich bin nicht einverstanden" in page
    r = submit(client, r.headers["Location"], {"purpose": "contact", "text_id": _current_id(app, "contact"),
                                               "answer": "no"})
    r = client.get(r.headers["Location"])
    assert r.status_code == 302 and r.headers["Location"] == "/account?x=1"
    assert current_answer(app, v.id, "contact") == (False, 2)
    assert client.get("/home").status_code == 200


def test_declined_new_contact_version_stops_messages(app, make, client, auth):
    from app.people.services import volunteer_recipients

    v = _registered(app, make)
    publish(app, "contact")
    auth.login(v)
    renew = client.get("/home").headers["Location"]
    submit(client, renew, {"purpose": "contact", "text_id": _current_id(app, "contact"), "answer": "no"})
    with app.app_context():
        from app.people.models import VolunteerProfile

        office = db.session.get(VolunteerProfile, v.id).district.office_id
        assert v.id not in {r[0] for r in db.session.execute(volunteer_recipients(office))}


def test_only_people_who_agreed_to_the_old_version_are_asked(app, make, client, auth):
    declined = _registered(app, make, consents=())
    from app.people import consent

    with app.app_context():
        consent.record_consent(declined.id, ConsentPurpose.PHOTOS, False)
    staff = make.admin()  # never answered anything
    publish(app, "photos")
    publish(app, "privacy", admin_id=staff.id)
    auth.login(staff)
    assert client.get("/home").status_code == 200
    auth.logout()
    auth.login(declined)
    r = client.get("/home")
    assert "/people/consents/renew" in r.headers["Location"]  # privacy v1 accepted: asked
    submit(client, r.headers["Location"], {"purpose": "privacy", "text_id": _current_id(app, "privacy"),
                                           "answer": "yes"})
    assert client.get("/home").status_code == 200  # "no" to photos v1 is not asked again


@pytest.mark.parametrize("path", ["/datenschutz", "/impressum", "/healthz", "/static/css/app.css",
                                  "/people/consents/renew", "/my-data"])
def test_some_pages_never_redirect_to_the_renewal(app, make, client, auth, path):
    v = _registered(app, make)
    auth.login(v)
    publish(app, "privacy")
    assert client.get(path).status_code == 200, path
    # an Accept header skips nothing (only an /api/ path would be exempt)
    assert client.get("/home", headers={"Accept": "application/json"}).status_code == 302
    assert client.get("/home").status_code == 302


def test_log_out_works_while_a_renewal_waits(app, make, client, auth):
    v = _registered(app, make)
    auth.login(v)
    publish(app, "privacy")
    from tests.conftest import csrf_from

    page = client.get("/people/consents/renew").get_data(as_text=True)
    r = client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert client.get("/home").status_code == 302 and "/login" in client.get("/home").headers["Location"]


def test_up_to_date_people_cost_no_consent_query(app, make, client, auth):
    v = _registered(app, make)
    auth.login(v)
    client.get("/home")
    from tests.conftest import recorded_statements

    with recorded_statements(app) as statements:
        assert client.get("/home").status_code == 200
        assert client.get("/account").status_code == 200
    assert not [s for s in statements if "volunteer_consents" in s or "consent_texts" in s], statements


def _current_id(app, purpose) -> str:
    from app.people import consent

    with app.app_context():
        return str(consent.current_text(ConsentPurpose(purpose)).id)


# ---------------------------------------------------------------- my data: the consents section
def test_consents_section_in_my_data(app, make, client, auth):
    v = _registered(app, make, consents=("contact", "photos"))
    auth.login(v)
    data = client.get("/my-data/download").get_json()
    section = data["sections"]["consents"]["data"]
    assert {(c["purpose"], c["given"], c["version"]) for c in section["current"]} == {
        ("privacy", True, 1), ("contact", True, 1), ("photos", True, 1)}
    assert len(section["history"]) == 3


# ---------------------------------------------------------------- withdrawal and what is queued
EVENINGS = tuple((d, "evening") for d in range(7))


def _urgent_call_queued(app, make):
    from app.accounts.models import User
    from app.activities import urgent
    from app.mail.models import OutboxMail

    office = make.office()
    coord = make.coordinator(office)
    act = make.activity(office, roles=(("Tutor", 1),))
    person = make.full_volunteer(office, slots=EVENINGS)
    with app.test_request_context():
        urgent.send_call(db.session.get(User, coord.id), act.slot, 1, 5)
        row_id = db.session.scalar(select(OutboxMail.id).where(OutboxMail.user_id == person.id,
                                                               OutboxMail.kind == "activity_urgent_call"))
    assert row_id is not None
    return person, row_id


def test_withdrawal_skips_a_queued_urgent_call(app, make, deliver):
    from app.mail.models import MailStatus, OutboxMail
    from app.people.consent import WITHDRAWN_REASON, record_consent

    person, row_id = _urgent_call_queued(app, make)
    with app.app_context():
        record_consent(person.id, ConsentPurpose.CONTACT, False)
        row = db.session.get(OutboxMail, row_id)
        assert (row.status, row.last_error) == (MailStatus.SKIPPED, WITHDRAWN_REASON)
    assert not [m for m in deliver() if any(person.email in r for r in m.recipients)]


def test_the_worker_withholds_a_contact_mail_whose_consent_went_meanwhile(app, make, deliver):
    """A withdrawal that crossed the queueing (the mail committed after the withdrawal skipped
    what it saw): the worker's own look before sending keeps it back."""
    from app.mail.models import MailStatus, OutboxMail
    from app.people.consent import WITHDRAWN_REASON
    from app.people.models import VolunteerConsent

    person, row_id = _urgent_call_queued(app, make)
    with app.app_context():  # the consent gone without the withdrawal's own skip
        db.session.get(VolunteerConsent, (person.id, ConsentPurpose.CONTACT)).given = False
        db.session.commit()
    assert not [m for m in deliver() if any(person.email in r for r in m.recipients)]
    with app.app_context():
        row = db.session.get(OutboxMail, row_id)
        assert (row.status, row.last_error) == (MailStatus.SKIPPED, WITHDRAWN_REASON)


def test_withdrawal_keeps_a_queued_roster_message_about_their_own_sign_up(app, make, deliver):
    from app.accounts.models import User
    from app.activities import roster_messages as rm
    from app.activities import signup as svc
    from app.activities.models import Activity
    from app.mail.models import MailStatus, OutboxMail
    from app.mail.services import send_message
    from app.people.consent import record_consent

    office = make.office()
    act = make.activity(office)
    coord = make.coordinator(office)
    person = make.full_volunteer(office)
    with app.test_request_context():
        svc.sign_up(db.session.get(User, person.id), [act.slot])
        audience = rm.parse("all")
        send_message(sender=db.session.get(User, coord.id), office_id=office.id, subject="Kurs fällt aus",
                     body="Morgen fällt der Kurs aus.", recipients=rm.recipients(act.id, audience),
                     audience_data=rm.audience_data(db.session.get(Activity, act.id), audience))
        record_consent(person.id, ConsentPurpose.CONTACT, False)
        row = db.session.scalar(select(OutboxMail).where(OutboxMail.user_id == person.id,
                                                         OutboxMail.message_id.is_not(None)))
        assert row.status == MailStatus.QUEUED, (row.status, row.last_error)
    assert [m for m in deliver() if any(person.email in r for r in m.recipients)]
