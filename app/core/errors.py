from __future__ import annotations

import logging

from flask import Flask, current_app, g, has_request_context, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from app.extensions import db

log = logging.getLogger(__name__)

# Seconds a client (or a proxy, a monitor) is asked to wait when the database is away.
RETRY_AFTER_SECONDS = 30


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def is_database_unavailable(exc: BaseException) -> bool:
    """The database is down, unreachable, hanging (time-out) or out of connections — as opposed
    to a bug or a constraint violation."""
    if isinstance(exc, (OperationalError, PoolTimeoutError)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def short_reason(exc: BaseException) -> str:
    """The first line of the driver's message, e.g. 'connection timeout expired'."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]


def forget_user() -> None:
    """From here on this request treats its visitor as anonymous, without asking the database
    again: every later `current_user` (locale choice, layout) is Flask-Login's cached user."""
    if has_request_context():
        g._login_user = current_app.login_manager.anonymous_user()


def rollback_quietly() -> None:
    """Roll the session back; if the connection is gone there is nothing to undo."""
    try:
        db.session.rollback()
    except Exception:  # the connection is gone; nothing to undo
        pass


def user_is_loadable() -> bool:
    """Load the visitor once; if the database can't say who it is, treat them as anonymous."""
    from flask_login import current_user

    try:
        current_user.is_authenticated  # noqa: B018  loads the user (once per request)
        return True
    except SQLAlchemyError:
        rollback_quietly()
        forget_user()
        return False


def register_error_handlers(app: Flask) -> None:
    def page(code: int, title: str, text: str, headers: dict | None = None):
        user_is_loadable()  # an error page must render even when the user can't be loaded
        if _wants_json():
            return jsonify(error=title), code, headers or {}
        return render_template("core/error.html", code=code, title=title, text=text), code, headers or {}

    def database_unavailable(e):
        # One line, no traceback: an outage would otherwise fill the log with identical ones.
        log.error("database unavailable on %s %s: %s", request.method, request.path,
                  short_reason(e))
        rollback_quietly()
        forget_user()  # the layout and the locale must not ask the database again
        return page(503, _("Temporarily unavailable"),
                    _("The service is unavailable for a moment. Please try again in a few minutes."),
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)})

    @app.errorhandler(400)
    def bad_request(e):
        return page(400, _("Bad request"), _("The request could not be understood."))

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return page(400, _("Form expired"),
                    _("The form was too old or incomplete. Please go back, reload the page and try again."))

    @app.errorhandler(403)
    def forbidden(e):
        return page(403, _("No access"), _("You are not allowed to see this page."))

    @app.errorhandler(404)
    def not_found(e):
        return page(404, _("Page not found"), _("This page does not exist (any more)."))

    @app.errorhandler(405)
    def method_not_allowed(e):
        return page(405, _("Not allowed"), _("This action is not possible here."))

    @app.errorhandler(413)
    def too_large(e):
        limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
        return page(413, _("File too large"),
                    _("What you sent is too large (at most %(mb)s MB). Please go back and choose a smaller file.",
                      mb=max(1, limit // (1024 * 1024))))

    @app.errorhandler(429)
    def too_many(e):
        return page(429, _("Too many attempts"),
                    _("Too many attempts in a short time. Please wait a few minutes and try again."))

    @app.errorhandler(503)
    def service_unavailable(e):
        return page(503, _("Temporarily unavailable"),
                    _("The service is unavailable for a moment. Please try again in a few minutes."),
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)})

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeoutError)
    @app.errorhandler(DBAPIError)
    def database_error(e):
        if is_database_unavailable(e):
            return database_unavailable(e)
        raise e  # a bug or a constraint, not an outage: the usual 500 path

    @app.errorhandler(500)
    def server_error(e):
        original = getattr(e, "original_exception", None)
        if original is not None and is_database_unavailable(original):
            return database_unavailable(original)
        rollback_quietly()
        log.exception("internal error on %s %s", request.method, request.path)
        return page(500, _("Something went wrong"),
                    _("An error occurred on our side. It has been logged; please try again later."))
