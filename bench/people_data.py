"""Volunteers with full profiles for the benchmarks, set-based (executemany of plain rows) and
deterministic for a given random generator: bench/directory.py and bench/matching.py fill with it."""
from __future__ import annotations

import random
from typing import Callable

from sqlalchemy import insert, select, text

from app.extensions import db

FIRST = ["Amina", "Bernd", "Carla", "Dilan", "Elif", "Farid", "Gisela", "Hassan", "Ingrid", "Jana", "Karim",
         "Leyla", "Marta", "Nasrin", "Olga", "Peter", "Rania", "Sven", "Tamara", "Ute", "Walid", "Yusuf", "Zehra"]
LAST = ["Haddad", "Müller", "Schmidt", "Yılmaz", "Kowalski", "Rahimi", "Becker", "Hoffmann", "Nasser", "Wagner",
        "Öztürk", "Schulz", "Karimi", "Weber", "Petrenko", "Fischer", "Ahmadi", "Koch", "Richter", "Bauer"]
LANGS = ["de", "ar", "fa", "prs", "kmr", "uk", "ru", "tr", "ti", "en", "fr", "ps", "so"]


def any_status(rng: random.Random):
    from app.people.models import VolunteerStatus

    return rng.choice(list(VolunteerStatus))


def mostly_active(rng: random.Random):
    """85 % active, the rest new, paused or left (what matching's candidates see)."""
    from app.people.models import VolunteerStatus

    if rng.random() < 0.85:
        return VolunteerStatus.ACTIVE
    return rng.choice([VolunteerStatus.NEW, VolunteerStatus.PAUSED, VolunteerStatus.LEFT])


def fill_volunteers(app, start: int, count: int, rng: random.Random, *,
                    status: Callable[[random.Random], object] = any_status, contact_share: float = 0.7) -> None:
    """`count` volunteers with full profiles (ids from `start`): a district of one office and
    sometimes a second office, 1–3 languages and skills, a random week grid, the contact consent
    for `contact_share` of them. Then the statistics are refreshed (ANALYZE), as in production."""
    from app.accounts.models import Role, User
    from app.core.timeutil import utcnow
    from app.offices.models import District
    from app.people.models import (ChoiceItem, ConsentPurpose, ConsentRecord, ConsentText, VolunteerConsent,
                                   VolunteerLanguage, VolunteerProfile, volunteer_offices, volunteer_skills)

    with app.app_context():
        now = utcnow()
        hashed = db.session.scalar(select(User.password_hash).where(User.email == "admin@bench.example"))
        districts = db.session.execute(select(District.id, District.office_id)).all()
        skills = list(db.session.scalars(select(ChoiceItem.id).where(ChoiceItem.list_name == ChoiceItem.SKILLS)))
        contact_text = db.session.scalar(select(ConsentText.id).where(ConsentText.purpose == ConsentPurpose.CONTACT))
        offices = sorted({o for _d, o in districts if o})
        users, profiles, langs, vskills, voffices, consents, records = [], [], [], [], [], [], []
        for uid in range(start, start + count):
            district_id, office_id = rng.choice(districts)
            users.append(dict(id=uid, email=f"v{uid:06d}@bench.example", name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                              password_hash=hashed, role=Role.VOLUNTEER, locale="de", confirmed_at=now, active=True,
                              session_version=1, created_at=now))
            profiles.append(dict(user_id=uid, district_id=district_id, phone=f"0231 {rng.randint(100000, 999999)}",
                                 hours_per_month=rng.choice([None, 4, 8, 12, 20]),
                                 availability=rng.getrandbits(21), wanted_kinds=rng.getrandbits(5),
                                 status=status(rng), status_changed_at=now, completed_at=now,
                                 created_at=now, updated_at=now))
            for code in rng.sample(LANGS, rng.randint(1, 3)):
                langs.append(dict(user_id=uid, code=code, level=rng.randint(1, 4)))
            for item in rng.sample(skills, rng.randint(1, 3)):
                vskills.append(dict(user_id=uid, item_id=item))
            mine = {office_id} | ({rng.choice(offices)} if rng.random() < 0.2 else set())
            for o in mine:
                voffices.append(dict(user_id=uid, office_id=o))
            if rng.random() < contact_share:
                consents.append(dict(user_id=uid, purpose=ConsentPurpose.CONTACT, given=True, text_id=contact_text,
                                     recorded_at=now))
                records.append(dict(user_id=uid, purpose=ConsentPurpose.CONTACT, given=True, text_id=contact_text,
                                    recorded_at=now))
        for model, rows in [(User, users), (VolunteerProfile, profiles), (VolunteerLanguage, langs),
                            (volunteer_skills, vskills), (volunteer_offices, voffices), (VolunteerConsent, consents),
                            (ConsentRecord, records)]:
            for i in range(0, len(rows), 5000):
                db.session.execute(insert(model), rows[i:i + 5000])
        db.session.commit()
        after_fill(("users", "volunteer_languages", "consent_records"))


def after_fill(serial_tables=()) -> None:
    """Sequences past the ids given by hand (PostgreSQL) and fresh planner statistics (both:
    SQLite's daily job `database-statistics` does the same in production)."""
    if db.engine.dialect.name == "postgresql":
        for table in serial_tables:
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT coalesce(max(id), 1) FROM {table}))"))
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # what autovacuum does soon after a bulk load in production: the trigram indexes' pending
        # entries (GIN's fast update) merged, without which the planner shuns those indexes
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE users")
