"""Weekly series and slot times: python-dateutil's rrule in Europe/Berlin wall-clock time, stored
as naive UTC.

A series "every Tuesday 17:00–18:30 from 3 March to 30 June, not on 7 April" yields its dates in
local time first (so 17:00 stays 17:00 across the change to summer time), then each is converted
to UTC for storage. A local time that doesn't exist (02:30 on the night clocks go forward) is
moved forward by the gap; an ambiguous one (the night they go back) takes the first occurrence."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from dateutil.rrule import WEEKLY, rrule, weekdays

from app.core.timeutil import BERLIN

MAX_DATES = 200  # a series of more dates is a typo (two years of weekly dates is 104)


class SeriesError(ValueError):
    def __init__(self, field: str, message):
        super().__init__(str(message))
        self.field, self.message = field, message


def local_to_utc(day: date, at: time) -> datetime:
    """Naive UTC for a Berlin wall-clock day and time."""
    local = datetime.combine(day, at).replace(tzinfo=BERLIN, fold=0)
    # zoneinfo accepts non-existent times; round-tripping shows the gap and moves past it.
    back = local.astimezone(timezone.utc).astimezone(BERLIN)
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        local = back
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def utc_to_local(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc).astimezone(BERLIN)


def span(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """UTC start and end of a local time span on a day; an end at or before the start runs into
    the next day (a café 19:00–00:30)."""
    starts = local_to_utc(day, start)
    end_day = day if end > start else day + timedelta(days=1)
    return starts, local_to_utc(end_day, end)


def expand(*, weekdays_mask: int, starts_on: date, ends_on: date, start_time: time, end_time: time,
           interval_weeks: int = 1, skip: set[date] | frozenset[date] = frozenset()) -> list[tuple[datetime, datetime]]:
    """The (start, end) pairs in UTC of a weekly rule. Raises SeriesError for a rule that makes
    no sense or yields no date at all."""
    from flask_babel import lazy_gettext as _l

    if not 0 < weekdays_mask < 128:
        raise SeriesError("weekdays", _l("Choose at least one weekday."))
    if not 1 <= interval_weeks <= 8:
        raise SeriesError("interval_weeks", _l("Every 1 to 8 weeks."))
    if ends_on < starts_on:
        raise SeriesError("ends_on", _l("The last day must not be before the first day."))
    if (ends_on - starts_on).days > 2 * 366:
        raise SeriesError("ends_on", _l("A series can run for at most two years."))
    if end_time == start_time:
        raise SeriesError("end_time", _l("The end must be after the start."))
    days = [weekdays[i] for i in range(7) if weekdays_mask & (1 << i)]
    rule = rrule(WEEKLY, interval=interval_weeks, byweekday=days,
                 dtstart=datetime.combine(starts_on, time(0)), until=datetime.combine(ends_on, time(23, 59)))
    out = []
    for occurrence in rule:
        day = occurrence.date()
        if day in skip:
            continue
        out.append(span(day, start_time, end_time))
        if len(out) > MAX_DATES:
            raise SeriesError("ends_on", _l("A series can have at most %(n)d dates.", n=MAX_DATES))
    if not out:
        raise SeriesError("starts_on", _l("This rule gives no date at all: check the weekdays, the first and "
                                          "the last day and the days to skip."))
    return out


def slot_times(date_start: datetime, date_end: datetime, slot_start: time | None,
               slot_end: time | None) -> tuple[datetime, datetime]:
    """When a role's places on one date begin and end: its own shift on that (local) day, else
    the date's times."""
    if slot_start is None or slot_end is None:
        return date_start, date_end
    day = utc_to_local(date_start).date()
    return span(day, slot_start, slot_end)
