"""Attendance and hours: marking, corrections, walk-ins, newcomers, hours per year and activity."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.accounts.models import User
from app.activities import attendance as att
from app.activities import signup as svc
from app.activities.models import Attendance, Slot
from app.core.timeutil import utcnow
from app.extensions import db


def _u(uid):
    return db.session.get(User, uid)


def test_mark_and_hours(app, make):
    office = make.office()
    act = make.activity(office, dates=2, roles=(("Tutor", 3),))
    coord, v = make.coordinator(office), make.full_volunteer(office)
    with app.test_request_context():
        s1, s2 = svc.sign_up(_u(v.id), act.slot_ids[0])
        with pytest.raises(svc.SignupError) as e:
            att.mark(_u(coord.id), s1.id, "present")  # the date has not begun
        assert e.value.code == "future"
        later = db.session.get(Slot, act.slot_ids[0][1]).starts_at + timedelta(hours=3)
        att.mark(_u(coord.id), s1.id, "present", now=later)
        att.mark(_u(coord.id), s2.id, Attendance.PRESENT, now=later)
        att.set_minutes(_u(coord.id), s2.id, 60, now=later)
        lines = att.hours_of(v.id)
        assert len(lines) >= 1 and sum(x.minutes for x in lines) == 90 + 60
        assert sum(x.dates for x in lines) == 2
        with pytest.raises(svc.SignupError) as e:
            att.set_minutes(_u(coord.id), s2.id, 200, now=later)  # longer than the date, no reason
        assert e.value.code == "reason_needed"
        att.set_minutes(_u(coord.id), s2.id, 200, "Aufbau und Abbau", now=later)
        with pytest.raises(svc.SignupError):
            att.set_minutes(_u(coord.id), s2.id, -5, now=later)
        with pytest.raises(svc.SignupError):
            att.mark(_u(coord.id), s2.id, "maybe", now=later)


def test_absences_are_counted(app, make):
    office = make.office()
    act = make.activity(office, dates=2)
    coord, v = make.coordinator(office), make.full_volunteer(office)
    with app.test_request_context():
        s1, s2 = svc.sign_up(_u(v.id), act.slot_ids[0])
        later = utcnow() + timedelta(days=30)
        att.mark(_u(coord.id), s1.id, "absent", now=later)
        att.mark(_u(coord.id), s2.id, "excused", now=later)
        assert att.unexcused_absences([v.id]) == {v.id: 1}
        assert att.attendance_record([v.id]) == {v.id: (0, 1)}


def test_another_office_and_partners(app, make):
    office = make.office()
    org = make.organisation(districts=office.district_ids)
    act = make.activity(office, organisation_id=org.id)
    own = make.activity(office)
    stranger = make.coordinator(make.office())
    other_org = make.organisation(districts=office.district_ids)
    v = make.full_volunteer(office)
    with app.test_request_context():
        s = svc.sign_up(_u(v.id), [act.slot])[0]
        later = utcnow() + timedelta(days=30)
        for who in (stranger, other_org.contacts[0], v):
            with pytest.raises(svc.SignupError) as e:
                att.mark(_u(who.id), s.id, "present", now=later)
            assert e.value.code == "not_found"
        # the organisation that runs it keeps its roster
        assert att.mark(_u(org.contacts[0].id), s.id, "present", now=later).attendance == Attendance.PRESENT
        with pytest.raises(svc.SignupError):
            att.mark(_u(org.contacts[0].id), s.id, "present", date_id=own.date_ids[0], now=later)


def test_walk_in_and_newcomers(app, make):
    office = make.office()
    act = make.activity(office, roles=(("Helfer", 1),))
    coord = make.coordinator(office)
    a, b = make.full_volunteer(office), make.full_volunteer(office)
    with app.test_request_context():
        svc.sign_up(_u(a.id), [act.slot])
        with pytest.raises(svc.SignupError) as e:
            att.add_walk_in(_u(coord.id), act.slot, b.id)
        assert e.value.code == "future"
        later = db.session.get(Slot, act.slot).starts_at + timedelta(minutes=30)
        w = att.add_walk_in(_u(coord.id), act.slot, b.id, now=later)
        assert w.walk_in and w.over_capacity and w.attendance == Attendance.PRESENT
        with pytest.raises(svc.SignupError):
            att.add_walk_in(_u(coord.id), act.slot, b.id, now=later)
        d = att.set_newcomers(_u(coord.id), act.date_ids[0], 14, now=later)
        assert d.newcomers == 14
        with pytest.raises(svc.SignupError):
            att.set_newcomers(_u(coord.id), act.date_ids[0], -1, now=later)
