"""Office operations. Authorization is the caller's (app.offices.access); these just act."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

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


def save_office(office: Office | None, data: dict[str, Any], district_ids: list[int]) -> Office:
    """Create or update an office and the districts it covers (a district moves to this office)."""
    for name in ("name", "slug"):
        clash = db.session.scalar(select(Office.id).where(getattr(Office, name) == data[name]))
        if clash is not None and (office is None or clash != office.id):
            raise OfficeConflict(name)
    if office is None:
        office = Office()
        db.session.add(office)
    for f in OFFICE_FIELDS:
        value = data.get(f)
        setattr(office, f, value if value is not None or f == "founded_year" else "")
    chosen = set(district_ids)
    for district in db.session.scalars(select(District)):
        if district.id in chosen:
            district.office = office
        elif district.office is office:
            district.office = None
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise OfficeConflict("name") from None
    return office


def save_satellite(office: Office, satellite: SatelliteLocation | None, data: dict[str, Any]) -> SatelliteLocation:
    if satellite is None:
        satellite = SatelliteLocation(office=office)
        db.session.add(satellite)
    for f in SATELLITE_FIELDS:
        setattr(satellite, f, data[f] if data.get(f) is not None else ("" if f == "note" else data.get(f)))
    db.session.commit()
    return satellite


def delete_satellite(satellite: SatelliteLocation) -> None:
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
