"""Keeping an activity's slots (role × date) in step with its roles and dates.

Every role has one slot on every date; management services call `sync_slots` after adding or
changing roles and dates (in their transaction). Slots are never deleted while they have
sign-ups: a role or date with people on it is cancelled, not removed."""
from __future__ import annotations

from sqlalchemy import select

from app.activities.models import ActivityDate, Role, Slot
from app.activities.series import slot_times
from app.extensions import db


def sync_slots(activity_id: int) -> int:
    """Create the missing slots of an activity and put every slot's times right (a moved date,
    a changed shift). Returns how many slots were created. Two statements plus the inserts."""
    roles = db.session.scalars(select(Role).where(Role.activity_id == activity_id)).all()
    dates = db.session.scalars(select(ActivityDate).where(ActivityDate.activity_id == activity_id)).all()
    existing = {(s.role_id, s.date_id): s
                for s in db.session.scalars(select(Slot).where(Slot.activity_id == activity_id))}
    created = 0
    for role in roles:
        for d in dates:
            starts, ends = slot_times(d.starts_at, d.ends_at, role.slot_start, role.slot_end)
            minutes = int((ends - starts).total_seconds() // 60)
            slot = existing.get((role.id, d.id))
            if slot is None:
                db.session.add(Slot(role_id=role.id, date_id=d.id, activity_id=activity_id,
                                    starts_at=starts, ends_at=ends, duration_minutes=minutes))
                created += 1
            elif (slot.starts_at, slot.ends_at, slot.duration_minutes) != (starts, ends, minutes):
                slot.starts_at, slot.ends_at, slot.duration_minutes = starts, ends, minutes
    db.session.flush()
    return created
