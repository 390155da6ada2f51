
from sqlalchemy import func, select

from app.extensions import db
from app.mail.models import OutboxMail
from app.mail.reminders import Reminder, reminder_source, send_reminders, unregister


def test_reminders_are_queued_exactly_once_however_often_the_command_runs(app, runner):
    calls = []

    @reminder_source
    def sessions(now, days_before):
        calls.append(days_before)
        # two people signed up for session 7; the second run returns them again
        return [Reminder(dedupe_key=f"reminder:session:7:user:{u}", to=f"u{u}@example.org", name=f"U{u}",
                         locale=loc, context={"title": "Sprachcafé", "when": "Di 14:00", "place": "Treff",
                                              "details_link": "http://x/1"})
                for u, loc in ((1, "de"), (2, "en"))]

    try:
        for _ in range(3):
            result = runner.invoke(args=["mail", "send-reminders"])
            assert result.exit_code == 0, result.output
        with app.app_context():
            rows = db.session.scalars(select(OutboxMail).order_by(OutboxMail.to_address)).all()
            assert [r.to_address for r in rows] == ["u1@example.org", "u2@example.org"]
            assert rows[1].subject == "Reminder: Sprachcafé" and rows[0].subject != rows[1].subject
            assert send_reminders() == 0
        assert calls[0] == app.config["REMINDER_DAYS_BEFORE"] == 2
    finally:
        unregister(sessions)


def test_reminder_and_its_mail_are_one_insert(app):
    @reminder_source
    def one(now, days):
        return [Reminder(dedupe_key="k1", to="a@example.org", name="A", locale="de",
                         context={"title": "T", "when": "W", "place": "P", "details_link": "L"})]

    try:
        with app.app_context():
            assert send_reminders() == 1
            assert send_reminders() == 0
            assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 1
    finally:
        unregister(one)
