"""Demo data of round tables: for the first round table of each office, the invited partner
organisations, the last meeting with its agenda, delegates' attendance and published minutes, and
the next meeting's agenda with one partner proposal waiting for the office's decision and the
invitation sent. Through the services, so the demo shows what a coordinator would have done (its
mails go to the local sink). Safe to run twice: a round table whose last meeting has an agenda is left alone."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.core.demo import register_demo_step


def seed_round_tables() -> dict[str, int]:
    from app.accounts.models import Role as UserRole
    from app.accounts.models import User, coordinator_offices
    from app.activities.models import (Activity, ActivityDate, ActivityState, ActivityType, Attendance, Signup,
                                       Slot)
    from app.core.timeutil import utcnow
    from app.extensions import db
    from app.people.models import Organisation, OrganisationState, organisation_districts
    from app.roundtables import services as rt
    from app.roundtables.models import AgendaItem

    now = utcnow()
    created = {"round_table_minutes": 0, "agenda_items": 0}
    tables = db.session.scalars(select(Activity).where(Activity.kind == ActivityType.ROUND_TABLE,
                                                       Activity.state == ActivityState.PUBLISHED)
                                .order_by(Activity.office_id, Activity.id)).all()
    seen_offices: set[int] = set()
    for act in tables:
        if act.office_id in seen_offices:
            continue
        seen_offices.add(act.office_id)
        coordinator = db.session.scalar(select(User).join(coordinator_offices, coordinator_offices.c.user_id == User.id)
                                        .where(coordinator_offices.c.office_id == act.office_id,
                                               User.role == UserRole.COORDINATOR).order_by(User.id).limit(1))
        if coordinator is None:
            continue
        dates = db.session.scalars(select(ActivityDate).where(ActivityDate.activity_id == act.id)
                                   .order_by(ActivityDate.starts_at)).all()
        past = [d for d in dates if d.ends_at < now]
        coming = [d for d in dates if d.starts_at > now]
        if not past or db.session.scalar(select(AgendaItem.id).where(AgendaItem.date_id == past[-1].id).limit(1)):
            continue  # seeded before
        orgs = db.session.scalars(select(Organisation).join(
            organisation_districts, organisation_districts.c.organisation_id == Organisation.id)
            .where(organisation_districts.c.district_id == act.district_id,
                   Organisation.state == OrganisationState.APPROVED).order_by(Organisation.id)).all()
        for org in orgs:
            if org.id not in rt.invited_ids(act.id):
                rt.invite(coordinator, act.id, org.id)
        last = past[-1]
        for title, note in (("Neues aus dem Büro", "Sprechzeiten im Sommer, neue Kolleg*innen"),
                            ("Berichte der Partner", "Jede Organisation in zwei Minuten"),
                            ("Termine und Verschiedenes", "")):
            rt.add_item(coordinator, last.id, title, note)
            created["agenda_items"] += 1
        # The delegates who came (attendance by organisation), then the minutes, published.
        delegates = db.session.scalars(select(Signup).join(Slot, Slot.id == Signup.slot_id)
                                       .where(Slot.date_id == last.id, Signup.organisation_id.is_not(None))
                                       .order_by(Signup.id)).all()
        for i, s in enumerate(delegates):
            s.attendance = Attendance.ABSENT if i % 5 == 4 else Attendance.PRESENT
            s.attendance_at, s.attendance_by_id = last.ends_at, coordinator.id
        db.session.commit()
        rt.save_minutes(coordinator, last.id, (
            f"## Runder Tisch {act.title.removeprefix('Runder Tisch ')}\n\n"
            "**Anwesend:** Büro, " + ", ".join(o.name for o in orgs[:4]) + "\n\n"
            "1. **Neues aus dem Büro** – Die Sprechzeiten bleiben im Sommer gleich.\n"
            "2. **Berichte der Partner** – Der Sportverein bietet ab März ein zweites Training an.\n"
            "3. **Termine** – Brückenfest: Helfer*innen melden sich über die Plattform an.\n\n"
            "Nächstes Treffen: siehe Einladung."))
        if rt.participants(last):
            rt.publish_minutes(coordinator, last.id, now=now)
            created["round_table_minutes"] += 1
        if coming:
            nxt = coming[0]
            rt.add_item(coordinator, nxt.id, "Neues aus dem Büro")
            rt.add_item(coordinator, nxt.id, "Planung Brückenfest")
            created["agenda_items"] += 2
            contact = next((c for o in orgs for c in o.contacts if c.active and c.deleted_at is None), None)
            if contact is not None:
                rt.propose(contact, nxt.id, "Ferienangebote für Kinder",
                           "Wir möchten unser Sommerprogramm vorstellen (10 Minuten).", now=now)
                created["agenda_items"] += 1
            if rt.invitation_recipients(act.id) and nxt.starts_at > now + timedelta(hours=1):
                rt.send_invitation(coordinator, nxt.id, now=now)
    return created


register_demo_step(seed_round_tables)
