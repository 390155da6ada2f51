"""Signed, expiring and (optionally) single-use links.

One helper for every link the platform mails: confirm an address, reset a password, and later
unsubscribe, waiting-list offers, proposals and urgent calls. A token names its purpose (the
salt), carries a small payload and a random id; `consume` spends the id so the link works once.
`open_link` is the part the answer links share (offers, hand-overs, urgent calls, proposals).
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from app.core.jobs import periodic_job
from app.extensions import db


class TokenError(Exception):
    """The link is broken, tampered with, expired or already used."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "invalid" | "expired" | "used"


@dataclass(frozen=True)
class TokenData:
    purpose: str
    payload: dict[str, Any]
    jti: str


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"willkommen.{purpose}")


def make_token(purpose: str, **payload: Any) -> str:
    data = dict(payload)
    data["_j"] = secrets.token_hex(16)
    return _serializer(purpose).dumps(data)


def read_token(purpose: str, token: str, max_age: int | None) -> TokenData:
    """Check signature and age; does not spend the token (for GET pages that show a form)."""
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise TokenError("expired") from None
    except (BadSignature, ValueError, TypeError):
        raise TokenError("invalid") from None
    if not isinstance(data, dict) or "_j" not in data:
        raise TokenError("invalid")
    jti = str(data.pop("_j"))
    from app.core.models import UsedToken

    if db.session.get(UsedToken, jti) is not None:
        raise TokenError("used")
    return TokenData(purpose=purpose, payload=data, jti=jti)


def consume_token(purpose: str, token: str, max_age: int | None) -> TokenData:
    """Check the token and spend it in the caller's transaction (flushes, doesn't commit).

    Call it first in the transaction: a concurrent second use fails on the primary key."""
    from app.core.models import UsedToken

    data = read_token(purpose, token, max_age)
    db.session.add(UsedToken(jti=data.jti, purpose=purpose))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise TokenError("used") from None
    return data


T = TypeVar("T")

LINK_NOT_VALID = _l("This link is not valid (any more).")


def open_link(purpose: str, token: str, max_age: int | None, find: Callable[[dict[str, Any]], T | None],
              error: Callable[[str, Any], Exception], *, spend: bool) -> T:
    """What a mailed answer link is for: the signature and age are checked, and that the link
    wasn't spent; with `spend` it is spent in the caller's transaction (`consume_token`: call it
    first, before the area takes its lock). `find` turns the payload into the record(s) it names,
    or None when they don't exist (any more). Every failure is raised as the area's own
    `error(code, message)`, the same for all: "link_invalid" (forged, or naming nothing),
    "link_expired" or "link_used", each with the message `LINK_NOT_VALID`."""
    try:
        data = (consume_token if spend else read_token)(purpose, token, max_age)
    except TokenError as exc:
        raise error("link_" + exc.reason, LINK_NOT_VALID) from None
    found = find(data.payload)
    if found is None:
        raise error("link_invalid", LINK_NOT_VALID)
    return found


MIN_PURGE_DAYS = 15


def purge_used(days: int = 30) -> int:
    """Delete spent ids older than `days`; links that old have expired anyway (the longest
    single-use lifetime is the 14 days of an "undo this e-mail change" link), so forgetting
    them re-opens nothing."""
    from sqlalchemy import delete

    from app.core.models import UsedToken
    from app.core.timeutil import utcnow

    if days < MIN_PURGE_DAYS:
        raise ValueError(f"keep spent links at least {MIN_PURGE_DAYS} days (longer than any link lives)")
    result = db.session.execute(delete(UsedToken).where(UsedToken.used_at < utcnow() - timedelta(days=days)))
    db.session.commit()
    return result.rowcount or 0


@periodic_job("purge-used-links", every=timedelta(days=1))
def purge_used_job(now) -> int:
    """Forget spent single-use link ids older than 30 days."""
    return purge_used()
