"""Reference data: Dortmund's 12 districts and the network's seven offices (DOMAIN.md).

Addresses and satellite locations are plausible placeholders for the demo, not official data;
admins correct them in the UI. Loading is idempotent: existing rows are left as edited."""
from __future__ import annotations

from datetime import time

from sqlalchemy import select

from app.extensions import db
from app.offices.models import District, Office, SatelliteLocation

DISTRICTS = [
    "Innenstadt-West", "Innenstadt-Nord", "Innenstadt-Ost", "Eving", "Scharnhorst", "Brackel",
    "Aplerbeck", "Hörde", "Hombruch", "Lütgendortmund", "Huckarde", "Mengede",
]

OFFICES = [
    # slug, name, operator, founded, districts, street, postcode
    ("brackel-aplerbeck", "Brackel + Aplerbeck", "Caritas", 2016, ["Brackel", "Aplerbeck"],
     "Oesterholzstraße 11", "44309"),
    ("mengede-huckarde", "Mengede + Huckarde", "Diakonie", 2017, ["Mengede", "Huckarde"],
     "Siegburgstraße 5", "44359"),
    ("hoerde-hombruch", "Hörde + Hombruch", "AWO", 2017, ["Hörde", "Hombruch"],
     "Hörder Bahnhofstraße 6", "44263"),
    ("eving-scharnhorst", "Eving + Scharnhorst", "Deutsches Rotes Kreuz", 2018,
     ["Eving", "Scharnhorst"], "Deutsche Straße 27", "44339"),
    ("luetgendortmund", "Lütgendortmund", "", 2018, ["Lütgendortmund"],
     "Limbecker Straße 31", "44388"),
    ("innenstadt-west-ost", "Innenstadt-West + Innenstadt-Ost", "", 2019,
     ["Innenstadt-West", "Innenstadt-Ost"], "Kaiserstraße 60", "44135"),
    ("innenstadt-nord", "Innenstadt-Nord", "", 2019, ["Innenstadt-Nord"],
     "Mallinckrodtstraße 82", "44145"),
]

SATELLITES = [
    # office slug, name, street, postcode, weekday (0=Mon), opens, closes, note
    ("brackel-aplerbeck", "Gemeinderaum St. Clemens", "Flughafenstraße 26", "44309", 1, 14, 16,
     "Begegnungscafé nebenan"),
    ("brackel-aplerbeck", "Stadtteilcafé Aplerbeck", "Köln-Berliner-Straße 14", "44287", 3, 10, 12, ""),
    ("mengede-huckarde", "Nachbarschaftstreff Huckarde", "Parsevalstraße 9", "44369", 2, 14, 16, ""),
    ("hoerde-hombruch", "Quartierstreff Phoenix-West", "Hochofenstraße 2", "44263", 0, 15, 17,
     "Sprachcafé im Anschluss"),
    ("eving-scharnhorst", "Familienzentrum Scharnhorst", "Gleiwitzstraße 277", "44328", 1, 9, 11, ""),
    ("innenstadt-nord", "Café am Nordmarkt", "Nordmarkt 19", "44145", 4, 13, 15,
     "Begegnungscafé"),
    ("innenstadt-west-ost", "Bürgerhaus Kaiserviertel", "Körner Hellweg 40", "44143", 2, 16, 18, ""),
]


def load_reference_data() -> dict[str, int]:
    """Create missing districts, offices and satellites. Returns how many rows were created."""
    created = {"districts": 0, "offices": 0, "satellites": 0}
    districts = {d.name: d for d in db.session.scalars(select(District))}
    for name in DISTRICTS:
        if name not in districts:
            districts[name] = District(name=name)
            db.session.add(districts[name])
            created["districts"] += 1
    offices = {o.slug: o for o in db.session.scalars(select(Office))}
    for slug, name, operator, founded, district_names, street, postcode in OFFICES:
        if slug in offices:
            continue
        office = Office(slug=slug, name=name, operator=operator, founded_year=founded,
                        street=street, postcode=postcode,
                        email=f"{slug}@willkommen-dortmund.example", phone="0231 50-0",
                        opening_hours="Mo–Do 9–12 Uhr, Di 14–17 Uhr")
        for d in district_names:
            if districts[d].office_id is None and districts[d].office is None:
                office.districts.append(districts[d])
        db.session.add(office)
        offices[slug] = office
        created["offices"] += 1
        for o_slug, s_name, s_street, s_post, wd, opens, closes, note in SATELLITES:
            if o_slug == slug:
                office.satellites.append(SatelliteLocation(
                    name=s_name, street=s_street, postcode=s_post, weekday=wd,
                    opens_at=time(opens), closes_at=time(closes), note=note))
                created["satellites"] += 1
    db.session.commit()
    return created
