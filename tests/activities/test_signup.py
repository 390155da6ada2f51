"""Sign-up rules: places, waiting list, offers, cancellation, overlaps, deadlines, staff overrides."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.activities import signup as svc
from app.activities.models import ActivityDate, Role, Signup, SignupState
from app.core.models import AuditEntry
from app.core.timeutil import utcnow
from app.extensions import db
from app.mail.models import OutboxMail


def _user(uid):
    return db.session.get(User, uid)


def _states(slot_id):
    return [(s.user_id, s.state.value, s.queue_no) for s in db.session.scalars(
        select(Signup).where(Signup.slot_id == slot_id).order_by(Signup.id))]


def _mails(kind, user_id=None):
    stmt = select(OutboxMail).where(OutboxMail.kind == kind)
    if user_id:
        stmt = stmt.where(OutboxMail.user_id == user_id)
    return db.session.scalars(stmt).all()


@pytest.fixture
def office(make):
    return make.office()


def test_places_then_waiting_list_with_positions(app, make, office):
    act = make.activity(office, roles=(("Tutor", 2),))
    people = [make.full_volunteer(office) for _ in range(5)]
    with app.test_request_context():
        got = [svc.sign_up(_user(p.id), [act.slot])[0] for p in people]
        assert [s.state for s in got] == [SignupState.CONFIRMED] * 2 + [SignupState.WAITING] * 3
        pos = svc.positions([s.id for s in got])
        assert [pos.get(s.id) for s in got] == [None, None, 1, 2, 3]
        c = svc.counts([act.slot])[act.slot]
        assert (c.capacity, c.confirmed, c.waiting, c.free) == (2, 2, 3, 0)
        assert len(_mails("activity_signed_up")) == 2 and len(_mails("activity_waiting")) == 3
        # the calendar entry rides along with the "signed up" mail
        mail = _mails("activity_signed_up", people[0].id)[0]
        assert mail.attachments and mail.attachments[0].filename.endswith(".ics")
        assert b"BEGIN:VEVENT" in mail.attachments[0].data and b"TZID=Europe/Berlin" in mail.attachments[0].data


def test_signing_up_twice_changes_nothing(app, make, office):
    act = make.activity(office)
    v = make.full_volunteer(office)
    with app.test_request_context():
        first = svc.sign_up(_user(v.id), [act.slot])[0]
        again = svc.sign_up(_user(v.id), [act.slot])[0]
        assert first.id == again.id
        assert db.session.scalar(select(func.count()).select_from(Signup)) == 1
        assert len(_mails("activity_signed_up")) == 1


def test_whole_series_is_per_date(app, make, office):
    act = make.activity(office, dates=3, roles=(("Tutor", 1),))
    a, b = make.full_volunteer(office), make.full_volunteer(office)
    with app.test_request_context():
        svc.sign_up(_user(a.id), [act.slot_ids[0][1]])  # a takes the second date only
        got = svc.sign_up(_user(b.id), act.slot_ids[0])  # b the whole series
        assert [s.state for s in got] == [SignupState.CONFIRMED, SignupState.WAITING, SignupState.CONFIRMED]
        # one mail for the confirmed dates (with both in the calendar file), one for the waiting one
        mail = _mails("activity_signed_up", b.id)
        assert len(mail) == 1 and mail[0].attachments[0].data.count(b"BEGIN:VEVENT") == 2
        assert len(_mails("activity_waiting", b.id)) == 1


def test_cancel_offers_the_place_to_the_first_in_line_and_holds_it(app, make, office):
    act = make.activity(office, roles=(("Tutor", 1),))
    a, b, c = (make.full_volunteer(office) for _ in range(3))
    with app.test_request_context():
        sa = svc.sign_up(_user(a.id), [act.slot])[0]
        sb = svc.sign_up(_user(b.id), [act.slot])[0]
        svc.sign_up(_user(c.id), [act.slot])
        svc.cancel(_user(a.id), sa.id)
        db.session.refresh(sb)
        assert sb.state == SignupState.OFFERED and sb.offer_expires_at > utcnow() + timedelta(hours=47)
        # the held place counts: a newcomer queues behind c instead of taking it
        d = make.full_volunteer(office)
        sd = svc.sign_up(_user(d.id), [act.slot])[0]
        assert sd.state == SignupState.WAITING
        assert svc.positions([sd.id])[sd.id] == 2
        offer = _mails("activity_offer", b.id)
        assert len(offer) == 1 and "/activities/offer/" in offer[0].body_text


def _offer_token(mail):
    import re

    return re.search(r"/activities/offer/(\S+)", mail.body_text).group(1)


def test_accepting_an_offer_confirms_once(app, make, office):
    act = make.activity(office, roles=(("Tutor", 1),))
    a, b = make.full_volunteer(office), make.full_volunteer(office)
    with app.test_request_context():
        sa = svc.sign_up(_user(a.id), [act.slot])[0]
        svc.sign_up(_user(b.id), [act.slot])
        svc.cancel(_user(a.id), sa.id)
        token = _offer_token(_mails("activity_offer", b.id)[0])
        assert svc.read_offer(token).user_id == b.id  # reading spends nothing
        s = svc.accept_offer(token)
        assert s.state == SignupState.CONFIRMED
        with pytest.raises(svc.SignupError) as e:
            svc.accept_offer(token)
        assert e.value.code == "link_used"
        with pytest.raises(svc.SignupError):
            svc.accept_offer(token[:-3] + "xyz")  # tampered
        assert len(_mails("activity_signed_up", b.id)) == 1


def test_declined_offer_passes_to_the_next(app, make, office):
    act = make.activity(office, roles=(("Tutor", 1),))
    a, b, c = (make.full_volunteer(office) for _ in range(3))
    with app.test_request_context():
        sa = svc.sign_up(_user(a.id), [act.slot])[0]
        svc.sign_up(_user(b.id), [act.slot])
        sc = svc.sign_up(_user(c.id), [act.slot])[0]
        svc.cancel(_user(a.id), sa.id)
        svc.decline_offer(_offer_token(_mails("activity_offer", b.id)[0]))
        db.session.refresh(sc)
        assert sc.state == SignupState.OFFERED
        assert len(_mails("activity_offer", c.id)) == 1


def test_expired_offer_passes_on_by_the_periodic_job_once(app, make, office):
    act = make.activity(office, roles=(("Tutor", 1),), days_ahead=10)
    a, b, c = (make.full_volunteer(office) for _ in range(3))
    with app.test_request_context():
        sa = svc.sign_up(_user(a.id), [act.slot])[0]
        sb = svc.sign_up(_user(b.id), [act.slot])[0]
        sc = svc.sign_up(_user(c.id), [act.slot])[0]
        svc.cancel(_user(a.id), sa.id)
        token = _offer_token(_mails("activity_offer", b.id)[0])
        later = utcnow() + timedelta(hours=49)
        assert svc.expire_offers(utcnow()) == 0  # not yet
        assert svc.expire_offers(later) == 1
        assert svc.expire_offers(later) == 0  # nothing passed on twice
        db.session.refresh(sb)
        db.session.refresh(sc)
        assert sb.state == SignupState.EXPIRED and sc.state == SignupState.OFFERED
        assert len(_mails("activity_offer_expired", b.id)) == 1
        with pytest.raises(svc.SignupError) as e:
            svc.accept_offer(token, now=later)
        assert e.value.code == "offer_gone"


def test_offer_deadline_is_shorter_when_the_date_is_near(app, make, office):
    act = make.activity(office, roles=(("Tutor", 1),), days_ahead=1)
    a, b = make.full_volunteer(office), make.full_volunteer(office)
    with app.test_request_context():
        sa = svc.sign_up(_user(a.id), [act.slot])[0]
        sb = svc.sign_up(_user(b.id), [act.slot])[0]
        svc.cancel(_user(a.id), sa.id)
        db.session.refresh(sb)
        slot_start = db.session.get(ActivityDate, act.date_ids[0]).starts_at
        assert sb.offer_expires_at < slot_start - (slot_start - utcnow()) / 2 + timedelta(minutes=1)


def test_auto_move_up(app, make, office):
    act = make.activity(office, roles=(("Tutor", 1),), auto_move_up=True)
    a, b = make.full_volunteer(office), make.full_volunteer(office)
    with app.test_request_context():
        sa = svc.sign_up(_user(a.id), [act.slot])[0]
        sb = svc.sign_up(_user(b.id), [act.slot])[0]
        svc.cancel(_user(a.id), sa.id)
        db.session.refresh(sb)
        assert sb.state == SignupState.CONFIRMED
        assert len(_mails("activity_moved_up", b.id)) == 1


def test_leave_waiting_list_closes_the_gap(app, make, office):
    act = make.activity(office, roles=(("Tutor", 1),))
    people = [make.full_volunteer(office) for _ in range(4)]
    with app.test_request_context():
        s = [svc.sign_up(_user(p.id), [act.slot])[0] for p in people]
        svc.cancel(_user(people[2].id), s[2].id)  # place 2 of 3 on the list leaves
        assert [svc.positions([x.id]).get(x.id) for x in s] == [None, 1, None, 2]
        # signing up again puts them at the end, not back in their old place
        again = svc.sign_up(_user(people[2].id), [act.slot])[0]
        assert again.id == s[2].id and svc.positions([again.id])[again.id] == 3


def test_overlapping_dates_are_refused_naming_the_other(app, make, office):
    one = make.activity(office, title="Sprachcafé", days_ahead=5)
    two = make.activity(office, title="Theater", days_ahead=5)  # same day and time
    v = make.full_volunteer(office)
    with app.test_request_context():
        svc.sign_up(_user(v.id), [one.slot])
        with pytest.raises(svc.SignupError) as e:
            svc.sign_up(_user(v.id), [two.slot])
        assert e.value.code == "overlap" and "Sprachcafé" in e.value.message


def test_closed_slots(app, make, office):
    v = make.full_volunteer(office)
    past = make.activity(office, days_ahead=-3)
    deadline = make.activity(office, days_ahead=1, deadline_hours=48)
    not_yet = make.activity(office, signup_opens_at=utcnow() + timedelta(days=1))
    closed = make.activity(office, signup_closes_at=utcnow() - timedelta(hours=1))
    draft = make.activity(office, state="draft")
    partners_only = make.activity(office, for_partners=True, max_per_organisation=2)
    cancelled = make.activity(office)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        d = db.session.get(ActivityDate, cancelled.date_ids[0])
        d.cancelled_at = utcnow()
        db.session.commit()
        for act, word in ((past, "begun"), (deadline, "48 hours"), (not_yet, "opens"), (closed, "closed"),
                          (draft, "not open"), (partners_only, "delegates"), (cancelled, "cancelled")):
            with pytest.raises(svc.SignupError) as e:
                svc.sign_up(_user(v.id), [act.slot])
            assert e.value.code == "closed" and word in e.value.message, (word, e.value.message)
        assert db.session.scalar(select(func.count()).select_from(Signup)) == 0


def test_unmet_requirements_are_explained(app, make, office):
    act = make.activity(office, required_language="uk", required_level=2)
    v = make.full_volunteer(office)  # Arabic and German
    ok = make.full_volunteer(office, languages=(("uk", "fluent"),))
    with app.test_request_context():
        with pytest.raises(svc.SignupError) as e:
            svc.sign_up(_user(v.id), [act.slot])
        assert e.value.code == "requirements" and "Ukrainisch" in e.value.message
        assert svc.sign_up(_user(ok.id), [act.slot])[0].state == SignupState.CONFIRMED


def test_forged_ids_and_wrong_people(app, make, office):
    act = make.activity(office)
    v, other = make.full_volunteer(office), make.full_volunteer(office)
    partner = make.organisation().contacts[0]
    coordinator = make.coordinator(office)
    unconfirmed = make.volunteer(confirmed=False)
    with app.test_request_context():
        with pytest.raises(svc.SignupError) as e:
            svc.sign_up(_user(v.id), [999999])
        assert e.value.code == "not_found"
        for who, code in ((partner, "not_volunteer"), (coordinator, "not_volunteer"), (unconfirmed, "unconfirmed")):
            with pytest.raises(svc.SignupError) as e:
                svc.sign_up(_user(who.id), [act.slot])
            assert e.value.code == code
        s = svc.sign_up(_user(v.id), [act.slot])[0]
        with pytest.raises(svc.SignupError) as e:
            svc.cancel(_user(other.id), s.id)  # someone else's sign-up
        assert e.value.code == "not_found"
        with pytest.raises(svc.SignupError):
            svc.sign_up(_user(v.id), [])


def test_cannot_cancel_after_the_start(app, make, office):
    act = make.activity(office, days_ahead=1)
    v = make.full_volunteer(office)
    with app.test_request_context():
        s = svc.sign_up(_user(v.id), [act.slot])[0]
        with pytest.raises(svc.SignupError) as e:
            svc.cancel(_user(v.id), s.id, now=utcnow() + timedelta(days=2))
        assert e.value.code == "started"


def test_staff_add_is_held_to_capacity_unless_deliberate(app, make, office):
    act = make.activity(office, roles=(("Tutor", 1),))
    coord = make.coordinator(office)
    a, b, c = (make.full_volunteer(office) for _ in range(3))
    with app.test_request_context():
        svc.add_by_staff(_user(coord.id), act.slot, a.id)
        with pytest.raises(svc.SignupError) as e:
            svc.add_by_staff(_user(coord.id), act.slot, b.id)
        assert e.value.code == "full"
        w = svc.add_by_staff(_user(coord.id), act.slot, b.id, to_waiting_list=True)
        assert w.state == SignupState.WAITING
        o = svc.add_by_staff(_user(coord.id), act.slot, c.id, over_capacity=True)
        assert o.state == SignupState.CONFIRMED and o.over_capacity
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions[-3:] == ["signup.added", "signup.added", "signup.over_capacity"]


def test_staff_of_another_office_cannot_touch_the_roster(app, make, office):
    act = make.activity(office)
    stranger = make.coordinator(make.office())
    v = make.full_volunteer(office)
    with app.test_request_context():
        with pytest.raises(svc.SignupError) as e:
            svc.add_by_staff(_user(stranger.id), act.slot, v.id)
        assert e.value.code == "not_found"
        s = svc.sign_up(_user(v.id), [act.slot])[0]
        for fn in (svc.remove, svc.move_up):
            with pytest.raises(svc.SignupError) as e:
                fn(_user(stranger.id), s.id)
            assert e.value.code == "not_found"


def test_remove_and_move_up(app, make, office):
    act = make.activity(office, roles=(("Tutor", 1),))
    coord = make.coordinator(office)
    a, b, c = (make.full_volunteer(office) for _ in range(3))
    with app.test_request_context():
        sa = svc.sign_up(_user(a.id), [act.slot])[0]
        sb = svc.sign_up(_user(b.id), [act.slot])[0]
        sc = svc.sign_up(_user(c.id), [act.slot])[0]
        with pytest.raises(svc.SignupError) as e:
            svc.move_up(_user(coord.id), sc.id)
        assert e.value.code == "full"
        svc.remove(_user(coord.id), sa.id, reason="Doppelt angemeldet")
        assert len(_mails("activity_signup_removed", a.id)) == 1
        db.session.refresh(sb)
        assert sb.state == SignupState.OFFERED  # the freed place is held for the first in line
        up = svc.move_up(_user(coord.id), sc.id, over_capacity=True)
        assert up.state == SignupState.CONFIRMED and up.over_capacity
        assert len(_mails("activity_moved_up", c.id)) == 1


def test_round_table_delegates_per_organisation(app, make, office):
    act = make.activity(office, kind="round_table", roles=(("Delegierte", 3),), for_partners=True,
                        max_per_organisation=2)
    org, other = make.organisation(), make.organisation()
    pending = make.organisation(state="pending")
    with app.test_request_context():
        contact = _user(org.contacts[0].id)
        got = svc.sign_up_delegates(contact, act.slot, ["Amina Haddad", "Jonas Becker"])
        assert [s.state for s in got] == [SignupState.CONFIRMED] * 2
        with pytest.raises(svc.SignupError) as e:
            svc.sign_up_delegates(contact, act.slot, ["Dritte Person"])
        assert e.value.code == "org_limit"
        with pytest.raises(svc.SignupError) as e:
            svc.sign_up_delegates(_user(pending.contacts[0].id), act.slot, ["X"])
        assert e.value.code == "not_partner"
        more = svc.sign_up_delegates(_user(other.contacts[0].id), act.slot, ["Eva", "Omar"])
        assert [s.state for s in more] == [SignupState.CONFIRMED, SignupState.WAITING]  # capacity 3 in all
        svc.cancel_delegate(contact, got[0].id)
        db.session.refresh(more[1])
        assert more[1].state == SignupState.OFFERED
        assert len(_mails("activity_offer", other.contacts[0].id)) == 1  # the contact answers for them


def test_rolled_back_signup_leaves_nothing(app, make, office):
    """All or nothing: the second date overlaps another booking, so the first isn't kept either."""
    act = make.activity(office, dates=2)
    clash = make.activity(office, days_ahead=14)  # same time as act's second date
    v = make.full_volunteer(office)
    with app.test_request_context():
        svc.sign_up(_user(v.id), [clash.slot])
        with pytest.raises(svc.SignupError):
            svc.sign_up(_user(v.id), act.slot_ids[0])
        assert db.session.scalar(select(func.count()).select_from(Signup).where(
            Signup.slot_id.in_(act.slot_ids[0]))) == 0
        assert len(_mails("activity_signed_up", v.id)) == 1


def test_more_capacity_offers_the_new_places_in_order(app, make, office):
    act = make.activity(office, roles=(("Tutor", 1),))
    a, b, c, d = (make.full_volunteer(office) for _ in range(4))
    with app.test_request_context():
        for p in (a, b, c, d):
            svc.sign_up(_user(p.id), [act.slot])
        role = db.session.get(Role, act.role_ids[0])
        role.capacity = 3
        assert svc.hand_on_free_places([act.slot]) == 2
        db.session.commit()
        assert [st for _, st, _ in _states(act.slot)] == ["confirmed", "offered", "offered", "waiting"]


def test_nothing_is_offered_on_a_cancelled_date(app, make, office):
    act = make.activity(office, roles=(("Tutor", 1),))
    a, b = make.full_volunteer(office), make.full_volunteer(office)
    with app.test_request_context():
        sa = svc.sign_up(_user(a.id), [act.slot])[0]
        svc.sign_up(_user(b.id), [act.slot])
        db.session.get(ActivityDate, act.date_ids[0]).cancelled_at = utcnow()
        db.session.commit()
        svc.cancel(_user(a.id), sa.id)
        assert [st for _, st, _ in _states(act.slot)] == ["cancelled", "waiting"]
        assert _mails("activity_offer") == []
