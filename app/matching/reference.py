"""Reference data of matching: which of Dortmund's 12 districts share a border.

Taken from the map of the Stadtbezirke (north: Mengede, Eving, Scharnhorst; middle: Huckarde, the
three Innenstadt districts, Brackel; west: Lütgendortmund; south: Hombruch, Hörde, Aplerbeck) and
the districts' descriptions below.
Loading is idempotent and only links districts that exist by these names; admins' renamed
districts keep their pairs (the pairs are stored by id)."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.offices.models import District

NEIGHBOURS = [
    ("Innenstadt-West", "Innenstadt-Nord"), ("Innenstadt-West", "Innenstadt-Ost"),
    ("Innenstadt-West", "Huckarde"), ("Innenstadt-West", "Lütgendortmund"),
    ("Innenstadt-West", "Hombruch"), ("Innenstadt-West", "Hörde"),
    ("Innenstadt-Nord", "Innenstadt-Ost"), ("Innenstadt-Nord", "Huckarde"),
    ("Innenstadt-Nord", "Eving"), ("Innenstadt-Nord", "Scharnhorst"),
    ("Innenstadt-Ost", "Scharnhorst"), ("Innenstadt-Ost", "Brackel"),
    ("Innenstadt-Ost", "Aplerbeck"), ("Innenstadt-Ost", "Hörde"),
    ("Eving", "Mengede"), ("Eving", "Huckarde"), ("Eving", "Scharnhorst"),
    ("Scharnhorst", "Brackel"),
    ("Brackel", "Aplerbeck"),
    ("Aplerbeck", "Hörde"),
    ("Hörde", "Hombruch"),
    ("Hombruch", "Lütgendortmund"),
    ("Lütgendortmund", "Huckarde"),
    ("Huckarde", "Mengede"),
    ("Innenstadt-Nord", "Brackel"),
]
# Checked against the city's own descriptions (dortmund.de: Mengede "grenzt … im Osten an Eving, im
# Süden an Huckarde"; Innenstadt-Nord "im Westen an Huckarde, im Norden an Eving, im Osten an
# Scharnhorst und Brackel, im Süden an Innenstadt-West und Innenstadt-Ost"; Lütgendortmund "an
# Innenstadt-West, Hombruch und Huckarde"; Eving "im Westen an Mengede, im Südwesten an Huckarde,
# im Süden an Innenstadt-Nord, im Osten an Scharnhorst"). Admins correct them on
# /matching/districts (`app.matching.neighbours`).


def load_neighbours() -> int:
    """Add the missing pairs (both directions); returns how many rows were added."""
    from app.matching.models import DistrictNeighbour

    ids = dict(db.session.execute(select(District.name, District.id)).all())
    have = set(db.session.execute(select(DistrictNeighbour.district_id, DistrictNeighbour.neighbour_id)).all())
    added = 0
    for a, b in NEIGHBOURS:
        if a not in ids or b not in ids:
            continue
        for x, y in ((ids[a], ids[b]), (ids[b], ids[a])):
            if (x, y) not in have:
                db.session.add(DistrictNeighbour(district_id=x, neighbour_id=y))
                have.add((x, y))
                added += 1
    db.session.commit()
    return added


def set_neighbours(district_id: int, neighbour_id: int) -> None:
    """Make two districts neighbours (both directions; for tests and admins' corrections)."""
    from app.matching.models import DistrictNeighbour

    for x, y in ((district_id, neighbour_id), (neighbour_id, district_id)):
        if db.session.get(DistrictNeighbour, (x, y)) is None:
            db.session.add(DistrictNeighbour(district_id=x, neighbour_id=y))
    db.session.flush()


def _register() -> None:
    from app.core.cli import register_reference_loader

    register_reference_loader("district neighbours", load_neighbours)


_register()
