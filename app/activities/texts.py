"""How dates and places read on pages, in mails and in calendars (Berlin time, the reader's
language)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import format_date, format_time

from app.activities.series import utc_to_local


def when_text(starts_at: datetime, ends_at: datetime, *, weekday: bool = True) -> str:
    """"Dienstag, 2. März 2027, 17:00–18:30" / "Tuesday, March 2, 2027, 5:00 PM–6:30 PM"; an end
    on a later day carries its own date."""
    day = format_date(starts_at, "full" if weekday else "long")
    start, end = format_time(starts_at, "short"), format_time(ends_at, "short")
    if utc_to_local(ends_at).date() != utc_to_local(starts_at).date():
        return f"{day}, {start} – {format_date(ends_at, 'long')}, {end}"
    return f"{day}, {start}–{end}"


def short_when(starts_at: datetime, ends_at: datetime) -> str:
    """"Di., 2. März 2027, 17:00–18:30" for lists."""
    return f"{format_date(starts_at, 'EEE')}, {format_date(starts_at, 'medium')}, " \
           f"{format_time(starts_at, 'short')}–{format_time(ends_at, 'short')}"
