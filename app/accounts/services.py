"""Account operations: plain arguments in, domain objects out, one transaction each.

Nothing here reveals whether an address is registered: registering a known address, or asking
for a reset of an unknown one, looks the same from outside; the owner of a known address gets
a mail instead."""
from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import Role, User
from app.core.timeutil import utcnow
from app.core.tokens import TokenError, consume_token, make_token, read_token
from app.core.urls import external_url
from app.extensions import db
from app.mail.services import queue_mail_to_user, recently_mailed
from app.offices.models import Office

# argon2id with the library's defaults (RFC 9106 low-memory profile); the test suite uses
# cheap parameters (PASSWORD_HASH_FAST) so hundreds of sign-ups don't take minutes.
_STRONG = PasswordHasher()
_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_dummy_hashes: dict[int, str] = {}


def _hasher() -> PasswordHasher:
    return _FAST if current_app.config.get("PASSWORD_HASH_FAST") else _STRONG


def _dummy_hash() -> str:
    """Verified against when the address is unknown, so a log-in takes as long either way."""
    hasher = _hasher()
    if id(hasher) not in _dummy_hashes:
        _dummy_hashes[id(hasher)] = hasher.hash("not-a-real-password-but-costs-the-same")
    return _dummy_hashes[id(hasher)]

# Unasked-for mails one address may get per hour through the public forms (reset, "you already
# have an account"): the IP rate limit alone would let many IPs bomb one mailbox.
MAILS_PER_ADDRESS_PER_HOUR = 3

CONFIRM = "confirm-email"
CHANGE_EMAIL = "change-email"
RESET = "reset-password"
INVITE = "invite-colleague"  # the same set-password page, a longer life than a reset link


class AccountError(Exception):
    """A user-facing failure; `field` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(user: User | None, password: str) -> bool:
    try:
        _hasher().verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return user is not None


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


# ---------------------------------------------------------------- registration and confirmation
def register(name: str, email: str, password: str, locale: str = "de") -> User | None:
    """Create a volunteer account and queue the confirmation mail, in one transaction.

    A known address creates nothing; its owner gets a hint mail instead. Returns the new user
    or None (callers must not show the difference)."""
    email = email.strip().lower()
    password_hash = hash_password(password)  # also for known addresses: same time either way
    existing = find_by_email(email)
    if existing is not None:
        if recently_mailed(existing.email, ("account_exists",)) >= MAILS_PER_ADDRESS_PER_HOUR:
            return None  # someone keeps trying: the owner has been told already
        # Also for an unconfirmed account: a hint with a reset link, never a confirmation link —
        # the first registration may have been someone else's, with a password they know.
        queue_mail_to_user("account_exists", existing, {
            "login_link": external_url("accounts.login"),
            "reset_link": external_url("accounts.forgot_password"),
        })
        db.session.commit()
        return None
    user = User(name=name.strip(), email=email, password_hash=password_hash, role=Role.VOLUNTEER,
                locale=locale)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:  # a parallel registration of the same address won the race
        db.session.rollback()
        return None
    queue_confirmation(user)
    db.session.commit()
    return user


def queue_confirmation(user: User) -> None:
    max_age = current_app.config["CONFIRM_LINK_MAX_AGE"]
    token = make_token(CONFIRM, u=user.id, e=user.email)
    queue_mail_to_user("confirm_address", user, {
        "link": external_url("accounts.confirm_email", token=token),
        "hours": max_age // 3600,
    })


def resend_confirmation(user: User) -> None:
    if not user.is_confirmed:
        queue_confirmation(user)
        db.session.commit()


def confirm_email(token: str) -> User:
    """Confirm the address in the link. Idempotent: a second click just says it's confirmed."""
    data = read_token(CONFIRM, token, current_app.config["CONFIRM_LINK_MAX_AGE"])
    user = db.session.get(User, data.payload.get("u"))
    if user is None or user.email != data.payload.get("e"):
        raise TokenError("invalid")
    if user.confirmed_at is None:
        user.confirmed_at = utcnow()
        db.session.commit()
    return user


# ---------------------------------------------------------------- log-in
def authenticate(email: str, password: str) -> User | None:
    user = find_by_email(email)
    if not verify_password(user, password) or not user.active:
        return None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def log_out_everywhere(user: User) -> None:
    user.session_version += 1
    db.session.commit()


# ---------------------------------------------------------------- password
def request_password_reset(email: str) -> None:
    user = find_by_email(email)
    if user is None or not user.active:
        return  # nothing to say, and we say nothing
    if recently_mailed(user.email, ("password_reset",)) >= MAILS_PER_ADDRESS_PER_HOUR:
        return  # no mail bombing of one address through the reset form
    queue_reset(user, "password_reset", current_app.config["RESET_LINK_MAX_AGE"])
    db.session.commit()


def queue_reset(user: User, kind: str, max_age: int, office_id: int | None = None,
                purpose: str = RESET, **context) -> None:
    token = make_token(purpose, u=user.id, v=user.session_version)
    queue_mail_to_user(kind, user, {
        "link": external_url("accounts.reset_password", token=token),
        "minutes": max_age // 60,
        **context,
    }, office_id=office_id)


def _lifetimes() -> list[tuple[str, int]]:
    return [(RESET, current_app.config["RESET_LINK_MAX_AGE"]), (INVITE, INVITE_MAX_AGE)]


def _read_set_password_token(token: str, spend: bool):
    """A reset link (2 hours) or a colleague's invitation (7 days): each its own purpose (salt),
    so a reset link can never live as long as an invitation."""
    error = TokenError("invalid")
    for purpose, max_age in _lifetimes():
        try:
            return (consume_token if spend else read_token)(purpose, token, max_age)
        except TokenError as exc:
            if exc.reason != "invalid":
                raise  # right purpose, but expired or used
            error = exc
    raise error


def check_reset_token(token: str) -> User:
    return _reset_user(_read_set_password_token(token, spend=False).payload)


def _reset_user(payload: dict) -> User:
    user = db.session.get(User, payload.get("u"))
    if user is None or not user.active or user.session_version != payload.get("v"):
        raise TokenError("used" if user is not None else "invalid")
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a mailed link: single use, and every older link dies with it."""
    data = _read_set_password_token(token, spend=True)
    user = _reset_user(data.payload)
    user.password_hash = hash_password(new_password)
    user.session_version += 1  # log out other sessions; older reset links stop working
    if user.confirmed_at is None:
        user.confirmed_at = utcnow()  # the link reached the mailbox: the address is confirmed
    db.session.commit()
    return user


def change_password(user: User, current: str, new_password: str) -> None:
    if not verify_password(user, current):
        raise AccountError("wrong-password", field="current")
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    db.session.commit()


# ---------------------------------------------------------------- e-mail change
def request_email_change(user: User, new_email: str, current_password: str) -> None:
    new_email = new_email.strip().lower()
    if not verify_password(user, current_password):
        raise AccountError("wrong-password", field="current")
    if new_email == user.email:
        raise AccountError("same-email", field="email")
    if recently_mailed(new_email, ("email_change",)) >= MAILS_PER_ADDRESS_PER_HOUR:
        raise AccountError("too-many", field="email")  # no mail bombing through this form
    token = make_token(CHANGE_EMAIL, u=user.id, e=new_email, old=user.email)
    queue_mail_to_user("email_change", user, {
        "link": external_url("accounts.confirm_email_change", token=token),
        "hours": current_app.config["CONFIRM_LINK_MAX_AGE"] // 3600,
        "new_email": new_email,
    }, to=new_email)
    db.session.commit()


def confirm_email_change(token: str) -> User:
    data = consume_token(CHANGE_EMAIL, token, current_app.config["CONFIRM_LINK_MAX_AGE"])
    user = db.session.get(User, data.payload.get("u"))
    if user is None or user.email != data.payload.get("old"):
        db.session.rollback()
        raise TokenError("invalid")
    new_email = data.payload["e"]
    if find_by_email(new_email) is not None:
        db.session.rollback()
        raise AccountError("email-taken")
    user.email = new_email
    user.confirmed_at = utcnow()
    user.session_version += 1  # links mailed to the old address (resets) stop working
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise AccountError("email-taken") from None
    return user


# ---------------------------------------------------------------- staff accounts
INVITE_MAX_AGE = 7 * 24 * 3600


@dataclass
class StaffResult:
    user: User
    created: bool


def create_admin(email: str, password: str, name: str = "Administrator") -> StaffResult:
    """For `flask users create-admin`: create, or promote and reset an existing account."""
    email = email.strip().lower()
    user = find_by_email(email)
    created = user is None
    if user is None:
        user = User(email=email, name=name)
        db.session.add(user)
    user.role = Role.ADMIN
    user.password_hash = hash_password(password)
    user.session_version = (user.session_version or 0) + 1  # old sessions end with the old password
    user.confirmed_at = user.confirmed_at or utcnow()
    user.active = True
    db.session.commit()
    return StaffResult(user, created)


def invite_staff(name: str, email: str, role: Role, office_ids: list[int], invited_by: User) -> User:
    """An admin creates a coordinator or admin account; the colleague sets a password by link."""
    email = email.strip().lower()
    if find_by_email(email) is not None:
        raise AccountError("email-taken", field="email")
    offices = _offices(office_ids) if role == Role.COORDINATOR else []
    user = User(name=name.strip(), email=email, role=role, confirmed_at=None,
                password_hash=hash_password(make_token("unused")),  # unusable until set by link
                offices=offices)
    db.session.add(user)
    db.session.flush()
    queue_reset(user, "colleague_invited", INVITE_MAX_AGE, purpose=INVITE,
                office_id=offices[0].id if offices else None,  # worded as the (first) office likes
                offices=", ".join(o.name for o in offices), invited_by=invited_by.name)
    db.session.commit()
    return user


def set_offices(user: User, office_ids: list[int]) -> None:
    user.offices = _offices(office_ids)
    db.session.commit()


def _offices(office_ids: list[int]) -> list[Office]:
    if not office_ids:
        return []
    return list(db.session.scalars(select(Office).where(Office.id.in_(office_ids))))


def count_by_role() -> dict[str, int]:
    rows = db.session.execute(select(User.role, func.count()).group_by(User.role)).all()
    return {role.value: n for role, n in rows}
