"""Bench data for the activities: 500 published activities of the demo offices (one festival
with 30 shifts), weekly dates, and a roster of 300 on one slot — inserted set-based (a few
executemany statements), after `seed-demo`. Run by bench/http_load.py with DATABASE_URL set:

    DATABASE_URL=… .venv/bin/python -m bench.activity_data

Prints JSON: the ids the benchmark loads (a typical activity, the festival, its slot, the
roster's slot)."""
from __future__ import annotations

import json
import sys
from datetime import time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ACTIVITIES = 500
ROSTER = 300


def fill() -> dict:
    from sqlalchemy import insert, select

    from app import create_app
    from app.accounts.models import Role as AccountRole
    from app.accounts.models import User
    from app.activities.models import (Activity, ActivityDate, ActivityState, ActivityType, Role, Signup,
                                       SignupState, Slot, activity_languages)
    from app.activities.series import local_to_utc
    from app.core.timeutil import to_local, utcnow
    from app.extensions import db
    from app.offices.models import District

    app = create_app()
    with app.app_context():
        now = utcnow()
        offices = db.session.execute(select(District.office_id, District.id).where(District.office_id.is_not(None))
                                     .order_by(District.id)).all()
        kinds = list(ActivityType)
        langs = ["de", "ar", "en", "fa", "uk", "tr", "ru"]
        today = to_local(now).date()
        rows = []
        for i in range(ACTIVITIES):
            office_id, district_id = offices[i % len(offices)]
            rows.append(dict(title=(f"Brückenfest {today.year}" if i == 0 else f"{kinds[i % 6].label} {i:03d}"),
                             kind=ActivityType.EVENT if i == 0 else kinds[i % 6], office_id=office_id,
                             district_id=district_id, summary=f"Zusammen lernen und feiern, Angebot Nummer {i}.",
                             description="Wir **treffen** uns jede Woche.\n\n- Tee\n- Gespräche\n\n"
                                         "Bitte melden Sie sich an.", state=ActivityState.PUBLISHED,
                             published_at=now, created_at=now, updated_at=now))
        ids = list(db.session.scalars(insert(Activity).returning(Activity.id, sort_by_parameter_order=True), rows))
        db.session.execute(insert(activity_languages), [dict(activity_id=a, code=c) for n, a in enumerate(ids)
                                                         for c in {"de", langs[n % len(langs)]}])
        festival = ids[0]
        role_rows, date_rows = [], []
        for n, a in enumerate(ids):
            if a == festival:
                role_rows += [dict(activity_id=a, name=f"Schicht {k + 1}: Stand {k % 10 + 1}", capacity=4, position=k,
                                   slot_start=time(10 + k % 8), slot_end=time(11 + k % 8), deadline_hours=0,
                                   for_partners=False, auto_move_up=False, created_at=now) for k in range(30)]
                date_rows += [dict(activity_id=a, starts_at=local_to_utc(today + timedelta(days=20 + d), time(10)),
                                   ends_at=local_to_utc(today + timedelta(days=20 + d), time(19)), sequence=0,
                                   cancel_reason="", note="") for d in range(2)]
            else:
                role_rows.append(dict(activity_id=a, name="Mithilfe", capacity=8, position=0, deadline_hours=0,
                                      for_partners=False, auto_move_up=False, created_at=now))
                first = today + timedelta(days=1 + n % 40)
                date_rows += [dict(activity_id=a, starts_at=local_to_utc(first + timedelta(weeks=w), time(17)),
                                   ends_at=local_to_utc(first + timedelta(weeks=w), time(18, 30)), sequence=0,
                                   cancel_reason="", note="") for w in range(4)]
        role_ids = list(db.session.execute(insert(Role).returning(Role.id, Role.activity_id, Role.slot_start,
                                                                  Role.slot_end, sort_by_parameter_order=True),
                                           role_rows))
        date_ids = list(db.session.execute(insert(ActivityDate).returning(
            ActivityDate.id, ActivityDate.activity_id, ActivityDate.starts_at, ActivityDate.ends_at,
            sort_by_parameter_order=True), date_rows))
        from app.activities.series import slot_times

        dates_of: dict[int, list] = {}
        for d in date_ids:
            dates_of.setdefault(d.activity_id, []).append(d)
        slot_rows = []
        for r in role_ids:
            for d in dates_of[r.activity_id]:
                starts, ends = slot_times(d.starts_at, d.ends_at, r.slot_start, r.slot_end)
                slot_rows.append(dict(role_id=r.id, date_id=d.id, activity_id=r.activity_id, starts_at=starts,
                                      ends_at=ends, version=0))
        slots = list(db.session.execute(insert(Slot).returning(Slot.id, Slot.role_id, Slot.activity_id,
                                                               sort_by_parameter_order=True), slot_rows))
        volunteers = list(db.session.scalars(select(User.id).where(User.role == AccountRole.VOLUNTEER)
                                             .order_by(User.id).limit(ROSTER + 20)))
        # The roster: 300 people on one slot of the second activity (capacity raised to 250:
        # 250 confirmed, 50 waiting).
        roster_activity = ids[1]
        roster_slot = next(s for s in slots if s.activity_id == roster_activity)
        db.session.execute(Role.__table__.update().where(Role.id == roster_slot.role_id).values(capacity=250))
        signups = [dict(slot_id=roster_slot.id, user_id=u, state=SignupState.CONFIRMED if k < 250 else SignupState.WAITING,
                        queue_no=None if k < 250 else k - 249, confirmed_at=now if k < 250 else None,
                        delegate_name="", offer_count=0, over_capacity=False, created_at=now, updated_at=now)
                   for k, u in enumerate(volunteers[1:ROSTER + 1])]
        # The festival: the logged-in volunteer (the first) on two shifts, others on a few.
        festival_slots = [s for s in slots if s.activity_id == festival]
        for k, s in enumerate(festival_slots[:12]):
            for j, u in enumerate(volunteers[(k % 5) + (0 if k in (3, 7) else 1):][:3]):
                signups.append(dict(slot_id=s.id, user_id=u, state=SignupState.CONFIRMED, confirmed_at=now,
                                    delegate_name="", offer_count=0, over_capacity=False, created_at=now,
                                    updated_at=now))
        seen = set()
        unique = []
        for row in signups:
            if (row["slot_id"], row["user_id"]) not in seen:
                seen.add((row["slot_id"], row["user_id"]))
                unique.append(row)
        db.session.execute(insert(Signup), unique)
        db.session.commit()
        from app.activities import cache

        cache.bump()
        # a slot of another activity for the sign-up POST (far from the festival's dates)
        post_activity = ids[250]
        post_slot = next(s for s in slots if s.activity_id == post_activity)
        from app.accounts.models import Role as AccountRole
        from app.accounts.models import User, coordinator_offices

        roster_office = db.session.scalar(select(Activity.office_id).where(Activity.id == roster_activity))
        roster_coordinator = db.session.scalar(
            select(User.email).join(coordinator_offices, coordinator_offices.c.user_id == User.id)
            .where(coordinator_offices.c.office_id == roster_office, User.role == AccountRole.COORDINATOR)
            .order_by(User.id).limit(1))
        return {"activity": ids[100], "festival": festival, "roster_activity": roster_activity,
                "roster_coordinator": roster_coordinator,
                "roster_slot": roster_slot.id, "roster_role": roster_slot.role_id, "post_activity": post_activity,
                "post_role": post_slot.role_id, "post_slot": post_slot.id, "activities": len(ids),
                "slots": len(slots), "signups": len(unique)}


if __name__ == "__main__":
    print(json.dumps(fill()))
