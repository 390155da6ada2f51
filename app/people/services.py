"""People queries shared by views and other areas (mail recipients, demo data)."""
from __future__ import annotations

from sqlalchemy import Select, exists, select

from app.accounts.models import Role, User
from app.extensions import db
from app.people.consent import join_given
from app.people.languages import TOP_LANGUAGES
from app.people.models import ConsentPurpose, VolunteerLanguage, VolunteerProfile, volunteer_offices

# Languages the network meets most (DOMAIN.md): the profile's first choices, so that a message
# can reach exactly those who chose one of them (Kurmanji is `kmr`, Sorani `ckb`, not `ku`).
COMMON_LANGUAGES = TOP_LANGUAGES


def contactable_volunteers() -> Select:
    """SELECT (user_id, email, name, locale) of every volunteer who may be contacted about new
    opportunities and needs: confirmed, active, not deleted, and their current `contact` consent
    is given (one join on volunteer_consents). The base of every recipient query — coordinators'
    messages (`volunteer_recipients`), and later matching proposals and urgent calls: add joins
    and WHERE clauses to it, never start from `users` alone. A withdrawal counts from its commit."""
    stmt = (
        select(User.id, User.email, User.name, User.locale)
        .where(User.role == Role.VOLUNTEER, User.active.is_(True), User.confirmed_at.is_not(None),
               User.deleted_at.is_(None))
    )
    return join_given(stmt, User.id, ConsentPurpose.CONTACT)


def volunteer_recipients(office_id: int, district_id: int | None = None,
                         language: str | None = None) -> Select:
    """SELECT (user_id, email, name, locale) of contactable volunteers (see
    `contactable_volunteers`) who chose to work with the office (`volunteer_offices`, the same
    scope as the directory's: a person who chose only another office is not the office's to
    write to, wherever they live), optionally living in one district and speaking one language —
    for set-based mailing (`send_message` writes them with one INSERT … SELECT)."""
    stmt = contactable_volunteers().where(
        User.id.in_(select(volunteer_offices.c.user_id).where(volunteer_offices.c.office_id == office_id)))
    if district_id:
        stmt = stmt.where(User.id.in_(select(VolunteerProfile.user_id)
                                      .where(VolunteerProfile.district_id == district_id)))
    if language:
        stmt = stmt.where(exists().where(VolunteerLanguage.user_id == User.id,
                                         VolunteerLanguage.code == language))
    return stmt


def count_rows(stmt: Select) -> int:
    from sqlalchemy import func

    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
