"""People: volunteers' profiles, consent by purpose, partner organisations, editable lists.

Sets that filters must search fast are stored so a filter is one SQL comparison: language levels
as small integers ("at least good" is `level >= 2`), weekly availability and wanted activity
kinds as bit sets (`availability & bit != 0`)."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, Index, SmallInteger, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.timeutil import utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.accounts.models import User
    from app.offices.models import District, Office


def _enum(e: type[enum.Enum], length: int = 20):
    return db.Enum(e, native_enum=False, length=length, values_callable=lambda x: [m.value for m in x])


# ---------------------------------------------------------------- vocabularies
class LanguageLevel(enum.IntEnum):
    """Levels a person understands; ordered, so "at least good" is one comparison."""

    BASIC = 1
    GOOD = 2
    FLUENT = 3
    NATIVE = 4

    @property
    def label(self) -> str:
        return str(LEVEL_LABELS[self])


LEVEL_LABELS = {
    LanguageLevel.BASIC: _l("basic"),
    LanguageLevel.GOOD: _l("good"),
    LanguageLevel.FLUENT: _l("fluent"),
    LanguageLevel.NATIVE: _l("native language"),
}


class ActivityKind(enum.IntEnum):
    """Kinds of activity a volunteer wants, or an organisation offers (bit positions: stable)."""

    LANGUAGE_COURSE = 0
    THEATRE = 1
    ROUND_TABLE = 2
    EVENT = 3
    NEED_HELP = 4

    @property
    def bit(self) -> int:
        return 1 << self.value

    @property
    def label(self) -> str:
        return str(ACTIVITY_KIND_LABELS[self])


ACTIVITY_KIND_LABELS = {
    ActivityKind.LANGUAGE_COURSE: _l("Language courses and language cafés"),
    ActivityKind.THEATRE: _l("Theatre and arts"),
    ActivityKind.ROUND_TABLE: _l("Round tables"),
    ActivityKind.EVENT: _l("Events and festivals"),
    ActivityKind.NEED_HELP: _l("One-off help with a need"),
}

DAY_PARTS = ("morning", "afternoon", "evening")
DAY_PART_LABELS = {"morning": _l("morning"), "afternoon": _l("afternoon"), "evening": _l("evening")}


def slot_bit(weekday: int, part: int) -> int:
    """Bit of one weekly slot: weekday 0 = Monday, part 0/1/2 = morning/afternoon/evening."""
    return 1 << (weekday * 3 + part)


ALL_SLOTS = (1 << 21) - 1


class ChoiceItem(db.Model):
    """An entry of a list that admins edit: skills and interests, need categories. Labels in
    German and English; retired entries stay (old profiles keep them) but are no longer offered."""

    __tablename__ = "choice_items"
    __table_args__ = (UniqueConstraint("list_name", "key"),)

    SKILLS = "skill"
    NEED_CATEGORIES = "need_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    list_name: Mapped[str] = mapped_column(String(20), index=True)
    key: Mapped[str] = mapped_column(String(40))
    label_de: Mapped[str] = mapped_column(String(120))
    label_en: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    def label(self, locale: str = "de") -> str:
        return self.label_en if locale == "en" and self.label_en else self.label_de


# ---------------------------------------------------------------- consent
class ConsentPurpose(str, enum.Enum):
    PRIVACY = "privacy"  # the privacy notice accepted at registration (not optional)
    CONTACT = "contact"  # to be contacted about new opportunities and needs
    SHARE_WITH_PARTNER = "share_with_partner"  # name and phone to the organisation running an activity
    PHOTOS = "photos"  # to appear in photos of theatre projects and festivals

    @property
    def label(self) -> str:
        return str(PURPOSE_LABELS[self])


PURPOSE_LABELS = {
    ConsentPurpose.PRIVACY: _l("Privacy notice"),
    ConsentPurpose.CONTACT: _l("Contact about new opportunities and needs"),
    ConsentPurpose.SHARE_WITH_PARTNER: _l("Name and phone for partner organisations"),
    ConsentPurpose.PHOTOS: _l("Photos at theatre projects and festivals"),
}
OPTIONAL_PURPOSES = (ConsentPurpose.CONTACT, ConsentPurpose.SHARE_WITH_PARTNER, ConsentPurpose.PHOTOS)


class ConsentText(db.Model):
    """One version of the privacy notice or of a consent text. Published versions never change;
    a new wording is a new version, and people are asked again at their next log-in."""

    __tablename__ = "consent_texts"
    __table_args__ = (UniqueConstraint("purpose", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[ConsentPurpose] = mapped_column(_enum(ConsentPurpose), index=True)
    version: Mapped[int]
    title_de: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    body_de: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def title(self, locale: str = "de") -> str:
        return self.title_en if locale == "en" else self.title_de

    def body(self, locale: str = "de") -> str:
        return self.body_en if locale == "en" else self.body_de


class ConsentRecord(db.Model):
    """One answer: given or withdrawn, to which text version, when. The latest per purpose is
    what counts; older rows are the history."""

    __tablename__ = "consent_records"
    __table_args__ = (Index("ix_consent_records_user_purpose", "user_id", "purpose", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[ConsentPurpose] = mapped_column(_enum(ConsentPurpose))
    text_id: Mapped[int] = mapped_column(ForeignKey("consent_texts.id", ondelete="RESTRICT"))
    given: Mapped[bool]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # who recorded it: the person (None) or a coordinator at the office on their behalf
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    text: Mapped[ConsentText] = relationship()


class VolunteerConsent(db.Model):
    """The current answer per person and purpose, kept beside the history so that recipient
    queries are one indexed join (`contact` given) instead of "latest row per group"."""

    __tablename__ = "volunteer_consents"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    purpose: Mapped[ConsentPurpose] = mapped_column(_enum(ConsentPurpose), primary_key=True)
    given: Mapped[bool]
    text_id: Mapped[int] = mapped_column(ForeignKey("consent_texts.id", ondelete="RESTRICT"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    text: Mapped[ConsentText] = relationship()


# ---------------------------------------------------------------- organisations
class OrganisationType(str, enum.Enum):
    ASSOCIATION = "association"
    PARISH = "parish"
    MOSQUE = "mosque"
    INITIATIVE = "initiative"
    SCHOOL = "school"
    ADMINISTRATION = "administration"
    COMPANY = "company"
    WELFARE = "welfare"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(ORGANISATION_TYPE_LABELS[self])


ORGANISATION_TYPE_LABELS = {
    OrganisationType.ASSOCIATION: _l("Association"),
    OrganisationType.PARISH: _l("Parish"),
    OrganisationType.MOSQUE: _l("Mosque community"),
    OrganisationType.INITIATIVE: _l("Initiative"),
    OrganisationType.SCHOOL: _l("School"),
    OrganisationType.ADMINISTRATION: _l("Public administration or authority"),
    OrganisationType.COMPANY: _l("Company"),
    OrganisationType.WELFARE: _l("Welfare association"),
    OrganisationType.OTHER: _l("Other"),
}


class OrganisationState(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    INACTIVE = "inactive"

    @property
    def label(self) -> str:
        return str(ORGANISATION_STATE_LABELS[self])


ORGANISATION_STATE_LABELS = {
    OrganisationState.PENDING: _l("waiting for approval"),
    OrganisationState.APPROVED: _l("approved"),
    OrganisationState.REFUSED: _l("refused"),
    OrganisationState.INACTIVE: _l("deactivated"),
}

organisation_districts = Table(
    "organisation_districts",
    db.metadata,
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
    Column("district_id", ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True, index=True),
)

organisation_need_categories = Table(
    "organisation_need_categories",
    db.metadata,
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
    Column("item_id", ForeignKey("choice_items.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Organisation(db.Model):
    """A partner organisation (association, parish, initiative, school, ...)."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[OrganisationType] = mapped_column(_enum(OrganisationType, 40), default=OrganisationType.ASSOCIATION)
    website: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    offers_kinds: Mapped[int] = mapped_column(default=0)  # ActivityKind bits
    state: Mapped[OrganisationState] = mapped_column(_enum(OrganisationState), default=OrganisationState.PENDING,
                                                     index=True)
    approved_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None]  # no foreign key (users → organisations already has one); audit log has who
    refusal_reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contacts: Mapped[list[User]] = relationship(back_populates="organisation",
                                                foreign_keys="User.organisation_id")
    districts: Mapped[list[District]] = relationship(secondary=organisation_districts, order_by="District.name")
    need_categories: Mapped[list[ChoiceItem]] = relationship(secondary=organisation_need_categories,
                                                             order_by="ChoiceItem.position")

    @property
    def is_approved(self) -> bool:
        return self.state == OrganisationState.APPROVED

    def offers(self) -> list[ActivityKind]:
        return [k for k in ActivityKind if self.offers_kinds & k.bit]


# ---------------------------------------------------------------- volunteers
class VolunteerStatus(str, enum.Enum):
    NEW = "new"
    INTRODUCED = "introduced"
    ACTIVE = "active"
    PAUSED = "paused"
    LEFT = "left"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    VolunteerStatus.NEW: _l("new"),
    VolunteerStatus.INTRODUCED: _l("introduced"),
    VolunteerStatus.ACTIVE: _l("active"),
    VolunteerStatus.PAUSED: _l("paused"),
    VolunteerStatus.LEFT: _l("left"),
}

volunteer_offices = Table(
    "volunteer_offices",
    db.metadata,
    Column("user_id", ForeignKey("volunteer_profiles.user_id", ondelete="CASCADE"), primary_key=True),
    Column("office_id", ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True, index=True),
)

volunteer_skills = Table(
    "volunteer_skills",
    db.metadata,
    Column("user_id", ForeignKey("volunteer_profiles.user_id", ondelete="CASCADE"), primary_key=True),
    Column("item_id", ForeignKey("choice_items.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class VolunteerProfile(db.Model):
    """What a volunteer brings, and how coordinators look after them."""

    __tablename__ = "volunteer_profiles"
    __table_args__ = (Index("ix_volunteer_profiles_status", "status"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("districts.id", ondelete="SET NULL"), index=True
    )
    phone: Mapped[str] = mapped_column(String(40), default="")
    hours_per_month: Mapped[int | None] = mapped_column(SmallInteger)
    availability: Mapped[int] = mapped_column(default=0)  # slot_bit() set
    wanted_kinds: Mapped[int] = mapped_column(default=0)  # ActivityKind bits
    status: Mapped[VolunteerStatus] = mapped_column(_enum(VolunteerStatus), default=VolunteerStatus.NEW)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]  # the profile steps were gone through once
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()
    district: Mapped[District | None] = relationship()
    languages: Mapped[list[VolunteerLanguage]] = relationship(
        cascade="all, delete-orphan", order_by="VolunteerLanguage.level.desc()"
    )
    offices: Mapped[list[Office]] = relationship(secondary=volunteer_offices, order_by="Office.name")
    skills: Mapped[list[ChoiceItem]] = relationship(secondary=volunteer_skills, order_by="ChoiceItem.position")

    def wants(self) -> list[ActivityKind]:
        return [k for k in ActivityKind if self.wanted_kinds & k.bit]

    def free(self, weekday: int, part: int) -> bool:
        return bool(self.availability & slot_bit(weekday, part))


class VolunteerLanguage(db.Model):
    __tablename__ = "volunteer_languages"
    __table_args__ = (UniqueConstraint("user_id", "code"), Index("ix_volunteer_languages_code_level", "code", "level"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("volunteer_profiles.user_id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(8))  # ISO 639-1 or -3, e.g. "ar", "fa", "kmr", "prs"
    level: Mapped[int] = mapped_column(SmallInteger, default=LanguageLevel.NATIVE)  # LanguageLevel

    @property
    def level_label(self) -> str:
        return LanguageLevel(self.level).label


class StatusChange(db.Model):
    __tablename__ = "volunteer_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profiles.user_id", ondelete="CASCADE"), index=True)
    old_status: Mapped[VolunteerStatus | None] = mapped_column(_enum(VolunteerStatus))
    new_status: Mapped[VolunteerStatus] = mapped_column(_enum(VolunteerStatus))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    changed_by: Mapped[User | None] = relationship(foreign_keys=[changed_by_id])


class VolunteerNote(db.Model):
    """A coordinator's internal note about a volunteer; the volunteer never sees it."""

    __tablename__ = "volunteer_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profiles.user_id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])


__all__ = [
    "ActivityKind", "ChoiceItem", "ConsentPurpose", "ConsentRecord", "ConsentText", "LanguageLevel",
    "Organisation", "OrganisationState", "OrganisationType", "StatusChange", "VolunteerConsent",
    "VolunteerLanguage", "VolunteerNote", "VolunteerProfile", "VolunteerStatus", "organisation_districts",
    "organisation_need_categories", "volunteer_offices", "volunteer_skills"
]
