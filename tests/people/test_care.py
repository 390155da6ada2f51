"""A volunteer's page for staff: profile, consents, status kept by coordinators, internal notes,
audit entries; who may see and change them."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.conftest import submit


@pytest.fixture
def office(make):
    return make.office("Büro Nord")


@pytest.fixture
def volunteer(make, office):
    return make.full_volunteer(office, name="Amina Haddad", status="new", phone="0231 555")


def _entries(app, action):
    from app.core.models import AuditEntry

    with app.app_context():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def test_page_shows_profile_consents_and_grid(make, office, volunteer, auth, client):
    auth.login(make.coordinator(office))
    html = client.get(f"/people/volunteers/{volunteer.id}").get_data(as_text=True)
    assert "Amina Haddad" in html and "0231 555" in html
    assert "Arabisch" in html  # language names in the viewer's language
    assert html.count('class="tag tag-ok"') == 2  # contact and share_with_partner given
    assert html.count('class="slot-free"') == 2  # Tuesday morning, Thursday afternoon
    assert 'id="status"' in html and 'id="notes"' in html


def test_other_office_answers_404_and_admin_sees_all(make, office, volunteer, auth, client):
    other = make.office()
    auth.login(make.coordinator(other))
    assert client.get(f"/people/volunteers/{volunteer.id}").status_code == 404
    assert client.get("/people/volunteers/999999").status_code == 404
    auth.logout()
    auth.login(make.admin())
    assert client.get(f"/people/volunteers/{volunteer.id}").status_code == 200


def test_status_change_is_kept_with_date_and_who_and_audited(app, make, office, volunteer, auth, client):
    c = make.coordinator(office, name="Clara Koordinatorin")
    auth.login(c)
    url = f"/people/volunteers/{volunteer.id}"
    r = submit(client, url + "/status", {"status": "introduced", "expected": "new"}, form_url=url)
    assert r.status_code == 302
    r = submit(client, url + "/status", {"status": "active", "expected": "introduced"}, form_url=url)
    assert r.status_code == 302
    from app.people.models import StatusChange, VolunteerProfile, VolunteerStatus

    with app.app_context():
        profile = db.session.get(VolunteerProfile, volunteer.id)
        assert profile.status == VolunteerStatus.ACTIVE
        changes = db.session.scalars(select(StatusChange).order_by(StatusChange.id)).all()
        assert [(c_.old_status, c_.new_status) for c_ in changes] == [
            (VolunteerStatus.NEW, VolunteerStatus.INTRODUCED), (VolunteerStatus.INTRODUCED, VolunteerStatus.ACTIVE)]
        assert all(ch.changed_by_id == c.id and ch.changed_at for ch in changes)
    entries = _entries(app, "volunteer.status_changed")
    assert [(e.detail["old"], e.detail["new"]) for e in entries] == [("new", "introduced"), ("introduced", "active")]
    assert all(e.office_id == office.id and e.record_id == volunteer.id for e in entries)
    html = client.get(url).get_data(as_text=True)
    assert "Clara Koordinatorin" in html  # history names who
    assert "Status einer ehrenamtlichen Person geändert" in html  # audit entries about this volunteer, in words


def test_same_status_and_stale_form_store_nothing(app, make, office, volunteer, auth, client):
    auth.login(make.coordinator(office))
    url = f"/people/volunteers/{volunteer.id}"
    r = submit(client, url + "/status", {"status": "new", "expected": "new"}, form_url=url)
    assert r.status_code == 400
    assert "Der Status ist schon" in r.get_data(as_text=True)
    # a colleague changed it meanwhile
    from app.people import care
    from app.accounts.models import User

    colleague = make.coordinator(office)
    with app.app_context():
        care.change_status(volunteer.id, "introduced", db.session.get(User, colleague.id))
    r = submit(client, url + "/status", {"status": "active", "expected": "new"}, form_url=url)
    assert r.status_code == 400
    assert "gerade auf" in r.get_data(as_text=True)
    from app.people.models import StatusChange, VolunteerProfile, VolunteerStatus

    with app.app_context():
        assert db.session.get(VolunteerProfile, volunteer.id).status == VolunteerStatus.INTRODUCED
        assert len(db.session.scalars(select(StatusChange)).all()) == 1
    # a status that does not exist
    r = submit(client, url + "/status", {"status": "vanished", "expected": "introduced"}, form_url=url)
    assert r.status_code == 400
    # a forged "expected" skips no check: told what the status is now, nothing changed
    r = submit(client, url + "/status", {"status": "active", "expected": "zzz"}, form_url=url)
    assert r.status_code == 400 and "gerade auf" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(VolunteerProfile, volunteer.id).status == VolunteerStatus.INTRODUCED


def test_another_offices_coordinator_cannot_change_or_note(app, make, office, volunteer, auth, client):
    other = make.office()
    auth.login(make.coordinator(other))
    token_page = client.get("/people/message")  # any page of theirs with a CSRF token
    from tests.conftest import csrf_from

    token = csrf_from(token_page.get_data(as_text=True))
    url = f"/people/volunteers/{volunteer.id}"
    assert client.post(url + "/status", data={"status": "left", "csrf_token": token}).status_code == 404
    assert client.post(url + "/notes", data={"body": "x", "csrf_token": token}).status_code == 404
    from app.people import care
    from app.accounts.models import User

    with app.app_context():
        with pytest.raises(care.NotInScope):
            care.change_status(volunteer.id, "left", db.session.get(User, make.coordinator(other).id))
    assert _entries(app, "volunteer.status_changed") == []


def test_notes_added_listed_and_audited_without_their_text(app, make, office, volunteer, auth, client):
    c = make.coordinator(office, name="Nora Notiz")
    auth.login(c)
    url = f"/people/volunteers/{volunteer.id}"
    r = submit(client, url + "/notes", {"body": "Spricht gut Arabisch, gern vormittags."}, form_url=url)
    assert r.status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert "Spricht gut Arabisch, gern vormittags." in html and "Nora Notiz" in html
    entries = _entries(app, "volunteer.note_added")
    assert len(entries) == 1 and entries[0].office_id == office.id
    assert "Arabisch" not in str(entries[0].detail)


@pytest.mark.parametrize("body", ["", "   ", "x" * 10_000, "bad\x00byte"])
def test_bad_notes_store_nothing(app, make, office, volunteer, auth, client, body):
    auth.login(make.coordinator(office))
    url = f"/people/volunteers/{volunteer.id}"
    r = submit(client, url + "/notes", {"body": body}, form_url=url)
    assert r.status_code == 400
    assert 'class="error"' in r.get_data(as_text=True)
    from app.people.models import VolunteerNote

    with app.app_context():
        assert db.session.scalars(select(VolunteerNote)).all() == []


def test_notes_are_in_my_data_and_erased_with_the_account(app, make, office, volunteer):
    from app.accounts.models import User
    from app.core.personal_data import collect_all, erase_all
    from app.people import care
    from app.people.models import VolunteerNote

    c = make.coordinator(office)
    with app.app_context():
        care.add_note(volunteer.id, "Kommt dienstags.", db.session.get(User, c.id))
        person = db.session.get(User, volunteer.id)
        data = dict((s.key, d) for s, d in collect_all(person))
        assert [n["text"] for n in data["notes"]] == ["Kommt dienstags."]
        assert "author" not in data["notes"][0]
        erase_all(person, None)
        db.session.commit()
        assert db.session.scalars(select(VolunteerNote)).all() == []


def test_volunteer_never_sees_notes_on_staff_pages(app, make, office, volunteer, auth, client):
    from app.accounts.models import User
    from app.people import care

    c = make.coordinator(office)
    with app.app_context():
        care.add_note(volunteer.id, "Interne Notiz", db.session.get(User, c.id))
    auth.login(volunteer)
    assert client.get(f"/people/volunteers/{volunteer.id}").status_code == 403


def test_sections_of_later_areas_appear_on_the_page(app, make, office, volunteer, auth, client):
    from jinja2 import ChoiceLoader, DictLoader

    from app.people import directory

    app.jinja_env.loader = ChoiceLoader([DictLoader({"test/signups.html": "<p>Sign-ups: {{ section_data|join(',') }}</p>"}),
                                         app.jinja_env.loader])
    directory.register_volunteer_section("test-signups", "Sign-ups", template="test/signups.html",
                                         load=lambda uid, viewer: ["Sprachcafé"] if uid == volunteer.id else [])
    try:
        auth.login(make.coordinator(office))
        html = client.get(f"/people/volunteers/{volunteer.id}").get_data(as_text=True)
        assert "Sign-ups: Sprachcafé" in html
    finally:
        directory._VOLUNTEER_SECTIONS.pop("test-signups")


def test_status_choices_are_in_the_page_language(app, make, client, auth):
    """The crawl saw English status names on German pages (labels resolved at import)."""
    office = make.office()
    volunteer = make.full_volunteer(office)
    auth.login(make.coordinator(office))
    html = client.get(f"/people/volunteers/{volunteer.id}", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert ">kennengelernt<" in html and ">introduced<" not in html
    html = client.get("/people/volunteers", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert ">pausiert<" in html
