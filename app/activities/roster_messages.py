"""Messages to a roster: who gets a coordinator's message written from an activity's roster.

The recipients are a SELECT of (user_id, email, name, locale) that `app.mail.services.send_message`
turns into outbox rows with one INSERT … SELECT; this module only says who. A message to a roster
is about the person's own sign-up (a time changed, what to bring, thank you for Saturday), so it
does not need the consent "contact me about new opportunities" — that consent is for offers of new
things. Unsubscribed or bounced addresses are skipped by the outbox as for every message.

Audiences, as the value of the form's choice:
  all          everyone with a place on a coming date of the activity
  role-<id>    everyone with a place in that role on a coming date
  slot-<id>    everyone with a place on that role and date (also a past one: "thanks for Saturday")
  waiting      everyone on a waiting list of a coming date
  present      everyone marked present on any date of the activity
  present-<id> everyone marked present on that role and date
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from flask_babel import gettext as _
from sqlalchemy import Select, select

from app.accounts.models import User
from app.activities.models import HOLDING, Activity, ActivityDate, Attendance, Signup, SignupState, Slot
from app.activities.texts import short_when
from app.core.timeutil import utcnow
from app.mail.services import register_audience

KINDS = ("all", "role", "slot", "waiting", "present", "present_slot")


@dataclass(frozen=True)
class Audience:
    kind: str
    ident: int | None = None  # a role's id (role) or a slot's id (slot, present_slot)

    @property
    def value(self) -> str:
        prefix = {"present_slot": "present"}.get(self.kind, self.kind)
        return prefix if self.ident is None else f"{prefix}-{self.ident}"


def parse(value: str | None) -> Audience | None:
    """The form's value back into an audience; None for anything else (refused by the form)."""
    raw = (value or "").strip()
    if raw in ("all", "waiting", "present"):
        return Audience(raw)
    head, _sep, tail = raw.partition("-")
    if head in ("role", "slot", "present") and tail.isascii() and tail.isdigit() and len(tail) < 10:
        return Audience("present_slot" if head == "present" else head, int(tail))
    return None


def choices(activity: Activity, slots: Mapping[tuple[int, int], Mapping[str, int]]) -> list[tuple[str, str]]:
    """The audiences a coordinator can write to for this activity, as (value, label), in the
    viewer's language. `slots` is `manage.slot_counts(activity.id)` ((role_id, date_id) → slot)."""
    out = [("all", _("Everyone with a place on a coming date")),
           ("waiting", _("Everyone on a waiting list of a coming date")),
           ("present", _("Everyone who was present on a date"))]
    many_roles = len(activity.roles) > 1
    if many_roles:
        out += [(f"role-{r.id}", _("Role %(role)s: everyone with a place on a coming date", role=r.name))
                for r in activity.roles]
    now = utcnow()
    for d in sorted(activity.dates, key=lambda d: d.starts_at):
        if d.is_cancelled:
            continue
        for r in activity.roles:
            slot = slots.get((r.id, d.id))
            if slot is None:
                continue
            when = short_when(d.starts_at, d.ends_at)
            label = f"{when} · {r.name}" if many_roles else when
            out.append((f"slot-{slot['slot']}", _("%(date)s: everyone with a place", date=label)))
            if d.starts_at <= now:
                out.append((f"present-{slot['slot']}", _("%(date)s: everyone who was present", date=label)))
    return out


def recipients(activity_id: int, audience: Audience) -> Select:
    """SELECT DISTINCT (user_id, email, name, locale) of the audience: people with an account that
    is active and not deleted (named delegates without an account have no address here)."""
    stmt = (select(User.id, User.email, User.name, User.locale)
            .join(Signup, Signup.user_id == User.id)
            .join(Slot, Slot.id == Signup.slot_id)
            .join(ActivityDate, ActivityDate.id == Slot.date_id)
            .where(Slot.activity_id == activity_id, User.active.is_(True), User.deleted_at.is_(None),
                   ActivityDate.cancelled_at.is_(None)))
    now = utcnow()
    kind = audience.kind
    if kind in ("all", "role"):
        stmt = stmt.where(Signup.state.in_(HOLDING), Slot.ends_at >= now)
        if kind == "role":
            stmt = stmt.where(Slot.role_id == audience.ident)
    elif kind == "slot":
        stmt = stmt.where(Signup.state.in_(HOLDING), Slot.id == audience.ident)
    elif kind == "waiting":
        stmt = stmt.where(Signup.state == SignupState.WAITING, Slot.ends_at >= now)
    elif kind in ("present", "present_slot"):
        stmt = stmt.where(Signup.attendance == Attendance.PRESENT)
        if kind == "present_slot":
            stmt = stmt.where(Slot.id == audience.ident)
    else:  # pragma: no cover - parse() gives only the kinds above
        raise ValueError(kind)
    return stmt.distinct()


def belongs_to(activity: Activity, audience: Audience) -> bool:
    """Whether the audience's role or slot is one of this activity's (anything else: refused)."""
    from app.extensions import db

    if audience.kind == "role":
        return any(r.id == audience.ident for r in activity.roles)
    if audience.kind in ("slot", "present_slot"):
        return db.session.scalar(select(Slot.activity_id).where(Slot.id == audience.ident)) == activity.id
    return audience.kind in KINDS


def audience_data(activity: Activity, audience: Audience) -> dict[str, Any]:
    """Why they get it, as data: each recipient's mail says it in their own language."""
    from app.extensions import db

    data: dict[str, Any] = {"key": "roster", "activity_id": activity.id, "title": activity.title,
                            "part": audience.kind}
    if audience.kind == "role":
        data["role"] = next((r.name for r in activity.roles if r.id == audience.ident), "")
    if audience.kind in ("slot", "present_slot"):
        row = db.session.execute(select(Slot.starts_at, Slot.ends_at, Slot.role_id)
                                 .where(Slot.id == audience.ident)).first()
        if row is not None:
            data["starts_at"], data["ends_at"] = row.starts_at.isoformat(), row.ends_at.isoformat()
            data["role"] = next((r.name for r in activity.roles if r.id == row.role_id), "")
    return data


@register_audience("roster")
def describe(data: Mapping[str, Any], short: bool) -> str:
    """"you are signed up for Deutschkurs Hörde – tutor, Tue 3 Mar 2027, 17:00–18:30"."""
    from datetime import datetime

    what = data.get("title") or ""
    if not what:
        return ""
    if data.get("role"):
        what = f"{what} – {data['role']}"
    if data.get("starts_at"):
        try:
            starts = datetime.fromisoformat(data["starts_at"])
            ends = datetime.fromisoformat(data.get("ends_at") or data["starts_at"])
        except (TypeError, ValueError):
            starts = None
        if starts is not None:
            what = f"{what}, {short_when(starts, ends)}"
    part = data.get("part")
    if part == "waiting":
        return (_("Waiting list: %(what)s", what=what) if short
                else _("you are on the waiting list for %(what)s", what=what))
    if part in ("present", "present_slot"):
        return (_("Present: %(what)s", what=what) if short
                else _("you took part in %(what)s", what=what))
    return (_("Signed up: %(what)s", what=what) if short
            else _("you are signed up for %(what)s", what=what))
