"""Partner organisations: registration, approval by the right office, the public list, colleagues,
the last-contact rule, staff edits, my data."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.core.models import AuditEntry
from app.extensions import db
from app.mail.models import OutboxMail
from app.people.models import ChoiceItem, Organisation
from tests.conftest import PASSWORD, link_in, submit
from tests.conftest import count_statements


def org_data(district_ids, **kw):
    data = {"org_name": "Nachbarschaftshilfe Brackel", "kind": "association",
            "districts": [str(d) for d in district_ids], "website": "www.nachbarn-brackel.example",
            "offers": ["0", "4"], "description": "Wir helfen beim Umzug.\nUnd beim Deutschlernen."}
    data.update(kw)
    return data


def contact_data(**kw):
    data = {"name": "Amina Haddad", "email": "Amina@Example.org", "password": "ein langes passwort", "privacy": "y"}
    data.update(kw)
    return data


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def text(r):
    return r.get_data(as_text=True)


@pytest.fixture
def office(make):
    return make.office("Brackel + Aplerbeck", districts=("Brackel", "Aplerbeck"))


@pytest.fixture
def other_office(make):
    return make.office("Eving + Scharnhorst", districts=("Eving", "Scharnhorst"))


def need_ids(app, make):
    with app.app_context():
        make._reference()
        db.session.commit()
        return list(db.session.scalars(select(ChoiceItem.id).where(
            ChoiceItem.list_name == ChoiceItem.NEED_CATEGORIES).order_by(ChoiceItem.position).limit(2)))


# ---------------------------------------------------------------- registration
def test_register_creates_pending_org_with_unconfirmed_contact_and_mail(app, client, make, office, deliver):
    needs = need_ids(app, make)
    r = submit(client, "/partner/register", {**org_data(office.district_ids[:1], needs=[str(n) for n in needs]),
                                             **contact_data()})
    assert r.status_code == 200 and "amina@example.org" in text(r)
    with app.app_context():
        org = db.session.scalar(select(Organisation))
        assert org.state.value == "pending" and org.website == "https://www.nachbarn-brackel.example"
        assert [d.id for d in org.districts] == office.district_ids[:1]
        assert [k.name for k in org.offers()] == ["LANGUAGE_COURSE", "NEED_HELP"]
        assert [c.id for c in org.need_categories] == needs
        user = db.session.scalar(select(User))
        assert user.role.value == "partner" and user.organisation_id == org.id
        assert user.confirmed_at is None and user.password_hash.startswith("$argon2id$")
        assert user.organisation_joined_at is not None
        from app.people.models import ConsentPurpose, ConsentRecord, VolunteerConsent

        consent = db.session.get(VolunteerConsent, (user.id, ConsentPurpose.PRIVACY))
        assert consent is not None and consent.given  # the privacy version accepted is on record
        assert db.session.scalar(select(ConsentRecord.text_id).where(ConsentRecord.user_id == user.id)) == consent.text_id
    sent = deliver()
    assert [m.recipients for m in sent] == [["Amina Haddad <amina@example.org>"]]
    assert "/confirm/" in sent[0].body


def test_register_with_known_address_creates_nothing_and_reveals_nothing(app, client, make, office, deliver):
    existing = make.volunteer(email="amina@example.org")
    known = submit(client, "/partner/register", {**org_data(office.district_ids), **contact_data()})
    unknown = submit(app.test_client(), "/partner/register",
                     {**org_data(office.district_ids, org_name="Anderer Verein"), **contact_data(email="neu@example.org")})
    assert known.status_code == unknown.status_code == 200

    def page(r, email):
        return text(r).replace(email, "X").split("<main")[1]

    assert page(known, "amina@example.org") == page(unknown, "neu@example.org")
    assert count(app, Organisation, Organisation.name == "Nachbarschaftshilfe Brackel") == 0
    assert count(app, User) == 2  # the existing one and neu@
    mails = {m.recipients[0]: m for m in deliver()}
    hint = next(m for r, m in mails.items() if existing.email in r)
    assert "/confirm/" not in hint.body and "/partner/register" in hint.body and "/forgot-password" in hint.body


def test_hint_mails_to_a_known_address_are_capped(app, client, make, office):
    make.volunteer(email="amina@example.org")
    for i in range(5):
        submit(client, "/partner/register", {**org_data(office.district_ids, org_name=f"V{i}"), **contact_data()})
    assert count(app, OutboxMail, OutboxMail.kind == "organisation_account_exists") == 3


@pytest.mark.parametrize("change,field", [
    ({"website": "javascript:alert(1)"}, "website"),
    ({"website": "ftp://example.org"}, "website"),
    ({"districts": ["999999"]}, "districts"),
    ({"districts": []}, "districts"),
    ({"kind": "sect"}, "kind"),
    ({"offers": ["77"]}, "offers"),
    ({"needs": ["999999"]}, "needs"),
    ({"description": "x" * 10_000}, "description"),
    ({"org_name": "Verein\u202eabc"}, "org_name"),
    ({"org_name": ""}, "org_name"),
])
def test_bad_input_is_a_field_error_and_stores_nothing(app, client, make, office, change, field):
    need_ids(app, make)
    r = submit(client, "/partner/register", {**org_data(office.district_ids), **contact_data(), **change})
    assert r.status_code == 200
    assert f'id="{field}-error"' in text(r), field
    assert count(app, Organisation) == 0 and count(app, User) == 0


def test_taken_name_is_refused(app, client, make, office):
    make.organisation(name="Nachbarschaftshilfe Brackel", districts=office.district_ids)
    r = submit(client, "/partner/register", {**org_data(office.district_ids, org_name="nachbarschaftshilfe brackel"),
                                             **contact_data()})
    assert 'id="org_name-error"' in text(r)
    assert count(app, User, User.email == "amina@example.org") == 0


def test_registration_is_rate_limited(client, office):
    codes = [submit(client, "/partner/register", {"org_name": ""}).status_code for _ in range(12)]
    assert codes[0] == 200 and codes[-1] == 429


def test_logged_in_volunteer_registers_and_becomes_contact(app, client, make, auth, office):
    volunteer = make.volunteer()
    auth.login(volunteer)
    page = text(client.get("/partner/register"))
    assert 'name="password"' not in page and volunteer.email in page
    r = submit(client, "/partner/register", org_data(office.district_ids))
    assert r.status_code == 302 and r.location.endswith("/partner/organisation")
    with app.app_context():
        user = db.session.get(User, volunteer.id)
        assert user.role.value == "partner" and user.organisation.name == "Nachbarschaftshilfe Brackel"
        assert user.organisation.state.value == "pending"
    assert "waiting for approval" in text(client.get("/home")) or "Freigabe" in text(client.get("/home"))


def test_staff_and_unconfirmed_cannot_register_for_their_account(client, make, auth, office):
    auth.login(make.coordinator(office))
    assert client.get("/partner/register").status_code == 403
    auth.logout()
    auth.login(make.volunteer(confirmed=False))
    assert client.get("/partner/register").status_code == 302  # to "please confirm"


# ---------------------------------------------------------------- approval
def test_coordinator_sees_and_approves_pending_org_of_own_office_with_mail_and_audit(
        app, client, make, auth, office, other_office, deliver):
    org = make.organisation(name="Verein Brackel", districts=office.district_ids[:1], state="pending", contacts=2)
    elsewhere = make.organisation(name="Verein Eving", districts=other_office.district_ids, state="pending")
    coordinator = make.coordinator(office)
    auth.login(coordinator)
    listing = text(client.get("/people/organisations?state=pending"))
    assert "Verein Brackel" in listing and "Verein Eving" not in listing
    assert client.get(f"/people/organisations/{elsewhere.id}").status_code == 404
    assert submit(client, f"/people/organisations/{elsewhere.id}/approve", {},
                  form_url=f"/people/organisations/{org.id}").status_code == 404
    r = submit(client, f"/people/organisations/{org.id}/approve", {}, form_url=f"/people/organisations/{org.id}")
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(Organisation, org.id).state.value == "approved"
        assert db.session.get(Organisation, elsewhere.id).state.value == "pending"
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "organisation.approved"))
        assert entry.record_id == org.id and entry.office_id == office.id and entry.actor_id == coordinator.id
        mails = db.session.scalars(select(OutboxMail).where(OutboxMail.kind == "organisation_approved")).all()
        assert {m.to_address for m in mails} == {c.email for c in org.contacts}
        assert {m.office_id for m in mails} == {office.id}
    assert all("Verein Brackel" in m.subject for m in deliver())


def test_refusal_needs_a_reason_and_mails_it(app, client, make, auth, office, deliver):
    org = make.organisation(name="Verein Brackel", districts=office.district_ids, state="pending")
    auth.login(make.coordinator(office))
    url = f"/people/organisations/{org.id}"
    r = submit(client, f"{url}/refuse", {"reason": "   "}, form_url=url)
    assert r.status_code == 200 and 'id="reason-error"' in text(r)
    r = submit(client, f"{url}/refuse", {"reason": "x" * 501}, form_url=url)
    assert 'id="reason-error"' in text(r)
    with app.app_context():
        assert db.session.get(Organisation, org.id).state.value == "pending"
    assert count(app, OutboxMail) == 0
    r = submit(client, f"{url}/refuse", {"reason": "Wir finden den Verein nicht im Register."}, form_url=url)
    assert r.status_code == 302
    with app.app_context():
        o = db.session.get(Organisation, org.id)
        assert o.state.value == "refused" and o.refusal_reason.startswith("Wir finden")
        assert count(app, AuditEntry, AuditEntry.action == "organisation.refused") == 1
    (mail,) = deliver()
    assert "Wir finden den Verein nicht im Register." in mail.body and "Wir finden" in mail.html
    # refused, it can't be refused twice, but approved after all (a mistake, or what was missing came)
    assert "Doch bestätigen" in text(client.get(url))
    submit(client, f"{url}/refuse", {"reason": "Noch einmal."}, form_url=url)
    with app.app_context():
        assert db.session.get(Organisation, org.id).state.value == "refused"
    submit(client, f"{url}/approve", {}, form_url=url)
    with app.app_context():
        o = db.session.get(Organisation, org.id)
        assert o.state.value == "approved" and o.refusal_reason == ""
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "organisation.approved"))
        assert entry.detail["old_state"] == "refused"
    assert [m.subject for m in deliver()]  # the approval mail


def test_admin_decides_anywhere_and_office_override_words_the_mail(app, client, make, auth, office, deliver):
    from app.mail.services import save_override

    org = make.organisation(districts=office.district_ids, state="pending")
    with app.app_context():
        save_override(office.id, "organisation_approved", "de", "Willkommen, {{ organisation }}!",
                      "Hallo {{ user.name }}, das Büro {{ office }} freut sich.", actor=None)
        db.session.commit()
    auth.login(make.admin())
    submit(client, f"/people/organisations/{org.id}/approve", {}, form_url=f"/people/organisations/{org.id}")
    (mail,) = deliver()
    assert mail.subject == f"Willkommen, {org.name}!" and "Brackel + Aplerbeck" in mail.body


def test_pending_and_refused_contacts_see_state_and_reason_only(app, client, make, auth, office):
    org = make.organisation(name="Verein Brackel", districts=office.district_ids, state="pending")
    contact = org.contacts[0]
    auth.login(contact)
    page = text(client.get("/partner/organisation"))
    assert "Verein Brackel" in page and "/partner/organisation/edit" not in page and 'name="inv-email"' not in page
    assert client.get("/partner/organisation/edit").status_code == 404
    r = submit(client, "/partner/organisation/invite", {"inv-email": "x@example.org"}, form_url="/partner/organisation",
               prefix="inv-")
    assert r.status_code == 404
    with app.app_context():
        o = db.session.get(Organisation, org.id)
        o.state, o.refusal_reason = "refused", "Kein Bezug zu Dortmund."
        db.session.commit()
    assert "Kein Bezug zu Dortmund." in text(client.get("/partner/organisation"))
    assert "Kein Bezug zu Dortmund." in text(client.get("/home"))


def test_partner_contact_sees_no_staff_pages_and_no_volunteer_data(app, client, make, auth, office):
    volunteer = make.full_volunteer(office, phone="0231 999888")
    org = make.organisation(districts=office.district_ids)
    auth.login(org.contacts[0])
    for path in ["/people/organisations", f"/people/organisations/{org.id}", "/people/message", "/offices/"]:
        assert client.get(path).status_code == 403, path
    page = text(client.get("/partner/organisation"))
    assert volunteer.email not in page and "999888" not in page


# ---------------------------------------------------------------- public list
def test_public_list_shows_approved_only_and_nothing_private(app, client, make, office, other_office):
    approved = make.organisation(name="Sichtbar e. V.", districts=office.district_ids[:1], contacts=2)
    make.organisation(name="Wartend e. V.", districts=office.district_ids, state="pending")
    make.organisation(name="Abgelehnt e. V.", districts=office.district_ids, state="refused")
    make.organisation(name="Inaktiv e. V.", districts=office.district_ids, state="inactive")
    page = text(client.get("/partner"))
    assert "Sichtbar e. V." in page and "Wir helfen." in page
    for hidden in ("Wartend", "Abgelehnt", "Inaktiv"):
        assert hidden not in page
    for contact in approved.contacts:
        assert contact.email not in page and contact.name not in page


def test_public_list_filters_by_district_and_type(app, client, make, office, other_office):
    make.organisation(name="Gemeinde Eving", districts=other_office.district_ids[:1], kind="parish")
    make.organisation(name="Verein Brackel", districts=office.district_ids[:1])
    page = text(client.get(f"/partner?district={other_office.district_ids[0]}"))
    assert "Gemeinde Eving" in page and "Verein Brackel" not in page
    page = text(client.get("/partner?type=association"))
    assert "Verein Brackel" in page and "Gemeinde Eving" not in page
    # unknown values are ignored, never a 500
    for q in ["?type=sect", "?district=abc", "?district=99999999999999999999", "?page=10000000000000000"]:
        assert client.get("/partner" + q).status_code == 200


def _grow(make, districts, n):
    for _ in range(n):
        make.organisation(districts=districts, contacts=1)
        make.organisation(districts=districts, state="pending", contacts=0)


def test_public_list_statement_count_does_not_grow(app, client, make, office):
    _grow(make, office.district_ids, 3)
    small = count_statements(app, client, "/partner")
    _grow(make, office.district_ids, 20)
    large = count_statements(app, client, "/partner")
    assert small == large <= 4


def test_staff_list_statement_count_does_not_grow_and_paginates(app, client, make, auth, office):
    auth.login(make.coordinator(office))
    _grow(make, office.district_ids, 3)
    small = count_statements(app, client, "/people/organisations?state=approved")
    _grow(make, office.district_ids, 30)
    large = count_statements(app, client, "/people/organisations?state=approved")
    assert small == large <= 8
    page2 = text(client.get("/people/organisations?page=2"))
    assert "Seite 2 von 2" in page2 or "Page 2 of 2" in page2


def test_staff_list_filters(app, client, make, auth, office):
    make.organisation(name="Schule Brackel", districts=office.district_ids[:1], kind="school")
    make.organisation(name="Verein Aplerbeck", districts=office.district_ids[1:], state="pending")
    auth.login(make.admin())
    assert "Verein Aplerbeck" not in text(client.get("/people/organisations?type=school"))
    page = text(client.get(f"/people/organisations?district={office.district_ids[1]}"))
    assert "Verein Aplerbeck" in page and "Schule Brackel" not in page
    assert "Schule Brackel" in text(client.get("/people/organisations?q=schule"))
    assert "Schule Brackel" not in text(client.get("/people/organisations?q=%25"))


# ---------------------------------------------------------------- colleagues
def test_invitation_of_a_new_address_creates_a_contact_once(app, client, make, auth, office, deliver):
    org = make.organisation(districts=office.district_ids)
    auth.login(org.contacts[0])
    r = submit(client, "/partner/organisation/invite", {"inv-email": "kollegin@example.org"},
               form_url="/partner/organisation", prefix="inv-")
    assert r.status_code == 302
    link = link_in(deliver()[0], "/partner/join/")
    auth.logout()
    anonymous = app.test_client()
    assert "kollegin@example.org" in text(anonymous.get(link))
    r = submit(anonymous, link, {"name": "Kollegin", "password": "noch ein langes passwort",
                                 "confirm": "noch ein langes passwort", "privacy": "y"})
    assert r.status_code == 302 and r.location.endswith("/partner/organisation")  # logged in at once
    page = text(anonymous.get("/partner/organisation"))
    assert "Kollegin" in page and "Sie sind jetzt Ansprechperson" in page  # the welcome survives the log-in
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "kollegin@example.org"))
        assert user.role.value == "partner" and user.organisation_id == org.id and user.confirmed_at
    # single use
    again = app.test_client().get(link, follow_redirects=True)
    assert "already been used" in text(again) or "bereits benutzt" in text(again)
    assert count(app, User, User.email == "kollegin@example.org") == 1


def test_invitation_expires(app, client, make, auth, office, deliver, monkeypatch):
    from app.people import organisations

    org = make.organisation(districts=office.district_ids)
    auth.login(org.contacts[0])
    submit(client, "/partner/organisation/invite", {"inv-email": "k@example.org"}, form_url="/partner/organisation",
           prefix="inv-")
    link = link_in(deliver()[0], "/partner/join/")
    monkeypatch.setattr(organisations, "INVITE_MAX_AGE", -1)
    r = app.test_client().get(link, follow_redirects=True)
    assert "expired" in text(r) or "abgelaufen" in text(r)


def test_invitation_tells_the_inviter_nothing_and_known_address_joins_after_login(
        app, client, make, auth, office, deliver):
    org = make.organisation(districts=office.district_ids)
    known = make.volunteer(email="known@example.org")
    auth.login(org.contacts[0])
    answers = []
    for email in ("known@example.org", "unknown@example.org"):
        r = submit(client, "/partner/organisation/invite", {"inv-email": email}, form_url="/partner/organisation",
                   prefix="inv-", follow_redirects=True)
        answers.append(text(r).replace(email, "X").split("<main")[1].split('name="csrf_token"')[0])
    assert answers[0] == answers[1]
    mails = {m.recipients[0]: m for m in deliver()}
    assert mails["known@example.org"].body.replace("known", "") .split("/partner/join/")[0] == \
        mails["unknown@example.org"].body.replace("unknown", "").split("/partner/join/")[0]
    link = link_in(mails["known@example.org"], "/partner/join/")
    auth.logout()
    r = client.get(link)
    assert r.status_code == 302 and "/login" in r.location
    # someone else logged in can't take it
    other = make.volunteer()
    auth.login(other)
    assert client.get(link).status_code == 302
    with app.app_context():
        assert db.session.get(User, other.id).organisation_id is None
    auth.logout()
    auth.login(known)
    assert org.name in text(client.get(link))
    r = submit(client, link, {})
    assert r.status_code == 302
    with app.app_context():
        user = db.session.get(User, known.id)
        assert user.organisation_id == org.id and user.role.value == "partner"
    assert submit(client, link, {}, form_url="/partner/organisation").status_code == 302  # used: no harm


def test_invitation_of_a_staff_account_is_refused(app, client, make, auth, office, deliver):
    org = make.organisation(districts=office.district_ids)
    coordinator = make.coordinator(office)
    auth.login(org.contacts[0])
    submit(client, "/partner/organisation/invite", {"inv-email": coordinator.email}, form_url="/partner/organisation",
           prefix="inv-")
    link = link_in(deliver()[0], "/partner/join/")
    auth.logout()
    auth.login(coordinator)
    submit(client, link, {})
    with app.app_context():
        assert db.session.get(User, coordinator.id).role.value == "coordinator"


def test_last_contact_cannot_leave_until_a_colleague_joined(app, client, make, auth, office):
    org = make.organisation(districts=office.district_ids, contacts=1)
    auth.login(org.contacts[0])
    r = submit(client, "/partner/organisation/leave", {"confirm": "yes"}, form_url="/partner/organisation",
               follow_redirects=True)
    assert "invite a colleague" in text(r) or "Kollegin" in text(r) or "Kollegen" in text(r)
    with app.app_context():
        assert db.session.get(User, org.contacts[0].id).organisation_id == org.id
        colleague = db.session.get(User, make.user("partner", organisation_id=org.id).id)
        assert colleague.organisation_id == org.id
    r = submit(client, "/partner/organisation/leave", {}, form_url="/partner/organisation", follow_redirects=True)
    assert "Bitte setzen Sie den Haken" in text(r)  # not confirmed: nothing happens
    with app.app_context():
        assert db.session.get(User, org.contacts[0].id).organisation_id == org.id
    r = submit(client, "/partner/organisation/leave", {"confirm": "yes"}, form_url="/partner/organisation")
    assert r.status_code == 302
    with app.app_context():
        user = db.session.get(User, org.contacts[0].id)
        assert user.organisation_id is None and user.role.value == "volunteer"


def test_contact_edits_own_details_name_stays_unique_not_audited(app, client, make, auth, office, other_office):
    make.organisation(name="Schon Da", districts=office.district_ids)
    org = make.organisation(name="Mein Verein", districts=office.district_ids)
    auth.login(org.contacts[0])
    data = org_data(office.district_ids[:1], org_name="Schon da")
    r = submit(client, "/partner/organisation/edit", data)
    assert 'id="org_name-error"' in text(r)
    # another office's district: that office's decision, said at the field
    r = submit(client, "/partner/organisation/edit", {**org_data(other_office.district_ids[:1]),
                                                       "org_name": "Mein neuer Verein"})
    assert 'id="districts-error"' in text(r) and "anderen Büros" in text(r)
    r = submit(client, "/partner/organisation/edit", {**data, "org_name": "Mein neuer Verein"})
    assert r.status_code == 302
    with app.app_context():
        o = db.session.get(Organisation, org.id)
        assert o.name == "Mein neuer Verein" and [d.id for d in o.districts] == office.district_ids[:1]
    assert count(app, AuditEntry) == 0


def test_staff_edit_is_audited_and_another_office_answers_404(app, client, make, auth, office, other_office):
    org = make.organisation(name="Verein Brackel", districts=office.district_ids)
    elsewhere = make.organisation(name="Verein Eving", districts=other_office.district_ids)
    auth.login(make.coordinator(office))
    assert client.get(f"/people/organisations/{elsewhere.id}/edit").status_code == 404
    r = submit(client, f"/people/organisations/{org.id}/edit", org_data(office.district_ids, org_name="Verein B."))
    assert r.status_code == 302
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "organisation.updated"))
        assert entry.office_id == office.id and "name" in entry.detail["fields"]
    for action in ("deactivate", "reactivate", "approve", "refuse"):
        assert submit(client, f"/people/organisations/{elsewhere.id}/{action}", {"reason": "x"},
                      form_url=f"/people/organisations/{org.id}").status_code == 404


def test_deactivate_and_reactivate(app, client, make, auth, office):
    org = make.organisation(name="Verein Brackel", districts=office.district_ids)
    auth.login(make.coordinator(office))
    url = f"/people/organisations/{org.id}"
    submit(client, f"{url}/deactivate", {}, form_url=url)
    assert "Verein Brackel" not in text(app.test_client().get("/partner"))
    submit(client, f"{url}/reactivate", {}, form_url=url)
    assert "Verein Brackel" in text(app.test_client().get("/partner"))
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["organisation.deactivated", "organisation.reactivated"]


def test_forged_ids_answer_404_not_500(client, make, auth, office):
    auth.login(make.admin())
    assert client.get("/people/organisations/99999").status_code == 404
    assert client.get("/people/organisations/999999999999999999999").status_code == 404
    assert client.get("/partner/join/garbage", follow_redirects=True).status_code == 200


# ---------------------------------------------------------------- my data
def test_personal_data_section_collects_and_erases(app, make, office):
    from app.core.personal_data import collect_all, erase_all

    org = make.organisation(name="Verein Brackel", districts=office.district_ids, contacts=1)
    with app.app_context():
        user = db.session.get(User, org.contacts[0].id)
        data = dict((s.key, d) for s, d in collect_all(user))
        assert data["organisation"]["organisation"] == "Verein Brackel"
        erase_all(user, None)
        db.session.commit()
        assert user.organisation_id is None
        o = db.session.get(Organisation, org.id)
        assert o is not None and o.contacts == []


def test_staff_list_points_to_pending_ones_of_own_offices(app, client, make, auth, office, other_office):
    make.organisation(districts=other_office.district_ids, state="pending")
    auth.login(make.coordinator(office))
    assert "state=pending" not in text(client.get("/people/organisations"))
    make.organisation(districts=office.district_ids, state="pending")
    assert "state=pending" in text(client.get("/people/organisations"))


def test_an_invitation_ends_when_the_contact_who_sent_it_has_left(app, make, office):
    import re

    from app.core.tokens import TokenError
    from app.people import organisations as svc

    org = make.organisation(districts=office.district_ids, contacts=2)
    inviter, _other = org.contacts
    with app.test_request_context():
        svc.invite_colleague(db.session.get(Organisation, org.id), db.session.get(User, inviter.id), "new@example.org")
        mail = db.session.scalar(select(OutboxMail).where(OutboxMail.to_address == "new@example.org"))
        token = re.search(r"/partner/join/(\S+)", mail.body_text).group(1)
        assert svc.read_invitation(token).organisation.id == org.id  # while the inviter is a contact
        svc.leave_organisation(db.session.get(User, inviter.id))
        with pytest.raises(TokenError):
            svc.read_invitation(token)
        with pytest.raises(TokenError):
            svc.accept_invitation_new(token, "New Person", "a sturdy passphrase 42", locale="de")
        assert db.session.scalar(select(User).where(User.email == "new@example.org")) is None


def test_districts_cannot_take_an_approved_organisation_into_another_offices_area(app, make):
    from app.people import organisations as svc
    from app.people.models import OrganisationType

    a, b = make.office(), make.office()
    org = make.organisation(districts=a.district_ids[:1])
    coord_a, admin = make.coordinator(a), make.admin()

    def edit(actor_id, districts, offices):
        with app.app_context():
            data = svc.OrganisationData(name=f"Verein {org.id}", kind=OrganisationType.ASSOCIATION,
                                        district_ids=districts, description="Wir helfen.")
            try:
                svc.update_organisation(org.id, data, db.session.get(User, actor_id), offices)
            except svc.OrganisationError as exc:
                return exc.args[0] if exc.args else "error"
            return "saved"

    contact = org.contacts[0].id
    assert edit(contact, [b.district_ids[0]], None) == "districts-office"  # the contact: not into B
    assert edit(contact, a.district_ids, None) == "saved"  # within its office: fine
    assert edit(coord_a.id, [a.district_ids[0], b.district_ids[0]], {a.id}) == "districts-office"
    assert edit(admin.id, [a.district_ids[0], b.district_ids[0]], None) == "saved"  # an admin may
    assert edit(coord_a.id, [b.district_ids[0]], {a.id}) == "districts-office"  # out of A's own reach
    with app.app_context():
        assert sorted(d.id for d in db.session.get(Organisation, org.id).districts) == \
            sorted([a.district_ids[0], b.district_ids[0]])


def test_a_bad_filter_value_on_the_staff_list_is_said_at_its_field(client, make, auth, office, other_office):
    make.organisation(name="Verein Brackel", districts=office.district_ids)
    auth.login(make.coordinator(office))
    for query, field in (("state=evil", "f-state"), ("type=evil", "f-type"), ("district=abc", "f-district"),
                         (f"district={other_office.district_ids[0]}", "f-district")):
        r = client.get(f"/people/organisations?{query}")
        assert r.status_code == 200
        page = text(r)
        assert f'id="{field}-error"' in page and "Bitte wählen Sie einen Wert aus der Liste." in page, query
        assert "Verein Brackel" in page  # the bad value is not applied
    assert "-error" not in text(client.get(f"/people/organisations?district={office.district_ids[0]}&state=approved"))
