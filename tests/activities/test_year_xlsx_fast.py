"""The office's year as xlsx: the rows are written as XML directly (attendance_sheets
._year_rows_fast) — the file is byte for byte what XlsxWriter writes cell by cell, for plain and
awkward texts (spaces at the ends, control characters, XML's special characters, long texts),
empty cells, whole and fractional hours, with and without a summary."""
from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest

from app.activities import attendance_sheets as sheets


def _members(export, fast: bool) -> dict[str, bytes]:
    buffer = io.BytesIO()
    sheets.year_xlsx(export, buffer, fast=fast)
    with zipfile.ZipFile(buffer) as z:
        # the creation time in core.xml is the only part that depends on the moment
        return {name: z.read(name) for name in z.namelist() if name != "docProps/core.xml"}


def _rows(n: int) -> list:
    texts = ["Sprachcafé", " führende Leerstelle", "Ende ", "A & B <c> \"d\"", "Tab\tund\x07Glocke", "_x0041_",
             "Zeile\nzwei", "x" * 40_000, "Ünïcödé ✓ 日本語"]
    rows = []
    for i in range(n):
        t = texts[i % len(texts)]
        rows.append([date(2026, 1 + i % 12, 1 + i % 28), "17:00–18:30", t, "Sprachcafé", t if i % 3 else "",
                     f"Person {i % 17 + 1}", "" if i % 4 else "Verein", "anwesend" if i % 2 else "nicht erfasst",
                     round((i % 7) * 0.75, 2), (i % 5) if i % 6 == 0 else ""])
    return rows


@pytest.mark.parametrize("with_summary", [True, False])
def test_fast_rows_are_xlsxwriters_own(app, with_summary):
    summary = [["Sprachcafé", "Sprachcafé", 3, 2, 5, 7.5, 1], ["Theater & Co", "Theater", 1, 1, 1, 1.25, 0]]
    export = sheets.YearExport("Büro <Test> & Co", date(2026, 1, 1), date(2026, 12, 31), _rows(250),
                               summary if with_summary else [], ["Summe", "", 4, 3, 6, 8.75, 1], 17)
    with app.test_request_context():
        slow, fast = _members(export, False), _members(export, True)
    assert slow.keys() == fast.keys()
    for name in slow:
        assert slow[name] == fast[name], name


def test_no_rows_at_all(app):
    export = sheets.YearExport("Büro", date(2026, 1, 1), date(2026, 1, 31), [], [], ["Summe", "", 0, 0, 0, 0.0, 0], 0)
    with app.test_request_context():
        assert _members(export, False) == _members(export, True)
