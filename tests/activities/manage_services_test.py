"""Management services: copy, move and cancel dates, roles with capacity and requirements,
partners' drafts, the CLI and the demo data."""
from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from app.activities import manage
from app.activities.models import (Activity, ActivityDate, ActivityState, Role, Signup, SignupState, Slot,
                                   activity_languages)
from app.activities.series import utc_to_local
from app.core.models import AuditEntry
from app.core.timeutil import utcnow
from app.extensions import db
from tests.conftest import submit


def _user(app, info):
    from app.accounts.models import User

    return db.session.get(User, info.id)


def _confirm(app, slot_id, user_ids, state=SignupState.CONFIRMED):
    with app.app_context():
        top = db.session.scalar(select(func.coalesce(func.max(Signup.queue_no), 0)).where(Signup.slot_id == slot_id))
        for n, uid in enumerate(user_ids, start=1):
            db.session.add(Signup(slot_id=slot_id, user_id=uid, state=state,
                                  queue_no=top + n if state == SignupState.WAITING else None))
        db.session.commit()


def test_copy_shifts_dates_by_weeks_at_the_same_local_time_as_a_draft(app, make):
    office = make.office()
    coord = make.coordinator(office)
    act = make.activity(office, dates=3, roles=(("Tutor", 2), ("Kinderbetreuung", 1)), languages=("de", "ar"))
    with app.app_context():
        db.session.get(Role, act.role_ids[0]).deadline_hours = 12
        db.session.commit()
        copy = manage.copy_activity(_user(app, coord), act.id, 20)
        assert copy.state == ActivityState.DRAFT and copy.id != act.id
        old = db.session.scalars(select(ActivityDate).where(ActivityDate.activity_id == act.id)
                                 .order_by(ActivityDate.starts_at)).all()
        new = db.session.scalars(select(ActivityDate).where(ActivityDate.activity_id == copy.id)
                                 .order_by(ActivityDate.starts_at)).all()
        assert len(new) == 3
        for a, b in zip(old, new):
            la, lb = utc_to_local(a.starts_at), utc_to_local(b.starts_at)
            assert lb.date() - la.date() == timedelta(weeks=20)
            assert lb.time() == la.time() == time(17)  # across a change of summer time, still 17:00
        roles = db.session.scalars(select(Role).where(Role.activity_id == copy.id).order_by(Role.position)).all()
        assert [(r.name, r.capacity) for r in roles] == [("Tutor", 2), ("Kinderbetreuung", 1)]
        assert roles[0].deadline_hours == 12
        assert db.session.scalar(select(func.count()).select_from(Slot).where(Slot.activity_id == copy.id)) == 6
        assert sorted(db.session.scalars(select(activity_languages.c.code)
                                         .where(activity_languages.c.activity_id == copy.id))) == ["ar", "de"]
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.record_id == copy.id)) == "activity.copied"


def test_move_date_keeps_original_and_bumps_sequence_and_mails(app, make, deliver):
    office = make.office()
    coord = make.coordinator(office)
    vol = make.full_volunteer(office)
    act = make.activity(office, dates=2)
    _confirm(app, act.slot, [vol.id])
    with app.app_context():
        d = db.session.get(ActivityDate, act.date_ids[0])
        old = d.starts_at
        day = utc_to_local(old).date() + timedelta(days=1)
        manage.move_date(_user(app, coord), d.id, day, time(18), time(19, 30))
        d = db.session.get(ActivityDate, act.date_ids[0])
        assert d.original_starts_at == old and d.sequence == 1
        assert utc_to_local(d.starts_at).time() == time(18)
        slot = db.session.get(Slot, act.slot)
        assert slot.starts_at == d.starts_at  # slots follow the date
        # moved again: the first original time stays
        manage.move_date(_user(app, coord), d.id, day, time(19), time(20))
        d = db.session.get(ActivityDate, act.date_ids[0])
        assert d.original_starts_at == old and d.sequence == 2
    sent = deliver()
    assert any(vol.email in " ".join(m.recipients) for m in sent)


def test_cancel_date_and_activity_mail_people_and_need_a_reason(app, make, deliver):
    office = make.office()
    coord = make.coordinator(office)
    vol = make.full_volunteer(office)
    act = make.activity(office, dates=2)
    _confirm(app, act.slot_ids[0][1], [vol.id])
    with app.app_context():
        manage.cancel_date(_user(app, coord), act.date_ids[1], "Raum belegt")
        d = db.session.get(ActivityDate, act.date_ids[1])
        assert d.is_cancelled and d.sequence == 1 and d.cancel_reason == "Raum belegt"
        with pytest.raises(manage.ManageError):
            manage.cancel_date(_user(app, coord), act.date_ids[1])
    assert any(vol.email in " ".join(m.recipients) for m in deliver())
    _confirm(app, act.slot_ids[0][0], [vol.id])
    with app.app_context():
        with pytest.raises(manage.ManageError) as err:
            manage.cancel_activity(_user(app, coord), act.id, "  ")
        assert err.value.field == "reason"
        assert db.session.get(Activity, act.id).state == ActivityState.PUBLISHED
        manage.cancel_activity(_user(app, coord), act.id, "Die Kursleitung ist krank.")
        assert db.session.get(Activity, act.id).state == ActivityState.CANCELLED
        assert db.session.scalar(select(AuditEntry.detail).where(AuditEntry.action == "activity.cancelled"))[
            "reason"] == "Die Kursleitung ist krank."
    assert any(vol.email in " ".join(m.recipients) for m in deliver())


def test_role_capacity_below_confirmed_is_allowed_and_says_how_many_over(app, make):
    office = make.office()
    coord = make.coordinator(office)
    vols = [make.full_volunteer(office) for _ in range(3)]
    act = make.activity(office, dates=2, roles=(("Tutor", 3),))
    _confirm(app, act.slot, [v.id for v in vols])
    with app.app_context():
        change = manage.update_role(_user(app, coord), act.role_ids[0], manage.RoleData(name="Tutor", capacity=1))
        assert (change.over, change.dates_over) == (2, 1) and change.fields == ["capacity"]
        assert db.session.get(Role, act.role_ids[0]).capacity == 1
        assert db.session.scalar(select(func.count()).select_from(Signup)
                                 .where(Signup.state == SignupState.CONFIRMED)) == 3  # nobody removed


def test_role_with_sign_ups_cannot_be_removed_one_without_can(app, make):
    office = make.office()
    coord = make.coordinator(office)
    vol = make.full_volunteer(office)
    act = make.activity(office, roles=(("Tutor", 2), ("Leer", 2)))
    _confirm(app, act.slot, [vol.id])
    with app.app_context():
        with pytest.raises(manage.ManageError):
            manage.delete_role(_user(app, coord), act.role_ids[0])
        manage.delete_role(_user(app, coord), act.role_ids[1])
        assert [r.id for r in db.session.scalars(select(Role))] == [act.role_ids[0]]


@pytest.mark.parametrize("data, field", [
    (dict(capacity=-1), "capacity"),
    (dict(capacity=5000), "capacity"),
    (dict(slot_start=time(14)), "slot_end"),
    (dict(required_language="xx-zz"), "required_language"),
    (dict(required_language="ar", required_level=9), "required_level"),
    (dict(required_skill_id=99999), "required_skill_id"),
    (dict(for_partners=True, max_per_organisation=0), "max_per_organisation"),
    (dict(deadline_hours=10000), "deadline_hours"),
    (dict(name=" "), "name"),
])
def test_bad_role_input_names_the_field_and_stores_nothing(app, make, data, field):
    office = make.office()
    coord = make.coordinator(office)
    act = make.activity(office, state="draft", roles=())
    with app.app_context():
        with pytest.raises(manage.ManageError) as err:
            manage.add_role(_user(app, coord), act.id, manage.RoleData(**{"name": "Tutor", "capacity": 2, **data}))
        assert err.value.field == field
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Role)) == 0


def test_round_table_role_with_delegate_places(app, make):
    office = make.office()
    coord = make.coordinator(office)
    act = make.activity(office, kind="round_table", state="draft", roles=())
    with app.app_context():
        role = manage.add_role(_user(app, coord), act.id, manage.RoleData(
            name="Delegierte", capacity=20, for_partners=True, max_per_organisation=2, slot_start=time(18),
            slot_end=time(20), required_language="de", required_level=2))
        assert role.for_partners and role.max_per_organisation == 2
        slot = db.session.scalar(select(Slot).where(Slot.role_id == role.id))
        assert utc_to_local(slot.starts_at).time() == time(18)


def test_a_past_single_date_is_refused(app, make):
    office = make.office()
    coord = make.coordinator(office)
    act = make.activity(office, state="draft", dates=0)
    with app.app_context():
        yesterday = utc_to_local(utcnow()).date() - timedelta(days=1)
        with pytest.raises(manage.ManageError) as err:
            manage.add_date(_user(app, coord), act.id, yesterday, time(17), time(18))
        assert err.value.field == "day"


# ---------------------------------------------------------------- partner contacts
def test_partner_creates_a_draft_for_its_own_organisation_coordinator_publishes(app, client, auth, make):
    office = make.office(districts=("Brackel",))
    coord = make.coordinator(office)
    org = make.organisation(districts=office.district_ids)
    contact = org.contacts[0]
    other_org = make.organisation(districts=office.district_ids)
    foreign = make.activity(office, organisation_id=other_org.id, state="draft")
    auth.login(contact)
    r = submit(client, "/manage/activities/new", {
        "title": "Fußball für alle", "kind": "other", "office_id": str(office.id), "place_kind": "office",
        "languages": ["de"], "organisation_id": str(other_org.id), "city": "Dortmund"})
    assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context():
        act = db.session.scalar(select(Activity).where(Activity.title == "Fußball für alle"))
        assert act.organisation_id == org.id and act.state == ActivityState.DRAFT  # never another org's
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0  # not staff: not audited
        activity_id = act.id
    assert client.get(f"/manage/activities/{activity_id}/edit").status_code == 200
    assert client.get(f"/manage/activities/{foreign.id}").status_code == 404
    assert client.get(f"/manage/activities/{foreign.id}/edit").status_code == 404
    listing = client.get("/manage/activities").get_data(as_text=True)
    assert "Fußball für alle" in listing and foreign.title not in listing
    # partners don't publish
    assert submit(client, f"/manage/activities/{activity_id}/publish", {},
                  form_url=f"/manage/activities/{activity_id}").status_code == 404
    with app.app_context():
        manage.add_date(None, activity_id, utc_to_local(utcnow()).date() + timedelta(days=5), time(10), time(12))
        manage.publish(_user(app, coord), activity_id)
    # published: the partner sees it, but changes are the office's now
    assert client.get(f"/manage/activities/{activity_id}").status_code == 200
    assert client.get(f"/manage/activities/{activity_id}/edit").status_code == 404


def test_partner_of_a_pending_organisation_gets_403(client, auth, make):
    office = make.office()
    org = make.organisation(districts=office.district_ids, state="pending")
    auth.login(org.contacts[0])
    assert client.get("/manage/activities").status_code == 403


def test_partner_may_only_choose_offices_of_its_districts(app, make):
    near, far = make.office(), make.office()
    org = make.organisation(districts=near.district_ids)
    with app.app_context():
        contact = _user(app, org.contacts[0])
        data = manage.ActivityData(title="X", kind="other", office_id=far.id, languages=["de"])
        with pytest.raises(manage.ManageError) as err:
            manage.create_activity(contact, data)
        assert err.value.field == "office_id"


def test_staff_may_not_choose_a_pending_organisation_or_a_foreign_coordinator(app, make):
    office, other = make.office(), make.office()
    coord = make.coordinator(office)
    stranger = make.coordinator(other)
    pending = make.organisation(districts=office.district_ids, state="pending")
    with app.app_context():
        actor = _user(app, coord)
        for kw, field in ((dict(organisation_id=pending.id), "organisation_id"), (dict(contact_id=stranger.id), "contact_id"),
                          (dict(office_id=other.id), "office_id"), (dict(languages=["de", "de"]), "languages"),
                          (dict(place_kind="satellite", satellite_id=None), "satellite_id")):
            data = manage.ActivityData(**{"title": "Kurs", "kind": "language_course", "office_id": office.id,
                                          "languages": ["de"], **kw})
            with pytest.raises(manage.ManageError) as err:
                manage.create_activity(actor, data)
            assert err.value.field == field, kw
        assert db.session.scalar(select(func.count()).select_from(Activity)) == 0


# ---------------------------------------------------------------- the CLI
def test_cli_lists_publishes_and_copies(app, runner, make):
    office = make.office()
    act = make.activity(office, state="draft", title="Sprachcafé Nord", dates=2)
    r = runner.invoke(args=["activities", "list"])
    assert "Sprachcafé Nord" in r.output and "draft" in r.output
    r = runner.invoke(args=["activities", "publish", str(act.id)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["activities", "publish", str(act.id)])
    assert r.exit_code != 0  # published already: a message, not a traceback
    r = runner.invoke(args=["activities", "copy", str(act.id), "--weeks", "12"])
    assert r.exit_code == 0 and "2 dates" in r.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Activity)) == 2
        assert db.session.get(Activity, act.id).state == ActivityState.PUBLISHED
        assert set(db.session.scalars(select(AuditEntry.action))) == {"activity.published", "activity.copied"}


# ---------------------------------------------------------------- demo data
def test_demo_builds_activities_for_every_office_and_is_safe_to_run_twice(app, runner):
    from app.offices.models import Office

    r = runner.invoke(args=["seed-demo", "--volunteers", "60"])
    assert r.exit_code == 0, r.output
    with app.app_context():
        offices = set(db.session.scalars(select(Office.id)))
        with_activities = set(db.session.scalars(select(Activity.office_id)))
        assert offices and offices <= with_activities
        counts = (db.session.scalar(select(func.count()).select_from(Activity)),
                  db.session.scalar(select(func.count()).select_from(Signup)))
        fest = db.session.scalar(select(Activity).where(Activity.title.like("Brückenfest%")))
        assert len(fest.roles) == 12
        drinks = next(r for r in fest.roles if r.name == "Getränkestand")
        assert (drinks.capacity, drinks.slot_start, drinks.slot_end) == (4, time(14), time(16))
        # capacity holds on every slot, waiting lists are numbered 1..n without gaps
        over = db.session.execute(select(Slot.id).join(Role, Role.id == Slot.role_id)
                                  .join(Signup, (Signup.slot_id == Slot.id) & (Signup.state == SignupState.CONFIRMED))
                                  .group_by(Slot.id, Role.capacity).having(func.count() > Role.capacity)).all()
        assert over == []
        queues: dict[int, list[int]] = {}
        for slot_id, q in db.session.execute(select(Signup.slot_id, Signup.queue_no).where(
                Signup.state == SignupState.WAITING).order_by(Signup.queue_no)):
            queues.setdefault(slot_id, []).append(q)
        assert queues and all(q == list(range(1, len(q) + 1)) for q in queues.values())
        assert db.session.scalar(select(func.count()).select_from(ActivityDate)
                                 .where(ActivityDate.starts_at < utcnow())) > 0  # past dates too
        tables = db.session.scalars(select(Role).where(Role.for_partners.is_(True))).all()
        assert tables and all(r.max_per_organisation == 2 for r in tables)
        from app.people.models import Organisation

        brackel = db.session.scalar(select(Organisation.id).where(Organisation.name == "Sportverein Eintracht Brackel"))
        assert db.session.scalar(select(func.count()).select_from(Activity).where(Activity.organisation_id == brackel)) == 2
        # attendance on past dates (hours follow), newcomers counted, no attendance in the future
        from app.activities.models import Attendance, Handover, HandoverState
        from app.roundtables.models import AgendaItem, ItemState, Meeting

        marked = dict(db.session.execute(select(Signup.attendance, func.count()).where(
            Signup.attendance.is_not(None)).group_by(Signup.attendance)).all())
        assert marked[Attendance.PRESENT] > marked.get(Attendance.ABSENT, 0) > 0
        assert db.session.scalar(select(func.count()).select_from(Signup).join(Slot, Slot.id == Signup.slot_id)
                                 .where(Signup.attendance.is_not(None), Slot.starts_at > utcnow())) == 0
        assert db.session.scalar(select(func.count()).select_from(ActivityDate)
                                 .where(ActivityDate.newcomers > 0)) > 0
        # a hand-over offered openly, one waiting for the coordinator's approval
        assert {h.state for h in db.session.scalars(select(Handover))} == {HandoverState.OPEN, HandoverState.PENDING}
        # round tables: agenda, a proposal to decide, minutes published
        assert db.session.scalar(select(func.count()).select_from(Meeting)
                                 .where(Meeting.minutes_published_at.is_not(None))) > 0
        assert db.session.scalar(select(func.count()).select_from(AgendaItem)
                                 .where(AgendaItem.state == ItemState.PROPOSED)) > 0
        more = (db.session.scalar(select(func.count()).select_from(AgendaItem)),
                db.session.scalar(select(func.count()).select_from(Handover)))
    r = runner.invoke(args=["seed-demo", "--volunteers", "60"])
    assert r.exit_code == 0
    with app.app_context():
        assert (db.session.scalar(select(func.count()).select_from(Activity)),
                db.session.scalar(select(func.count()).select_from(Signup))) == counts
        assert (db.session.scalar(select(func.count()).select_from(AgendaItem)),
                db.session.scalar(select(func.count()).select_from(Handover))) == more
