"""Deterministic demo data: the real offices, a coordinator per office, a few hundred volunteers
with names, languages and districts, and some partner organisations."""
from __future__ import annotations

import random

from flask import current_app
from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.accounts.services import hash_password
from app.core.timeutil import utcnow
from app.extensions import db
from app.offices.models import District, Office
from app.offices.reference import load_reference_data
from app.people.models import (Organisation, OrganisationState, OrganisationType, VolunteerLanguage,
                               VolunteerProfile)
from app.people.reference import load_people_reference

FIRST = ["Anna", "Jonas", "Maria", "Lukas", "Fatima", "Ahmad", "Olena", "Mehmet", "Sophie", "Yusuf",
         "Elif", "Thomas", "Sara", "Dmytro", "Leyla", "Peter", "Amina", "Karim", "Ursula", "Hamid",
         "Birgit", "Nour", "Wolfgang", "Zahra", "Helga", "Tesfay", "Iryna", "Klaus", "Reza", "Monika",
         "Aylin", "Jürgen", "Hevin", "Gisela", "Omar", "Renate", "Samir", "Natalia", "Dieter", "Merhawit"]
LAST = ["Müller", "Schmidt", "Yılmaz", "Haddad", "Kowalenko", "Becker", "Hoffmann", "Rahimi", "Schulz",
        "Demir", "Wagner", "Al-Hassan", "Koch", "Tesfaye", "Richter", "Karimi", "Klein", "Bondarenko",
        "Wolf", "Öztürk", "Schröder", "Nazari", "Neumann", "Ibrahim", "Schwarz", "Kaya", "Zimmermann",
        "Petrenko", "Braun", "Mahmoud", "Krüger", "Hosseini", "Hartmann", "Abebe", "Lange", "Ahmadi"]
LANGS = ["ar", "en", "fa", "ku", "uk", "tr", "ru", "ti", "prs", "fr"]
LEVELS = [1, 2, 2, 3, 3, 4]  # LanguageLevel: basic, good, fluent, native
ORGS = [
    ("Sportverein Eintracht Brackel", "association", "Brackel"),
    ("Ev. Kirchengemeinde Hörde", "parish", "Hörde"),
    ("Nachbarschaftsinitiative Nordstadt", "initiative", "Innenstadt-Nord"),
    ("Grundschule am Hafen", "school", "Innenstadt-Nord"),
    ("Kulturverein Lütgendortmund", "association", "Lütgendortmund"),
    ("Wohnungsgesellschaft Dortmund-Ost", "company", "Scharnhorst"),
    ("Jobcenter Dortmund, Team Integration", "administration", "Innenstadt-West"),
    ("Moscheegemeinde Eving", "mosque", "Eving"),
]

DEMO_LOGINS = [
    ("admin", "admin@willkommen.example"),
    ("coordinator", "koordination.brackel-aplerbeck@willkommen.example"),
    ("coordinator", "koordination.innenstadt-nord@willkommen.example"),
    ("volunteer", "ehrenamt001@willkommen.example"),
    ("partner", "kontakt01@partner.example"),
]


def seed_demo(volunteers: int = 300, only_if_empty: bool = False) -> dict[str, int]:
    created = {"admins": 0, "coordinators": 0, "volunteers": 0, "organisations": 0}
    if only_if_empty and db.session.scalar(select(func.count()).select_from(User)):
        return created
    load_reference_data()
    load_people_reference()
    rng = random.Random(20261125)  # deterministic: the same demo on every machine
    pw = hash_password(current_app.config["DEMO_PASSWORD"])  # hashed once, shared by the demo
    now = utcnow()
    existing = set(db.session.scalars(select(User.email)))

    def user(email: str, name: str, role: Role, **kw) -> User | None:
        if email in existing:
            return None
        u = User(email=email, name=name, role=role, password_hash=pw, confirmed_at=now, **kw)
        db.session.add(u)
        existing.add(email)
        return u

    if user("admin@willkommen.example", "Alex Admin", Role.ADMIN):
        created["admins"] += 1
    offices = db.session.scalars(select(Office).order_by(Office.id)).all()
    for i, office in enumerate(offices):
        name = f"{FIRST[(i * 7) % len(FIRST)]} {LAST[(i * 5) % len(LAST)]}"
        u = user(f"koordination.{office.slug}@willkommen.example", name, Role.COORDINATOR)
        if u:
            u.offices = [office]
            created["coordinators"] += 1

    districts = db.session.scalars(select(District).order_by(District.id)).all()
    for n in range(1, volunteers + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        district = rng.choice(districts)
        langs = rng.sample(LANGS, rng.choice([0, 1, 1, 2, 2, 3]))
        levels = [rng.choice(LEVELS) for _ in langs]
        u = user(f"ehrenamt{n:03d}@willkommen.example", f"{first} {last}", Role.VOLUNTEER,
                 locale=rng.choice(["de", "de", "de", "en"]))
        if u is None:
            continue
        profile = VolunteerProfile(user=u, district=district, offices=[district.office] if district.office else [])
        profile.languages = [VolunteerLanguage(code="de", level=rng.choice(LEVELS[2:]))] + [
            VolunteerLanguage(code=c, level=lv) for c, lv in zip(langs, levels)]
        db.session.add(profile)
        created["volunteers"] += 1

    by_name = {d.name: d for d in districts}
    known_orgs = set(db.session.scalars(select(Organisation.name)))
    for i, (name, kind, district) in enumerate(ORGS, start=1):
        if name in known_orgs:
            continue
        org = Organisation(name=name, kind=OrganisationType(kind), districts=[by_name[district]],
                           state=OrganisationState.APPROVED, approved_at=now, decided_at=now)
        db.session.add(org)
        contact = user(f"kontakt{i:02d}@partner.example", f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                       Role.PARTNER)
        if contact:
            contact.organisation = org
        created["organisations"] += 1
    db.session.commit()
    return created
