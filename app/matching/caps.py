"""One weekly cap for proposals and urgent calls together (MATCHING_WEEKLY_CAP): nobody gets more
than that many requests a week, whichever area asks. Matching reads the activities' urgent
invites; the activities' urgent calls count matching's proposals through the function it
registers there (activities knows no later area)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from app.activities import urgent
from app.activities.models import UrgentInvite
from app.matching.candidates import register_weekly_contacts
from app.matching.models import Proposal


@register_weekly_contacts
def _urgent_invites_since(since: datetime):
    """For matching's cap: one row per urgent invite since then."""
    return select(UrgentInvite.user_id.label("user_id")).where(UrgentInvite.sent_at >= since)


@urgent.register_weekly_contacts
def _proposals_since(user_id_column, since: datetime):
    """For the urgent calls' cap: this person's proposals since then (a correlated count)."""
    return (select(func.count(Proposal.id)).where(Proposal.user_id == user_id_column, Proposal.created_at > since)
            .correlate_except(Proposal).scalar_subquery())
