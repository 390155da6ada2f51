"""Deterministic demo data: the real offices, a coordinator per office, a few hundred volunteers
with full profiles (languages with levels, skills, weekly times, consents, statuses) and partner
organisations (approved, pending, refused; some with several contacts). Safe to run twice."""
from __future__ import annotations

import random
from typing import Callable

from flask import current_app
from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.accounts.services import hash_password
from app.core.timeutil import utcnow
from app.extensions import db
from app.offices.models import District, Office
from app.offices.reference import load_reference_data
from app.people.models import (ActivityKind, ChoiceItem, ConsentPurpose, ConsentRecord, ConsentText,
                               Organisation, OrganisationState, OrganisationType, VolunteerConsent,
                               VolunteerLanguage, VolunteerProfile, VolunteerStatus, slot_bit)
from app.people.reference import load_people_reference

FIRST = ["Anna", "Jonas", "Maria", "Lukas", "Fatima", "Ahmad", "Olena", "Mehmet", "Sophie", "Yusuf",
         "Elif", "Thomas", "Sara", "Dmytro", "Leyla", "Peter", "Amina", "Karim", "Ursula", "Hamid",
         "Birgit", "Nour", "Wolfgang", "Zahra", "Helga", "Tesfay", "Iryna", "Klaus", "Reza", "Monika",
         "Aylin", "Jürgen", "Hevin", "Gisela", "Omar", "Renate", "Samir", "Natalia", "Dieter", "Merhawit"]
LAST = ["Müller", "Schmidt", "Yılmaz", "Haddad", "Kowalenko", "Becker", "Hoffmann", "Rahimi", "Schulz",
        "Demir", "Wagner", "Al-Hassan", "Koch", "Tesfaye", "Richter", "Karimi", "Klein", "Bondarenko",
        "Wolf", "Öztürk", "Schröder", "Nazari", "Neumann", "Ibrahim", "Schwarz", "Kaya", "Zimmermann",
        "Petrenko", "Braun", "Mahmoud", "Krüger", "Hosseini", "Hartmann", "Abebe", "Lange", "Ahmadi"]
LANGS = ["ar", "en", "fa", "kmr", "uk", "tr", "ru", "ti", "prs", "fr", "ckb", "ps", "so"]
LEVELS = [1, 2, 2, 3, 3, 4]  # LanguageLevel: basic, good, fluent, native
_A, _P, _R = OrganisationState.APPROVED, OrganisationState.PENDING, OrganisationState.REFUSED
ORGS = [  # name, type, district, state, number of contacts
    ("Sportverein Eintracht Brackel", "association", "Brackel", _A, 2),
    ("Ev. Kirchengemeinde Hörde", "parish", "Hörde", _A, 1),
    ("Nachbarschaftsinitiative Nordstadt", "initiative", "Innenstadt-Nord", _A, 3),
    ("Grundschule am Hafen", "school", "Innenstadt-Nord", _A, 1),
    ("Kulturverein Lütgendortmund", "association", "Lütgendortmund", _A, 1),
    ("Wohnungsgesellschaft Dortmund-Ost", "company", "Scharnhorst", _A, 1),
    ("Jobcenter Dortmund, Team Integration", "administration", "Innenstadt-West", _A, 2),
    ("Moscheegemeinde Eving", "mosque", "Eving", _A, 1),
    ("Elterncafé Aplerbeck", "initiative", "Aplerbeck", _P, 1),
    ("Repair-Café Huckarde", "initiative", "Huckarde", _P, 2),
    ("Fahrradwerkstatt Hombruch", "association", "Hombruch", _R, 1),
]

# Areas add their demo data with `register_demo_step(fn)`: fn() runs after the accounts above
# exist (in its own transaction) and returns {what: how many created}. Core imports no area.
DEMO_STEPS: list[Callable[[], dict[str, int]]] = []


def register_demo_step(fn: Callable[[], dict[str, int]]) -> Callable[[], dict[str, int]]:
    if fn not in DEMO_STEPS:
        DEMO_STEPS.append(fn)
    return fn


DEMO_LOGINS = [
    ("admin", "admin@willkommen.example"),
    ("coordinator", "koordination.brackel-aplerbeck@willkommen.example"),
    ("coordinator", "koordination.innenstadt-nord@willkommen.example"),
    ("volunteer", "ehrenamt001@willkommen.example"),
    ("partner", "kontakt01@partner.example"),  # Sportverein Eintracht Brackel, approved
    ("partner (pending)", "kontakt09@partner.example"),  # Elterncafé Aplerbeck, waiting for approval
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
    skills = db.session.scalars(select(ChoiceItem).where(ChoiceItem.list_name == ChoiceItem.SKILLS)
                                .order_by(ChoiceItem.position)).all()
    needs = db.session.scalars(select(ChoiceItem).where(ChoiceItem.list_name == ChoiceItem.NEED_CATEGORIES)
                               .order_by(ChoiceItem.position)).all()
    texts = {t.purpose: t for t in db.session.scalars(select(ConsentText).order_by(ConsentText.version))}
    statuses = [VolunteerStatus.ACTIVE] * 5 + [VolunteerStatus.NEW] * 2 + [
        VolunteerStatus.INTRODUCED, VolunteerStatus.PAUSED, VolunteerStatus.LEFT]
    for n in range(1, volunteers + 1):
        # every random draw happens before the "exists already" check: a second run draws the
        # same sequence and so builds (or skips) exactly the same people
        first, last = rng.choice(FIRST), rng.choice(LAST)
        district = rng.choice(districts)
        langs = rng.sample(LANGS, rng.choice([0, 1, 1, 2, 2, 3]))
        levels = [rng.choice(LEVELS) for _ in langs]
        german = rng.choice(LEVELS[1:])
        locale = rng.choice(["de", "de", "de", "en"])
        own_skills = rng.sample(skills, rng.choice([1, 2, 2, 3, 4])) if skills else []
        availability = 0
        for _ in range(rng.choice([1, 2, 3, 4, 6])):
            availability |= slot_bit(rng.randrange(7), rng.randrange(3))
        kinds = 0
        for kind in rng.sample(list(ActivityKind), rng.choice([1, 2, 3])):
            kinds |= kind.bit
        hours = rng.choice([None, 2, 4, 4, 8, 8, 12, 20])
        phone = rng.choice(["", f"0231 {rng.randrange(100000, 999999)}", f"0176 {rng.randrange(1000000, 9999999)}"])
        status = rng.choice(statuses)
        consents = [p for p, chance in ((ConsentPurpose.CONTACT, 0.8), (ConsentPurpose.SHARE_WITH_PARTNER, 0.55),
                                        (ConsentPurpose.PHOTOS, 0.4)) if rng.random() < chance]
        u = user(f"ehrenamt{n:03d}@willkommen.example", f"{first} {last}", Role.VOLUNTEER, locale=locale)
        if u is None:
            continue
        if n == 1:  # the demo volunteer of the README: reachable, with a complete profile
            status, consents = VolunteerStatus.ACTIVE, [ConsentPurpose.CONTACT, ConsentPurpose.SHARE_WITH_PARTNER]
        profile = VolunteerProfile(user=u, district=district, offices=[district.office] if district.office else [],
                                   skills=own_skills, availability=availability, wanted_kinds=kinds,
                                   hours_per_month=hours, phone=phone, status=status,
                                   completed_at=now)
        profile.languages = [VolunteerLanguage(code="de", level=german)] + [
            VolunteerLanguage(code=c, level=lv) for c, lv in zip(langs, levels) if c != "de"]
        db.session.add(profile)
        db.session.flush()  # the new account's id, for its consents
        for purpose in [ConsentPurpose.PRIVACY, *consents]:
            text = texts[purpose]
            db.session.add(ConsentRecord(user_id=u.id, purpose=purpose, text_id=text.id, given=True))
            db.session.add(VolunteerConsent(user_id=u.id, purpose=purpose, text_id=text.id, given=True))
        created["volunteers"] += 1

    by_name = {d.name: d for d in districts}
    known_orgs = set(db.session.scalars(select(Organisation.name)))
    for i, (name, kind, district, state, contacts) in enumerate(ORGS, start=1):
        contact_names = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(contacts)]
        org_needs = rng.sample(needs, 2) if needs else []
        if name in known_orgs:
            continue
        approved = state == OrganisationState.APPROVED
        org = Organisation(name=name, kind=OrganisationType(kind), districts=[by_name[district]], state=state,
                           approved_at=now if approved else None, decided_at=now if state != OrganisationState.PENDING else None,
                           refusal_reason="Bitte zuerst beim Runden Tisch vorstellen." if state == OrganisationState.REFUSED else "",
                           description=f"{name}: Wir unterstützen Neuzugewanderte in {district}.",
                           offers_kinds=ActivityKind.EVENT.bit | ActivityKind.NEED_HELP.bit,
                           need_categories=org_needs)
        db.session.add(org)
        for c, contact_name in enumerate(contact_names, start=1):
            email = f"kontakt{i:02d}@partner.example" if c == 1 else f"kontakt{i:02d}-{c}@partner.example"
            contact = user(email, contact_name, Role.PARTNER)
            if contact:
                contact.organisation = org
                contact.organisation_joined_at = now
        created["organisations"] += 1
    db.session.commit()
    for step in DEMO_STEPS:
        created.update(step())
    return created
