"""People queries shared by views and other areas (mail recipients, demo data)."""
from __future__ import annotations

from sqlalchemy import Select, exists, select

from app.accounts.models import Role, User
from app.extensions import db
from app.offices.models import District
from app.people.models import VolunteerLanguage, VolunteerProfile

# Languages the network meets most (DOMAIN.md), offered in filters and profiles.
COMMON_LANGUAGES = ["de", "ar", "en", "fa", "ku", "uk", "tr", "ru", "ti", "prs", "fr"]


def volunteer_recipients(office_id: int, district_id: int | None = None,
                         language: str | None = None) -> Select:
    """SELECT (user_id, email, name, locale) of confirmed, active volunteers living in the
    office's districts, optionally one district and one language — for set-based mailing."""
    stmt = (
        select(User.id, User.email, User.name, User.locale)
        .join(VolunteerProfile, VolunteerProfile.user_id == User.id)
        .join(District, District.id == VolunteerProfile.district_id)
        .where(User.role == Role.VOLUNTEER, User.active.is_(True), User.confirmed_at.is_not(None),
               District.office_id == office_id)
    )
    if district_id:
        stmt = stmt.where(VolunteerProfile.district_id == district_id)
    if language:
        stmt = stmt.where(exists().where(VolunteerLanguage.user_id == User.id,
                                         VolunteerLanguage.code == language))
    return stmt


def count_rows(stmt: Select) -> int:
    from sqlalchemy import func

    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
