"""What the attendance screen, the exports and the sign-in sheet read: the rows of a slot or of a
whole activity in one statement each, and the spreadsheets (CSV for German Excel: UTF-8 with BOM
and semicolons; xlsx by XlsxWriter). Contact data follows the roster's rule: the office's staff
see e-mail and phone, a partner organisation only where the volunteer agreed to share them with
partners. Every text cell is neutralised against formula injection (app.people.exports)."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

import xlsxwriter
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from app.accounts.models import Role as AccountRole
from app.accounts.models import User
from app.activities.attendance import minutes_given
from app.activities.manage import _like_pattern
from app.activities.models import ACTIVE, Activity, Attendance, Role, Signup, SignupState, Slot
from app.activities.series import utc_to_local
from app.extensions import db
from app.people.exports import neutralise
from app.people.models import Organisation, VolunteerProfile

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class SheetRow:
    id: int
    user_id: int | None
    name: str
    organisation: str
    role: str
    starts_at: datetime
    state: SignupState
    attendance: Attendance | None
    minutes: int | None  # the correction, if any
    minutes_reason: str
    given: int  # the minutes that count (present: correction or slot length)
    duration: int
    walk_in: bool
    over_capacity: bool
    email: str
    phone: str


def _stmt(show_contact: str):
    from app.people.consent import shares_with_partner

    shared = shares_with_partner(Signup.user_id) if show_contact != "all" else None
    cols = [Signup.id, Signup.user_id, User.name, Signup.delegate_name, Organisation.name, Role.name, Slot.starts_at,
            Signup.state, Signup.attendance, Signup.minutes, Signup.minutes_reason, minutes_given(),
            Slot.duration_minutes, Signup.walk_in, Signup.over_capacity, User.email, VolunteerProfile.phone]
    if shared is not None:
        cols.append(shared)
    return (select(*cols).join(Slot, Slot.id == Signup.slot_id).join(Role, Role.id == Slot.role_id)
            .outerjoin(User, User.id == Signup.user_id)
            .outerjoin(VolunteerProfile, VolunteerProfile.user_id == Signup.user_id)
            .outerjoin(Organisation, Organisation.id == Signup.organisation_id))


def _rows(stmt, show_contact: str) -> list[SheetRow]:
    out = []
    for r in db.session.execute(stmt):
        visible = show_contact == "all" or bool(r[17])
        out.append(SheetRow(r[0], r[1], r[2] or r[3] or "—", r[4] or "", r[5], r[6], r[7], r[8], r[9],
                            r[10] or "", int(r[11] or 0), r[12], bool(r[13]), bool(r[14]),
                            (r[15] or "") if visible else "", (r[16] or "") if visible else ""))
    return out


def slot_rows(slot_id: int, *, show_contact: str, states=ACTIVE) -> list[SheetRow]:
    """A slot's people (by default everyone on the list: confirmed, offered, waiting), confirmed
    first, then by name — one statement."""
    stmt = (_stmt(show_contact).where(Signup.slot_id == slot_id, Signup.state.in_(states))
            .order_by(Signup.queue_no.nulls_first(), func.lower(func.coalesce(User.name, Signup.delegate_name)),
                      Signup.id))
    return _rows(stmt, show_contact)


def activity_rows(activity_id: int, *, show_contact: str) -> list[SheetRow]:
    """Everyone on the list of every date and role of an activity, by date, role and name."""
    stmt = (_stmt(show_contact).where(Slot.activity_id == activity_id, Signup.state.in_(ACTIVE))
            .order_by(Slot.starts_at, Role.position, Role.id, Signup.queue_no.nulls_first(),
                      func.lower(func.coalesce(User.name, Signup.delegate_name)), Signup.id))
    return _rows(stmt, show_contact)


def search_office_volunteers(office_id: int, q: str, limit: int = 20) -> list[tuple[int, str]]:
    """(id, name) of volunteers who work with the office whose name or e-mail contains q."""
    from app.people.directory import visible_volunteers

    q = (q or "").strip()
    if len(q) < 2:
        return []
    pattern = _like_pattern(q)
    return [tuple(r) for r in db.session.execute(
        select(User.id, User.name).where(
            User.id.in_(visible_volunteers({office_id})), User.role == AccountRole.VOLUNTEER,
            or_(func.lower(User.name).like(pattern, escape="\\"), func.lower(User.email).like(pattern, escape="\\")))
        .order_by(func.lower(User.name), User.id).limit(limit))]


# ---------------------------------------------------------------- spreadsheets
def headers() -> list[str]:
    return [_("Name"), _("Organisation"), _("Role"), _("Date"), _("State"), _("Attendance"), _("Minutes"),
            _("Reason for the correction"), _("Added on the spot"), _("E-mail address"), _("Phone")]


def cells(row: SheetRow, yes: str) -> list:
    return [neutralise(row.name), neutralise(row.organisation), neutralise(row.role),
            utc_to_local(row.starts_at).strftime("%Y-%m-%d %H:%M"), row.state.label,
            row.attendance.label if row.attendance else "", row.given,
            neutralise(row.minutes_reason), yes if row.walk_in else "",
            neutralise(row.email), neutralise(row.phone)]


def to_csv(rows: list[SheetRow]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers())
    yes = _("yes")
    writer.writerows(cells(r, yes) for r in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(rows: list[SheetRow], title: str) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False, "strings_to_numbers": False})
    sheet = workbook.add_worksheet(_("Attendance")[:31])
    bold = workbook.add_format({"bold": True})
    for col, width in enumerate((28, 24, 20, 17, 14, 14, 9, 30, 10, 30, 18)):
        sheet.set_column(col, col, width)
    sheet.write_string(0, 0, neutralise(title)[:250], bold)
    for col, text in enumerate(headers()):
        sheet.write_string(1, col, text, bold)
    sheet.freeze_panes(2, 0)
    yes = _("yes")
    for n, row in enumerate(rows, start=2):
        for col, value in enumerate(cells(row, yes)):
            if isinstance(value, int):
                sheet.write_number(n, col, value)
            elif value:
                sheet.write_string(n, col, value)
    workbook.close()
    return buffer.getvalue()


def export_name(activity: Activity, suffix: str = "") -> str:
    """anwesenheit-<id>[-<date>].<ext> without the title (no odd characters in a header)."""
    return f"anwesenheit-{activity.id}{suffix}"


def search_ids(office_id: int, user_ids) -> list[int]:
    """Those of `user_ids` who are volunteers working with the office (a walk-in's check)."""
    from app.people.directory import visible_volunteers

    return list(db.session.scalars(select(User.id).where(User.id.in_(list(user_ids)),
                                                         User.id.in_(visible_volunteers({office_id})))))
