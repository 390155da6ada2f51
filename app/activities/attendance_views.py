"""Attendance per slot (role × date), exports and the sign-in sheet, at /manage/activities/….

For the office's coordinators and, for its own activities, the partner organisation's contacts
(attendance.may_keep_roster); another office's or organisation's activity answers 404, anyone
who manages no activities at all 403 (as the roster). Every change is
one plain form POST per person (works without JavaScript) that redirects back to the row's
anchor; the services in app.activities.attendance do the work. The rows are built by one format
string each (no macro per row) from one statement."""
from __future__ import annotations

import io

from babel.numbers import get_decimal_symbol
from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf, validate_csrf
from markupsafe import Markup, escape
from wtforms import BooleanField, DateField, StringField
from wtforms.validators import Optional, ValidationError

from app.activities import attendance as att
from app.activities import attendance_sheets as sheets
from app.activities import bp
from app.activities import manage as svc
from app.activities.manage_views import manager_required
from app.activities.models import Attendance, SignupState
from app.activities.series import utc_to_local
from app.activities.hours_forms import CertificateForm
from app.activities.signup import SignupError
from app.core import audit, splice
from app.core.forms import BaseForm, clean_text
from app.core.permissions import get_in_scope_or_404, staff_required
from app.core.timeutil import to_local, utcnow
from app.extensions import db
from app.offices.models import Office
from app.people.exports import file_stamp

PREFIX = "/manage/activities/<int:activity_id>"
EMPTY_ROWS = 12


def _slot_or_404(activity_id: int, slot_id: int):
    slot = svc.roster_slot(slot_id)
    if slot is None or slot.activity_id != activity_id or not att.may_keep_roster(current_user, slot.role.activity):
        abort(404)
    return slot


def _contact_rule() -> str:
    return "all" if svc.is_staff(current_user) else "consent"


# The whole list is one form (one CSRF token, one address: `attendance_marks`); a <button>
# submits it with its own name and value only ("<sign-up id>:<mark>"), so a tap still saves
# one person's mark and comes back to their row. The chosen one is the one pressed (the CSS
# marks it): 300 rows of three buttons, so every attribute counts in the page's weight.
_BUTTON = '<button name="mark" value="\x00:{value}" aria-pressed="{pressed}">{label}</button>'


def _rows_html(rows, activity_id: int, slot_id: int, errors: dict) -> Markup:
    """The confirmed people's rows (sheets.screen_rows), one f-string each with everything that is
    the same for every row worked out once: 300 rows stay cheap, and light (every mark loads the
    list again, often on a phone at the door). The time given is corrected on a page of its own,
    linked from the row of each person present. The rows go inside the list's one form
    (screen.html): nothing in them is per session."""
    base = url_for("activities.attendance_mark", activity_id=activity_id, slot_id=slot_id, signup_id=0)[:-2]
    labels = {a: escape(a.label) for a in Attendance}
    buttons_for = {state: "".join(_BUTTON.format(value=a.value, label=labels[a],
                                                 pressed="true" if state == a.value else "false") for a in Attendance)
                   for state in (None, *(a.value for a in Attendance))}
    present = Attendance.PRESENT.value
    l_given, l_correct = _("minutes"), escape(_("Correct the time"))
    walk_in, over = escape(_("added on the spot")), escape(_("over capacity"))
    out = []
    for sid, _user_id, name, attendance, minutes, reason, given, is_walk_in, is_over in rows:
        url = f"{base}/{sid}"
        badges = ""
        if attendance == present:
            why = f" ({escape(reason)})" if minutes is not None and reason else ""
            badges = f' <span class="muted">· {given} {l_given}{why}</span>'
        if attendance == present or minutes is not None:  # a correction can be undone after a new mark
            badges += f' <a href="{url}/minutes">{l_correct}</a>'
        if is_walk_in:
            badges += f' <span class="tag">{walk_in}</span>'
        if is_over:
            badges += f' <span class="tag tag-warn">{over}</span>'
        err = errors.get(sid)
        general = (err.get("attendance") or err.get(None)) if err else None
        error = f'<p class="error" role="alert">{escape(general)}</p>' if general else ""
        out.append(
            f'<li id="a{sid}"><div><strong id="n{sid}">{escape(name)}</strong>{badges}</div>'
            f'<div class="att-buttons" role="group" aria-labelledby="n{sid}">'
            f'{buttons_for[attendance].replace(chr(0), str(sid))}</div>'
            f'{error}</li>')
    return Markup("".join(out))


def _is_staff() -> bool:
    from app.accounts.models import Role as AccountRole

    return current_user.role in (AccountRole.COORDINATOR, AccountRole.ADMIN)


def _screen_rows(slot) -> tuple:
    """The rows, their HTML with a placeholder for the CSRF token, and the counts above them: the
    same for everyone who keeps this roster at one state of the data (a mark, a time correction,
    a walk-in, a renamed person give a new cache version), so kept per version, locale and slot
    (app.activities.cache.fragment)."""
    from app.activities import cache

    staff = _is_staff()

    def build() -> tuple:
        rows = sheets.screen_rows(slot.id, staff=staff)
        html = str(_rows_html(rows, slot.activity_id, slot.id, {}))
        present = sum(1 for r in rows if r[3] == Attendance.PRESENT.value)
        marked = sum(1 for r in rows if r[3] is not None)
        # kept as UTF-8 (app.core.splice)
        return (len(rows), present, marked, sum(r[6] for r in rows), frozenset(r[1] for r in rows),
                splice.encoded(html))

    return cache.fragment("attendance", slot.id, int(staff), build=build)


def _screen(slot, errors: dict | None = None, status: int = 200):
    activity = slot.role.activity
    q = clean_text(request.args.get("q"), 100) if request.method == "GET" else ""
    staff_view = _is_staff()
    # Partner organisations see their roster, never a search through the office's volunteers.
    found = sheets.search_office_volunteers(activity.office_id, q) if q and staff_view else []
    errors = errors or {}
    csrf = generate_csrf()
    parts = None
    if errors:  # a form with a message at its field: rendered for this answer only
        rows = sheets.screen_rows(slot.id, staff=staff_view)
        rows_html = _rows_html(rows, activity.id, slot.id, errors)
        count, present = len(rows), sum(1 for r in rows if r[3] == Attendance.PRESENT.value)
        marked, minutes, on_list = sum(1 for r in rows if r[3] is not None), sum(r[6] for r in rows), {r[1] for r in rows}
    else:
        count, present, marked, minutes, on_list, parts = _screen_rows(slot)
        rows_html = splice.marker(0)  # the cached rows go in as bytes
    page = render_template(
        "activities/attendance/screen.html", slot=slot, activity=activity, role=slot.role, date=slot.date,
        rows_html=rows_html, count=count, present=present, marked=marked,
        on_list=on_list, q=q, found=found, staff_view=staff_view, errors=errors,
        started=slot.starts_at <= utcnow(), csrf=csrf, minutes=minutes)
    if parts is None:
        return page, status
    return splice.response(page, [parts] if count else [], fill=csrf, status=status)


def _csrf_ok() -> bool:
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return False
    return True


def _back(slot, anchor: str = ""):
    url = url_for("activities.attendance", activity_id=slot.activity_id, slot_id=slot.id)
    return redirect(f"{url}#{anchor}" if anchor else url, 303)


def _expired(slot, key, field=None):
    return _screen(slot, {key: {field: _("The form expired. Please send it again.")}}, 400)


@bp.get(f"{PREFIX}/slots/<int:slot_id>/attendance")
@manager_required
def attendance(activity_id: int, slot_id: int):
    from app.activities.manage_views import kept_slot_page, slot_place_or_404

    place = slot_place_or_404(activity_id, slot_id, att.may_keep_roster)
    return kept_slot_page("attendance", place, lambda: _screen(_slot_or_404(activity_id, slot_id)))


@bp.post(f"{PREFIX}/slots/<int:slot_id>/attendance")
@manager_required
def attendance_marks(activity_id: int, slot_id: int):
    """A tap in the list: `mark` = "<sign-up id>:<present|absent|excused>" (the list's one form)."""
    from app.core.urls import form_id

    raw, sep, value = (request.form.get("mark") or "").partition(":")
    signup_id = form_id(raw) if sep else None  # a number a database integer holds, else None
    if signup_id is None or value not in {a.value for a in Attendance}:  # a tap never clears a mark
        slot = _slot_or_404(activity_id, slot_id)
        return _screen(slot, {"list": {None: _("Please tap one of the buttons next to a name.")}}, 400)
    return _mark(activity_id, slot_id, signup_id, value)


@bp.post(f"{PREFIX}/slots/<int:slot_id>/attendance/<int:signup_id>")
@manager_required
def attendance_mark(activity_id: int, slot_id: int, signup_id: int):
    """One person's mark (`attendance` = present|absent|excused), for a form of its own."""
    return _mark(activity_id, slot_id, signup_id, request.form.get("attendance", ""))


def _mark(activity_id: int, slot_id: int, signup_id: int, value: str):
    slot = _slot_or_404(activity_id, slot_id)
    if not _csrf_ok():
        return _expired(slot, signup_id, "attendance")
    try:
        att.mark(current_user, signup_id, value, date_id=slot.date_id, slot_id=slot.id)
    except SignupError as exc:
        db.session.rollback()
        if exc.code == "not_found":
            abort(404)
        return _screen(slot, {signup_id: {"attendance": str(exc.message)}}, 400)
    return _back(slot, f"a{signup_id}")


def _int_or_none(raw: str | None):
    raw = (raw or "").strip()
    if raw == "":
        return None
    if raw.isascii() and raw.isdigit() and len(raw) < 7:
        return int(raw)
    return -1  # not a number: the service says what is allowed


def _minutes_page(slot, signup_id: int, errors: dict | None = None, form: dict | None = None, status: int = 200):
    """One person's time on one page: what counts now, the field to correct it and the reason
    (one thing per screen; the attendance list stays light)."""
    row = sheets.screen_row(slot.id, signup_id, staff=_is_staff())
    if row is None:
        abort(404)
    sid, _user_id, name, attendance, minutes, reason, given, *_rest = row
    if form is not None:  # what was sent, shown again beside its message
        minutes, reason = form.get("minutes", ""), form.get("minutes_reason", "")
    return render_template(
        "activities/attendance/minutes.html", slot=slot, activity=slot.role.activity, role=slot.role, sid=sid,
        name=name, present=attendance == Attendance.PRESENT.value, given=given,
        minutes="" if minutes is None else minutes, reason=reason or "", errors=errors or {},
        started=slot.starts_at <= utcnow(), csrf=generate_csrf()), status


@bp.get(f"{PREFIX}/slots/<int:slot_id>/attendance/<int:signup_id>/minutes")
@manager_required
def attendance_minutes_page(activity_id: int, slot_id: int, signup_id: int):
    return _minutes_page(_slot_or_404(activity_id, slot_id), signup_id)


@bp.post(f"{PREFIX}/slots/<int:slot_id>/attendance/<int:signup_id>/minutes")
@manager_required
def attendance_minutes(activity_id: int, slot_id: int, signup_id: int):
    slot = _slot_or_404(activity_id, slot_id)
    sent = {"minutes": (request.form.get("minutes") or "")[:10],
            "minutes_reason": clean_text(request.form.get("minutes_reason"), 200)}
    if not _csrf_ok():
        return _minutes_page(slot, signup_id, {"minutes": _("The form expired. Please send it again.")}, sent, 400)
    try:
        att.set_minutes(current_user, signup_id, _int_or_none(request.form.get("minutes")),
                        request.form.get("minutes_reason", ""), date_id=slot.date_id, slot_id=slot.id)
    except SignupError as exc:
        db.session.rollback()
        if exc.code == "not_found":
            abort(404)
        return _minutes_page(slot, signup_id, {exc.field or "minutes": str(exc.message)}, sent, 400)
    return _back(slot, f"a{signup_id}")


@bp.post(f"{PREFIX}/slots/<int:slot_id>/attendance/walk-in")
@manager_required
def attendance_walk_in(activity_id: int, slot_id: int):
    slot = _slot_or_404(activity_id, slot_id)
    if not _csrf_ok():
        return _expired(slot, "walk_in")
    user_id = svc.optional_user_id(request.form.get("user_id"))
    allowed = (_is_staff() and user_id is not None
               and bool(sheets.search_ids(slot.role.activity.office_id, [user_id])))
    if not allowed:
        return _screen(slot, {"walk_in": {None: _("Please choose a volunteer from the search results.")}}, 400)
    try:
        s = att.add_walk_in(current_user, slot.id, user_id)
    except SignupError as exc:
        db.session.rollback()
        return _screen(slot, {"walk_in": {None: str(exc.message)}}, 400)
    return _back(slot, f"a{s.id}")


@bp.post(f"{PREFIX}/slots/<int:slot_id>/attendance/newcomers")
@manager_required
def attendance_newcomers(activity_id: int, slot_id: int):
    slot = _slot_or_404(activity_id, slot_id)
    if not _csrf_ok():
        return _expired(slot, "newcomers")
    try:
        att.set_newcomers(current_user, slot.date_id, _int_or_none(request.form.get("newcomers")))
    except SignupError as exc:
        db.session.rollback()
        return _screen(slot, {"newcomers": {None: str(exc.message)}}, 400)
    return _back(slot, "newcomers")


# ---------------------------------------------------------------- exports and paper
def _download(rows, fmt: str, title: str, filename: str, activity, **detail) -> Response:
    audit.record(current_user, "attendance.exported", activity, office_id=activity.office_id, format=fmt,
                 rows=len(rows), contact=_contact_rule(), **detail)
    db.session.commit()
    if fmt == "csv":
        response = Response(sheets.to_csv(rows), mimetype="text/csv")
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
    else:
        response = Response(sheets.to_xlsx(rows, title), mimetype=sheets.XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get(f"{PREFIX}/slots/<int:slot_id>/export.<any(csv, xlsx):fmt>")
@manager_required
def attendance_export(activity_id: int, slot_id: int, fmt: str):
    slot = _slot_or_404(activity_id, slot_id)
    activity = slot.role.activity
    rows = sheets.slot_rows(slot.id, show_contact=_contact_rule())
    stamp = utc_to_local(slot.starts_at).strftime("%Y-%m-%d")
    return _download(rows, fmt, f"{activity.title} · {slot.role.name} · {stamp}",
                     sheets.export_name(activity, f"-{slot.id}-{stamp}"), activity, slot=slot.id)


@bp.get(f"{PREFIX}/export.<any(csv, xlsx):fmt>")
@manager_required
def activity_export(activity_id: int, fmt: str):
    activity = svc.overview(activity_id)
    if activity is None or not att.may_keep_roster(current_user, activity):
        abort(404)
    rows = sheets.activity_rows(activity.id, show_contact=_contact_rule())
    return _download(rows, fmt, activity.title, sheets.export_name(activity, f"-{file_stamp()}"), activity)


@bp.get(f"{PREFIX}/slots/<int:slot_id>/sign-in-sheet")
@manager_required
def sign_in_sheet(activity_id: int, slot_id: int):
    slot = _slot_or_404(activity_id, slot_id)
    rows = sheets.slot_rows(slot.id, show_contact="names" if svc.is_staff(current_user) else "names-consent",
                            states=(SignupState.CONFIRMED,))
    return render_template("activities/attendance/sign_in_sheet.html", slot=slot, activity=slot.role.activity,
                           role=slot.role, rows=rows, empty=max(EMPTY_ROWS, 0))


audit.register_labels(
    actions={"attendance.marked": _l("Attendance recorded"), "attendance.hours_corrected": _l("Hours corrected"),
             "attendance.walk_in": _l("Person who helped added on the spot"),
             "attendance.newcomers": _l("Number of newcomers recorded"),
             "attendance.exported": _l("Roster and attendance exported")},
    details={"minutes": _l("Minutes"), "count": _l("Number"), "format": _l("Format"), "rows": _l("Rows"),
             "contact": _l("Contact data")},
)


# ---------------------------------------------------------------- an office's year, for funders
class YearExportForm(BaseForm):
    """A year, or a first and a last day (the certificate's rules and messages); names or not.
    Sent by GET: nothing changes, the address can be bookmarked."""

    class Meta:
        csrf = False

    year = StringField(_l("Year"), validators=[Optional()])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])
    names = BooleanField(_l("With names (for the office's own records; a funder needs no names)"))
    period = CertificateForm.period


@bp.get("/manage/offices/<int:office_id>/attendance")
@staff_required
def office_attendance_export(office_id: int):
    """The form (without `fmt`), or the office's attendance of the period as CSV or xlsx. The
    office's coordinators and admins only; another office answers 404."""
    office = get_in_scope_or_404(Office, office_id, lambda o: o.id)
    fmt = request.args.get("fmt")
    form = YearExportForm(formdata=request.args if fmt is not None else None)
    if fmt is None:
        form.year.data = str(to_local(utcnow()).year)
    elif fmt in ("csv", "xlsx"):
        period = form.period()
        if period is not None:
            return _year_download(office, fmt, *period, names=bool(form.names.data))
    else:
        form.year.errors = [*form.year.errors, _("Please choose CSV or Excel.")]
    return render_template("activities/attendance/year_export.html", form=form, office=office), (
        200 if fmt is None else 400)


def _year_download(office, fmt: str, since, until, *, names: bool) -> Response:
    export = sheets.year_export(office.id, office.name, since, until, names=names)
    audit.record(current_user, "attendance.year_exported", office, office_id=office.id, format=fmt,
                 rows=len(export.rows), since=since.isoformat(), until=until.isoformat(), names=names)
    db.session.commit()
    if fmt == "csv":
        body = sheets.year_csv(export, get_decimal_symbol(str(get_locale() or "de")))
        response = Response(body, mimetype="text/csv")
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
    else:
        buffer = io.BytesIO()
        sheets.year_xlsx(export, buffer)
        response = Response(buffer.getvalue(), mimetype=sheets.XLSX_MIMETYPE)
    stamp = f"{since:%Y-%m-%d}-{until:%Y-%m-%d}"
    response.headers["Content-Disposition"] = f'attachment; filename="anwesenheit-buero-{office.id}-{stamp}.{fmt}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


audit.register_labels(
    actions={"attendance.year_exported": _l("Office attendance of a period exported")},
    details={"since": _l("From"), "until": _l("To"), "names": _l("With names")},
)
