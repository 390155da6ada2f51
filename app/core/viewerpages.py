"""Whole pages of a signed-in person, kept for that person in this process.

The daily pages (an activity page with its roles, a roster, an attendance screen) are read far
more often than what they show changes: a volunteer looks at the festival's shifts again and
again, a coordinator reloads the roster of the day. The area that owns a page knows what it
shows and passes a key of it — its cache versions (a number in the database that every commit
changing what the page shows adds one to) and whatever changes by the clock alone (a sign-up
deadline passed, a date begun). Here the key is completed with who is looking (account, role,
confirmed or not), the language and the exact URL; under it the page's bytes are kept, split
where the CSRF token goes, and every answer gets the session's own token put in.

A page that changes by the clock alone at a known moment says so while it is made
(`valid_until`) and is kept until then at most.

Never kept: anything but a plain 200 HTML answer to a GET, a page with a message waiting in the
session (it is shown once), a page whose making set a cookie. Entries live in this process only
(personal pages never go to a shared cache), at most `VIEWER_PAGE_SECONDS` (0 switches this
off) and `VIEWER_PAGE_ENTRIES` of them, the oldest going first (app.core.localcache)."""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import Callable, Hashable

from flask import Response, current_app, g, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from app.core.localcache import LocalEntries
from app.core.timeutil import utcnow

# What the page is made with in place of the session's CSRF token: random per process (so no
# one's data can contain it), letters and digits only (so no escaping changes it).
_TOKEN = "csrf" + secrets.token_hex(24)
_TOKEN_B = _TOKEN.encode()
_kept = LocalEntries("viewer_pages")


def _field() -> str:
    return current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")


def valid_until(moment: datetime) -> None:
    """While a page is made: what it shows changes by the clock at `moment` (UTC, naive, as the
    database keeps it) — e.g. the first of the dates shown ends. The page is kept until then at
    most (the earliest moment named while it was made)."""
    if not has_request_context():
        return
    earliest = g.get("_viewer_page_until")
    if earliest is None or moment < earliest:
        g._viewer_page_until = moment


def made_until(make: Callable[[], object]) -> tuple[object, datetime | None]:
    """What make() returns, and the earliest moment named by `valid_until` while it ran (None
    when none was). A moment named inside also bounds whatever is being made around this."""
    outer = g.pop("_viewer_page_until", None)
    try:
        value = make()
    finally:
        inner = g.pop("_viewer_page_until", None)
        earliest = min((m for m in (outer, inner) if m is not None), default=None)
        if earliest is not None:
            g._viewer_page_until = earliest
    return value, inner


def kept(key: tuple[Hashable, ...], build: Callable[[], Response]) -> Response:
    """The signed-in viewer's page under `key` (what the page shows, see above), made by
    `build()` when it is not kept yet."""
    seconds = current_app.config.get("VIEWER_PAGE_SECONDS", 0)
    user = current_user._get_current_object()
    if request.method != "GET" or not seconds or "_flashes" in session or not user or not user.is_authenticated:
        return current_app.make_response(build())
    full_key = (user.id, getattr(user.role, "value", user.role), bool(user.is_confirmed), str(get_locale() or ""),
                request.host, request.script_root, request.full_path, *key)
    hit = _kept.get(full_key)
    if hit is None:
        field = _field()
        own = g.pop(field, None)
        setattr(g, field, _TOKEN)  # generate_csrf() answers this while the page is made
        try:
            response, until = made_until(lambda: current_app.make_response(build()))
        finally:
            g.pop(field, None)
            if own is not None:
                setattr(g, field, own)
        if (response.status_code != 200 or response.mimetype != "text/html" or response.direct_passthrough
                or response.is_streamed or "Set-Cookie" in response.headers or "_flashes" in session):
            data = response.get_data()
            if _TOKEN_B in data:
                response.set_data(data.replace(_TOKEN_B, generate_csrf().encode()))
            return response
        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
        hit = (tuple(response.get_data().split(_TOKEN_B)), headers)
        if until is not None:
            seconds = min(seconds, (until - utcnow()).total_seconds())
        if seconds > 0:
            _kept.put(full_key, hit, seconds, int(current_app.config.get("VIEWER_PAGE_ENTRIES", 200)))
    parts, headers = hit
    body = parts[0] if len(parts) == 1 else generate_csrf().encode().join(parts)
    return current_app.response_class(body, headers=headers)
