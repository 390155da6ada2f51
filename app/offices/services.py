"""Office operations. Authorization is the caller's (app.offices.access); these just act."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.core import audit
from app.extensions import db
from app.offices.models import District, Office, SatelliteLocation


class OfficeConflict(Exception):
    def __init__(self, field: str):
        super().__init__(field)
        self.field = field


OFFICE_FIELDS = ("name", "slug", "operator", "street", "postcode", "phone", "email",
                 "opening_hours", "founded_year")
SATELLITE_FIELDS = ("name", "street", "postcode", "weekday", "opens_at", "closes_at", "note", "active")


def all_districts() -> list[District]:
    return list(db.session.scalars(select(District).options(selectinload(District.office)).order_by(District.name)))


def _office_values(data: dict[str, Any]) -> dict[str, Any]:
    return {f: (data.get(f) if data.get(f) is not None or f == "founded_year" else "") for f in OFFICE_FIELDS}


def save_office(office: Office | None, data: dict[str, Any], district_ids: list[int], *, actor) -> Office:
    """Create or update an office and the districts it covers (a district moves to this office).

    Audited as office.created / office.updated with the changed field names and the district
    ids moved in and out; nothing is recorded when nothing changed."""
    for name in ("name", "slug"):
        clash = db.session.scalar(select(Office.id).where(getattr(Office, name) == data[name]))
        if clash is not None and (office is None or clash != office.id):
            raise OfficeConflict(name)
    created = office is None
    values = _office_values(data)
    if office is None:
        office = Office()
        db.session.add(office)
        fields = [f for f in OFFICE_FIELDS if values[f] not in ("", None)]
    else:
        fields = audit.changed_fields(office, values, OFFICE_FIELDS)
    for f, value in values.items():
        setattr(office, f, value)
    chosen = set(district_ids)
    added, removed = [], []
    with db.session.no_autoflush:  # a clash the pre-check missed shows at the flush below
        for district in db.session.scalars(select(District).options(selectinload(District.office))
                                           .order_by(District.id)):
            if district.id in chosen:
                if district.office is not office:
                    added.append(district.id)
                district.office = office
            elif district.office is office:
                district.office = None
                removed.append(district.id)
    try:
        db.session.flush()  # the new office's id; a clash is an IntegrityError here already
        if created or fields or added or removed:
            detail: dict[str, Any] = {"fields": fields}
            if added:
                detail["districts_added"] = added
            if removed:
                detail["districts_removed"] = removed
            audit.record(actor, "office.created" if created else "office.updated", office,
                         office_id=office.id, **detail)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise OfficeConflict("name") from None
    return office


def save_satellite(office: Office, satellite: SatelliteLocation | None, data: dict[str, Any], *,
                   actor) -> SatelliteLocation:
    """Create or update a satellite location; audited with the changed field names."""
    created = satellite is None
    values = {f: data[f] if data.get(f) is not None else ("" if f == "note" else data.get(f))
              for f in SATELLITE_FIELDS}
    if satellite is None:
        satellite = SatelliteLocation(office=office)
        db.session.add(satellite)
        fields = [f for f in SATELLITE_FIELDS if values[f] not in ("", None)]
    else:
        fields = audit.changed_fields(satellite, values, SATELLITE_FIELDS)
    for f, value in values.items():
        setattr(satellite, f, value)
    if created or fields:
        db.session.flush()
        audit.record(actor, "satellite.created" if created else "satellite.updated", satellite,
                     office_id=office.id, name=satellite.name, fields=fields)
    db.session.commit()
    return satellite


def delete_satellite(satellite: SatelliteLocation, *, actor) -> None:
    audit.record(actor, "satellite.deleted", satellite, office_id=satellite.office_id, name=satellite.name)
    db.session.delete(satellite)
    db.session.commit()


def offices_overview(stmt) -> list[Office]:
    """Offices with districts, satellites and coordinators in four queries, whatever the count."""
    return list(db.session.scalars(stmt.options(
        selectinload(Office.districts), selectinload(Office.satellites),
        selectinload(Office.coordinators)).order_by(Office.name)))


def public_offices() -> list[Office]:
    """Offices with districts and active satellite locations for the public start page.

    Only active satellite locations are loaded (Office.satellites holds just those here); the
    page shows every office's address, phone, e-mail and hours to anyone, logged in or not."""
    return list(db.session.scalars(select(Office).options(
        selectinload(Office.districts),
        selectinload(Office.satellites.and_(SatelliteLocation.active.is_(True)))).order_by(Office.name)))
