"""Response headers that make 'nothing from another host' a browser-enforced rule."""
from __future__ import annotations

from flask import Flask, Response

CSP = "; ".join([
    "default-src 'self'",
    "img-src 'self' data:",
    "style-src 'self'",
    "script-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "object-src 'none'",
])


SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    # Links carry tokens (reset, confirm): never leak them in a Referer to anyone.
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        # Each header unless the view set its own. The names present are taken in one pass:
        # Werkzeug's `setdefault` (and `in`, `get`) raises and catches an exception for every
        # header that is missing — five per answer here, on every request.
        headers = response.headers
        present = {name.lower() for name, _value in headers.items()}
        wanted = SECURITY_HEADERS
        if app.config.get("SESSION_COOKIE_SECURE"):
            wanted += (("Strict-Transport-Security", "max-age=31536000"),)
        for name, value in wanted:
            if name.lower() not in present:
                headers.add(name, value)
        return response


# ---------------------------------------------------------------- CSRF tokens, signed once
# Every signed-in page carries the CSRF token (the log-out button, the language switch), and
# Flask-WTF signs the session's token anew on every request (itsdangerous: JSON, zlib, HMAC),
# which costs about as much as loading the user. The signed form of a session's token is as
# good the next time (WTF_CSRF_TIME_LIMIT is None here; with a limit it is reused only for a
# tenth of it), so it is kept per raw token for a while and put where Flask-WTF looks first
# (`g.csrf_token`). A new session token (log-in, log-out) is a new key.
CSRF_REUSE_SECONDS = 600
_CSRF_MAX = 10_000


def register_csrf_reuse(app: Flask) -> None:
    import time

    from flask import g, session
    from itsdangerous import BadData, URLSafeTimedSerializer

    signed: dict[tuple[str, str], tuple[float, str]] = {}

    def _field_and_secret() -> tuple[str, str]:
        return (app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"),
                str(app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key))

    def _reuse_seconds() -> float:
        limit = app.config.get("WTF_CSRF_TIME_LIMIT")
        return CSRF_REUSE_SECONDS if not limit else min(CSRF_REUSE_SECONDS, limit / 10)

    @app.before_request
    def _reuse_signed_csrf():
        field, secret = _field_and_secret()
        raw = session.get(field)
        if not isinstance(raw, str):
            return
        hit = signed.get((secret, raw))
        if hit is not None and time.monotonic() - hit[0] < _reuse_seconds():
            setattr(g, field, hit[1])

    @app.after_request
    def _remember_signed_csrf(response: Response) -> Response:
        field, secret = _field_and_secret()
        token, raw = g.get(field), session.get(field)
        if isinstance(token, str) and isinstance(raw, str) and (secret, raw) not in signed:
            # only a token signed from this very session token (not one of a session that
            # was cleared during the request): checked once per session token
            try:
                if URLSafeTimedSerializer(secret, salt="wtf-csrf-token").loads(token) != raw:
                    return response
            except BadData:
                return response
            if len(signed) >= _CSRF_MAX:
                signed.clear()
            signed[(secret, raw)] = (time.monotonic(), token)
        return response


# ---------------------------------------------------------------- session cookies, checked once
# Every signed-in request opens the session cookie: a new serializer, base64, the HMAC check and
# the tagged JSON (Flask's SecureCookieSessionInterface) — about a tenth of a fast page. The same
# cookie string always opens to the same data, so what a cookie held is kept per secret key and
# exact cookie value, with its signing time: the age limit (PERMANENT_SESSION_LIFETIME) is
# checked on every request as before, and a changed or forged cookie is another key (checked the
# full way). Only sessions of plain values (strings, numbers, booleans, None) are kept: each
# request gets its own dict, so nothing a request changes can reach another one.
_SESSION_MAX = 10_000
_PLAIN = (str, int, float, bool, type(None))


def register_session_cache(app: Flask) -> None:
    import time

    from flask.sessions import SecureCookieSessionInterface
    from itsdangerous import BadSignature

    class CachedCookieSessions(SecureCookieSessionInterface):
        def __init__(self):
            self.opened: dict[tuple, tuple[dict, float]] = {}

        def open_session(self, app, request):
            if not app.secret_key:
                return None
            cookies, name = request.cookies, self.get_cookie_name(app)
            val = cookies[name] if name in cookies else None  # no KeyError raised and caught
            if not val:
                return self.session_class()
            max_age = int(app.permanent_session_lifetime.total_seconds())
            key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()), val)
            hit = self.opened.get(key)
            if hit is not None:
                data, signed_at = hit
                if time.time() - signed_at <= max_age:
                    return self.session_class(data)
                self.opened.pop(key, None)
            s = self.get_signing_serializer(app)
            try:
                data, signed_at = s.loads(val, max_age=max_age, return_timestamp=True)
            except BadSignature:
                return self.session_class()
            if isinstance(data, dict) and all(isinstance(v, _PLAIN) for v in data.values()):
                if len(self.opened) >= _SESSION_MAX:
                    self.opened.clear()
                self.opened[key] = (dict(data), signed_at.timestamp())
            return self.session_class(data)

    if type(app.session_interface) is SecureCookieSessionInterface:  # not if another one was chosen
        app.session_interface = CachedCookieSessions()


# ---------------------------------------------------------------- Flask-Login's session mark
def remember_session_identifiers(login_manager, size: int = 4096) -> None:
    """Flask-Login's "session protection" hashes the visitor's address and browser (SHA-512) on
    every request, signed in or not, to compare with the mark its session got at log-in. The
    same inputs give the same hash: kept here per (forwarded-for, address, user agent), computed
    by Flask-Login's own function the first time, so the mark is exactly its."""
    from collections import OrderedDict

    from flask import request
    from flask_login.utils import _create_identifier

    known: OrderedDict[tuple, str] = OrderedDict()

    def identifier() -> str:
        environ = request.environ
        key = (environ.get("HTTP_X_FORWARDED_FOR"), environ.get("REMOTE_ADDR"), environ.get("HTTP_USER_AGENT"))
        if sum(len(part) for part in key if part) > 512:  # an unusual browser string: not kept (memory)
            return _create_identifier()
        value = known.get(key)
        if value is None:
            value = known[key] = _create_identifier()
            if len(known) > size:
                known.popitem(last=False)
        return value

    login_manager._session_identifier_generator = identifier
