"""How a need's time and facts read, in the current language (mails and pages)."""
from __future__ import annotations

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from app.matching.models import Need, NeedTiming
from app.people.models import DAY_PART_LABELS, DAY_PARTS


def slot_names(bits: int) -> list[str]:
    from app.core.templating import weekday_name

    return [f"{weekday_name(d)} {DAY_PART_LABELS[DAY_PARTS[p]]}"
            for d in range(7) for p in range(3) if bits & (1 << (d * 3 + p))]


def when_of(need: Need) -> str:
    if need.timing == NeedTiming.AT and need.starts_at is not None:
        return format_datetime(need.starts_at, "EEEE, d. MMMM yyyy, HH:mm")
    if need.timing == NeedTiming.WEEKLY:
        return str(_l("every week: %(slots)s", slots=", ".join(slot_names(need.slots))))
    return str(_l("flexible, by arrangement"))
