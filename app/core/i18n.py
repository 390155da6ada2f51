"""Language and time zone of a request: the user's stored choice, a cookie, then the browser."""
from __future__ import annotations

from flask import current_app, has_request_context, request
from flask_login import current_user

LOCALE_COOKIE = "lang"


def supported() -> list[str]:
    return current_app.config["LANGUAGES"]


def select_locale() -> str:
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    cookie = request.cookies.get(LOCALE_COOKIE)
    if cookie in supported():
        return cookie
    from app.core.errors import user_is_loadable

    # With the database away the visitor counts as anonymous (no second attempt, no error
    # while an error page renders).
    if user_is_loadable() and current_user.is_authenticated and current_user.locale in supported():
        return current_user.locale
    return request.accept_languages.best_match(supported()) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]
