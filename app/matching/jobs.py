"""The matching area's periodic jobs."""
from __future__ import annotations

from datetime import timedelta

from app.core.jobs import periodic_job


@periodic_job("expire-proposals", every=timedelta(minutes=15))
def expire_proposals(now) -> int:
    """Proposals nobody answered by their deadline expire; their need is open again."""
    from app.matching.proposals import expire

    return expire(now)


@periodic_job("partnership-check-ins", every=timedelta(hours=1))
def partnership_check_ins(now) -> int:
    """Coordinators are reminded to ask how a partnership goes, 4 and 12 weeks after the match."""
    from app.matching.proposals import send_check_ins

    return send_check_ins(now)
