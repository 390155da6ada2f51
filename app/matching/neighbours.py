"""Which districts neighbour each other — what the candidates' score reads ("lives next door in
…"). Admins keep the table (`/matching/districts`); pairs are stored in both directions, so a
change to one district's neighbours changes theirs too, in one transaction with an audit entry."""
from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import selectinload

from app.accounts.models import Role
from app.core import audit
from app.extensions import db
from app.matching.models import DistrictNeighbour
from app.offices.models import District


class NeighbourError(Exception):
    pass


def districts_with_neighbours() -> list[tuple[District, list[District]]]:
    """Every district (by name) with its neighbours by name; two statements."""
    districts = db.session.scalars(select(District).options(selectinload(District.office))
                                   .order_by(District.name)).all()
    by_id = {d.id: d for d in districts}
    pairs: dict[int, list[District]] = {d.id: [] for d in districts}
    for a, b in db.session.execute(select(DistrictNeighbour.district_id, DistrictNeighbour.neighbour_id)):
        if a in pairs and b in by_id:
            pairs[a].append(by_id[b])
    return [(d, sorted(pairs[d.id], key=lambda x: x.name)) for d in districts]


def neighbour_ids(district_id: int) -> set[int]:
    return set(db.session.scalars(select(DistrictNeighbour.neighbour_id)
                                  .where(DistrictNeighbour.district_id == district_id)))


def set_neighbours_of(actor, district_id: int, chosen: set[int]) -> tuple[set[int], set[int]]:
    """Make `chosen` exactly the district's neighbours (both directions). Returns (added,
    removed). Only admins; a district can't neighbour itself; unknown ids are refused."""
    if actor is None or actor.role != Role.ADMIN:
        raise NeighbourError("admin")
    district = db.session.get(District, district_id, with_for_update=True)
    if district is None:
        raise NeighbourError("district")
    chosen = set(chosen)
    if district_id in chosen:
        raise NeighbourError("itself")
    known = set(db.session.scalars(select(District.id).where(District.id.in_(sorted(chosen) or [-1]))))
    if known != chosen:
        raise NeighbourError("unknown")
    before = neighbour_ids(district_id)
    added, removed = chosen - before, before - chosen
    if removed:
        db.session.execute(delete(DistrictNeighbour).where(or_(
            (DistrictNeighbour.district_id == district_id) & DistrictNeighbour.neighbour_id.in_(sorted(removed)),
            (DistrictNeighbour.neighbour_id == district_id) & DistrictNeighbour.district_id.in_(sorted(removed)))))
    have = set(db.session.execute(select(DistrictNeighbour.district_id, DistrictNeighbour.neighbour_id).where(
        or_(DistrictNeighbour.district_id == district_id, DistrictNeighbour.neighbour_id == district_id))).all())
    for other in sorted(added):
        for pair in ((district_id, other), (other, district_id)):
            if pair not in have:
                db.session.add(DistrictNeighbour(district_id=pair[0], neighbour_id=pair[1]))
    if added or removed:
        names = dict(db.session.execute(select(District.id, District.name)
                                        .where(District.id.in_(sorted(added | removed)))).all())
        audit.record(actor, "district.neighbours_changed", district, office_id=district.office_id,
                     added=", ".join(sorted(names[i] for i in added)),
                     removed=", ".join(sorted(names[i] for i in removed)))
    db.session.commit()
    return added, removed
