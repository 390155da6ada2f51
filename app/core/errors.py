from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from app.extensions import db

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def register_error_handlers(app: Flask) -> None:
    def page(code: int, title: str, text: str):
        if _wants_json():
            return jsonify(error=title), code
        return render_template("core/error.html", code=code, title=title, text=text), code

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

    @app.errorhandler(429)
    def too_many(e):
        return page(429, _("Too many attempts"),
                    _("Too many attempts in a short time. Please wait a few minutes and try again."))

    @app.errorhandler(500)
    def server_error(e):
        db.session.rollback()
        log.exception("internal error on %s %s", request.method, request.path)
        return page(500, _("Something went wrong"),
                    _("An error occurred on our side. It has been logged; please try again later."))
