"""The directory's filtered list as a spreadsheet: CSV for German Excel (UTF-8 with BOM,
semicolons) and xlsx (XlsxWriter in constant-memory mode). Both read the rows in chunks
(`directory.iter_rows`), so 20,000 rows never sit in memory at once.

Formula injection: a cell that starts with = + - @ (or a tab or carriage return) would be
taken as a formula by a spreadsheet; such text gets a leading apostrophe, in both formats (the
xlsx cells are typed text as well)."""
from __future__ import annotations

import csv
import io
import os
import tempfile
from typing import Callable, Iterator

import xlsxwriter
from flask_babel import gettext as _

from app.people.directory import DirectoryFilter, DirectoryRow, iter_rows
from app.people.models import ACTIVITY_KIND_LABELS, DAY_PART_LABELS, DAY_PARTS, LEVEL_LABELS, LanguageLevel

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_stamp() -> str:
    """Today in Berlin for file names: ehrenamtliche-2026-12-01.csv."""
    from app.core.timeutil import to_local, utcnow

    return to_local(utcnow()).strftime("%Y-%m-%d")


def neutralise(value: str) -> str:
    """Text a spreadsheet shows as text, never runs as a formula."""
    if value and value.startswith(FORMULA_START):
        return "'" + value
    return value


class Labels:
    """Everything a row needs turned into words, looked up once per export (not per row)."""

    def __init__(self, *, offices: dict[int, str], skills: dict[int, str], language_name: Callable[[str], str],
                 weekday_name: Callable[[int, str], str]):
        self.offices = offices
        self.skills = skills
        self._language_name = language_name
        self._names: dict[str, str] = {}
        self._weekday_name = weekday_name
        self._slots: list[str] | None = None
        self.levels = {int(level): str(LEVEL_LABELS[level]) for level in LanguageLevel}
        self.status = {}
        self.yes, self.no = _("yes"), _("no")

    @property
    def slots(self) -> list[str]:
        """The 21 time slots' names (only exports show them: built on first use)."""
        if self._slots is None:
            self._slots = [f"{self._weekday_name(day, 'abbreviated')} {DAY_PART_LABELS[part]}"
                           for day in range(7) for part in DAY_PARTS]
        return self._slots

    def language(self, code: str) -> str:
        name = self._names.get(code)
        if name is None:
            name = self._names[code] = self._language_name(code)
        return name

    def languages(self, row: DirectoryRow) -> str:
        return ", ".join(f"{self.language(code)} ({self.levels.get(level, level)})" for code, level in row.languages)

    def availability(self, bits: int) -> str:
        slots = self.slots
        return ", ".join(label for i, label in enumerate(slots) if bits & (1 << i))

    def status_label(self, status) -> str:
        label = self.status.get(status)
        if label is None:
            label = self.status[status] = status.label
        return label


def headers() -> list[str]:
    return [_("Name"), _("E-mail address"), _("Phone"), _("District"), _("Offices"), _("Languages"),
            _("Skills"), _("Has time"), _("Hours per month"), _("Status"), _("May be contacted")]


def cells(row: DirectoryRow, labels: Labels) -> list:
    return [
        neutralise(row.name), neutralise(row.email), neutralise(row.phone),
        neutralise(row.district_name or ""),
        neutralise(", ".join(labels.offices.get(i, "") for i in sorted(row.office_ids))),
        neutralise(labels.languages(row)),
        neutralise(", ".join(labels.skills.get(i, "") for i in row.skill_ids)),
        labels.availability(row.availability),
        row.hours_per_month if row.hours_per_month is not None else "",
        labels.status_label(row.status),
        labels.yes if row.contact else labels.no,
    ]


def csv_chunks(scope, flt: DirectoryFilter, labels: Labels) -> Iterator[bytes]:
    """The CSV, a chunk of rows at a time: BOM and header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers())
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    for rows in iter_rows(scope, flt):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(cells(r, labels) for r in rows)
        yield buffer.getvalue().encode("utf-8")


def write_xlsx(scope, flt: DirectoryFilter, labels: Labels) -> tuple[str, int]:
    """Write the xlsx to a temporary file (the caller streams and removes it): (path, rows)."""
    fd, path = tempfile.mkstemp(prefix="willkommen-", suffix=".xlsx")
    os.close(fd)
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False,
                                          "strings_to_urls": False, "strings_to_numbers": False,
                                          "tmpdir": tempfile.gettempdir()})
    try:
        sheet = workbook.add_worksheet(_("Volunteers")[:31])
        bold = workbook.add_format({"bold": True})
        widths = [28, 32, 18, 18, 28, 36, 36, 36, 10, 12, 10]
        for col, width in enumerate(widths):
            sheet.set_column(col, col, width)
        for col, title in enumerate(headers()):
            sheet.write_string(0, col, title, bold)
        sheet.freeze_panes(1, 0)
        n = 0
        for rows in iter_rows(scope, flt):
            for row in rows:
                n += 1
                for col, value in enumerate(cells(row, labels)):
                    if isinstance(value, int):
                        sheet.write_number(n, col, value)
                    elif value:
                        sheet.write_string(n, col, value)
        workbook.close()
    except BaseException:
        try:
            workbook.close()
        finally:
            os.unlink(path)
        raise
    return path, n


def file_chunks(path: str, size: int = 64 * 1024) -> Iterator[bytes]:
    """Read a file out in chunks. The file is opened and removed from the disk at once, before
    the first byte is asked for: a response that is never read (HEAD, a client gone away) leaves
    no spreadsheet of people's data behind; the open handle keeps the data until it is closed."""
    handle = open(path, "rb")
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass

    def chunks() -> Iterator[bytes]:
        with handle:
            while chunk := handle.read(size):
                yield chunk

    return chunks()
