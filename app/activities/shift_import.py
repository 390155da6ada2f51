"""Festival shifts from a spreadsheet: a coordinator fills in one row per shift (role, date,
start, end, places, and optionally a skill, a language with a minimum level and a description),
uploads it as CSV or xlsx, sees every row with its problems, and saves the whole file at once.

The steps, each a plain function:

- `read_table(data)` turns the bytes of a file into rows of text cells: CSV (UTF-8 with or
  without BOM; `;`, `,` or tab, sniffed) or xlsx (openpyxl, read-only, values as typed — a
  formula comes back as its text "=…" and is refused at its row, never computed). Old .xls,
  other zip files, binary data, an empty file, more than `MAX_ROWS` rows or an oversized zip
  are an `ImportFileError` with a plain message.
- `parse(table)` finds the columns by their headings (German or English; missing required
  columns are named) and checks each row's cells on their own: dates, times, end after start,
  places a positive whole number, a skill from the admins' list (key or label), a language
  (code or name) and a level (1–4 or its name).
- `check(activity_id, rows)` adds what depends on the activity: duplicates in the file, shifts
  the activity has already, dates in the past, and the rules of the festival model below.
- `import_shifts(actor, activity_id, rows)` checks again under the activity's lock and, only
  when no row has a problem, creates the dates and roles in one transaction (`sync_slots`
  makes the slots), audited as `activity.shifts_imported`.

The festival model (manage.py, structure.py): a shift is a `Role` with its own time
(`slot_start`/`slot_end`) and its places; every role has one slot on *every* date of the
activity. So a shift of a one-day festival is simply a role; on a festival of several days, the
same shift (same name and times) on each day is one role, and its places and requirements must
be the same on every day. A day the activity has no date for yet becomes a new date (from the
first shift's start to the last shift's end), but only while the activity has no roles yet:
otherwise its existing roles would silently get places on that new day too. Both rules are said
at the rows they concern, so the coordinator sees what to change.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.activities import events
from app.activities.manage import (MAX_CAPACITY, ManageError, RoleData, _activity, _audit, _clean_role, _require,
                                   is_staff, may_edit, skill_choices)
from app.activities.models import ActivityDate, Role, Slot
from app.activities.series import span, utc_to_local
from app.activities.structure import sync_slots
from app.core.forms import invisible_character_errors
from app.core.timeutil import utcnow
from app.extensions import db
from app.people import languages as language_catalogue
from app.people.models import LEVEL_LABELS, LanguageLevel

MAX_ROWS = 500  # a festival has dozens of shifts; 500 is a typo or the wrong file
MAX_FILE_BYTES = 2 * 1024 * 1024  # an xlsx of 500 rows is about 30 kB
MAX_UNPACKED_BYTES = 30 * 1024 * 1024  # an xlsx is a zip: no "zip bomb" unpacked into memory
MAX_COLUMNS = 30
MAX_CELL = 500  # characters of a cell kept for the preview and the checks

# The columns: key → the headings accepted (compared case-insensitively, without "*" and
# spaces at the ends). The template writes the first (German) one.
COLUMNS: dict[str, tuple[str, ...]] = {
    "role": ("Rolle", "Schicht", "Aufgabe", "Role", "Shift", "Task"),
    "date": ("Datum", "Tag", "Date", "Day"),
    "start": ("Beginn", "Von", "Start", "From"),
    "end": ("Ende", "Bis", "End", "Until", "To"),
    "capacity": ("Plätze", "Plaetze", "Anzahl", "Places", "Capacity"),
    "skill": ("Fähigkeit", "Faehigkeit", "Skill"),
    "language": ("Sprache", "Language"),
    "level": ("Sprachniveau", "Mindestniveau", "Niveau", "Level", "Language level", "Minimum level"),
    "description": ("Beschreibung", "Description"),
}
REQUIRED = ("role", "date", "start", "end", "capacity")
HEADINGS_EN = {"role": "Role", "date": "Date", "start": "Start", "end": "End", "capacity": "Places",
               "skill": "Skill", "language": "Language", "level": "Level", "description": "Description"}
COLUMN_LABELS = {
    "role": _l("Role"), "date": _l("Date"), "start": _l("Start"), "end": _l("End"), "capacity": _l("Places"),
    "skill": _l("Skill"), "language": _l("Language"), "level": _l("Minimum level"),
    "description": _l("Description"),
}
FORMULA_START = ("=", "+", "@")  # "-" starts ordinary text ("- bitte Handschuhe mitbringen")


def _heading_key(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("*", "")).strip().casefold()


HEADINGS = {_heading_key(h): key for key, names in COLUMNS.items() for h in names}


class ImportFileError(ValueError):
    """The file as a whole can't be read (not a spreadsheet, empty, too long, columns missing)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# ---------------------------------------------------------------- reading the file
def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_table(data: bytes) -> list[tuple[int, list[str]]]:
    """The rows of the file's first sheet as (row number, text cells): empty rows left out, at
    most MAX_ROWS + 1 of them plus the heading (enough to say "too many"). The numbers are those
    the spreadsheet shows, so the preview's "row 7" is row 7 in Excel."""
    if not data or not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ImportFileError(_l("The file is empty."))
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(_l("The file is too large (at most %(mb)d MB).", mb=MAX_FILE_BYTES // (1024 * 1024)))
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(_l("This is an old Excel file (.xls). Please save it as .xlsx or CSV and "
                                 "upload that."))
    return _read_csv(data)


def _read_csv(data: bytes) -> list[tuple[int, list[str]]]:
    if b"\x00" in data:
        raise ImportFileError(_l("This file is not a spreadsheet. Please upload a CSV or xlsx file."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(_l("The CSV file is not in UTF-8. In Excel, choose “CSV UTF-8” when saving; "
                                 "or upload the xlsx file.")) from None
    # Sniffed from the heading row, which has no commas of its own (descriptions further down
    # may): the separator is the one it uses most; a single column reads with any.
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(";,\t", key=first.count)
    rows: list[tuple[int, list[str]]] = []
    try:
        for number, raw in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            cells = [c.strip()[:MAX_CELL] for c in raw[:MAX_COLUMNS]]
            if any(cells):
                rows.append((number, cells))
            if len(rows) > MAX_ROWS + 1:
                raise ImportFileError(_l("The file has more than %(max)d rows. Please import at most %(max)d "
                                         "shifts at a time.", max=MAX_ROWS))
    except csv.Error:
        raise ImportFileError(_l("This file is not a spreadsheet. Please upload a CSV or xlsx file.")) from None
    if not rows:
        raise ImportFileError(_l("The file is empty."))
    return rows


def _xlsx_cell(value) -> str:
    """A cell as text: dates as YYYY-MM-DD, times as HH:MM, whole numbers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.date() in (date(1899, 12, 30), date(1899, 12, 31), date(1900, 1, 1)) or value.year < 1901:
            return value.strftime("%H:%M")  # a time typed into a cell Excel keeps as a date-time
        if value.time() == time(0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, timedelta):
        minutes = int(value.total_seconds() // 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()[:MAX_CELL]


def _read_xlsx(data: bytes) -> list[tuple[int, list[str]]]:
    not_xlsx = _l("This file could not be read as an xlsx spreadsheet. Please save it from Excel or "
                  "LibreOffice as .xlsx (or CSV) and try again.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            if len(infos) > 2000 or sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
                raise ImportFileError(_l("The file is too large when unpacked."))
            if "xl/workbook.xml" not in {i.filename for i in infos}:
                raise ImportFileError(not_xlsx)
    except zipfile.BadZipFile:
        raise ImportFileError(not_xlsx) from None
    from openpyxl import load_workbook

    rows: list[tuple[int, list[str]]] = []
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        try:
            ws = wb.worksheets[0]
            for row in ws.iter_rows(max_col=MAX_COLUMNS):
                cells = [_xlsx_cell(c.value) for c in row]
                if any(cells):
                    number = next(c.row for c in row if getattr(c, "row", None) is not None)
                    rows.append((number, cells))
                if len(rows) > MAX_ROWS + 1:
                    raise ImportFileError(_l("The file has more than %(max)d rows. Please import at most "
                                             "%(max)d shifts at a time.", max=MAX_ROWS))
        finally:
            wb.close()
    except ImportFileError:
        raise
    except Exception:  # openpyxl raises many kinds on a broken file; none of them is ours to fix
        raise ImportFileError(not_xlsx) from None
    if not rows:
        raise ImportFileError(_l("The file is empty."))
    return rows


# ---------------------------------------------------------------- the rows
@dataclass
class ShiftRow:
    line: int  # the row's number in the spreadsheet (the heading is row 1)
    cells: dict[str, str]
    errors: list[str] = field(default_factory=list)
    role: str = ""
    day: date | None = None
    start: time | None = None
    end: time | None = None
    capacity: int | None = None
    skill_id: int | None = None
    skill_label: str = ""
    language: str | None = None
    level: int | None = None
    description: str = ""

    def error(self, message) -> None:
        text = str(message)
        if text not in self.errors:
            self.errors.append(text)

    def group_key(self) -> tuple[str, time | None, time | None]:
        """One shift on every day of the activity: the same name and times (one role)."""
        return (self.role.casefold(), self.start, self.end)

    def role_values(self) -> tuple:
        return (self.capacity, self.skill_id, self.language, self.level, self.description)


@dataclass
class Table:
    """What a file holds: its rows, the columns found, the headings that meant nothing."""

    rows: list[ShiftRow]
    columns: list[str]
    ignored: list[str]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not any(r.errors for r in self.rows)

    @property
    def error_rows(self) -> int:
        return sum(1 for r in self.rows if r.errors)

    def cells(self) -> list[list]:
        """The rows as plain data (what the confirmation carries): [line, {key: text}]."""
        return [[r.line, r.cells] for r in self.rows]


def columns_of(heading: list[str]) -> tuple[dict[int, str], list[str]]:
    """{cell index: column key} of a heading row, and the headings that are no column of ours.
    Missing required columns or a column named twice: ImportFileError naming them."""
    found: dict[int, str] = {}
    ignored: list[str] = []
    for i, text in enumerate(heading):
        key = HEADINGS.get(_heading_key(text))
        if key is None:
            if text.strip():
                ignored.append(text.strip()[:60])
            continue
        if key in found.values():
            raise ImportFileError(_l("The column “%(name)s” appears twice.", name=text.strip()))
        found[i] = key
    missing = [k for k in REQUIRED if k not in found.values()]
    if missing:
        names = ", ".join(f"„{COLUMNS[k][0]}“" for k in missing)
        if len(found) == 0:
            raise ImportFileError(_l("The first row must name the columns (%(columns)s). None of them was found: "
                                     "please start from the template.",
                                     columns=", ".join(COLUMNS[k][0] for k in REQUIRED)))
        raise ImportFileError(_l("These columns are missing: %(names)s. The first row must name the columns, as "
                                 "in the template.", names=names))
    return found, ignored


def parse(table: list[tuple[int, list[str]]]) -> Table:
    """The rows of a table (heading first), each checked on its own. The heading may follow a
    title row or two ("Schichtplan Brückenfest"): the first of the first five rows that names
    at least two of the required columns is taken."""
    start = next((i for i, (_n, cells) in enumerate(table[:5])
                  if sum(HEADINGS.get(_heading_key(c)) in REQUIRED for c in cells) >= 2), 0)
    columns, ignored = columns_of(table[start][1])
    body = table[start + 1:]
    if not body:
        raise ImportFileError(_l("The file has column headings but no shifts."))
    if len(body) > MAX_ROWS:
        raise ImportFileError(_l("The file has more than %(max)d rows. Please import at most %(max)d shifts at "
                                 "a time.", max=MAX_ROWS))
    lookups = Lookups.load()
    rows = []
    for n, raw in body:
        cells = {key: (raw[i] if i < len(raw) else "") for i, key in columns.items()}
        rows.append(parse_row(n, cells, lookups))
    return Table(rows, [k for k in COLUMNS if k in columns.values()], ignored)


def from_cells(data: list) -> Table:
    """A table from what `Table.cells()` gave (the confirmation's rows), checked again."""
    lookups = Lookups.load()
    rows = []
    for line, cells in data:
        cells = {k: str(cells.get(k, ""))[:MAX_CELL] for k in COLUMNS if k in cells}
        rows.append(parse_row(int(line), cells, lookups))
    keys = {k for r in rows for k in r.cells}
    return Table(rows, [k for k in COLUMNS if k in keys], [])


@dataclass
class Lookups:
    """The admins' skills and the language and level names, looked up once per file."""

    skills: dict[str, tuple[int, str]]  # key / label (casefolded) → (id, label)
    languages: dict[str, str]  # code / name (casefolded) → code
    levels: dict[str, int]

    @classmethod
    def load(cls) -> Lookups:
        from flask_babel import get_locale

        locale = str(get_locale() or "de")
        skills: dict[str, tuple[int, str]] = {}
        for item in skill_choices():
            shown = item.label(locale)
            for name in (item.key, item.label_de, item.label_en):
                if name:
                    skills.setdefault(name.strip().casefold(), (item.id, shown))
        languages: dict[str, str] = {}
        for code in language_catalogue.known_codes():
            languages[code.casefold()] = code
        for loc in ("de", "en"):
            for code, name in language_catalogue.choices(loc):
                languages.setdefault(name.casefold(), code)
        levels: dict[str, int] = {}
        for level in LanguageLevel:
            levels[str(int(level))] = int(level)
            levels[level.name.casefold()] = int(level)
            for loc in ("de", "en"):
                with force_locale(loc):
                    levels[str(LEVEL_LABELS[level]).casefold()] = int(level)
        levels.update({"muttersprachlich": 4, "native": 4, "gute kenntnisse": 2, "grundlagen": 1})
        return cls(skills, languages, levels)


_DATE_DE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})")
_DATE_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?")
_TIME = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?(?::00)?(?:\s*uhr)?", re.IGNORECASE)
_INT = re.compile(r"\d{1,6}(?:[.,]0+)?")


def parse_date(text: str) -> date | None:
    text = text.strip()
    try:
        m = _DATE_DE.fullmatch(text)
        if m:
            year = int(m.group(3))
            return date(year + 2000 if year < 100 else year, int(m.group(2)), int(m.group(1)))
        m = _DATE_ISO.fullmatch(text)
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
    return None


def parse_time(text: str) -> time | None:
    """"14:00", "14.30", "9", "14 Uhr"; "24:00" is midnight at the end of the day."""
    m = _TIME.fullmatch(text.strip())
    if not m:
        return None
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if hour == 24 and minute == 0:
        return time(0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _is_formula(text: str) -> bool:
    return text.startswith(FORMULA_START)


def parse_row(line: int, cells: dict[str, str], lookups: Lookups) -> ShiftRow:
    row = ShiftRow(line, cells)
    for key, text in cells.items():
        if _is_formula(text):
            row.error(_l("“%(column)s” holds a formula (%(text)s). Please enter the value itself.",
                         column=COLUMN_LABELS[key], text=text[:40]))
        elif invisible_character_errors(text):
            row.error(_l("“%(column)s” contains invisible characters. Please remove them.",
                         column=COLUMN_LABELS[key]))
    if row.errors:
        return row

    role = cells.get("role", "").strip()
    if not role:
        row.error(_l("The role is missing."))
    elif len(role) > 120:
        row.error(_l("The role's name is too long (at most %(max)d characters).", max=120))
    row.role = role

    day_text = cells.get("date", "")
    row.day = parse_date(day_text) if day_text else None
    if not day_text:
        row.error(_l("The date is missing."))
    elif row.day is None:
        row.error(_l("“%(text)s” is not a date. Please write it as 05.06.2027.", text=day_text[:40]))

    for key, missing in (("start", _l("The start time is missing.")), ("end", _l("The end time is missing."))):
        text = cells.get(key, "")
        value = parse_time(text) if text else None
        if not text:
            row.error(missing)
        elif value is None:
            row.error(_l("“%(text)s” is not a time. Please write it as 14:00.", text=text[:40]))
        setattr(row, key, value)
    if row.start is not None and row.end is not None:
        past_midnight = row.end == time(0) and row.start != time(0)
        if not past_midnight and row.end <= row.start:
            row.error(_l("The end (%(end)s) is not after the start (%(start)s). A shift past midnight: "
                         "enter it as two rows, until 24:00 and from 00:00.",
                         end=row.end.strftime("%H:%M"), start=row.start.strftime("%H:%M")))

    text = cells.get("capacity", "").strip()
    if not text:
        row.error(_l("The number of places is missing."))
    elif not (text.isascii() and _INT.fullmatch(text)) or not 1 <= int(re.split(r"[.,]", text)[0]) <= MAX_CAPACITY:
        row.error(_l("“%(text)s” is not a number of places: please enter a whole number from 1 to %(max)d.",
                     text=text[:40], max=MAX_CAPACITY))
    else:
        row.capacity = int(re.split(r"[.,]", text)[0])

    text = cells.get("skill", "").strip()
    if text:
        found = lookups.skills.get(text.casefold())
        if found is None:
            row.error(_l("The skill “%(text)s” is not in the skills list. Please use a name from the list "
                         "(see the template's second sheet).", text=text[:60]))
        else:
            row.skill_id, row.skill_label = found

    lang_text = cells.get("language", "").strip()
    level_text = cells.get("level", "").strip()
    if lang_text:
        code = lookups.languages.get(lang_text.casefold())
        if code is None:
            row.error(_l("The language “%(text)s” is unknown. Please write its name (e.g. Arabisch) or its "
                         "code (ar).", text=lang_text[:60]))
        row.language = code
        if level_text:
            level = lookups.levels.get(level_text.casefold())
            if level is None:
                row.error(_l("The level “%(text)s” is unknown. Please use Grundkenntnisse, gut, fließend or "
                             "Muttersprache (or 1 to 4).", text=level_text[:60]))
            row.level = level
        else:
            row.level = int(LanguageLevel.BASIC)
    elif level_text:
        row.error(_l("A minimum level needs a language. Please fill in the language too, or leave the level "
                     "empty."))

    desc = cells.get("description", "").strip()
    if len(desc) > 500:
        row.error(_l("The description is too long (at most %(max)d characters).", max=500))
    row.description = desc
    return row


# ---------------------------------------------------------------- against the activity
@dataclass
class Plan:
    """What saving would do: the roles (one per shift, with the days it runs on) and the new
    dates. Only meaningful when the table is ok."""

    shifts: list[tuple[ShiftRow, list[date]]]
    new_days: dict[date, tuple[datetime, datetime]]


def _shift_bounds(row: ShiftRow) -> tuple[datetime, datetime]:
    return span(row.day, row.start, row.end)


def check(activity_id: int, table: Table, now: datetime | None = None) -> Plan:
    """Mark at each row what the activity and the other rows say against it; the plan."""
    moment = now or utcnow()
    dates = db.session.scalars(select(ActivityDate).where(ActivityDate.activity_id == activity_id)).all()
    open_days: dict[date, ActivityDate] = {}
    cancelled_days: set[date] = set()
    for d in dates:
        day = utc_to_local(d.starts_at).date()
        if d.is_cancelled:
            cancelled_days.add(day)
        else:
            open_days.setdefault(day, d)
    roles = db.session.scalars(select(Role).where(Role.activity_id == activity_id)).all()
    existing: set[tuple] = set()
    slot_days = db.session.execute(
        select(Slot.role_id, ActivityDate.starts_at).join(ActivityDate, ActivityDate.id == Slot.date_id)
        .where(Slot.activity_id == activity_id)).all()
    role_by_id = {r.id: r for r in roles}
    for role_id, starts_at in slot_days:
        r = role_by_id[role_id]
        existing.add((r.name.strip().casefold(), r.slot_start, r.slot_end, utc_to_local(starts_at).date()))

    good = [r for r in table.rows if not r.errors]
    seen: dict[tuple, int] = {}
    for row in good:
        key = (*row.group_key(), row.day)
        if key in seen:
            row.error(_l("The same shift as in row %(line)d (role, date and times).", line=seen[key]))
            continue
        seen[key] = row.line
        if key in existing:
            row.error(_l("This shift exists already in the activity."))
            continue
        if _shift_bounds(row)[0] <= moment:
            row.error(_l("This shift is in the past."))
        if row.day in cancelled_days and row.day not in open_days:
            row.error(_l("The activity's date on this day is cancelled."))
        elif row.day not in open_days and roles:
            row.error(_l("The activity has no date on %(day)s. Please add the date first on the activity's page: "
                         "a new day would give its existing roles places on that day too.",
                         day=row.day.strftime("%d.%m.%Y")))

    good = [r for r in table.rows if not r.errors]
    all_days = sorted(set(open_days) | {r.day for r in good})
    groups: dict[tuple, list[ShiftRow]] = {}
    for row in good:
        groups.setdefault(row.group_key(), []).append(row)
    shifts: list[tuple[ShiftRow, list[date]]] = []
    for rows in groups.values():
        first = rows[0]
        for other in rows[1:]:
            if other.role_values() != first.role_values():
                other.error(_l("The same shift as in row %(line)d on another day, but with other places, "
                               "requirements or description. A shift has the same ones on every day.",
                               line=first.line))
        days = sorted({r.day for r in rows})
        missing = [d for d in all_days if d not in days]
        if missing:
            for row in rows:
                row.error(_l("Every shift runs on every day of the activity (%(days)s). This one is missing on "
                             "%(missing)s: add it for that day too, or import the days as separate activities.",
                             days=", ".join(d.strftime("%d.%m.%Y") for d in all_days),
                             missing=", ".join(d.strftime("%d.%m.%Y") for d in missing)))
        shifts.append((first, days))

    new_days: dict[date, tuple[datetime, datetime]] = {}
    for row in good:
        if row.day in open_days:
            continue
        starts, ends = _shift_bounds(row)
        low, high = new_days.get(row.day, (starts, ends))
        new_days[row.day] = (min(low, starts), max(high, ends))
    return Plan(shifts, new_days)


def preview(activity_id: int, data: bytes) -> Table:
    """A file read, parsed and checked against the activity (ImportFileError for the file as a
    whole). Nothing is stored."""
    table = parse(read_table(data))
    check(activity_id, table)
    return table


@dataclass
class ImportResult:
    roles: int
    dates: int
    table: Table


def import_shifts(actor, activity_id: int, cells: list, now: datetime | None = None) -> ImportResult:
    """Save the shifts of a previewed file: every row is checked again under the activity's row
    lock (a colleague may have added a shift meanwhile); with any problem nothing is stored
    and the table comes back with its errors (ImportResult.roles == 0). One transaction."""
    activity = _activity(activity_id, lock=True)
    _require(is_staff(actor) or actor is None)
    _require(may_edit(actor, activity))
    table = from_cells(cells)
    if not table.rows:
        raise ManageError(None, _l("The file has column headings but no shifts."))
    plan = check(activity.id, table, now)
    if not table.ok:
        db.session.rollback()
        return ImportResult(0, 0, table)
    for day, (starts, ends) in sorted(plan.new_days.items()):
        db.session.add(ActivityDate(activity_id=activity.id, starts_at=starts, ends_at=ends))
    position = db.session.scalar(select(func.coalesce(func.max(Role.position), -1) + 1)
                                 .where(Role.activity_id == activity.id))
    for row, _days in plan.shifts:
        values = _clean_role(RoleData(
            name=row.role, capacity=row.capacity, description=row.description, slot_start=row.start,
            slot_end=row.end, required_language=row.language, required_level=row.level,
            required_skill_id=row.skill_id), None)
        db.session.add(Role(activity_id=activity.id, position=position, **values))
        position += 1
    db.session.flush()
    sync_slots(activity.id)
    _audit(actor, "activity.shifts_imported", activity, roles=len(plan.shifts), dates=len(plan.new_days),
           rows=len(table.rows))
    events.changed(activity.id)
    db.session.commit()
    return ImportResult(len(plan.shifts), len(plan.new_days), table)


# ---------------------------------------------------------------- the template
TEMPLATE_NOTES = (
    _l("One row per shift. Required: Rolle, Datum, Beginn, Ende, Plätze."),
    _l("Datum as 05.06.2027, Beginn and Ende as 14:00. A shift past midnight: two rows, until 24:00 and "
       "from 00:00."),
    _l("Fähigkeit: a name from the skills list below (optional). Sprache: a language's name or code, "
       "Sprachniveau: Grundkenntnisse, gut, fließend or Muttersprache (optional)."),
    _l("On a festival of several days, enter every shift for every day; its places are the same each day."),
    _l("English column headings work too: Role, Date, Start, End, Places, Skill, Language, Level, Description."),
)


def example_day(activity_id: int | None) -> date:
    """The example row's day: the activity's next date, else a Saturday about four weeks ahead."""
    if activity_id is not None:
        starts = db.session.scalar(select(func.min(ActivityDate.starts_at)).where(
            ActivityDate.activity_id == activity_id, ActivityDate.cancelled_at.is_(None),
            ActivityDate.starts_at > utcnow()))
        if starts is not None:
            return utc_to_local(starts).date()
    today = utc_to_local(utcnow()).date() + timedelta(weeks=4)
    return today + timedelta(days=(5 - today.weekday()) % 7)


def template_rows(activity_id: int | None) -> list[list[str]]:
    day = example_day(activity_id).strftime("%d.%m.%Y")
    return [[names[0] for names in COLUMNS.values()],
            ["Getränkestand", day, "14:00", "16:00", "4", "", "", "", "Getränke ausgeben und kassieren."],
            ["Infostand mehrsprachig", day, "13:00", "16:00", "2", "", "Arabisch", "fließend", ""]]


def template_csv(activity_id: int | None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerows(template_rows(activity_id))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(activity_id: int | None) -> bytes:
    import xlsxwriter
    from flask_babel import get_locale

    locale = str(get_locale() or "de")
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False})
    bold = wb.add_format({"bold": True})
    text = wb.add_format({"num_format": "@"})
    ws = wb.add_worksheet("Schichten")
    rows = template_rows(activity_id)
    for c, heading in enumerate(rows[0]):
        ws.write_string(0, c, heading, bold)
    for r, row in enumerate(rows[1:], start=1):
        for c, value in enumerate(row):
            ws.write_string(r, c, value, text)
    ws.set_column(0, 0, 26, text)
    ws.set_column(1, 7, 14, text)
    ws.set_column(8, 8, 40, text)
    ws.freeze_panes(1, 0)
    notes = wb.add_worksheet("Hinweise")
    notes.set_column(0, 0, 40)
    notes.set_column(1, 1, 40)
    line = 0
    for note in TEMPLATE_NOTES:
        notes.write_string(line, 0, str(note))
        line += 1
    line += 1
    notes.write_string(line, 0, str(_l("Skills (column Fähigkeit)")), bold)
    line += 1
    for item in skill_choices():
        notes.write_string(line, 0, item.label_de)
        notes.write_string(line, 1, item.label(locale) if locale != "de" else item.key)
        line += 1
    line += 1
    notes.write_string(line, 0, str(_l("Levels (column Sprachniveau)")), bold)
    line += 1
    for level in LanguageLevel:
        with force_locale("de"):
            notes.write_string(line, 0, str(LEVEL_LABELS[level]))
        notes.write_string(line, 1, str(int(level)))
        line += 1
    wb.close()
    return out.getvalue()


def register_audit_labels() -> None:
    from app.core import audit

    audit.register_labels(actions={"activity.shifts_imported": _l("Shifts imported into an activity")},
                          details={"roles": _l("Roles"), "rows": _l("Rows")})


register_audit_labels()
