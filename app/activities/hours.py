"""Hours a volunteer gave: "my hours", the certificate of hours (PDF) and the coordinators' list
of volunteers who reached the threshold of the Ehrenamtskarte NRW.

Hours follow from attendance (app.activities.attendance.minutes_given). The certificate is
drawn with fpdf2 (pure Python, no system packages, its text can be read back in tests) in
DejaVu Sans, so names in any script print."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import force_locale, format_date, format_decimal
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.accounts.models import User
from app.activities.attendance import HoursLine, hours_of, minutes_given
from app.activities.models import Activity, Attendance, Signup, Slot
from app.activities.series import local_to_utc
from app.core import audit
from app.core.permissions import office_scope
from app.core.timeutil import to_local, utcnow
from app.extensions import db
from app.offices.models import Office

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path(__file__).resolve().parent.parent / "static" / "fonts")


# ---------------------------------------------------------------- my hours
@dataclass(frozen=True)
class YearHours:
    year: int
    lines: list[HoursLine]

    @property
    def minutes(self) -> int:
        return sum(x.minutes for x in self.lines)

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)


# Other areas add hours given outside activities (matching: needs reported done) with
# `register_hours_source(fn)`: fn(user_id) -> a SELECT of the columns (year, key, title, dates,
# minutes) like `attendance.hours_select`; "my hours" reads them all in one UNION ALL. Activities
# imports no such area.
HOURS_SOURCES: list = []


def register_hours_source(fn):
    if fn not in HOURS_SOURCES:
        HOURS_SOURCES.append(fn)
    return fn


def my_hours(user_id: int) -> tuple[list[YearHours], int]:
    """Per year (newest first) the activities (and the registered sources' lines) with their
    hours, and all minutes (one statement)."""
    from sqlalchemy import union_all

    from app.activities.attendance import hours_select

    parts = [hours_select(user_id)] + [fn(user_id) for fn in HOURS_SOURCES]
    both = union_all(*parts).subquery("hours") if len(parts) > 1 else parts[0].subquery("hours")
    rows = db.session.execute(select(both).order_by(both.c.year.desc(), both.c.title))
    years: dict[int, list[HoursLine]] = {}
    for r in rows:
        years.setdefault(int(r[0]), []).append(HoursLine(int(r[0]), r[1], r[2], r[3], int(r[4] or 0)))
    result = [YearHours(y, lines) for y, lines in years.items()]
    return result, sum(y.minutes for y in result)


# ---------------------------------------------------------------- the certificate
@dataclass(frozen=True)
class CertificateLine:
    activity_id: int
    title: str
    office_id: int
    contact_id: int | None
    first: datetime  # UTC
    last: datetime
    dates: int
    minutes: int


@dataclass(frozen=True)
class Certificate:
    name: str
    since: date
    until: date  # inclusive
    lines: list[CertificateLine]
    office: str
    issuer: str  # a coordinator's name, or "" (the office issues it)

    @property
    def minutes(self) -> int:
        return sum(x.minutes for x in self.lines)


def period_bounds(since: date, until: date) -> tuple[datetime, datetime]:
    """Berlin days → UTC [start, end) for the query."""
    return local_to_utc(since, time(0)), local_to_utc(until + timedelta(days=1), time(0))


def certificate(user_id: int, since: date, until: date, issued_by: User | None = None) -> Certificate:
    """What the certificate says (two statements: the lines, then the office and its contact).
    The issuing office is the one the volunteer gave most time to; the issuer the coordinator
    who issues it, or for a volunteer's own download the contact coordinator of the activity
    they gave most time to in that office (else only the office's name)."""
    start, end = period_bounds(since, until)
    rows = db.session.execute(
        select(Activity.id, Activity.title, Activity.office_id, Activity.contact_id, func.min(Slot.starts_at),
               func.max(Slot.starts_at), func.count(Signup.id), func.sum(minutes_given()))
        .join(Slot, Slot.id == Signup.slot_id).join(Activity, Activity.id == Slot.activity_id)
        .where(Signup.user_id == user_id, Signup.attendance == Attendance.PRESENT,
               Slot.starts_at >= start, Slot.starts_at < end)
        .group_by(Activity.id, Activity.title, Activity.office_id, Activity.contact_id)
        .order_by(func.min(Slot.starts_at), Activity.title)).all()
    lines = [CertificateLine(r[0], r[1], r[2], r[3], r[4], r[5], r[6], int(r[7] or 0)) for r in rows]
    office_name, issuer = "", ""
    if lines:
        per_office: dict[int, int] = {}
        for x in lines:
            per_office[x.office_id] = per_office.get(x.office_id, 0) + x.minutes
        office_id = max(per_office, key=lambda o: (per_office[o], -o))
        best = max((x for x in lines if x.office_id == office_id and x.contact_id),
                   key=lambda x: x.minutes, default=None)
        contact_id = None if issued_by is not None or best is None else best.contact_id
        row = db.session.execute(
            select(Office.name, select(User.name).where(User.id == contact_id).scalar_subquery())
            .where(Office.id == office_id)).first()
        office_name = row[0] if row else ""
        issuer = issued_by.name if issued_by is not None else (row[1] or "" if row else "")
    name = db.session.scalar(select(User.name).where(User.id == user_id)) or ""
    return Certificate(name, since, until, lines, office_name, issuer)


def record_issue(actor, user_id: int, cert: Certificate) -> None:
    """A coordinator issued a certificate for a volunteer: in the audit log."""
    office_id = cert.lines[0].office_id if cert.lines else None
    audit.record(actor, "hours.certificate", record_type="users", record_id=user_id, office_id=office_id,
                 since=cert.since.isoformat(), until=cert.until.isoformat(), minutes=cert.minutes)
    db.session.commit()


def _font(name: str) -> str:
    for folder in FONT_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    raise FileNotFoundError(name)


def hours_text(minutes: int) -> str:
    """Minutes as hours in the locale's way: 1,5 / 1.5."""
    return format_decimal(round(minutes / 60, 2), format="#,##0.##")


def certificate_pdf(cert: Certificate, lang: str = "de") -> bytes:
    """The certificate as PDF, in German or English."""
    from fpdf import FPDF

    with force_locale(lang):
        pdf = FPDF(format="A4")
        pdf.set_title(_("Certificate of volunteering"))
        pdf.set_author(cert.office or "Willkommen")
        pdf.add_font("DejaVu", "", _font("DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", _font("DejaVuSans-Bold.ttf"))
        pdf.set_margins(20, 20, 20)
        pdf.add_page()
        width = pdf.epw
        pdf.set_font("DejaVu", "B", 18)
        pdf.multi_cell(width, 9, _("Certificate of volunteering"), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.set_font("DejaVu", "", 11)
        period = _("from %(since)s to %(until)s", since=format_date(cert.since, "long"),
                   until=format_date(cert.until, "long"))
        pdf.multi_cell(width, 6, _("%(name)s volunteered %(period)s in the following activities:",
                                   name=cert.name, period=period), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(width - 30, 7, _("Activity"), border="B")
        pdf.cell(30, 7, _("Hours"), border="B", align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 11)
        for line in cert.lines:
            first, last = format_date(to_local(line.first), "medium"), format_date(to_local(line.last), "medium")
            when = first if first == last else f"{first} – {last}"
            text = line.title + "\n" + _("%(when)s, %(count)s dates", when=when, count=line.dates)
            y = pdf.get_y()
            pdf.multi_cell(width - 30, 6, text, new_x="RIGHT", new_y="TOP")
            bottom = pdf.get_y()
            pdf.set_xy(pdf.l_margin + width - 30, y)
            pdf.cell(30, 6, hours_text(line.minutes), align="R")
            pdf.set_xy(pdf.l_margin, max(bottom, y + 12) + 2)
        if not cert.lines:
            pdf.multi_cell(width, 6, _("No hours in this period."), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(width - 30, 8, _("Total"), border="T")
        pdf.cell(30, 8, hours_text(cert.minutes), border="T", align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(10)
        pdf.set_font("DejaVu", "", 11)
        pdf.multi_cell(width, 6, _("Thank you for your commitment!"), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(8)
        issued = format_date(to_local(utcnow()).date(), "long")
        if cert.office:
            pdf.multi_cell(width, 6, cert.office, new_x="LMARGIN", new_y="NEXT")
        if cert.issuer:
            pdf.multi_cell(width, 6, _("Issued by %(name)s on %(date)s", name=cert.issuer, date=issued),
                           new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.multi_cell(width, 6, _("Issued on %(date)s", date=issued), new_x="LMARGIN", new_y="NEXT")
        return bytes(pdf.output())


# ---------------------------------------------------------------- Ehrenamtskarte NRW
@dataclass(frozen=True)
class ThresholdRow:
    user_id: int
    name: str
    minutes: int

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


def threshold_page(viewer, page: int = 1, per_page: int = 50, now: datetime | None = None):
    """Volunteers whose hours in the viewer's offices' activities over the last 12 months reach
    EHRENAMTSKARTE_HOURS, most hours first — filtered, summed and paginated in SQL (two
    statements: the count and the page)."""
    from math import ceil

    from app.core.pagination import Page

    now = now or utcnow()
    threshold = int(current_app.config.get("EHRENAMTSKARTE_HOURS", 250)) * 60
    total_minutes = func.sum(minutes_given()).label("minutes")
    stmt = (select(User.id, User.name, total_minutes)
            .select_from(Signup).join(Slot, Slot.id == Signup.slot_id)
            .join(Activity, Activity.id == Slot.activity_id).join(User, User.id == Signup.user_id)
            .where(Signup.attendance == Attendance.PRESENT, Slot.starts_at >= now - timedelta(days=365),
                   Slot.starts_at <= now, User.deleted_at.is_(None))
            .group_by(User.id, User.name).having(func.sum(minutes_given()) >= threshold))
    scope = office_scope(viewer)
    if scope is not None:
        stmt = stmt.where(Activity.office_id.in_(sorted(scope) or [-1]))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = min(max(1, page or 1), max(1, ceil(total / per_page)))
    rows = db.session.execute(stmt.order_by(total_minutes.desc(), User.name, User.id)
                              .limit(per_page).offset((page - 1) * per_page))
    return Page(items=[ThresholdRow(r[0], r[1], int(r[2] or 0)) for r in rows], page=page,
                per_page=per_page, total=total)


__all__ = ["Certificate", "CertificateLine", "ThresholdRow", "YearHours", "certificate", "certificate_pdf",
           "hours_text", "my_hours", "record_issue", "register_hours_source", "threshold_page"]
