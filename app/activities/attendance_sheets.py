"""What the attendance screen, the exports and the sign-in sheet read: the rows of a slot or of a
whole activity in one statement each, and the spreadsheets (CSV for German Excel: UTF-8 with BOM
and semicolons; xlsx by XlsxWriter). Contact data follows the roster's rule: the office's staff
see e-mail and phone, a partner organisation only where the volunteer agreed to share them with
partners. Every text cell is neutralised against formula injection (app.people.exports)."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

import xlsxwriter
from flask_babel import gettext as _
from sqlalchemy import Integer, String, bindparam, func, or_, select, type_coerce

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


# What a sheet shows of the people on it (`show_contact`), by who looks:
# "all"            the office's staff: names, e-mail and phone;
# "consent"        a partner organisation: name and phone of those who agreed to have them passed
#                  on (consent 2, its text says exactly that), no e-mail; the others without name;
# "names"          staff's sign-in sheet: names, no contact data;
# "names-consent"  a partner's sign-in sheet: names of those who agreed, no contact data.
_STAFF_RULES = ("all", "names")


def _stmt(show_contact: str):
    from app.people.consent import shares_with_partner

    shared = shares_with_partner(Signup.user_id) if show_contact not in _STAFF_RULES else None
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
    from app.people.consent import shown_name

    staff = show_contact in _STAFF_RULES
    contact = show_contact in ("all", "consent")
    out = []
    for r in db.session.execute(stmt):
        shared = staff or bool(r[17])
        delegate = r[1] is None or bool(r[4])  # not a volunteer's own sign-up: an organisation's delegate
        out.append(SheetRow(r[0], r[1], shown_name(r[2] or r[3] or "—", shared=shared, delegate=delegate), r[4] or "", r[5], r[6], r[7], r[8], r[9],
                            r[10] or "", int(r[11] or 0), r[12], bool(r[13]), bool(r[14]),
                            (r[15] or "") if show_contact == "all" else "",
                            (r[16] or "") if contact and shared else ""))
    return out


def slot_rows(slot_id: int, *, show_contact: str, states=ACTIVE) -> list[SheetRow]:
    """A slot's people (by default everyone on the list: confirmed, offered, waiting), confirmed
    first, then by name — one statement."""
    stmt = (_stmt(show_contact).where(Signup.slot_id == slot_id, Signup.state.in_(states))
            .order_by(Signup.queue_no.nulls_first(), func.lower(func.coalesce(User.name, Signup.delegate_name)),
                      Signup.id))
    return _rows(stmt, show_contact)


_SCREEN_STMT = None


def _screen_stmt():
    global _SCREEN_STMT
    if _SCREEN_STMT is None:
        from app.people.consent import shares_with_partner

        _SCREEN_STMT = (
            select(Signup.id, Signup.user_id, User.name, Signup.delegate_name, type_coerce(Signup.attendance, String),
                   Signup.minutes, Signup.minutes_reason, minutes_given(), type_coerce(Signup.walk_in, Integer),
                   type_coerce(Signup.over_capacity, Integer), Signup.organisation_id,
                   shares_with_partner(Signup.user_id))
            .join(Slot, Slot.id == Signup.slot_id).outerjoin(User, User.id == Signup.user_id)
            .where(Signup.slot_id == bindparam("slot_id"), Signup.state == SignupState.CONFIRMED)
            .order_by(Signup.queue_no.nulls_first(), func.lower(func.coalesce(User.name, Signup.delegate_name)),
                      Signup.id))
    return _SCREEN_STMT


def screen_rows(slot_id: int, *, staff: bool) -> list[tuple]:
    """What the attendance screen shows of a slot's confirmed people, in the roster's order, as
    plain tuples (id, user_id, name, attendance value or None, minutes, reason, minutes that
    count, walk-in, over capacity) — one statement, built once per process. For a partner
    organisation (not `staff`) the name only of those who agreed to pass it on (consent 2), as
    on the roster."""
    return _screen_tuples(db.session.execute(_screen_stmt(), {"slot_id": slot_id}), staff)


def screen_row(slot_id: int, signup_id: int, *, staff: bool) -> tuple | None:
    """One confirmed person's row of the screen (as screen_rows), None when the sign-up is not
    on this slot's list."""
    rows = _screen_tuples(db.session.execute(_screen_stmt().where(Signup.id == signup_id), {"slot_id": slot_id}),
                          staff)
    return rows[0] if rows else None


def _screen_tuples(result, staff: bool) -> list[tuple]:
    from app.people.consent import shown_name

    return [(r[0], r[1], shown_name(r[2] or r[3] or "—", shared=staff or bool(r[11]),
                                    delegate=r[1] is None or r[10] is not None),
             r[4], r[5], r[6] or "", int(r[7] or 0), r[8], r[9]) for r in result]


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


# ---------------------------------------------------------------- an office's year (for funders)
# One row per person and date (everyone who had a place, and anyone marked), plus one row for a
# date where nobody was on the list (so its newcomers count). No contact data at all; a person is
# a pseudonym ("Person 7", numbered within the file, so the distinct volunteers can be counted)
# unless the office asks for names for its own records. The newcomers of a date stand on the
# date's first row only, so the column adds up.
YEAR_COLUMNS = (12, 13, 34, 18, 24, 20, 26, 14, 8, 10)


@dataclass
class YearExport:
    office_name: str
    since: object  # date, inclusive
    until: object  # date, inclusive
    rows: list  # [date (a date), time, activity, kind, role, person, organisation, attendance, hours(float), newcomers]
    summary: list  # [activity, kind, dates, people present, attendances, hours(float), newcomers]
    total: list
    people: int  # distinct people on the list

    @property
    def title(self) -> str:
        return f"{self.office_name} · {self.since:%d.%m.%Y}–{self.until:%d.%m.%Y}"


def _year_stmt():
    from app.activities.models import ActivityDate, ActivityState

    person = (Signup.state == SignupState.CONFIRMED) | Signup.attendance.is_not(None)
    # kind and attendance as their stored strings: 10,000 rows need no enum conversion each
    return (select(ActivityDate.id, ActivityDate.newcomers, Activity.id, Activity.title,
                   type_coerce(Activity.kind, String), Role.name,
                   Slot.starts_at, Slot.ends_at, Signup.id, Signup.user_id, User.name, Signup.delegate_name,
                   Signup.organisation_id, Organisation.name, type_coerce(Signup.attendance, String), minutes_given(),
                   ActivityDate.starts_at, ActivityDate.ends_at)
            .select_from(ActivityDate).join(Activity, Activity.id == ActivityDate.activity_id)
            .outerjoin(Slot, Slot.date_id == ActivityDate.id)
            .outerjoin(Role, Role.id == Slot.role_id)
            .outerjoin(Signup, (Signup.slot_id == Slot.id) & person)
            .outerjoin(User, User.id == Signup.user_id)
            .outerjoin(Organisation, Organisation.id == Signup.organisation_id)
            .where(Activity.office_id == bindparam("office_id"), Activity.state != ActivityState.DRAFT,
                   ActivityDate.cancelled_at.is_(None), ActivityDate.starts_at >= bindparam("since"),
                   ActivityDate.starts_at < bindparam("until"), ActivityDate.starts_at <= bindparam("now"))
            .order_by(ActivityDate.starts_at, func.lower(Activity.title), Activity.id, ActivityDate.id,
                      Role.position, Role.id, func.lower(func.coalesce(User.name, Signup.delegate_name)), Signup.id))


_YEAR_STMT = None


def year_export(office_id: int, office_name: str, since, until, *, names: bool = False, now=None) -> YearExport:
    """The office's dates in [since, until] (Berlin days, only dates that have begun), built from
    one statement; the per-activity summary is added up on the way."""
    from app.activities.hours import period_bounds
    from app.activities.models import ATTENDANCE_LABELS, ActivityType
    from app.core.timeutil import utcnow

    global _YEAR_STMT
    if _YEAR_STMT is None:
        _YEAR_STMT = _year_stmt()
    start, end = period_bounds(since, until)
    # on the session's connection without the ORM's row loading: 10,000 plain rows
    result = db.session.connection().execute(_YEAR_STMT, {"office_id": office_id, "since": start, "until": end,
                                                          "now": now or utcnow()})
    labels = {a.value: str(v) for a, v in ATTENDANCE_LABELS.items()}
    present = Attendance.PRESENT.value
    not_recorded, nobody, person_word = _("not recorded"), _("nobody on the list"), _("Person")
    kinds: dict = {}
    local: dict = {}

    def when(value):
        out = local.get(value)
        if out is None:
            out = local[value] = utc_to_local(value)
        return out

    spans: dict = {}  # (start, end) → "17:00–18:30", worked out once per slot time
    texts: dict = {}  # role and organisation names, neutralised once each

    def span(a, b):
        out = spans.get((a, b))
        if out is None:
            out = spans[(a, b)] = f"{when(a):%H:%M}–{when(b):%H:%M}"
        return out

    def text(value):
        if not value:
            return ""
        out = texts.get(value)
        if out is None:
            out = texts[value] = neutralise(value)
        return out

    rows: list = []
    pseudonyms: dict = {}
    per_activity: dict = {}  # id → [title, kind, dates set, people set, attendances, minutes, newcomers]
    all_present: set = set()
    on_list: set = set()
    current_date, date_rows, date_head = None, 0, None

    def close_date():
        if current_date is not None and date_rows == 0:
            rows.append(date_head)

    for (date_id, newcomers, activity_id, title, kind, role, s_start, s_end, signup_id, user_id, user_name,
         delegate, org_id, org_name, attendance, given, d_start, d_end) in result:
        if date_id != current_date:
            close_date()
            current_date, date_rows = date_id, 0
            start_l = when(d_start)
            kind_label = kinds.get(kind)
            if kind_label is None:
                kind_label = kinds[kind] = ActivityType(kind).label
            acc = per_activity.get(activity_id)
            if acc is None:
                acc = per_activity[activity_id] = [neutralise(title), kind_label, set(), set(), 0, 0, 0]
            acc[2].add(date_id)
            acc[6] += newcomers or 0
            first_newcomers = newcomers if newcomers is not None else ""
            date_head = [start_l.date(), span(d_start, d_end), acc[0], kind_label, "",
                         nobody, "", "", 0.0, first_newcomers]
        if signup_id is None:
            continue
        if user_id is not None:
            key = user_id
        elif delegate:
            key = ("d", org_id, delegate.lower())
        else:
            key = None
        if key is not None:
            on_list.add(key)
        if names:
            who = neutralise(user_name or delegate or "—")
        elif key is None:
            who = "—"
        else:
            n = pseudonyms.get(key)
            if n is None:
                n = pseudonyms[key] = len(pseudonyms) + 1
            who = f"{person_word} {n}"
        minutes = int(given or 0)
        if attendance == present:
            acc[4] += 1
            acc[5] += minutes
            if key is not None:
                acc[3].add(key)
                all_present.add(key)
        rows.append([date_head[0], span(s_start, s_end), acc[0], kind_label, text(role), who, text(org_name),
                     labels[attendance] if attendance else not_recorded,
                     round(minutes / 60, 2), first_newcomers if date_rows == 0 else ""])
        date_rows += 1
    close_date()
    summary = [[a[0], a[1], len(a[2]), len(a[3]), a[4], round(a[5] / 60, 2), a[6]] for a in per_activity.values()]
    summary.sort(key=lambda s: s[0].lower())
    total = [_("Total"), "", sum(s[2] for s in summary), len(all_present), sum(s[4] for s in summary),
             round(sum(a[5] for a in per_activity.values()) / 60, 2), sum(s[6] for s in summary)]
    return YearExport(office_name, since, until, rows, summary, total, len(on_list))


def year_headers() -> list[str]:
    return [_("Date"), _("Time"), _("Activity"), _("Kind"), _("Role"), _("Person"), _("Organisation"),
            _("Attendance"), _("Hours"), _("Newcomers on the date")]


def summary_headers() -> list[str]:
    return [_("Activity"), _("Kind"), _("Dates"), _("People present"), _("Attendances"), _("Hours"),
            _("Newcomers")]


def year_csv(export: YearExport, decimal: str = ",") -> bytes:
    """The rows (the summary is the xlsx's first sheet); hours with the locale's decimal mark."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(year_headers())
    fmt = (lambda h: f"{h:.2f}".replace(".", decimal)) if decimal != "." else (lambda h: f"{h:.2f}")
    writer.writerows([*r[:8], fmt(r[8]), r[9]] for r in export.rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def year_xlsx(export: YearExport, out, *, fast: bool = True) -> None:
    """Two sheets — the summary per activity, then every row — written row by row
    (XlsxWriter's constant_memory mode: each row goes to a temporary file as it is written)."""
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False, "strings_to_numbers": False})
    bold = workbook.add_format({"bold": True})
    hours = workbook.add_format({"num_format": "0.00"})
    bold_hours = workbook.add_format({"num_format": "0.00", "bold": True})
    summary = workbook.add_worksheet(_("Totals per activity")[:31])
    sheet = workbook.add_worksheet(_("Attendance")[:31])
    title = neutralise(export.title)[:250]
    for col, width in enumerate((34, 20, 8, 14, 12, 10, 12)):
        summary.set_column(col, col, width)
    summary.write_string(0, 0, title, bold)
    for col, text in enumerate(summary_headers()):
        summary.write_string(1, col, text, bold)
    n = 2
    for n, row in enumerate(export.summary, start=2):
        summary.write_string(n, 0, row[0])
        summary.write_string(n, 1, row[1])
        for col in (2, 3, 4, 6):
            summary.write_number(n, col, row[col])
        summary.write_number(n, 5, row[5], hours)
    n = n + 1 if export.summary else 2
    summary.write_string(n, 0, export.total[0], bold)
    for col in (2, 3, 4, 6):
        summary.write_number(n, col, export.total[col], bold)
    summary.write_number(n, 5, export.total[5], bold_hours)

    for col, width in enumerate(YEAR_COLUMNS):
        sheet.set_column(col, col, width)
    sheet.write_string(0, 0, title, bold)
    for col, text in enumerate(year_headers()):
        sheet.write_string(1, col, text, bold)
    sheet.freeze_panes(2, 0)
    day = workbook.add_format({"num_format": "dd.mm.yyyy"})
    if fast and export.rows:
        _year_rows_fast(sheet, export.rows, day, hours, 2)
    else:
        write_string, write_number = sheet.write_string, sheet.write_number
        serial: dict = {}  # a date as Excel's day number (a real date in the sheet: sortable, filterable)
        epoch = date(1899, 12, 30)
        for n, row in enumerate(export.rows, start=2):
            d = serial.get(row[0])
            if d is None:
                d = serial[row[0]] = (row[0] - epoch).days
            write_number(n, 0, d, day)
            for col in range(1, 8):
                if row[col]:
                    write_string(n, col, row[col])
            write_number(n, 8, row[8], hours)
            if row[9] != "":
                write_number(n, 9, row[9])
    workbook.close()


def _year_rows_fast(sheet, rows: list, day, hours, first: int) -> None:
    """The year's rows as the very XML XlsxWriter's constant_memory mode writes for them (one
    `<row>` with in-line strings per row), put into the sheet's row file directly: XlsxWriter's
    per-cell calls (a tuple, a dispatch and two regular expressions per cell) were four fifths of
    the export. Each distinct text is escaped once (titles, roles, "Person 12" repeat). Same
    cells, same styles, same dimensions; tested against XlsxWriter's own output. Unlike
    XlsxWriter, a text that looks like rich-text XML ("<r>…</r>") is escaped as any other."""
    from xlsxwriter.utility import _preserve_whitespace, _utf16_len, _utf16_truncate

    sheet._write_single_row(first)  # the header rows go out (as the first data cell would make them)
    escape_control, escape_data, strmax = sheet._escape_control_characters, sheet._escape_data, sheet.xls_strmax
    cells: dict[str, str] = {}

    def text(value: str) -> str:
        out = cells.get(value)
        if out is None:
            string = value
            if len(string) > strmax // 2 and _utf16_len(string) > strmax:
                string = _utf16_truncate(string, strmax)
            string = escape_control(string)
            preserve = ' xml:space="preserve"' if _preserve_whitespace(string) else ""
            out = cells[value] = f' t="inlineStr"><is><t{preserve}>{escape_data(string)}</t></is></c>'
        return out

    day_style = f' s="{day._get_xf_index()}"><v>'  # styles numbered in the order XlsxWriter does
    hours_style = f' s="{hours._get_xf_index()}"><v>'
    letters = "ABCDEFGH"
    serial: dict = {}
    epoch = date(1899, 12, 30)
    out: list[str] = []
    write = sheet.fh.write
    n = first
    for n, row in enumerate(rows, start=first):
        r = n + 1
        d = serial.get(row[0])
        if d is None:
            d = serial[row[0]] = (row[0] - epoch).days
        parts = [f'<row r="{r}"><c r="A{r}"{day_style}{d:.16G}</v></c>']
        for col in range(1, 8):
            value = row[col]
            if value:
                parts.append(f'<c r="{letters[col]}{r}"{text(value)}')
        parts.append(f'<c r="I{r}"{hours_style}{row[8]:.16G}</v></c>')
        if row[9] != "":
            parts.append(f'<c r="J{r}"><v>{row[9]:.16G}</v></c>')
        parts.append("</row>")
        out.append("".join(parts))
        if len(out) >= 1000:
            write("".join(out))
            out.clear()
    write("".join(out))
    sheet.dim_rowmax = max(sheet.dim_rowmax or 0, n)
    sheet.dim_colmin = 0 if sheet.dim_colmin is None else min(sheet.dim_colmin, 0)
    sheet.dim_colmax = max(sheet.dim_colmax or 0, 8 if all(row[9] == "" for row in rows) else 9)
    sheet.previous_row = n + 1  # nothing of these rows is left for XlsxWriter to write
