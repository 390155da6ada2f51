"""Round-table rules: invitations of organisations, the agenda (set by the office, proposed by
partner contacts until the meeting's deadline, accepted or declined with a reason), the
invitation mail (once, with the agenda and an .ics), the minutes (Markdown, sanitised, published
once by mail) and attendance by organisation. Each service is one transaction; staff changes go
to the audit log; every mail goes through the outbox in the same transaction."""
from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale, lazy_gettext as _l
from sqlalchemy import case, delete, func, insert, select
from sqlalchemy.orm import selectinload

from app.accounts.models import Role as AccountRole
from app.accounts.models import User
from app.activities.calendar import CONTENT_TYPE, _calendar, _event, _finish, _host
from app.activities.models import ACTIVE, Activity, ActivityDate, ActivityType, Attendance, Signup, SignupState, Slot
from app.activities.texts import when_text
from app.core import audit
from app.core.permissions import can_act_in_office
from app.core.timeutil import utcnow
from app.core.urls import external_url
from app.extensions import db
from app.mail.services import queue_mail_to_user
from app.people.consent import plain_text, render_text
from app.people.models import Organisation, OrganisationState
from app.roundtables.models import ON_AGENDA, AgendaItem, ItemState, Meeting, round_table_invites

MAX_TITLE = 200
MAX_NOTE = 2000
MAX_MINUTES = 50_000


class RoundTableError(Exception):
    def __init__(self, code: str, message, field: str | None = None):
        super().__init__(str(message))
        self.code, self.message, self.field = code, message, field


def _not_found():
    return RoundTableError("not_found", _l("This round table does not exist."))


def _clean(value: str | None, limit: int) -> str:
    return (value or "").strip()[:limit]


# ---------------------------------------------------------------- access
def round_table(activity_id: int) -> Activity:
    act = db.session.get(Activity, activity_id)
    if act is None or act.kind != ActivityType.ROUND_TABLE:
        raise _not_found()
    return act


def meeting_date(date_id: int) -> ActivityDate:
    d = db.session.get(ActivityDate, date_id)
    if d is None or d.activity.kind != ActivityType.ROUND_TABLE:
        raise _not_found()
    return d


def invited_ids(activity_id: int) -> set[int]:
    return set(db.session.scalars(select(round_table_invites.c.organisation_id)
                                  .where(round_table_invites.c.activity_id == activity_id)))


def is_staff(user, activity: Activity) -> bool:
    return (user is not None and user.is_authenticated and user.role != AccountRole.PARTNER
            and user.role != AccountRole.VOLUNTEER and can_act_in_office(user, activity.office_id))


def partner_org(user, activity: Activity) -> int | None:
    """The organisation a partner contact reads and proposes for: approved and invited."""
    if user is None or not user.is_authenticated or user.role != AccountRole.PARTNER or not user.organisation_id:
        return None
    org = db.session.get(Organisation, user.organisation_id)
    if org is None or org.state != OrganisationState.APPROVED:
        return None
    return org.id if org.id in invited_ids(activity.id) else None


def may_read(user, activity: Activity) -> bool:
    return is_staff(user, activity) or partner_org(user, activity) is not None


def _staff(actor, activity: Activity) -> None:
    if not is_staff(actor, activity):
        raise _not_found()


def meeting(date_id: int, lock: bool = False) -> Meeting:
    """The meeting row of a date (made on first use)."""
    stmt = select(Meeting).where(Meeting.date_id == date_id)
    if lock:
        stmt = stmt.with_for_update()
    m = db.session.scalar(stmt)
    if m is None:
        m = Meeting(date_id=date_id, minutes="")
        db.session.add(m)
        db.session.flush()
        if lock:
            m = db.session.scalar(stmt)
    return m


def _run(fn):
    try:
        out = fn()
        db.session.commit()
        return out
    except Exception:
        db.session.rollback()
        raise


# ---------------------------------------------------------------- invitations of organisations
def invite(actor, activity_id: int, organisation_id: int | None) -> None:
    def work():
        act = round_table(activity_id)
        _staff(actor, act)
        org = db.session.get(Organisation, organisation_id) if organisation_id else None
        if org is None or org.state != OrganisationState.APPROVED:
            raise RoundTableError("organisation", _l("Please choose an approved organisation."), field="organisation")
        if org.id in invited_ids(act.id):
            raise RoundTableError("organisation", _l("This organisation is invited already."), field="organisation")
        db.session.execute(insert(round_table_invites).values(activity_id=act.id, organisation_id=org.id))
        audit.record(actor, "roundtable.invited", act, office_id=act.office_id, organisation=org.name)
    _run(work)


def uninvite(actor, activity_id: int, organisation_id: int) -> None:
    def work():
        act = round_table(activity_id)
        _staff(actor, act)
        n = db.session.execute(delete(round_table_invites).where(
            round_table_invites.c.activity_id == act.id,
            round_table_invites.c.organisation_id == organisation_id)).rowcount
        if n:
            audit.record(actor, "roundtable.uninvited", act, office_id=act.office_id, organisation_id=organisation_id)
    _run(work)


def invited_organisations(activity_id: int) -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).join(
        round_table_invites, round_table_invites.c.organisation_id == Organisation.id)
        .where(round_table_invites.c.activity_id == activity_id).order_by(Organisation.name)))


def invitable_organisations(activity_id: int) -> list[Organisation]:
    taken = select(round_table_invites.c.organisation_id).where(round_table_invites.c.activity_id == activity_id)
    return list(db.session.scalars(select(Organisation).where(
        Organisation.state == OrganisationState.APPROVED, Organisation.id.not_in(taken)).order_by(Organisation.name)))


# ---------------------------------------------------------------- agenda
def agenda(date_id: int) -> list[AgendaItem]:
    return list(db.session.scalars(select(AgendaItem).where(
        AgendaItem.date_id == date_id, AgendaItem.state.in_(ON_AGENDA))
        .options(selectinload(AgendaItem.organisation))
        .order_by(AgendaItem.position, AgendaItem.id)))


def proposals(date_id: int, organisation_id: int | None = None) -> list[AgendaItem]:
    """Items not on the agenda: proposed or declined (those of one organisation if given)."""
    stmt = select(AgendaItem).where(AgendaItem.date_id == date_id,
                                    AgendaItem.state.in_((ItemState.PROPOSED, ItemState.DECLINED)))
    if organisation_id is not None:
        stmt = stmt.where(AgendaItem.organisation_id == organisation_id)
    return list(db.session.scalars(stmt.options(selectinload(AgendaItem.organisation))
                                   .order_by(AgendaItem.created_at, AgendaItem.id)))


def _next_position(date_id: int) -> int:
    return (db.session.scalar(select(func.max(AgendaItem.position)).where(
        AgendaItem.date_id == date_id, AgendaItem.state.in_(ON_AGENDA))) or 0) + 1


def _title_note(title: str, note: str) -> tuple[str, str]:
    title, note = " ".join((title or "").split()), (note or "").strip()
    if not title:
        raise RoundTableError("title", _l("Please enter a title."), field="title")
    if len(title) > MAX_TITLE:
        raise RoundTableError("title", _l("At most %(n)d characters, please.", n=MAX_TITLE), field="title")
    if len(note) > MAX_NOTE:
        raise RoundTableError("note", _l("At most %(n)d characters, please.", n=MAX_NOTE), field="note")
    return title, note


def add_item(actor, date_id: int, title: str, note: str = "") -> AgendaItem:
    def work():
        d = meeting_date(date_id)
        _staff(actor, d.activity)
        t, n = _title_note(title, note)
        meeting(d.id, lock=True)  # serialises positions
        item = AgendaItem(date_id=d.id, title=t, note=n, state=ItemState.SET, position=_next_position(d.id))
        db.session.add(item)
        db.session.flush()
        audit.record(actor, "roundtable.item_added", item, office_id=d.activity.office_id, title=t)
        return item
    return _run(work)


def remove_item(actor, item_id: int) -> None:
    def work():
        item = db.session.get(AgendaItem, item_id)
        if item is None:
            raise _not_found()
        d = meeting_date(item.date_id)
        _staff(actor, d.activity)
        if item.state != ItemState.SET:
            raise RoundTableError("state", _l("Only items the office set can be removed; decline a proposal instead."))
        audit.record(actor, "roundtable.item_removed", item, office_id=d.activity.office_id, title=item.title)
        db.session.delete(item)
    _run(work)


def move_item(actor, item_id: int, up: bool) -> None:
    """Swap an agenda item with its neighbour; positions are renumbered 1..n."""
    def work():
        item = db.session.get(AgendaItem, item_id)
        if item is None:
            raise _not_found()
        d = meeting_date(item.date_id)
        _staff(actor, d.activity)
        meeting(d.id, lock=True)
        items = agenda(d.id)
        if item not in items:
            raise RoundTableError("state", _l("This item is not on the agenda."))
        i = items.index(item)
        j = i - 1 if up else i + 1
        if 0 <= j < len(items):
            items[i], items[j] = items[j], items[i]
            for pos, it in enumerate(items, start=1):
                it.position = pos
            audit.record(actor, "roundtable.item_moved", item, office_id=d.activity.office_id, title=item.title)
    _run(work)


def deadline(m: Meeting, d: ActivityDate) -> datetime:
    return m.proposals_until or d.starts_at


def set_deadline(actor, date_id: int, proposals_until: datetime | None) -> None:
    def work():
        d = meeting_date(date_id)
        _staff(actor, d.activity)
        if proposals_until is not None and proposals_until > d.starts_at:
            raise RoundTableError("proposals_until", _l("The deadline must be before the meeting begins."),
                                  field="proposals_until")
        m = meeting(d.id, lock=True)
        m.proposals_until = proposals_until
        audit.record(actor, "roundtable.deadline", record_type="round_table_meetings", record_id=d.id,
                     office_id=d.activity.office_id, proposals_until=proposals_until.isoformat() if proposals_until else None)
    _run(work)


def propose(contact, date_id: int, title: str, note: str = "", now: datetime | None = None) -> AgendaItem:
    """A partner contact of an invited, approved organisation proposes an item until the deadline."""
    now = now or utcnow()

    def work():
        d = meeting_date(date_id)
        org_id = partner_org(contact, d.activity)
        if org_id is None:
            raise _not_found()
        t, n = _title_note(title, note)
        m = meeting(d.id)
        if d.cancelled_at is not None or now > deadline(m, d):
            raise RoundTableError("deadline", _l("Proposals for this meeting are closed."), field="title")
        item = AgendaItem(date_id=d.id, title=t, note=n, state=ItemState.PROPOSED, organisation_id=org_id,
                          proposed_by_id=contact.id, position=0, created_at=now)
        db.session.add(item)
        db.session.flush()
        return item
    return _run(work)


def decide(actor, item_id: int, accept: bool, reason: str = "", now: datetime | None = None) -> AgendaItem:
    """Accept a proposal onto the agenda (at its end) or decline it with a reason; the proposer is told."""
    now = now or utcnow()

    def work():
        item = db.session.get(AgendaItem, item_id)
        if item is None:
            raise _not_found()
        d = meeting_date(item.date_id)
        _staff(actor, d.activity)
        meeting(d.id, lock=True)
        db.session.refresh(item)
        if item.state != ItemState.PROPOSED:
            raise RoundTableError("decided", _l("This proposal has been decided already."))
        why = " ".join((reason or "").split())
        if not accept and not why:
            raise RoundTableError("reason", _l("Please give a reason for declining."), field="reason")
        if len(why) > 300:
            raise RoundTableError("reason", _l("At most %(n)d characters, please.", n=300), field="reason")
        if accept:
            item.state, item.position = ItemState.ACCEPTED, _next_position(d.id)
        else:
            item.state = ItemState.DECLINED
        item.decline_reason = "" if accept else why
        item.decided_by_id, item.decided_at = actor.id, now
        audit.record(actor, "roundtable.item_accepted" if accept else "roundtable.item_declined", item,
                     office_id=d.activity.office_id, title=item.title, reason=why or None)
        if item.proposed_by is not None and item.proposed_by.active and item.proposed_by.deleted_at is None:
            user = item.proposed_by
            queue_mail_to_user("roundtable_item_decided", user,
                               {**_context(d, user), "item": item.title, "accepted": accept, "reason": why},
                               office_id=d.activity.office_id)
        return item
    return _run(work)


# ---------------------------------------------------------------- mails
def _context(d: ActivityDate, user: User) -> dict:
    act = d.activity
    with force_locale(user.locale or "de"):
        when = when_text(d.starts_at, d.ends_at)
    return {"title": act.title, "when": when, "place": act.place_text(), "office": act.office.name,
            "link": external_url("roundtables.meeting", date_id=d.id)}


def agenda_text(items: list[AgendaItem]) -> str:
    return "\n".join(f"{i}. {it.title}" for i, it in enumerate(items, start=1))


def meeting_ics(d: ActivityDate) -> bytes:
    """One meeting as an iCalendar file (same UID and SEQUENCE as the activity's calendar)."""
    act = d.activity
    cal = _calendar(act.title)
    cal.add_component(_event(f"date-{d.id}@{_host()}", d.starts_at, d.ends_at, act.title, act, d, utcnow(),
                             act.summary))
    return _finish(cal)


def _contacts(org_ids) -> list[User]:
    if not org_ids:
        return []
    return list(db.session.scalars(select(User).where(
        User.organisation_id.in_(org_ids), User.role == AccountRole.PARTNER, User.active.is_(True),
        User.deleted_at.is_(None)).order_by(User.id)))


def invitation_recipients(activity_id: int) -> list[User]:
    approved = select(Organisation.id).where(Organisation.state == OrganisationState.APPROVED,
                                             Organisation.id.in_(invited_ids(activity_id) or {0}))
    return _contacts(set(db.session.scalars(approved)))


def send_invitation(actor, date_id: int, now: datetime | None = None) -> int:
    """Mail the invitation for one meeting to the invited organisations' contacts, once."""
    now = now or utcnow()

    def work():
        d = meeting_date(date_id)
        _staff(actor, d.activity)
        m = meeting(d.id, lock=True)
        if m.invited_at is not None:
            raise RoundTableError("already", _l("The invitation for this meeting has been sent already."))
        if d.cancelled_at is not None or d.starts_at <= now:
            raise RoundTableError("past", _l("This meeting is over or cancelled."))
        people = invitation_recipients(d.activity_id)
        if not people:
            raise RoundTableError("nobody", _l("Invite at least one organisation with a contact person first."))
        items = agenda(d.id)
        ics = meeting_ics(d)
        until = deadline(m, d)
        for user in people:
            with force_locale(user.locale or "de"):
                until_text = when_text(until, until)
            queue_mail_to_user("roundtable_invitation", user,
                               {**_context(d, user), "agenda": agenda_text(items), "proposals_until": until_text,
                                "delegates_link": external_url("activities.detail", activity_id=d.activity_id)},
                               office_id=d.activity.office_id,
                               attachments=[(f"round-table-{d.id}.ics", CONTENT_TYPE, ics)])
        m.invited_at = now
        audit.record(actor, "roundtable.invitation_sent", record_type="round_table_meetings", record_id=d.id,
                     office_id=d.activity.office_id, recipients=len(people))
        return len(people)
    return _run(work)


# ---------------------------------------------------------------- minutes
def save_minutes(actor, date_id: int, text: str) -> None:
    def work():
        d = meeting_date(date_id)
        _staff(actor, d.activity)
        m = meeting(d.id, lock=True)
        if m.minutes_published_at is not None:
            raise RoundTableError("published", _l("The minutes are published and can no longer be changed."),
                                  field="minutes")
        source = (text or "").strip()
        if len(source) > MAX_MINUTES:
            raise RoundTableError("minutes", _l("At most %(n)d characters, please.", n=MAX_MINUTES), field="minutes")
        m.minutes = source
        audit.record(actor, "roundtable.minutes_saved", record_type="round_table_meetings", record_id=d.id,
                     office_id=d.activity.office_id)
    _run(work)


def participants(d: ActivityDate) -> list[User]:
    """Contacts of the organisations with delegates on that date and of the invited ones."""
    with_delegates = set(db.session.scalars(
        select(Signup.organisation_id).join(Slot, Slot.id == Signup.slot_id)
        .where(Slot.date_id == d.id, Signup.organisation_id.is_not(None), Signup.state.in_(ACTIVE)).distinct()))
    return _contacts(with_delegates | invited_ids(d.activity_id))


def publish_minutes(actor, date_id: int, now: datetime | None = None) -> int:
    now = now or utcnow()

    def work():
        d = meeting_date(date_id)
        _staff(actor, d.activity)
        m = meeting(d.id, lock=True)
        if m.minutes_published_at is not None:
            raise RoundTableError("already", _l("The minutes have been published already."))
        if not plain_text(m.minutes):
            raise RoundTableError("minutes", _l("Please write the minutes first."), field="minutes")
        people = participants(d)
        text = plain_text(m.minutes)
        for user in people:
            queue_mail_to_user("roundtable_minutes", user, {**_context(d, user), "minutes": text},
                               office_id=d.activity.office_id)
        m.minutes_published_at, m.minutes_published_by_id = now, actor.id
        audit.record(actor, "roundtable.minutes_published", record_type="round_table_meetings", record_id=d.id,
                     office_id=d.activity.office_id, recipients=len(people))
        return len(people)
    return _run(work)


def minutes_html(m: Meeting):
    return render_text(m.minutes)


def archive(activity_id: int) -> list[tuple[ActivityDate, Meeting]]:
    """The meetings of a series with published minutes, newest first."""
    return list(db.session.execute(select(ActivityDate, Meeting).join(Meeting, Meeting.date_id == ActivityDate.id)
                                   .where(ActivityDate.activity_id == activity_id,
                                          Meeting.minutes_published_at.is_not(None))
                                   .order_by(ActivityDate.starts_at.desc())).tuples())


# ---------------------------------------------------------------- attendance
def attendance_by_organisation(date_id: int) -> list[dict]:
    """Per organisation: delegates registered, present, absent, excused — one statement."""
    def n(value):
        return func.sum(case((Signup.attendance == value, 1), else_=0))
    rows = db.session.execute(
        select(Organisation.name, func.count(Signup.id), n(Attendance.PRESENT), n(Attendance.ABSENT),
               n(Attendance.EXCUSED))
        .join(Signup, Signup.organisation_id == Organisation.id).join(Slot, Slot.id == Signup.slot_id)
        .where(Slot.date_id == date_id, Signup.state == SignupState.CONFIRMED)
        .group_by(Organisation.id, Organisation.name).order_by(Organisation.name)).all()
    return [{"organisation": r[0], "registered": r[1], "present": r[2] or 0, "absent": r[3] or 0,
             "excused": r[4] or 0} for r in rows]
