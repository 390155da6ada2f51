"""Places for me: open places that fit the profile, best first, with the reasons in plain words;
unmet requirements at the end with the reason; a friendly pointer without a profile."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from app.activities import forme
from app.activities.series import local_to_utc
from app.core.timeutil import to_local, utcnow
from tests.activities.volunteer_helpers import sign_up
from tests.conftest import recorded_statements


def _next(weekday: int, hour: int) -> datetime:
    """Naive UTC of the next given weekday (0 Monday) at hour:00 Berlin, at least 3 days ahead."""
    day = to_local(utcnow()).date() + timedelta(days=3)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return local_to_utc(day, time(hour))


def test_best_fit_first_with_reasons(app, client, make, auth):
    office, other_office = make.office(), make.office()
    # Tuesday evening is free; speaks Arabic and German; wants language courses.
    me = make.full_volunteer(office, languages=(("ar", "native"), ("de", "good")), slots=((1, "evening"),),
                             wants=("language_course",))
    best = make.activity(office, title="Deutschkurs am Dienstag", kind="language_course", languages=("de",),
                         dates=[_next(1, 18)])
    far = make.activity(other_office, title="Theater anderswo", kind="theatre", languages=("fr",),
                        dates=[_next(0, 9)])
    middle = make.activity(other_office, title="Arabisches Café", kind="event", languages=("ar",),
                           dates=[_next(4, 10)])
    auth.login(me)
    html = client.get("/my/activities/for-me").get_data(as_text=True)
    assert html.index("Deutschkurs am Dienstag") < html.index("Arabisches Café") < html.index("Theater anderswo")
    assert "Sie sprechen Deutsch" in html
    assert "in Ihrem Stadtbezirk" in html
    assert "Dienstag abends passt" in html
    with app.test_request_context():
        result = forme.for_me(me.id)
        top = result.entries[0]
        assert top.activity.id == best.id
        assert any("Deutsch" in r for r in top.reasons) and any("passt" in r for r in top.reasons)
        assert result.entries[-1].activity.id == far.id and result.entries[-1].reasons == []
        assert {e.activity.id for e in result.entries} == {best.id, far.id, middle.id}


def test_unmet_requirement_goes_last_with_the_reason(app, make):
    office = make.office()
    me = make.full_volunteer(office, languages=(("de", "basic"),))
    needs = make.activity(office, title="Übersetzen", languages=("de",), required_language="de",
                          required_level=3)
    plain = make.activity(office, title="Aufbau", kind="event", languages=("fr",), days_ahead=20)
    with app.test_request_context():
        entries = forme.for_me(me.id).entries
        assert [e.activity.id for e in entries] == [plain.id, needs.id]
        assert entries[-1].unmet and "mindestens" in entries[-1].unmet[0]


def test_not_offered_what_is_taken_closed_or_for_partners(app, make):
    office = make.office()
    me = make.full_volunteer(office)
    mine = make.activity(office, title="Schon dabei")
    sign_up(app, me, mine.slot)
    make.activity(office, title="Entwurf", state="draft")
    make.activity(office, title="Delegierte", kind="round_table", for_partners=True, max_per_organisation=2)
    make.activity(office, title="Frist vorbei", days_ahead=1, deadline_hours=72)
    ok = make.activity(office, title="Offen")
    with app.test_request_context():
        assert [e.activity.id for e in forme.for_me(me.id).entries] == [ok.id]


def test_full_role_is_offered_with_the_waiting_list(app, client, make, auth):
    office = make.office()
    act = make.activity(office, title="Voll", roles=(("Tutor", 1),))
    sign_up(app, make.full_volunteer(office), act.slot)
    me = make.full_volunteer(office)
    auth.login(me)
    html = client.get("/my/activities/for-me").get_data(as_text=True)
    assert "Voll" in html and "voll: Warteliste" in html


def test_a_series_is_one_entry_with_its_next_dates(app, client, make, auth):
    office = make.office()
    make.activity(office, title="Wöchentlicher Kurs", dates=6)
    me = make.full_volunteer(office)
    auth.login(me)
    html = client.get("/my/activities/for-me").get_data(as_text=True)
    assert html.count('class="for-me-title"') == 1
    assert "und 3 weitere Termine" in html


def test_without_profile_a_pointer_to_complete_it(client, make, auth):
    me = make.volunteer()
    auth.login(me)
    html = client.get("/my/activities/for-me").get_data(as_text=True)
    assert "/people/profile" in html and "Profil vervollständigen" in html


def test_statements_bounded_whatever_the_number_of_places(app, client, make, auth):
    """The same few statements with one place or many: when the shared candidates are loaded
    (the first request after a change) and when they are kept (every other)."""
    office = make.office()
    me = make.full_volunteer(office)
    make.activity(office)
    auth.login(me)
    with recorded_statements(app) as few_loaded:
        client.get("/my/activities/for-me")
    with recorded_statements(app) as few:
        client.get("/my/activities/for-me")
    for i in range(8):
        make.activity(office, dates=3, roles=(("A", 2), ("B", 1)), days_ahead=2 + i, languages=("de", "ar"))
    with recorded_statements(app) as many_loaded:
        response = client.get("/my/activities/for-me?page=2")
    with recorded_statements(app) as many:
        client.get("/my/activities/for-me?page=2")
    assert response.status_code == 200
    assert len(few_loaded) == len(many_loaded) <= 8
    assert len(few) == len(many) <= 4 and len(few) < len(few_loaded)


def test_kept_candidates_follow_every_change_and_the_clock(app, client, make, auth):
    """The shared candidates are kept per version of the activities: a sign-up elsewhere, a new
    activity or a closed role shows at once; what the clock alone changes on every request."""
    from app.activities.models import Role
    from app.extensions import db

    office = make.office()
    me = make.full_volunteer(office)
    act = make.activity(office, title="Tafel", roles=(("Helfer", 1),))
    later_one = make.activity(office, title="Später", days_ahead=30)
    auth.login(me)
    assert "1 Platz frei" in client.get("/my/activities/for-me").get_data(as_text=True)
    sign_up(app, make.full_volunteer(office), act.slot)  # someone else takes the place
    assert "voll: Warteliste" in client.get("/my/activities/for-me").get_data(as_text=True)
    make.activity(office, title="Neues Angebot")
    assert "Neues Angebot" in client.get("/my/activities/for-me").get_data(as_text=True)
    with app.app_context():
        db.session.get(Role, act.role_ids[0]).signup_closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert "Tafel" not in client.get("/my/activities/for-me").get_data(as_text=True)
    with app.test_request_context():  # 25 days on: the kept set, without what has begun by then
        assert {e.activity.id for e in forme.for_me(me.id).entries} >= {later_one.id}
        later = forme.for_me(me.id, now=utcnow() + timedelta(days=25))
        assert [e.activity.id for e in later.entries] == [later_one.id]


def test_pages_and_bad_page_numbers(app, client, make, auth):
    office = make.office()
    me = make.full_volunteer(office)
    for i in range(forme.PER_PAGE + 2):
        make.activity(office, title=f"Angebot {i:02d}", days_ahead=2 + i)
    auth.login(me)
    assert "Seite 1 von 2" in client.get("/my/activities/for-me").get_data(as_text=True)
    for bad in ("0", "-1", "abc", "9" * 40):
        assert client.get(f"/my/activities/for-me?page={bad}").status_code == 200
    last = client.get("/my/activities/for-me?page=99").get_data(as_text=True)
    assert "Seite 2 von 2" in last


def test_other_roles_get_a_note(client, make, auth):
    office = make.office()
    auth.login(make.coordinator(office))
    assert client.get("/my/activities/for-me").status_code == 200
