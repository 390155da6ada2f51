"""`queue_mails_to_users`, the bulk form of `queue_mail_to_user`: the same outbox rows, column
for column (an office's override in one language, the standard text in the other), with the
overrides read in one statement whatever the number of mails."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.mail.models import MailTemplateOverride, OutboxMail
from tests.conftest import recorded_statements

KIND = "matching_proposal"
SAME = ("kind", "to_address", "to_name", "user_id", "locale", "office_id", "subject", "body_text", "body_html",
        "message_id", "is_service", "dedupe_key", "status", "attempts", "deferrals", "claimed_by", "claimed_at",
        "sent_at", "last_error")


def _context(n: int) -> dict:
    from app.mail.kinds import KINDS

    example = {k: v for k, v in KINDS[KIND].example.items() if k != "user"}  # the account's own
    return {**example, "shared_text": f"Begleitung Nr. {n}", "answer_link": f"https://example.org/a/{n}"}


def _rows(ids) -> list[dict]:
    rows = db.session.scalars(select(OutboxMail).where(OutboxMail.id.in_(ids)).order_by(OutboxMail.id)).all()
    return [{**{c: getattr(r, c) for c in SAME}, "attachments": len(r.attachments)} for r in rows]


def test_bulk_rows_equal_single_rows(app, make):
    from app.accounts.models import User
    from app.mail.services import queue_mail_to_user, queue_mails_to_users

    office = make.office()
    people = [make.volunteer(locale="de"), make.volunteer(locale="en"), make.volunteer(locale="de")]
    with app.test_request_context():
        db.session.add(MailTemplateOverride(office_id=office.id, kind=KIND, locale="en",
                                            subject="Help wanted, {{ user.name }}",
                                            body="Hello {{ user.name }}: {{ shared_text }} {{ answer_link }}"))
        db.session.commit()
        users = [db.session.get(User, p.id) for p in people]
        single = [queue_mail_to_user(KIND, u, _context(i), office_id=office.id) for i, u in enumerate(users)]
        db.session.flush()
        single_ids = [r.id for r in single]
        with recorded_statements(app) as statements:
            assert queue_mails_to_users(KIND, [(u, _context(i)) for i, u in enumerate(users)],
                                        office_id=office.id) == 3
        db.session.commit()
        bulk_ids = db.session.scalars(select(OutboxMail.id).where(OutboxMail.id.not_in(single_ids))).all()
        one, many = _rows(single_ids), _rows(bulk_ids)
        assert one == many
        assert [r["locale"] for r in many] == ["de", "en", "de"]
        assert many[1]["subject"] == f"Help wanted, {users[1].name}" and "Begleitung Nr. 1" in many[1]["body_text"]
        assert many[0]["subject"] != many[1]["subject"] and "Begleitung Nr. 0" in many[0]["body_text"]
        overrides = [s for s in statements if "mail_template_overrides" in s]
        inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO OUTBOX_MAILS")]
        assert len(overrides) == 1 and len(inserts) == 1, statements
        times = db.session.execute(select(OutboxMail.created_at, OutboxMail.next_attempt_at)).all()
        assert all(c is not None and n is not None for c, n in times)


def test_bulk_without_office_or_recipients(app, make):
    from app.accounts.models import User
    from app.mail.services import queue_mail_to_user, queue_mails_to_users

    person = make.volunteer()
    with app.test_request_context():
        assert queue_mails_to_users(KIND, [], office_id=None) == 0
        user = db.session.get(User, person.id)
        one = queue_mail_to_user(KIND, user, _context(7))
        db.session.flush()
        assert queue_mails_to_users(KIND, [(user, _context(7))]) == 1
        db.session.commit()
        many = db.session.scalar(select(OutboxMail.id).where(OutboxMail.id != one.id))
        assert _rows([one.id]) == _rows([many]) and _rows([many])[0]["office_id"] is None
