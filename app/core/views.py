from __future__ import annotations

import logging

from flask import current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text

from app.core import bp
from app.core.i18n import LOCALE_COOKIE
from app.core.safe_redirect import safe_next
from app.extensions import csrf, db

log = logging.getLogger(__name__)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.dashboard"))
    from app.core import pagecache
    from app.offices.services import public_offices

    def render(csrf_token=None):
        context = {"csrf_token": csrf_token} if csrf_token is not None else {}
        return render_template("core/index.html", offices=public_offices(), **context)

    page = pagecache.anonymous_page("start", render)
    return page if page is not None else render()


OPERATOR_KEYS = ("NAME", "STREET", "POSTCODE", "CITY", "REPRESENTATIVE", "EMAIL", "PHONE",
                 "CONTENT_RESPONSIBLE", "VAT_ID", "REGISTER", "DPO_NAME", "DPO_EMAIL", "DPO_ADDRESS",
                 "IS_PLACEHOLDER")


def _operator() -> dict:
    """The site's operator from the OPERATOR_* settings (Impressum and privacy page)."""
    return {key.lower(): current_app.config.get(f"OPERATOR_{key}", "") for key in OPERATOR_KEYS}


@bp.get("/datenschutz")
def privacy():
    """The current version of the privacy notice (versioned data, app.people.consent) in the UI
    language, with the operator's and the data protection officer's contacts."""
    from app.core.i18n import select_locale
    from app.people.consent import current_text, render_text, text_versions
    from app.people.models import ConsentPurpose

    text = current_text(ConsentPurpose.PRIVACY)
    locale = select_locale()
    earlier = [v for v in text_versions(ConsentPurpose.PRIVACY) if v.version < text.version]
    return render_template("core/privacy.html", operator=_operator(), text=text, locale=locale,
                           body=render_text(text.body(locale)), earlier=earlier)


@bp.get("/impressum")
def impressum():
    return render_template("core/impressum.html", operator=_operator())


@bp.get("/healthz")
@csrf.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except Exception as exc:  # any driver error means: not ready
        log.error("healthz: database unreachable: %s", exc)
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.post("/sprache")
@csrf.exempt
def set_language():
    """The language of the pages: a cookie for everyone, and for a signed-in person also their
    stored choice (their mails follow it) — which, being a change to the account, needs the
    form's CSRF token. A visitor's switch only sets the cookie, so their (cached) pages carry no
    token and create no session."""
    if current_user.is_authenticated:
        from flask_wtf.csrf import CSRFError, validate_csrf
        from wtforms import ValidationError

        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError as exc:
            raise CSRFError(str(exc)) from None
    lang = request.form.get("lang", "")
    target = safe_next(request.form.get("next")) or url_for("core.index")
    response = redirect(target)
    if lang in current_app.config["LANGUAGES"]:
        response.set_cookie(LOCALE_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True, secure=current_app.config["SESSION_COOKIE_SECURE"])
        if current_user.is_authenticated and current_user.locale != lang:
            current_user.locale = lang  # mails follow the language chosen on screen
            db.session.commit()
    return response
