"""Who may see and change what in the offices area — the one place that decides it."""
from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from app.core.permissions import can_act_in_office, get_in_scope_or_404, scope_to_offices
from app.offices.models import Office, SatelliteLocation


def visible_offices_stmt(user=None):
    """Offices a user may see: all for admins, their own for coordinators."""
    return scope_to_offices(select(Office), Office.id, user or current_user)


def office_or_404(office_id: int) -> Office:
    return get_in_scope_or_404(Office, office_id, lambda o: o.id)


def satellite_or_404(office: Office, satellite_id: int) -> SatelliteLocation:
    sat = get_in_scope_or_404(SatelliteLocation, satellite_id, lambda s: s.office_id)
    if sat.office_id != office.id:
        abort(404)
    return sat


def can_edit_office(user=None) -> bool:
    """Only admins change an office's master data and districts; coordinators run satellites."""
    user = user or current_user
    return user.is_authenticated and user.is_admin


def can_manage_satellites(office: Office, user=None) -> bool:
    return can_act_in_office(user or current_user, office.id)
