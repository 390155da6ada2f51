"""The directory's filtered list as a spreadsheet: CSV for German Excel (UTF-8 with BOM,
semicolons) and xlsx (a plain one-sheet workbook written here as XML into a zip file, a chunk
of rows at a time: XlsxWriter's checks and calls per cell cost three times the rest of the
export). Both read the rows in chunks (`directory.iter_rows`), so 20,000 rows never sit in
memory at once.

Formula injection: a cell that starts with = + - @ (or a tab or carriage return) would be
taken as a formula by a spreadsheet; such text gets a leading apostrophe, in both formats (the
xlsx cells are typed text as well)."""
from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import zipfile
from typing import Callable, Iterator

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


# ---------------------------------------------------------------- xlsx
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_XLSX_PARTS = {
    "[Content_Types].xml": _HEAD + (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'),
    "_rels/.rels": _HEAD + (
        f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_REL}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'),
    "xl/_rels/workbook.xml.rels": _HEAD + (
        f'<Relationships xmlns="{_PKG}">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'),
    # style 0: plain, style 1: bold (the header)
    "xl/styles.xml": _HEAD + (
        f'<styleSheet xmlns="{_NS}"><fonts count="2">'
        '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'),
}
XLSX_WIDTHS = [28, 32, 18, 18, 28, 36, 36, 36, 10, 12, 10]
_COLUMNS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# XML 1.0 has no place for these; Excel reads "_xHHHH_" as the character (and a literal
# "_xHHHH_" in a text must then be written with its underscore escaped, as Excel does)
_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")


def _unsafe_char(m: re.Match) -> str:
    text = m.group(0)
    return "_x005F" + text if len(text) > 1 else f"_x{ord(text):04X}_"


def _xml_text(value: str) -> str:
    """A cell's text as XML character data: escaped, control characters as Excel writes them."""
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if _XML_UNSAFE.search(value):
        value = _XML_UNSAFE.sub(_unsafe_char, value)
    return value


def _cells_xml(n: int, values: list, style: str = "") -> str:
    """One row of the sheet: text cells inline (no shared-strings table to keep in memory),
    numbers as numbers, empty cells left out."""
    out = [f'<row r="{n}">']
    for col, value in zip(_COLUMNS, values):
        if isinstance(value, int):
            out.append(f'<c r="{col}{n}"{style}><v>{value}</v></c>')
        elif value:
            space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
            out.append(f'<c r="{col}{n}" t="inlineStr"{style}><is><t{space}>{_xml_text(value)}</t></is></c>')
    out.append("</row>")
    return "".join(out)


def _sheet_start(widths: list[int]) -> str:
    # Excel's column width from characters, as XlsxWriter computes it (digit 7 px, padding 5 px)
    cols = "".join(f'<col min="{i}" max="{i}" width="{int((w * 7 + 5) / 7 * 256) / 256}" customWidth="1"/>'
                   for i, w in enumerate(widths, start=1))
    return _HEAD + (
        f'<worksheet xmlns="{_NS}" xmlns:r="{_REL}"><sheetViews><sheetView tabSelected="1" workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>')


def write_xlsx(scope, flt: DirectoryFilter, labels: Labels) -> tuple[str, int]:
    """Write the xlsx to a temporary file (the caller streams and removes it): (path, rows).
    Every text cell is typed text (a formula never), and neutralised as in the CSV."""
    fd, path = tempfile.mkstemp(prefix="willkommen-", suffix=".xlsx")
    os.close(fd)
    n = 0
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as book:
            for name, content in _XLSX_PARTS.items():
                book.writestr(name, content)
            sheet_name = _xml_text(_("Volunteers")[:31]).replace('"', "&quot;")
            book.writestr("xl/workbook.xml", _HEAD + (
                f'<workbook xmlns="{_NS}" xmlns:r="{_REL}"><bookViews><workbookView/></bookViews>'
                f'<sheets><sheet name="{sheet_name}" sheetId="1" r:id="rId1"/></sheets></workbook>'))
            with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
                sheet.write((_sheet_start(XLSX_WIDTHS) + _cells_xml(1, headers(), ' s="1"')).encode("utf-8"))
                for rows in iter_rows(scope, flt):
                    part = []
                    for row in rows:
                        n += 1
                        part.append(_cells_xml(n + 1, cells(row, labels)))
                    sheet.write("".join(part).encode("utf-8"))
                sheet.write(b"</sheetData></worksheet>")
    except BaseException:
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
