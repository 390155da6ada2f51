"""The activities area's periodic jobs (run by the mail worker's schedule, or `flask jobs run`)."""
from __future__ import annotations

from datetime import timedelta

from app.core.jobs import periodic_job


@periodic_job("pass-on-expired-offers", every=timedelta(minutes=5))
def pass_on_expired_offers(now) -> int:
    """Offered waiting-list places past their deadline go to the next in line."""
    from app.activities.signup import expire_offers

    return expire_offers(now)


@periodic_job("end-open-handovers", every=timedelta(minutes=15))
def end_open_handovers(now) -> int:
    """Hand-overs nobody took before the date began end; the place stayed where it was."""
    from app.activities.handover import expire

    return expire(now)


@periodic_job("end-started-urgent-calls", every=timedelta(minutes=15))
def end_started_urgent_calls(now) -> int:
    """Urgent calls still open when their date begins end; their links then say so."""
    from app.activities.urgent import end_started

    return end_started(now)
