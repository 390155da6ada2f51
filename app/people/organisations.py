"""Partner organisations: registration, approval by the right office, colleagues, the public list.

Plain arguments in, domain objects out, one transaction per operation (the function commits).
An organisation is "of" an office when one of its districts belongs to that office; coordinators
act on the organisations of their offices only, admins on all.

Nothing here reveals whether an address has an account: registering an organisation with a known
address creates nothing and mails the owner a hint; inviting a known address mails the same
invitation as for an unknown one."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.accounts.models import Role, User
from app.accounts.services import join_organisation, leave_to_volunteer
from app.core import audit
from app.core.personal_data import register_section
from app.core.timeutil import utcnow
from app.core.tokens import TokenError, consume_token, make_token, read_token
from app.core.urls import external_url
from app.extensions import db
from app.mail.services import queue_mail, queue_mail_to_user, recently_mailed
from app.offices.models import District, Office
from app.people.models import (ActivityKind, ChoiceItem, Organisation, OrganisationState, OrganisationType,
                               organisation_districts)

INVITE_PARTNER = "invite-partner"
INVITE_MAX_AGE = 7 * 24 * 3600
MAX_DESCRIPTION = 2000
MAX_REASON = 500
MAILS_PER_ADDRESS_PER_HOUR = 3  # unasked-for mails to one address (as in accounts)


class OrganisationError(Exception):
    """A user-facing failure; `code` says which, `field` names the form field it belongs to."""

    def __init__(self, code: str, field: str | None = None):
        super().__init__(code)
        self.code = code
        self.field = field


@dataclass
class OrganisationData:
    """What a contact or a coordinator fills in about an organisation."""

    name: str
    kind: OrganisationType
    district_ids: list[int]
    website: str = ""
    description: str = ""
    offers: list[int] | None = None  # ActivityKind values
    need_category_ids: list[int] | None = None


# ---------------------------------------------------------------- which office, who may
def office_ids_of(org: Organisation) -> list[int]:
    """The offices whose districts the organisation works in, in a stable order."""
    return sorted({d.office_id for d in org.districts if d.office_id is not None})


def _org_offices_clause(offices: set[int]):
    return exists().where(organisation_districts.c.organisation_id == Organisation.id,
                          organisation_districts.c.district_id == District.id,
                          District.office_id.in_(offices or {-1}))


def organisations_for_offices(offices: set[int] | None, *, kind: OrganisationType | None = None,
                              district_id: int | None = None, state: OrganisationState | None = None,
                              name: str | None = None) -> Select:
    """Organisations of these offices (None: all, for admins), filtered in SQL, by name.
    Districts and need categories are loaded with the rows (one statement each)."""
    stmt = select(Organisation).options(selectinload(Organisation.districts))
    if offices is not None:
        stmt = stmt.where(_org_offices_clause(offices))
    if kind is not None:
        stmt = stmt.where(Organisation.kind == kind)
    if state is not None:
        stmt = stmt.where(Organisation.state == state)
    if district_id:
        stmt = stmt.where(exists().where(organisation_districts.c.organisation_id == Organisation.id,
                                         organisation_districts.c.district_id == district_id))
    if name:
        stmt = stmt.where(func.lower(Organisation.name).contains(name.lower(), autoescape=True))
    return stmt.order_by(func.lower(Organisation.name), Organisation.id)


def public_partners(*, kind: OrganisationType | None = None, district_id: int | None = None) -> Select:
    """The public list: approved organisations only (never their contacts)."""
    return organisations_for_offices(None, kind=kind, district_id=district_id, state=OrganisationState.APPROVED)


def in_scope(org: Organisation, offices: set[int] | None) -> bool:
    return offices is None or bool(set(office_ids_of(org)) & offices)


def deciding_office(org: Organisation, offices: set[int] | None) -> int | None:
    """The office a staff member acts for on this organisation: the first of its offices they
    work in (admins: its first office)."""
    ids = office_ids_of(org)
    if offices is not None:
        ids = [i for i in ids if i in offices]
    return ids[0] if ids else None


def active_contacts(org_id: int) -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.organisation_id == org_id, User.deleted_at.is_(None))
        .order_by(User.name, User.id)))


def pending_count(offices: set[int] | None) -> int:
    stmt = select(func.count()).select_from(Organisation).where(Organisation.state == OrganisationState.PENDING)
    if offices is not None:
        stmt = stmt.where(_org_offices_clause(offices))
    return db.session.scalar(stmt) or 0


# ---------------------------------------------------------------- data checks
def _name_taken(name: str, except_id: int | None = None) -> bool:
    stmt = select(Organisation.id).where(func.lower(Organisation.name) == name.strip().lower())
    if except_id is not None:
        stmt = stmt.where(Organisation.id != except_id)
    return db.session.scalar(stmt.limit(1)) is not None


def _apply(org: Organisation, data: OrganisationData) -> None:
    """Write the data onto the organisation; ids not on the lists are refused (forged forms)."""
    districts = list(db.session.scalars(select(District).where(District.id.in_(data.district_ids or [-1]))))
    if not districts or len(districts) != len(set(data.district_ids)):
        raise OrganisationError("districts", field="districts")
    categories = []
    if data.need_category_ids:
        categories = list(db.session.scalars(select(ChoiceItem).where(
            ChoiceItem.id.in_(data.need_category_ids), ChoiceItem.list_name == ChoiceItem.NEED_CATEGORIES)))
        if len(categories) != len(set(data.need_category_ids)):
            raise OrganisationError("needs", field="needs")
    bits = 0
    for value in data.offers or []:
        try:
            bits |= ActivityKind(int(value)).bit
        except ValueError:
            raise OrganisationError("offers", field="offers") from None
    org.name = data.name.strip()
    org.kind = OrganisationType(data.kind)
    org.website = (data.website or "").strip()
    org.description = (data.description or "").strip()[:MAX_DESCRIPTION]
    org.offers_kinds = bits
    org.districts = districts
    org.need_categories = categories


def _flush_unique_name() -> None:
    try:
        db.session.flush()
    except IntegrityError:  # a parallel registration took the name
        db.session.rollback()
        raise OrganisationError("name-taken", field="name") from None


# ---------------------------------------------------------------- registration
def register_organisation(data: OrganisationData, *, name: str, email: str, password: str,
                          locale: str = "de") -> Organisation | None:
    """A new organisation (pending) with a new contact account and its confirmation mail, in one
    transaction. A known address creates nothing: its owner gets a hint to log in and register
    the organisation from their account. Returns the organisation, or None (callers show the
    same page either way)."""
    from app.accounts.services import find_by_email, hash_password, new_partner_contact, queue_confirmation

    email = email.strip().lower()
    password_hash = hash_password(password)  # also for known addresses: the same time either way
    if _name_taken(data.name):
        raise OrganisationError("name-taken", field="name")
    existing = find_by_email(email)
    if existing is not None:
        if recently_mailed(existing.email, ("organisation_account_exists",)) < MAILS_PER_ADDRESS_PER_HOUR:
            queue_mail_to_user("organisation_account_exists", existing, {
                "organisation": data.name.strip(),
                "login_link": external_url("accounts.login"),
                "register_link": external_url("partners.register"),
                "reset_link": external_url("accounts.forgot_password"),
            })
            db.session.commit()
        return None
    org = Organisation(state=OrganisationState.PENDING)
    _apply(org, data)
    db.session.add(org)
    _flush_unique_name()
    user = new_partner_contact(name, email, password_hash, org, locale=locale)
    try:
        db.session.flush()
    except IntegrityError:  # a parallel registration of the same address won the race
        db.session.rollback()
        return None
    _accepts_privacy_notice(user)
    queue_confirmation(user)
    db.session.commit()
    return org


def _accepts_privacy_notice(user: User) -> None:
    """A new contact account accepted the current privacy notice (the form's checkbox)."""
    from app.people.consent import record_consent
    from app.people.models import ConsentPurpose

    record_consent(user.id, ConsentPurpose.PRIVACY, True, commit=False)


def register_for_account(user: User, data: OrganisationData) -> Organisation:
    """A logged-in, confirmed volunteer registers an organisation and becomes its contact
    (role partner; the volunteer profile stays and counts again if they leave)."""
    if user.role != Role.VOLUNTEER or user.organisation_id is not None:
        raise OrganisationError("not-volunteer")
    if _name_taken(data.name):
        raise OrganisationError("name-taken", field="name")
    org = Organisation(state=OrganisationState.PENDING)
    _apply(org, data)
    db.session.add(org)
    _flush_unique_name()
    join_organisation(db.session.merge(user), org)
    db.session.commit()
    return org


# ---------------------------------------------------------------- staff: decide, edit, deactivate
def _locked(org_id: int) -> Organisation:
    org = db.session.scalar(select(Organisation).where(Organisation.id == org_id).with_for_update())
    if org is None:
        raise OrganisationError("gone")
    return org


def _require_scope(org: Organisation, actor: User, offices: set[int] | None) -> int | None:
    if not in_scope(org, offices):
        raise OrganisationError("not-found")
    return deciding_office(org, offices)


def _mail_contacts(kind: str, org: Organisation, office_id: int | None, **context) -> None:
    office = db.session.get(Office, office_id) if office_id else None
    for contact in active_contacts(org.id):
        queue_mail_to_user(kind, contact, {
            "organisation": org.name,
            "office": office.name if office else "",
            "office_email": office.email if office else "",
            "link": external_url("partners.my_organisation"),
            **context,
        }, office_id=office_id)


def approve(org_id: int, actor: User, offices: set[int] | None) -> Organisation:
    """Approve a pending organisation — or one refused before (a refusal by mistake, or what was
    missing has come): the contacts get the approval mail either way."""
    org = _locked(org_id)
    office_id = _require_scope(org, actor, offices)
    if org.state not in (OrganisationState.PENDING, OrganisationState.REFUSED):
        raise OrganisationError("not-pending")
    old_state = org.state.value
    now = utcnow()
    org.state = OrganisationState.APPROVED
    org.approved_at = org.approved_at or now
    org.decided_at = now
    org.decided_by_id = actor.id
    org.refusal_reason = ""
    _mail_contacts("organisation_approved", org, office_id)
    audit.record(actor, "organisation.approved", org, office_id=office_id, name=org.name,
                 old_state=old_state, new_state="approved")
    db.session.commit()
    return org


def refuse(org_id: int, actor: User, offices: set[int] | None, reason: str) -> Organisation:
    reason = (reason or "").strip()
    if not reason:
        raise OrganisationError("reason", field="reason")
    if len(reason) > MAX_REASON:
        raise OrganisationError("reason-long", field="reason")
    org = _locked(org_id)
    office_id = _require_scope(org, actor, offices)
    if org.state != OrganisationState.PENDING:
        raise OrganisationError("not-pending")
    org.state = OrganisationState.REFUSED
    org.decided_at = utcnow()
    org.decided_by_id = actor.id
    org.refusal_reason = reason
    _mail_contacts("organisation_refused", org, office_id, reason=reason)
    audit.record(actor, "organisation.refused", org, office_id=office_id, name=org.name,
                 old_state="pending", new_state="refused")
    db.session.commit()
    return org


def set_active(org_id: int, actor: User, offices: set[int] | None, active: bool) -> Organisation:
    """Deactivate an approved organisation (off the public list) or reactivate it."""
    org = _locked(org_id)
    office_id = _require_scope(org, actor, offices)
    wanted_from = OrganisationState.INACTIVE if active else OrganisationState.APPROVED
    if org.state != wanted_from:
        raise OrganisationError("state")
    org.state = OrganisationState.APPROVED if active else OrganisationState.INACTIVE
    audit.record(actor, "organisation.reactivated" if active else "organisation.deactivated", org,
                 office_id=office_id, name=org.name)
    db.session.commit()
    return org


def update_organisation(org_id: int, data: OrganisationData, actor: User,
                        offices: set[int] | None = None) -> Organisation:
    """Edit the details. Staff (coordinator, admin) only in their offices, and audited; a contact
    only their own approved organisation (not audited: it is their own record)."""
    org = _locked(org_id)
    staff = actor.role in (Role.COORDINATOR, Role.ADMIN)
    if staff:
        office_id = _require_scope(org, actor, offices)
    elif actor.organisation_id != org.id or org.state != OrganisationState.APPROVED:
        raise OrganisationError("not-found")
    if _name_taken(data.name, except_id=org.id):
        db.session.rollback()
        raise OrganisationError("name-taken", field="name")
    before = _snapshot(org)
    offices_before = set(office_ids_of(org))
    try:
        _apply(org, data)
        _check_offices(org, offices_before, actor, offices)
    except OrganisationError:
        db.session.rollback()
        raise
    _flush_unique_name()
    if staff:
        after = _snapshot(org)
        changed = sorted(k for k in after if after[k] != before[k])
        # in the office it belongs to now (a new district may have moved it to another office)
        office_id = deciding_office(org, offices) or office_id
        audit.record(actor, "organisation.updated", org, office_id=office_id, fields=changed)
    db.session.commit()
    return org


def _check_offices(org: Organisation, before: set[int], actor: User, offices: set[int] | None) -> None:
    """An approved organisation works in the offices that approved it: its districts may not take
    it into another office's area without that office (a contact may choose among the districts
    of its offices; a coordinator also their own offices', and keeps it within their reach; an
    admin anything)."""
    if actor.role == Role.ADMIN and offices is None:
        return
    now = set(office_ids_of(org))
    allowed = before | (offices or set()) if actor.role in (Role.COORDINATOR, Role.ADMIN) else before
    if not now <= allowed or (actor.role == Role.COORDINATOR and offices is not None and not now & offices):
        raise OrganisationError("districts-office", field="districts")


def _snapshot(org: Organisation) -> dict:
    return {"name": org.name, "kind": org.kind.value, "website": org.website, "description": org.description,
            "offers": org.offers_kinds, "districts": sorted(d.id for d in org.districts),
            "needs": sorted(c.id for c in org.need_categories)}


# ---------------------------------------------------------------- colleagues
def invite_colleague(org: Organisation, inviter: User, email: str) -> None:
    """Mail a join link to the address — the same mail whether or not it has an account, so the
    inviter learns nothing about it. Capped per address and hour like other unasked-for mails."""
    email = email.strip().lower()
    if inviter.organisation_id != org.id or org.state != OrganisationState.APPROVED:
        raise OrganisationError("not-found")
    if email == inviter.email:
        raise OrganisationError("self", field="email")
    if recently_mailed(email, ("partner_invited",)) >= MAILS_PER_ADDRESS_PER_HOUR:
        return  # the same answer; the address has been told already
    token = make_token(INVITE_PARTNER, o=org.id, e=email, i=inviter.id)
    office_ids = office_ids_of(org)
    queue_mail("partner_invited", to=email, locale=inviter.locale or "de", office_id=office_ids[0] if office_ids else None,
               context={"organisation": org.name, "invited_by": inviter.name,
                        "link": external_url("partners.join", token=token), "days": INVITE_MAX_AGE // 86400})
    db.session.commit()


@dataclass
class Invitation:
    organisation: Organisation
    email: str
    account: User | None  # the account the address already has, if any


def _invitation_holds(org: Organisation | None, payload: dict) -> bool:
    """An invitation counts while its organisation is approved and the contact who sent it is
    still one of its contacts (not gone, not deleted): a colleague who left can't bring others in."""
    if org is None or org.state != OrganisationState.APPROVED:
        return False
    inviter = db.session.get(User, payload.get("i")) if isinstance(payload.get("i"), int) else None
    return (inviter is not None and inviter.organisation_id == org.id and inviter.role == Role.PARTNER
            and inviter.deleted_at is None and inviter.active)


def read_invitation(token: str) -> Invitation:
    data = read_token(INVITE_PARTNER, token, INVITE_MAX_AGE)
    org = db.session.get(Organisation, data.payload.get("o"))
    email = str(data.payload.get("e") or "")
    if not email or not _invitation_holds(org, data.payload):
        raise TokenError("invalid")
    from app.accounts.services import find_by_email

    return Invitation(org, email, find_by_email(email))


def accept_invitation_new(token: str, name: str, password: str, locale: str = "de") -> User:
    """The invited address has no account: create it (confirmed — the link reached the mailbox)
    as a contact of the organisation. The link works once."""
    from app.accounts.services import find_by_email, hash_password, new_partner_contact

    password_hash = hash_password(password)
    data = consume_token(INVITE_PARTNER, token, INVITE_MAX_AGE)
    org = db.session.get(Organisation, data.payload.get("o"))
    email = str(data.payload.get("e") or "")
    if not email or not _invitation_holds(org, data.payload):
        db.session.rollback()
        raise TokenError("invalid")
    if find_by_email(email) is not None:
        db.session.rollback()
        raise OrganisationError("has-account")
    user = new_partner_contact(name, email, password_hash, org, locale=locale, confirmed=True)
    try:
        db.session.flush()
        _accepts_privacy_notice(user)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise OrganisationError("has-account") from None
    return user


def accept_invitation_existing(token: str, user: User) -> Organisation:
    """The invited address has an account and its owner is logged in: they join."""
    data = consume_token(INVITE_PARTNER, token, INVITE_MAX_AGE)
    org = db.session.get(Organisation, data.payload.get("o"))
    if not _invitation_holds(org, data.payload):
        db.session.rollback()
        raise TokenError("invalid")
    user = db.session.merge(user)
    if user.email != data.payload.get("e"):
        db.session.rollback()
        raise OrganisationError("other-account")
    if user.role == Role.PARTNER and user.organisation_id == org.id:
        db.session.rollback()
        raise OrganisationError("already")
    if user.role != Role.VOLUNTEER:
        db.session.rollback()
        raise OrganisationError("not-volunteer")
    join_organisation(user, org)
    db.session.commit()
    return org


def leave_organisation(user: User) -> None:
    """A contact leaves; the account becomes a volunteer account. The last contact stays until
    a colleague has joined (the organisation must keep someone to talk to)."""
    if user.organisation_id is None:
        raise OrganisationError("not-contact")
    org = _locked(user.organisation_id)  # two contacts leaving at once: one after the other
    others = db.session.scalar(select(func.count()).select_from(User).where(
        User.organisation_id == org.id, User.id != user.id, User.deleted_at.is_(None), User.active.is_(True))) or 0
    if others == 0:
        db.session.rollback()
        raise OrganisationError("last-contact")
    leave_to_volunteer(db.session.merge(user))
    db.session.commit()


# ---------------------------------------------------------------- my data
def _collect(user) -> dict | None:
    if user.organisation_id is None:
        return None
    org = db.session.get(Organisation, user.organisation_id)
    if org is None:
        return None
    since: datetime | None = user.organisation_joined_at
    return {"organisation": org.name, "state": org.state.value,
            "contact_since": since.isoformat() if since else None}


def _erase(user, actor) -> None:
    """Detach the contact; the organisation stays, without contact if they were the last."""
    user.organisation_id = None
    user.organisation_joined_at = None
    if user.role == Role.PARTNER:
        user.role = Role.VOLUNTEER


register_section("organisation", _l("Partner organisation"), collect=_collect, erase=_erase, order=60)

__all__ = ["INVITE_PARTNER", "Invitation", "OrganisationData", "OrganisationError", "accept_invitation_existing",
           "accept_invitation_new", "active_contacts", "approve", "deciding_office", "in_scope", "invite_colleague",
           "leave_organisation", "office_ids_of", "organisations_for_offices", "pending_count", "public_partners",
           "read_invitation", "refuse", "register_for_account", "register_organisation", "set_active",
           "update_organisation"]
