"""How dates and places read on pages, in mails and in calendars (Berlin time, the reader's
language)."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from flask_babel import format_date, format_time, get_locale, get_timezone

from app.activities.series import utc_to_local


def when_text(starts_at: datetime, ends_at: datetime, *, weekday: bool = True) -> str:
    """"Dienstag, 2. März 2027, 17:00–18:30" / "Tuesday, March 2, 2027, 5:00 PM–6:30 PM"; an end
    on a later day carries its own date. Remembered per dates, language and time zone (Babel's
    formatting took a fifth of the overview's time; the same dates are shown to many)."""
    return _when(starts_at, ends_at, weekday, str(get_locale()), str(get_timezone()))


def short_when(starts_at: datetime, ends_at: datetime) -> str:
    """"Di., 2. März 2027, 17:00–18:30" for lists (remembered as when_text)."""
    return _short_when(starts_at, ends_at, str(get_locale()), str(get_timezone()))


# The language and time zone are in the key only: the formatting reads them from the request, as
# it did before, and they are the same as long as the key is.
@lru_cache(maxsize=4096)
def _when(starts_at: datetime, ends_at: datetime, weekday: bool, _locale: str, _tz: str) -> str:
    day = format_date(starts_at, "full" if weekday else "long")
    start, end = format_time(starts_at, "short"), format_time(ends_at, "short")
    if utc_to_local(ends_at).date() != utc_to_local(starts_at).date():
        return f"{day}, {start} – {format_date(ends_at, 'long')}, {end}"
    return f"{day}, {start}–{end}"


@lru_cache(maxsize=4096)
def _short_when(starts_at: datetime, ends_at: datetime, _locale: str, _tz: str) -> str:
    return f"{format_date(starts_at, 'EEE')}, {format_date(starts_at, 'medium')}, " \
           f"{format_time(starts_at, 'short')}–{format_time(ends_at, 'short')}"
