"""Reminders of upcoming dates: once per slot and person, in the person's language, the
activity's lead time or REMINDER_DAYS_BEFORE; none for a cancelled date or sign-up; partner
contacts for their delegates."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.activities import signup as svc
from app.activities.models import Activity, ActivityDate
from app.core.timeutil import utcnow
from app.extensions import db
from app.mail.models import OutboxMail
from app.mail.reminders import send_reminders
from tests.activities.volunteer_helpers import sign_up, user


def _reminders():
    return db.session.scalars(select(OutboxMail).where(OutboxMail.kind == "reminder").order_by(OutboxMail.id)).all()


def _signed_up_long_ago(app, person, *slots):
    """Sign up as of ten days ago (so the reminder is due when it comes)."""
    with app.test_request_context():
        return [s.id for s in svc.sign_up(user(person.id), list(slots), now=utcnow() - timedelta(days=10))]


def test_two_runs_queue_one_mail_in_the_persons_language(app, make):
    office = make.office()
    act = make.activity(office, title="Sprachcafé", days_ahead=1)
    de, en = make.full_volunteer(office), make.full_volunteer(office, locale="en")
    _signed_up_long_ago(app, de, act.slot)
    _signed_up_long_ago(app, en, act.slot)
    with app.test_request_context():
        assert send_reminders() == 2
        assert send_reminders() == 0
        mails = _reminders()
        assert len(mails) == 2
        by_user = {m.user_id: m for m in mails}
        assert "Erinnerung" in by_user[de.id].subject and "Sprachcafé" in by_user[de.id].subject
        assert "Reminder" in by_user[en.id].subject
        assert "17:00" in by_user[de.id].body_text and "Hauptstraße 1" in by_user[de.id].body_text
        assert "5:00" in by_user[en.id].body_text or "17:00" in by_user[en.id].body_text
        assert by_user[de.id].dedupe_key == f"reminder:slot:{act.slot}:user:{de.id}"


def test_lead_time_per_activity_and_default(app, make):
    office = make.office()
    at = utcnow().replace(microsecond=0)
    soon = make.activity(office, title="Bald", dates=[at + timedelta(days=3)])  # default 2 days: not yet
    early = make.activity(office, title="Früh", dates=[at + timedelta(days=4)])
    with app.app_context():
        db.session.get(Activity, early.id).reminder_days = 5
        db.session.commit()
    me = make.full_volunteer(office)
    _signed_up_long_ago(app, me, soon.slot, early.slot)
    with app.test_request_context():
        assert send_reminders() == 1
        assert "Früh" in _reminders()[0].subject
        assert send_reminders(now=at + timedelta(days=1, hours=1)) == 1  # "Bald" is now < 2 days away
        assert send_reminders(now=at + timedelta(days=1, hours=2)) == 0


def test_no_reminder_for_cancelled_date_or_signup_or_past(app, make):
    office = make.office()
    act = make.activity(office, dates=2, days_ahead=1)
    a, b = make.full_volunteer(office), make.full_volunteer(office)
    ids = _signed_up_long_ago(app, a, *act.slot_ids[0])
    _signed_up_long_ago(app, b, act.slot_ids[0][0])
    with app.test_request_context():
        svc.cancel(user(b.id), db.session.scalar(select(svc.Signup.id).where(svc.Signup.user_id == b.id)))
        db.session.get(ActivityDate, act.date_ids[0]).cancelled_at = utcnow()
        db.session.commit()
        assert send_reminders() == 0  # the first date is cancelled, the second a week away
        assert send_reminders(now=utcnow() + timedelta(days=7)) == 1  # the second date, for a only
        assert _reminders()[0].user_id == a.id
        assert send_reminders(now=utcnow() + timedelta(days=30)) == 0  # over
    assert ids


def test_no_reminder_right_after_signing_up(app, make):
    office = make.office()
    act = make.activity(office, days_ahead=1)
    sign_up(app, make.full_volunteer(office), act.slot)  # now: the confirmation mail just went out
    with app.test_request_context():
        assert send_reminders() == 0


def test_delegates_reminded_through_their_contact(app, make):
    office = make.office()
    org = make.organisation(districts=office.district_ids)
    act = make.activity(office, title="Runder Tisch", kind="round_table", roles=(("Delegierte", 6),),
                        for_partners=True, max_per_organisation=3, days_ahead=1)
    contact = org.contacts[0]
    with app.test_request_context():
        svc.sign_up_delegates(user(contact.id), act.slot, ["Amina Haddad", "Jonas Becker"],
                              now=utcnow() - timedelta(days=10))
        assert send_reminders() == 1
        [mail] = _reminders()
        assert mail.user_id == contact.id
        assert "Amina Haddad" in mail.body_text and "Jonas Becker" in mail.body_text
        assert send_reminders() == 0


def test_runs_in_the_worker_without_a_request(app, make):
    office = make.office()
    act = make.activity(office, days_ahead=1)
    _signed_up_long_ago(app, make.full_volunteer(office), act.slot)
    with app.app_context():  # the mail worker's periodic job has no request
        assert send_reminders() == 1
        assert "/my/activities" in _reminders()[0].body_text
