"""Account operations: plain arguments in, domain objects out, one transaction each.

Nothing here reveals whether an address is registered: registering a known address, or asking
for a reset of an unknown one, looks the same from outside; the owner of a known address gets
a mail instead."""
from __future__ import annotations

import functools
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import String, and_, bindparam, cast, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.models import Role, User, UserSession, coordinator_offices
from app.core import audit
from app.core.jobs import periodic_job
from app.core.permissions import remember_office_scope
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
UNDO_EMAIL_CHANGE = "undo-email-change"
UNDO_EMAIL_CHANGE_MAX_AGE = 14 * 24 * 3600  # the old address's owner may be on holiday
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
def register(name: str, email: str, password: str, locale: str = "de", *,
             privacy_text_id: int | None = None, contact: bool = False,
             next_path: str | None = None) -> User | None:
    """Create a volunteer account and queue the confirmation mail, in one transaction, with the
    accepted version of the privacy notice (and the optional "contact" consent if ticked)
    recorded beside it.

    `privacy_text_id` is the version the form showed; if a newer one came out meanwhile,
    AccountError("privacy-changed", field="privacy") asks to read it first (nothing is stored).
    A known address creates nothing; its owner gets a hint mail instead. Returns the new user
    or None (callers must not show the difference). `next_path` (a safe same-site path, e.g. the
    activity the person wanted to sign up for) rides in the confirmation link, so confirming
    leads back there."""
    from app.people.consent import current_texts, record_consent
    from app.people.models import ConsentPurpose

    texts = current_texts()
    privacy = texts[ConsentPurpose.PRIVACY]
    if privacy_text_id is not None and privacy_text_id != privacy.id:
        raise AccountError("privacy-changed", field="privacy")
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
    record_consent(user.id, ConsentPurpose.PRIVACY, True, privacy, commit=False)
    if contact:
        record_consent(user.id, ConsentPurpose.CONTACT, True, texts[ConsentPurpose.CONTACT], commit=False)
    queue_confirmation(user, next_path=next_path)
    db.session.commit()
    return user


def queue_confirmation(user: User, next_path: str | None = None) -> None:
    max_age = current_app.config["CONFIRM_LINK_MAX_AGE"]
    extra = {"n": next_path} if next_path else {}
    token = make_token(CONFIRM, u=user.id, e=user.email, **extra)
    queue_mail_to_user("confirm_address", user, {
        "link": external_url("accounts.confirm_email", token=token),
        "hours": max_age // 3600,
    })


def resend_confirmation(user: User) -> bool:
    """Queue a new confirmation link; False when this address had enough of them this hour
    (the same cap as every other unasked-for mail)."""
    if user.is_confirmed:
        return True
    if recently_mailed(user.email, ("confirm_address",)) >= MAILS_PER_ADDRESS_PER_HOUR:
        return False
    queue_confirmation(user)
    db.session.commit()
    return True


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


def confirmation_next(token: str) -> str | None:
    """The page the person wanted when they registered (carried in the signed link), if any.
    Only same-site paths: the value is checked again here, whatever the link says."""
    from app.core.safe_redirect import safe_next

    try:
        data = read_token(CONFIRM, token, current_app.config["CONFIRM_LINK_MAX_AGE"])
    except TokenError:
        return None
    value = data.payload.get("n")
    return safe_next(value) if isinstance(value, str) else None


# ---------------------------------------------------------------- log-in
log = logging.getLogger(__name__)


# Repeated wrong passwords slow down log-in to that account — but only from browsers that
# have never logged in to it. A browser that has (it carries a signed "known device" cookie
# for the account) counts its own failures, so a stranger guessing passwords cannot lock the
# owner out; the password-reset link always works too. (OWASP's "device cookie" scheme.)
KNOWN_DEVICE = "known-device"
KNOWN_DEVICE_MAX_AGE = 365 * 24 * 3600


@dataclass
class LoginResult:
    user: User | None = None
    throttled: bool = False
    device_cookie: str | None = None  # to set on the response after a successful log-in


def _email_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _device_id(cookie: str | None, user: User | None) -> str | None:
    """The browser's known-device id if its cookie is for this account in its current state
    (a password change or reset makes every older device cookie unknown again)."""
    if not cookie or user is None:
        return None
    try:
        data = read_token(KNOWN_DEVICE, cookie, KNOWN_DEVICE_MAX_AGE)
    except TokenError:
        return None
    if data.payload.get("a") != _email_key(user.email) or data.payload.get("v") != user.session_version:
        return None
    return str(data.payload.get("d") or "") or None


def known_device_cookie(user: User, device: str | None = None) -> str:
    return make_token(KNOWN_DEVICE, a=_email_key(user.email), v=user.session_version,
                      d=device or secrets.token_hex(8))


def _failure_limit(known_device: bool):
    from limits import parse

    cfg = current_app.config
    return parse(cfg.get("LOGIN_FAILURES_KNOWN_DEVICE" if known_device else "LOGIN_FAILURES_PER_ACCOUNT",
                         "10 per 15 minutes" if known_device else "5 per 15 minutes"))


def log_in(email: str, password: str, *, remember: bool, user_agent: str = "",
           device_cookie: str | None = None) -> LoginResult:
    """Check the password under the per-account throttle and open a server-side session.

    The attempt is counted before the password is checked, so parallel guesses cannot all slip
    through between "test" and "hit"; a successful log-in takes its count back."""
    from app.extensions import limiter

    user = find_by_email(email)
    device = _device_id(device_cookie, user)
    limit = _failure_limit(device is not None)
    key = ("login-device", device) if device else ("login-account", _email_key(email))
    strategy = limiter.limiter if current_app.config.get("RATELIMIT_ENABLED", True) else None
    if strategy is not None and not strategy.hit(limit, *key):
        verify_password(None, password)  # costs the same as a real attempt
        return LoginResult(throttled=True)
    if not verify_password(user, password) or not user.active:
        db.session.rollback()
        return LoginResult()
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    start_session(user, user_agent, remember)
    db.session.commit()
    return LoginResult(user=user, device_cookie=device_cookie if device else known_device_cookie(user))


# ---------------------------------------------------------------- server-side sessions
SESSION_TOUCH = timedelta(minutes=5)  # last use is written at most this often


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def describe_device(user_agent: str) -> str:
    """'Firefox · Windows' from a User-Agent header, for the list of one's sessions."""
    if not user_agent:
        return ""
    try:
        from ua_parser import parse

        result = parse(user_agent[:500])
    except Exception:  # a parser hiccup must never stop a log-in
        return ""
    parts = []
    if result.user_agent and result.user_agent.family not in ("Other", ""):
        parts.append(result.user_agent.family)
    if result.os and result.os.family not in ("Other", ""):
        parts.append(result.os.family)
    return " · ".join(parts)[:120]


def start_session(user: User, user_agent: str = "", remember: bool = False) -> str:
    """A new server-side session for a log-in (the caller commits). Returns its cookie key."""
    key = secrets.token_urlsafe(32)
    row = UserSession(key_hash=_key_hash(key), user_id=user.id, device=describe_device(user_agent),
                      remember=remember)
    db.session.add(row)
    db.session.flush()
    user._new_session_key = key
    user.current_session = row
    return key


def _idle_limit(row) -> timedelta:
    cfg = current_app.config
    if row.remember:
        return timedelta(seconds=cfg["REMEMBER_COOKIE_DURATION"])
    return timedelta(hours=cfg.get("SESSION_IDLE_HOURS", 12))


@functools.cache
def _session_user_stmt():
    # Built once: this runs on every signed-in request, and building the statement and its
    # cache key each time cost twice as much as running it. A Core statement of plain columns:
    # the ORM's loading of two entities (identity map, instance states) cost more than the rest
    # of the user load together; the User is put together from the row (`_attach_user`).
    # A coordinator's offices come along (one string, "3,5"): nearly every staff page asks
    # `office_scope`, which then needs no statement of its own.
    offices = (select(func.aggregate_strings(cast(coordinator_offices.c.office_id, String), ","))
               .where(coordinator_offices.c.user_id == users.c.id).scalar_subquery())
    sessions = UserSession.__table__
    from app.core import ownread

    return (select(sessions.c.id.label("session_id"), sessions.c.remember.label("session_remember"),
                   sessions.c.last_seen_at.label("session_last_seen_at"), offices.label("office_ids"),
                   *users.c, *ownread.rider_columns())  # the caches' versions come along
            .select_from(sessions.join(users, users.c.id == sessions.c.user_id))
            .where(sessions.c.key_hash == bindparam("key_hash"), sessions.c.ended_at.is_(None)))


users = User.__table__


@functools.cache
def _user_columns() -> tuple[tuple[str, str], ...]:
    """(attribute, column) of every column User maps: how a row's values go into the instance."""
    from sqlalchemy import inspect

    return tuple((attr.key, attr.columns[0].key) for attr in inspect(User).column_attrs)


class SignedInSession:
    """The server-side session a request runs in (`user.current_session`): its id, whether it is
    remembered, when it was last used — plain values, no ORM instance."""

    __slots__ = ("id", "remember", "last_seen_at")

    def __init__(self, id: int, remember: bool, last_seen_at):
        self.id, self.remember, self.last_seen_at = id, remember, last_seen_at


def _attach_user(row) -> User:
    """The User of the row as a persistent instance of this request's session, without the ORM's
    loading: the instance made from the row's values (as a loaded one holds them) and added as
    "detached" (sqlalchemy.orm.make_transient_to_detached), so it is the same object `get(User,
    id)` returns afterwards, its relationships load when asked and a change to it is flushed as an
    UPDATE like any other. One already in the session (loaded earlier in the request) is used as
    it is."""
    from sqlalchemy.orm import make_transient_to_detached

    session = db.session()
    existing = session.identity_map.get((User, (row.id,), None))
    if existing is not None:
        return existing
    user = User._sa_class_manager.new_instance()
    mapping = row._mapping
    user.__dict__.update({attr: mapping[col] for attr, col in _user_columns()})
    make_transient_to_detached(user)
    session.add(user)
    return user


def session_user(cookie_id: str) -> User | None:
    """Flask-Login's user loader: the user of a live session, in one query; None when the
    session was ended, has been idle too long, or the account is deactivated or deleted."""
    if not cookie_id.startswith("s:"):
        return None  # a cookie from before server-side sessions: log in again
    from app.core import ownread

    # on a connection of its own (app.core.ownread): a page answered from a cache then never
    # checks a connection out of the pool nor opens a transaction
    params = {"key_hash": _key_hash(cookie_id[2:])}
    row = ownread.row(_session_user_stmt(), params)
    if row is None:
        return None
    ownread.keep_riders(row)
    if not row.active or row.deleted_at is not None:
        return None
    current = SignedInSession(row.session_id, row.session_remember, row.session_last_seen_at)
    now = utcnow()
    if now - current.last_seen_at > _idle_limit(current):
        db.session.execute(update(UserSession).where(UserSession.id == current.id).values(ended_at=now))
        db.session.commit()
        return None
    if now - current.last_seen_at > SESSION_TOUCH:
        db.session.execute(update(UserSession).where(UserSession.id == current.id).values(last_seen_at=now))
        db.session.commit()
        current.last_seen_at = now
    user = _attach_user(row)
    user.current_session = current
    if user.role == Role.COORDINATOR:
        office_ids = row.office_ids
        remember_office_scope(user.id, (int(i) for i in office_ids.split(",")) if office_ids else ())
    return user


def active_sessions(user: User) -> list[UserSession]:
    rows = db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())).all()
    now = utcnow()
    return [r for r in rows if now - r.last_seen_at <= _idle_limit(r)]


def end_session(user: User, session_id: int) -> bool:
    """End one of the user's own sessions (log-out, or "end" in the list). False if not theirs."""
    result = db.session.execute(
        update(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id,
                                  UserSession.ended_at.is_(None)).values(ended_at=utcnow()))
    db.session.commit()
    return bool(result.rowcount)


def end_sessions(user: User, keep_id: int | None = None, commit: bool = True) -> int:
    """End every session of the user, except `keep_id` (this device) if given."""
    stmt = update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if keep_id is not None:
        stmt = stmt.where(UserSession.id != keep_id)
    result = db.session.execute(stmt.values(ended_at=utcnow()))
    if commit:
        db.session.commit()
    return result.rowcount or 0


SESSION_RETENTION_DAYS = 30


def purge_sessions(days: int = SESSION_RETENTION_DAYS) -> int:
    """Delete sessions that ended (log-out, or idle past their limit) more than `days` ago; they
    only still showed in "my data". Returns how many. A deleted row can't be revived: its cookie
    simply finds no session any more."""
    if days < 0:
        raise ValueError("days must not be negative")
    cfg = current_app.config
    cutoff = utcnow() - timedelta(days=days)
    idle = timedelta(hours=cfg.get("SESSION_IDLE_HOURS", 12))
    remembered = timedelta(seconds=cfg["REMEMBER_COOKIE_DURATION"])
    result = db.session.execute(delete(UserSession).where(or_(
        UserSession.ended_at < cutoff,
        and_(UserSession.ended_at.is_(None), UserSession.remember.is_(False),
             UserSession.last_seen_at < cutoff - idle),
        and_(UserSession.ended_at.is_(None), UserSession.remember.is_(True),
             UserSession.last_seen_at < cutoff - remembered),
    )))
    db.session.commit()
    return result.rowcount or 0


@periodic_job("purge-sessions", every=timedelta(days=1))
def purge_sessions_job(now) -> int:
    """Delete sessions ended or expired more than 30 days ago."""
    return purge_sessions()


def log_out_everywhere(user: User) -> None:
    user.session_version += 1  # mailed reset links die too
    end_sessions(user, commit=False)
    db.session.commit()


def clear_login_failures(email: str) -> None:
    from app.extensions import limiter

    if current_app.config.get("RATELIMIT_ENABLED", True):
        limiter.limiter.clear(_failure_limit(False), "login-account", _email_key(email))


# ---------------------------------------------------------------- password
def request_password_reset(email: str) -> None:
    """Queue a reset link for a known, active address. Views run this after the response has
    gone out (core.deferred), so a known and an unknown address cost the same from outside."""
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
    user.session_version += 1  # older reset and e-mail-change links stop working
    end_sessions(user, commit=False)  # whoever else was logged in is out
    if user.confirmed_at is None:
        user.confirmed_at = utcnow()  # the link reached the mailbox: the address is confirmed
    db.session.commit()
    clear_login_failures(user.email)  # the owner proved it: new devices may log in again
    return user


def change_password(user: User, current: str, new_password: str, keep_session_id: int | None = None) -> None:
    """Change the password; every other session ends, this device (keep_session_id) stays."""
    if not verify_password(user, current):
        raise AccountError("wrong-password", field="current")
    user.password_hash = hash_password(new_password)
    user.session_version += 1  # older reset and e-mail-change links stop working
    end_sessions(user, keep_id=keep_session_id, commit=False)
    db.session.commit()


def change_name(user: User, name: str) -> None:
    user.name = name.strip()
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
    # Bound to the account's state (v): a password change or reset, a log-out everywhere or
    # another e-mail change kills a parked link.
    token = make_token(CHANGE_EMAIL, u=user.id, e=new_email, old=user.email, v=user.session_version)
    queue_mail_to_user("email_change", user, {
        "link": external_url("accounts.confirm_email_change", token=token),
        "hours": current_app.config["CONFIRM_LINK_MAX_AGE"] // 3600,
        "new_email": new_email,
    }, to=new_email)
    db.session.commit()


def check_email_change(token: str):
    """The e-mail-change link's data if it is valid and not spent (does not spend it)."""
    return read_token(CHANGE_EMAIL, token, current_app.config["CONFIRM_LINK_MAX_AGE"])


def confirm_email_change(token: str, viewer_id: int | None, keep_session_id: int | None = None) -> User:
    """Move the account to the new address — only from a session of that very account, so the
    owner of the new mailbox (or a scanner following the link) cannot attach their address to
    someone else's account. The old address is told, with a link to undo it. Every session ends
    except this one (keep_session_id)."""
    data = consume_token(CHANGE_EMAIL, token, current_app.config["CONFIRM_LINK_MAX_AGE"])
    user = db.session.get(User, data.payload.get("u"))
    if user is None or viewer_id != user.id:
        db.session.rollback()
        raise AccountError("not-yours")
    if user.email != data.payload.get("old") or user.session_version != data.payload.get("v"):
        db.session.rollback()
        raise TokenError("invalid")
    new_email = data.payload["e"]
    if find_by_email(new_email) is not None:
        db.session.rollback()
        raise AccountError("email-taken")
    old_email = user.email
    user.email = new_email
    user.confirmed_at = utcnow()
    user.session_version += 1  # links mailed to the old address (resets) stop working
    end_sessions(user, keep_id=keep_session_id, commit=False)
    undo = make_token(UNDO_EMAIL_CHANGE, u=user.id, old=old_email, e=new_email)
    queue_mail_to_user("email_changed", user, {
        "old_email": old_email,
        "new_email": new_email,
        "undo_link": external_url("accounts.undo_email_change", token=undo),
        "days": UNDO_EMAIL_CHANGE_MAX_AGE // 86400,
    }, to=old_email)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise AccountError("email-taken") from None
    return user


def check_undo_email_change(token: str) -> tuple[User, str]:
    data = read_token(UNDO_EMAIL_CHANGE, token, UNDO_EMAIL_CHANGE_MAX_AGE)
    user = db.session.get(User, data.payload.get("u"))
    if user is None or user.email != data.payload.get("e"):
        raise TokenError("used" if user is not None else "invalid")
    return user, str(data.payload.get("old"))


def undo_email_change(token: str) -> User:
    """"That wasn't me": the account goes back to the old address, everyone is logged out,
    and the old address gets a link to set a new password."""
    data = consume_token(UNDO_EMAIL_CHANGE, token, UNDO_EMAIL_CHANGE_MAX_AGE)
    user = db.session.get(User, data.payload.get("u"))
    old_email = str(data.payload.get("old", ""))
    if user is None or user.email != data.payload.get("e") or not old_email:
        db.session.rollback()
        raise TokenError("used" if user is not None else "invalid")
    taken = find_by_email(old_email)
    if taken is not None and taken.id != user.id:
        db.session.rollback()
        raise AccountError("email-taken")
    user.email = old_email
    user.confirmed_at = user.confirmed_at or utcnow()
    user.session_version += 1  # the other address's links die
    end_sessions(user, commit=False)
    queue_reset(user, "password_reset", current_app.config["RESET_LINK_MAX_AGE"])
    db.session.commit()
    log.warning("e-mail change of user %s undone by the old address", user.id)
    return user


# ---------------------------------------------------------------- staff accounts
INVITE_MAX_AGE = 7 * 24 * 3600


@dataclass
class StaffResult:
    user: User
    created: bool


def create_admin(email: str, password: str, name: str = "Administrator", *, actor=None) -> StaffResult:
    """For `flask users create-admin`: create, or promote and reset an existing account.
    Audited as account.admin_created (actor None: the system)."""
    email = email.strip().lower()
    user = find_by_email(email)
    created = user is None
    if user is None:
        user = User(email=email, name=name)
        db.session.add(user)
    user.role = Role.ADMIN
    user.password_hash = hash_password(password)
    user.session_version = (user.session_version or 0) + 1  # old links die with the old password
    user.confirmed_at = user.confirmed_at or utcnow()
    user.active = True
    db.session.flush()
    end_sessions(user, commit=False)  # old sessions end with the old password
    audit.record(actor, "account.admin_created", user, created=created)
    db.session.commit()
    return StaffResult(user, created)


def _first_office(offices) -> int | None:
    """The office an account's audit entry belongs to: the first of its offices (by id)."""
    ids = sorted(o.id for o in offices)
    return ids[0] if ids else None


def invite_staff(name: str, email: str, role: Role, office_ids: list[int], actor: User) -> User:
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
                offices=", ".join(o.name for o in offices), invited_by=actor.name)
    audit.record(actor, "account.invited", user, office_id=_first_office(offices), role=role.value,
                 office_ids=sorted(o.id for o in offices))
    db.session.commit()
    return user


def set_offices(user: User, office_ids: list[int], *, actor: User) -> None:
    before = {o.id for o in user.offices}
    user.offices = _offices(office_ids)
    _record_offices(user, before, actor)
    db.session.commit()


def _record_offices(user: User, before: set[int], actor) -> None:
    after = {o.id for o in user.offices}
    if after != before:
        audit.record(actor, "account.offices_set", user, office_id=_first_office(user.offices) or min(before),
                     offices_added=sorted(after - before), offices_removed=sorted(before - after))


def _offices(office_ids: list[int]) -> list[Office]:
    if not office_ids:
        return []
    return list(db.session.scalars(select(Office).where(Office.id.in_(office_ids))))


def count_by_role() -> dict[str, int]:
    rows = db.session.execute(select(User.role, func.count()).group_by(User.role)).all()
    return {role.value: n for role, n in rows}


# ---------------------------------------------------------------- admins: deactivate, role
def _active_admins() -> int:
    """Active admins, their rows locked (PostgreSQL) so two admins demoting each other at the
    same moment cannot both pass the "one stays" check."""
    return len(db.session.scalars(select(User.id).where(User.role == Role.ADMIN, User.active.is_(True))
                                  .with_for_update()).all())


def set_active(user: User, active: bool, actor: User) -> None:
    """Deactivate (log-in refused, every session ends at once) or reactivate an account."""
    if user.id == actor.id:
        raise AccountError("self")
    if not active and user.role == Role.ADMIN and user.active and _active_admins() <= 1:
        raise AccountError("last-admin")
    changed = user.active != active
    user.active = active
    if not active:
        user.session_version += 1  # mailed links die with it
        end_sessions(user, commit=False)
    if changed:
        audit.record(actor, "account.reactivated" if active else "account.deactivated", user,
                     office_id=_first_office(user.offices))
    db.session.commit()


def set_role(user: User, role: Role, office_ids: list[int], actor: User) -> None:
    """Give an account another role; a coordinator needs offices, nobody demotes themselves,
    and the network keeps at least one active administrator. Audited as account.role_changed
    (old → new, offices), or account.offices_set when only the offices change."""
    if user.id == actor.id:
        raise AccountError("self", field="role")
    if user.role == Role.ADMIN and role != Role.ADMIN and _active_admins() <= 1:
        raise AccountError("last-admin", field="role")
    staff = (Role.COORDINATOR, Role.ADMIN)
    if role in staff and user.role not in staff and user.confirmed_at is None:
        # the address may be someone else's squatted registration: staff are invited instead
        raise AccountError("unconfirmed", field="role")
    if role == Role.COORDINATOR and not office_ids:
        raise AccountError("no-offices", field="offices")
    if role == Role.PARTNER and user.organisation_id is None:
        raise AccountError("no-organisation", field="role")
    old_role, before = user.role, {o.id for o in user.offices}
    user.role = role
    user.offices = _offices(office_ids) if role == Role.COORDINATOR else []
    if old_role != role:
        audit.record(actor, "account.role_changed", user,
                     office_id=_first_office(user.offices) or (min(before) if before else None),
                     old_role=old_role.value, new_role=role.value,
                     office_ids=sorted(o.id for o in user.offices))
    else:
        _record_offices(user, before, actor)
    db.session.commit()


# ---- partner contacts
# The accounts side of partner organisations (app.people.organisations runs the operations and
# commits): a new contact account, joining an organisation, leaving it.
def new_partner_contact(name: str, email: str, password_hash: str, organisation, *, locale: str = "de",
                        confirmed: bool = False) -> User:
    """A contact account of `organisation`, added to the session (the caller flushes/commits).
    `confirmed`: the address proved itself already (an invitation link reached the mailbox)."""
    user = User(name=name.strip(), email=email.strip().lower(), password_hash=password_hash, role=Role.PARTNER,
                locale=locale, confirmed_at=utcnow() if confirmed else None)
    join_organisation(user, organisation)
    db.session.add(user)
    return user


def join_organisation(user: User, organisation) -> None:
    """The account becomes a contact of the organisation (role partner), from now."""
    user.organisation = organisation
    user.organisation_joined_at = utcnow()
    user.role = Role.PARTNER


def leave_to_volunteer(user: User) -> None:
    """A contact leaves their organisation: the account is a volunteer account again."""
    user.organisation_id = None
    user.organisation = None
    user.organisation_joined_at = None
    user.role = Role.VOLUNTEER
