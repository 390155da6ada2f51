"""The volunteer's own profile: services (each rule, forged and unknown input), the first-time
steps, the edit page, who may see it, "my data" and erasure, and the page's statement count."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.core.models import AuditEntry
from app.extensions import db
from app.people import profiles
from app.people.models import (ActivityKind, ChoiceItem, StatusChange, VolunteerLanguage, VolunteerNote,
                               VolunteerProfile, slot_bit)
from app.people.profiles import ProfileInputError
from tests.conftest import submit
from tests.conftest import count_statements


@pytest.fixture
def office(make):
    return make.office("Büro Brackel", districts=("Brackel", "Aplerbeck"))


@pytest.fixture
def volunteer(app, make, office):
    with app.app_context():
        make._reference()
    return make.volunteer()


def _profile(app, user_id):
    with app.app_context():
        return profiles.get_profile(user_id)


def _new_profile(app, user_id):
    from app.accounts.models import User

    with app.app_context():
        profiles.ensure_profile(db.session.get(User, user_id))


def _user(user_id):
    from app.accounts.models import User

    return db.session.get(User, user_id)


def _skill(key, list_name=ChoiceItem.SKILLS):
    return db.session.scalar(select(ChoiceItem).where(ChoiceItem.list_name == list_name, ChoiceItem.key == key))


# ---------------------------------------------------------------- services
def test_district_presets_the_office_once(app, volunteer, office, make):
    other = make.office("Büro Nord", districts=("Innenstadt-Nord",))
    _new_profile(app, volunteer.id)
    with app.app_context():
        me = _user(volunteer.id)
        profiles.set_district(volunteer.id, office.district_ids[1], me)
        p = profiles.get_profile(volunteer.id)
        assert p.district.name == "Brackel" and [o.id for o in p.offices] == [office.id]
        profiles.set_offices(volunteer.id, [other.id], me)
        profiles.set_district(volunteer.id, office.district_ids[0], me)  # chosen offices stay
        assert [o.id for o in profiles.get_profile(volunteer.id).offices] == [other.id]
        profiles.set_district(volunteer.id, None, me)
        assert profiles.get_profile(volunteer.id).district_id is None


def test_forged_district_and_office_ids_are_refused(app, volunteer, office):
    _new_profile(app, volunteer.id)
    with app.app_context():
        me = _user(volunteer.id)
        with pytest.raises(ProfileInputError) as exc:
            profiles.set_district(volunteer.id, 99999, me)
        assert exc.value.field == "district"
        db.session.rollback()
        with pytest.raises(ProfileInputError) as exc:
            profiles.set_offices(volunteer.id, [office.id, 99999], me)
        assert exc.value.field == "offices"
        db.session.rollback()
        assert profiles.get_profile(volunteer.id).offices == []


def test_languages_replace_and_check(app, volunteer):
    _new_profile(app, volunteer.id)
    with app.app_context():
        me = _user(volunteer.id)
        profiles.set_languages(volunteer.id, [("de", 2), ("ar", 4)], me)
        profiles.set_languages(volunteer.id, [("ar", 3), ("kmr", 1)], me)
        rows = db.session.execute(select(VolunteerLanguage.code, VolunteerLanguage.level)
                                  .where(VolunteerLanguage.user_id == volunteer.id)
                                  .order_by(VolunteerLanguage.code)).all()
        assert [tuple(r) for r in rows] == [("ar", 3), ("kmr", 1)]
        for entries, field, index in ([("xx", 2)], "code", 0), ([("de", 2), ("de", 3)], "code", 1), \
                ([("de", 0)], "level", 0), ([("de", 5)], "level", 0), ([("de", "x")], "level", 0), \
                ([("a" * 10000, 2)], "code", 0):
            with pytest.raises(ProfileInputError) as exc:
                profiles.set_languages(volunteer.id, entries, me)
            assert (exc.value.field, exc.value.index) == (field, index), entries
        too_many = [(c, 2) for c in ["de", "ar", "fa", "prs", "kmr", "ckb", "uk", "ru", "tr", "ti", "ps", "so", "fr"]]
        with pytest.raises(ProfileInputError):
            profiles.set_languages(volunteer.id, too_many, me)
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(VolunteerLanguage)
                                 .where(VolunteerLanguage.user_id == volunteer.id)) == 2


def test_skills_refuse_other_lists_and_retired_entries(app, volunteer):
    _new_profile(app, volunteer.id)
    with app.app_context():
        me = _user(volunteer.id)
        cooking, driving = _skill("cooking"), _skill("driving")
        profiles.set_skills(volunteer.id, [cooking.id, driving.id], [ActivityKind.THEATRE.value], me)
        p = profiles.get_profile(volunteer.id)
        assert {s.key for s in p.skills} == {"cooking", "driving"} and p.wants() == [ActivityKind.THEATRE]
        need = _skill("furniture", ChoiceItem.NEED_CATEGORIES)
        with pytest.raises(ProfileInputError) as exc:
            profiles.set_skills(volunteer.id, [need.id], [], me)
        assert exc.value.field == "skills"
        db.session.rollback()
        with pytest.raises(ProfileInputError) as exc:
            profiles.set_skills(volunteer.id, [cooking.id], [99], me)
        assert exc.value.field == "kinds"
        db.session.rollback()
        # retired: kept where held, refused where not
        homework = _skill("homework")
        driving.active = homework.active = False
        db.session.commit()
        profiles.set_skills(volunteer.id, [driving.id], [], me)
        assert [s.key for s in profiles.get_profile(volunteer.id).skills] == ["driving"]
        with pytest.raises(ProfileInputError):
            profiles.set_skills(volunteer.id, [homework.id], [], me)
        db.session.rollback()
        assert "homework" not in {s.key for s in profiles.offered_skills(profiles.get_profile(volunteer.id))}
        assert "driving" in {s.key for s in profiles.offered_skills(profiles.get_profile(volunteer.id))}


def test_times_grid_and_hours(app, volunteer):
    _new_profile(app, volunteer.id)
    with app.app_context():
        me = _user(volunteer.id)
        bits = profiles.slots_to_bits([(1, 0), (6, 2)])
        profiles.set_times(volunteer.id, bits, 8, me)
        p = profiles.get_profile(volunteer.id)
        assert p.free(1, 0) and p.free(6, 2) and not p.free(0, 0) and p.hours_per_month == 8
        profiles.set_times(volunteer.id, 0, None, me)  # an empty grid: no fixed times
        assert profiles.get_profile(volunteer.id).availability == 0
        for bits, hours, field in ((1 << 21, 1, "slots"), (-1, 1, "slots"), (0, 201, "hours"), (0, -1, "hours")):
            with pytest.raises(ProfileInputError) as exc:
                profiles.set_times(volunteer.id, bits, hours, me)
            assert exc.value.field == field
        with pytest.raises(ProfileInputError):
            profiles.slots_to_bits([(7, 0)])
        assert profiles.slot_label(1, 0) == "Dienstag vormittags"


def test_phone_is_checked_loosely(app, volunteer):
    _new_profile(app, volunteer.id)
    with app.app_context():
        me = _user(volunteer.id)
        profiles.set_phone(volunteer.id, " +49 (231) 12-34/56 ", me)
        assert profiles.get_profile(volunteer.id).phone == "+49 (231) 12-34/56"
        for bad in ("call me", "0231 1234 ext. 5", "+++", "1" * 41, "1" * 10000):
            with pytest.raises(ProfileInputError):
                profiles.set_phone(volunteer.id, bad, me)
        profiles.set_phone(volunteer.id, "", me)
        assert profiles.get_profile(volunteer.id).phone == ""


def test_staff_changes_are_audited_own_are_not(app, make, office):
    v = make.volunteer(district_id=office.district_ids[0])
    coordinator = make.coordinator(office)
    with app.app_context():
        profiles.set_phone(v.id, "0231 1", _user(v.id))
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0
        profiles.set_phone(v.id, "0231 2", _user(coordinator.id))
        entry = db.session.scalar(select(AuditEntry))
        assert (entry.action, entry.record_id, entry.office_id, entry.detail["section"]) == \
               ("profile.updated", v.id, office.id, "phone")


def test_my_data_section_and_erasure(app, make, office):
    from app.core.personal_data import collect_all, erase_all

    v = make.full_volunteer(office)
    with app.app_context():
        db.session.add(VolunteerNote(user_id=v.id, body="Sehr zuverlässig"))
        db.session.add(StatusChange(user_id=v.id, new_status="active"))
        db.session.commit()
        data = dict((s.key, d) for s, d in collect_all(_user(v.id)))["profile"]
        assert data["district"] == "Aplerbeck" and data["offices"] == ["Büro Brackel"]
        assert {"code": "ar", "language": "Arabisch", "level": "Muttersprache"} in data["languages"]
        assert "Dienstag vormittags" in data["availability"] and data["phone"] == "0231 123456"
        assert data["hours_per_month"] == 8 and data["status"] == "aktiv"
        erase_all(_user(v.id), None)
        db.session.commit()
        for model in (VolunteerProfile, VolunteerLanguage, VolunteerNote, StatusChange):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0, model
        assert profiles.collect_profile(_user(v.id)) is None


# ---------------------------------------------------------------- the first-time path
STEP = "/people/profile/step/"


def test_steps_save_each_screen_and_end_in_a_summary(app, client, auth, volunteer, office):
    auth.login(volunteer)
    home = client.get("/home").get_data(as_text=True)
    assert "Profil vervollständigen" in home
    assert client.get("/people/profile/start").headers["Location"].endswith(STEP + "district")
    page = client.get(STEP + "district").get_data(as_text=True)
    assert "Schritt 1 von 6" in page
    r = submit(client, STEP + "district", {"district-district": office.district_ids[0]})
    assert r.headers["Location"].endswith(STEP + "offices")
    page = client.get(STEP + "offices").get_data(as_text=True)
    assert "Schritt 2 von 6" in page and "checked" in page  # preset from the district
    assert submit(client, STEP + "offices", {"offices-offices": office.id}).status_code == 302
    # languages: German preset, "add another language" keeps what was typed
    page = client.get(STEP + "languages").get_data(as_text=True)
    assert '<option value="de" selected>' in page  # (the options are built once per locale: languages.options_html)
    assert "Wie gut sprechen Sie Deutsch?" in page  # the question names the language chosen
    r = submit(client, STEP + "languages", {"languages-languages-0-code": "de", "languages-languages-0-level": "2",
                                            "languages-languages-1-code": "ar", "languages-languages-1-level": "4",
                                            "add_row": "1"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'name="languages-languages-2-code"' in page
    assert _profile(app, volunteer.id).languages == []  # adding a row saves nothing yet
    r = submit(client, STEP + "languages", {"languages-languages-0-code": "de", "languages-languages-0-level": "2",
                                            "languages-languages-1-code": "ar", "languages-languages-1-level": "4",
                                            "languages-languages-2-code": ""})
    assert r.headers["Location"].endswith(STEP + "skills")
    with app.app_context():
        cooking = _skill("cooking").id
    assert submit(client, STEP + "skills", {"skills-skills": cooking,
                                            "skills-kinds": [0, 4]}).status_code == 302
    assert submit(client, STEP + "times", {"times-slots": ["1-0", "4-2"], "times-hours": "6"}).status_code == 302
    r = submit(client, STEP + "phone", {"phone-phone": "0231 555"})
    assert r.headers["Location"].endswith("/people/profile/summary")
    summary = client.get("/people/profile/summary").get_data(as_text=True)
    assert "Das haben Sie angegeben" in summary
    for text in ("Brackel", "Büro Brackel", "Arabisch (Muttersprache)", "Deutsch (gut)", "Kochen",
                 "Dienstag vormittags", "Freitag abends", "0231 555", "etwa 6 Stunden im Monat"):
        assert text in summary, text
    assert STEP + "languages?back=summary" in summary
    # a change from the summary goes back to it
    r = submit(client, STEP + "phone?back=summary", {"phone-phone": "0231 556"})
    assert r.headers["Location"].endswith("/people/profile/summary")
    assert _profile(app, volunteer.id).completed_at is None
    r = submit(client, "/people/profile/summary", {})
    assert r.headers["Location"].endswith("/home")
    assert _profile(app, volunteer.id).completed_at is not None
    home = client.get("/home").get_data(as_text=True)
    assert "Profil vervollständigen" not in home and "/people/profile" in home


def test_a_half_done_path_keeps_what_was_sent(app, client, auth, volunteer, office):
    auth.login(volunteer)
    submit(client, STEP + "district", {"district-district": office.district_ids[1]})
    client.get(STEP + "offices")  # stops here, comes back later
    p = _profile(app, volunteer.id)
    assert p.district_id == office.district_ids[1] and p.completed_at is None
    assert "Profil vervollständigen" in client.get("/home").get_data(as_text=True)


def test_step_errors_are_shown_at_the_field(app, client, auth, volunteer):
    auth.login(volunteer)
    r = submit(client, STEP + "languages", {"languages-languages-0-code": "de", "languages-languages-0-level": "2",
                                            "languages-languages-1-code": "de", "languages-languages-1-level": "3"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Diese Sprache haben Sie schon genannt." in page
    assert 'href="#languages-languages-1-code"' in page
    r = submit(client, STEP + "languages", {"languages-languages-0-code": "xx", "languages-languages-0-level": "2"})
    assert r.status_code == 200 and "Keine gültige Auswahl" in r.get_data(as_text=True)  # the row's message in German
    assert "Not a valid choice" not in r.get_data(as_text=True)
    r = submit(client, STEP + "languages", {"languages-languages-0-code": "ar"})
    assert "Bitte wählen Sie, wie gut Sie sie sprechen." in r.get_data(as_text=True)
    r = submit(client, STEP + "languages", {"languages-languages-0-code": "ar", "languages-languages-0-level": "9"})
    assert "Bitte wählen Sie, wie gut Sie sie sprechen." in r.get_data(as_text=True)
    # "no language" leaves the row out, whatever level it shows
    r = submit(client, STEP + "languages", {"languages-languages-0-code": "", "languages-languages-0-level": "2",
                                            "languages-languages-1-code": "ar", "languages-languages-1-level": "9"})
    assert "Bitte wählen Sie, wie gut Sie sie sprechen." in r.get_data(as_text=True)
    r = submit(client, STEP + "times", {"times-slots": ["9-9"], "times-hours": "1" * 400})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and page.count('class="error"') >= 2
    r = submit(client, STEP + "phone", {"phone-phone": "x" * 10000})
    assert r.status_code == 200 and "höchstens 40 Zeichen" in r.get_data(as_text=True)
    r = submit(client, STEP + "district", {"district-district": "abc"})
    assert r.status_code == 200
    r = submit(client, STEP + "offices", {"offices-offices": "99999"})
    assert r.status_code == 200 and "„99999“ ist keine gültige Auswahl." in r.get_data(as_text=True)
    with app.app_context():
        need = _skill("furniture", ChoiceItem.NEED_CATEGORIES).id
    r = submit(client, STEP + "skills", {"skills-skills": need})
    assert r.status_code == 200
    assert "has-error" in r.get_data(as_text=True)
    p = _profile(app, volunteer.id)
    assert (p.languages, p.availability, p.phone, p.skills, p.offices) == ([], 0, "", [], [])
    assert client.get(STEP + "nope").status_code == 404


def test_empty_grid_is_saved_as_no_fixed_times(app, client, auth, make, office):
    v = make.volunteer(district_id=office.district_ids[0], slots=((1, 0),), hours=5)
    auth.login(v)
    r = submit(client, STEP + "times", {"times-hours": ""})
    assert r.status_code == 302
    p = _profile(app, v.id)
    assert p.availability == 0 and p.hours_per_month is None


# ---------------------------------------------------------------- the edit page
def test_edit_page_shows_every_section_and_saves_each_on_its_own(app, client, auth, make, office):
    v = make.full_volunteer(office)
    auth.login(v)
    page = client.get("/people/profile").get_data(as_text=True)
    for section in profiles.SECTIONS:
        assert f'action="/people/profile/{section}"' in page
    assert 'value="1-0" id="times-slots-1-0" checked' in page
    assert 'value="0231 123456"' in page
    r = submit(client, "/people/profile/phone", {"phone-phone": "0231 999"}, form_url="/people/profile")
    assert r.headers["Location"].endswith("/people/profile#section-phone")
    p = _profile(app, v.id)
    assert p.phone == "0231 999" and len(p.languages) == 2 and p.availability  # nothing else touched
    r = submit(client, "/people/profile/languages", {"languages-languages-0-code": "ar",
                                                      "languages-languages-0-level": "4",
                                                      "languages-languages-1-code": "zz",
                                                      "languages-languages-1-level": "1"},
               form_url="/people/profile")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'action="/people/profile/phone"' in page and "has-error" in page
    assert len(_profile(app, v.id).languages) == 2
    r = submit(client, "/people/profile/languages", {"languages-languages-0-code": "ar",
                                                      "languages-languages-0-level": "4", "add_row": "1"},
               form_url="/people/profile")
    assert 'name="languages-languages-1-code"' in r.get_data(as_text=True)
    assert client.post("/people/profile/nope").status_code in (400, 404)


def test_edit_page_keeps_a_retired_skill_until_removed(app, client, auth, make, office):
    v = make.full_volunteer(office, skills=("driving",))
    with app.app_context():
        _skill("driving").active = False
        db.session.commit()
    auth.login(v)
    page = client.get("/people/profile").get_data(as_text=True)
    assert "Fahren (Führerschein)" in page and "nicht mehr angeboten" in page
    submit(client, "/people/profile/skills", {"skills-kinds": [1]}, form_url="/people/profile")
    assert _profile(app, v.id).skills == []
    assert "Fahren (Führerschein)" not in client.get("/people/profile").get_data(as_text=True)


def test_volunteer_without_profile_gets_one(app, client, auth, volunteer):
    auth.login(volunteer)
    assert client.get("/people/profile").status_code == 200
    assert _profile(app, volunteer.id) is not None


@pytest.mark.parametrize("role", ["partner", "coordinator", "admin"])
def test_only_volunteers_have_a_profile(app, client, auth, make, office, role):
    user = make.user(role, offices=(office,) if role == "coordinator" else ())
    auth.login(user)
    for path in ("/people/profile", STEP + "district", "/people/profile/summary", "/people/profile/start"):
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"].endswith("/home"), path
    r = submit(client, "/people/profile/phone", {"phone-phone": "1"}, form_url="/home")
    assert r.status_code == 302
    assert "Nur Ehrenamtliche haben ein Ehrenamtsprofil." in client.get("/home").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(VolunteerProfile)) == 0


def test_unconfirmed_and_anonymous_are_sent_away(client, auth, make):
    assert client.get("/people/profile").status_code == 302
    auth.login(make.volunteer(confirmed=False))
    assert "/unconfirmed" in client.get("/people/profile").headers["Location"]


def test_a_volunteer_only_ever_edits_their_own(app, client, auth, make, office):
    mine = make.full_volunteer(office)
    other = make.full_volunteer(office, phone="0231 777")
    auth.login(mine)
    assert "0231 777" not in client.get("/people/profile").get_data(as_text=True)
    submit(client, "/people/profile/phone", {"phone-phone": "0231 1", "user_id": other.id},
           form_url="/people/profile")
    assert _profile(app, other.id).phone == "0231 777" and _profile(app, mine.id).phone == "0231 1"


def test_edit_page_statement_count_does_not_grow(app, client, auth, make, office):
    v = make.volunteer(district_id=office.district_ids[0], languages=("de",), skills=("cooking",))
    auth.login(v)
    small = count_statements(app, client, "/people/profile")
    for _ in range(5):
        make.office()
    with app.app_context():
        me = _user(v.id)
        profiles.set_languages(v.id, [("de", 2), ("ar", 4), ("fa", 3), ("tr", 1), ("uk", 2)], me)
        profiles.set_skills(v.id, [i.id for i in profiles.offered_skills()][:6], [0, 1, 2], me)
        profiles.set_offices(v.id, [o.id for o in db.session.scalars(select(profiles.Office))], me)
        profiles.set_times(v.id, slot_bit(0, 0) | slot_bit(3, 1), 4, me)
    large = count_statements(app, client, "/people/profile")
    assert large == small and small <= 12, (small, large)
