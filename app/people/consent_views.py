"""People: consent views (same blueprint as app.people.views).

- `/people/consents`: a person's consents with the full texts; given or withdrawn at any moment.
- `/people/consents/renew`: after a new version, the new text, asked again (one at a time).
- `/people/consent-texts…`: admins publish new versions; every version stays readable.
- The hook `_ask_again`: a logged-in person who agreed to an older version is sent to the
  renewal page first. People who are up to date cost no query: the session remembers the
  current versions they were checked against (set at log-in), compared with the process's copy
  of the current version ids.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, user_loaded_from_cookie, user_logged_in

from app.core.i18n import select_locale
from app.core.permissions import admin_required
from app.core.safe_redirect import safe_next
from app.people import bp
from app.people import consent as service
from app.people.consent_forms import AnswerForm, PublishTextForm
from app.people.models import OPTIONAL_PURPOSES, ConsentPurpose

SESSION_KEY = "consents_checked"

# Pages that never send a person to the renewal page: the page itself, what it links to, log-out,
# the legal pages, health checks, mailed security and unsubscribe links, and "my data" (one may
# export or delete one's data without accepting a new notice).
EXEMPT = {
    "people.renew_consents", "people.show_consent_text", "accounts.logout", "core.privacy",
    "core.impressum", "core.healthz", "core.set_language", "mail.unsubscribe", "mail.resubscribe",
    "accounts.confirm_email", "accounts.confirm_email_change", "accounts.undo_email_change",
    "mydata.my_data", "mydata.download", "mydata.delete_account", "mydata.goodbye",
    # Mailed links with a deadline (a held place, a hand-over): answering them must not wait
    # behind a new text to read — a POST sent away to the renewal page would lose the answer.
    "activities.offer", "activities.handover", "activities.urgent", "matching.answer",
}


def _purpose_or_404(value: str) -> ConsentPurpose:
    try:
        return ConsentPurpose(value)
    except ValueError:
        abort(404)


def _wants_json() -> bool:
    # Only the API is exempt: an Accept header is the client's to choose, and must not skip
    # the question on the pages.
    return request.path.startswith("/api/")


def _remember_checked(user_id: int) -> bool:
    """True (and remembered in the session) when the person has nothing to answer again."""
    versions = service.current_version_ids()
    if versions and service.outdated_purposes(user_id, versions):
        session.pop(SESSION_KEY, None)
        return False
    session[SESSION_KEY] = service.fingerprint(versions)
    return True


def _on_login(sender, user, **_extra) -> None:
    # At log-in (and when a remember cookie logs in) the check runs once; the pages after it
    # compare the session's mark with the current versions and ask nothing.
    _remember_checked(user.id)


user_logged_in.connect(_on_login)
user_loaded_from_cookie.connect(_on_login)


@bp.before_app_request
def _ask_again():
    endpoint = request.endpoint
    if endpoint is None or endpoint in EXEMPT or endpoint == "static" or endpoint.endswith(".static"):
        return None
    if _wants_json() or not current_user.is_authenticated:
        return None
    versions = service.current_version_ids()
    if not versions or session.get(SESSION_KEY) == service.fingerprint(versions):
        return None  # up to date: no query
    if _remember_checked(current_user.id):
        return None
    target = request.full_path if request.method == "GET" and request.query_string else request.path
    return redirect(url_for("people.renew_consents", next=target if request.method == "GET" else None))


# ---------------------------------------------------------------- the person's consents
def _changed_message() -> str:
    return _("This text has just been changed. Please read the new version and answer again.")


@bp.route("/consents", methods=["GET", "POST"])
@login_required
def consents():
    form = AnswerForm()
    if request.method == "POST":
        if form.validate_on_submit() and form.purpose.data in {p.value for p in OPTIONAL_PURPOSES} \
                and request.form.get("answer") in ("yes", "no"):
            purpose = ConsentPurpose(form.purpose.data)
            given = request.form["answer"] == "yes"
            try:
                service.answer(current_user, purpose, given, form.text_id.data)
            except service.ConsentError:
                flash(_changed_message(), "warning")
            else:
                flash(_("Thank you. Your consent is recorded.") if given
                      else _("Your consent is withdrawn. This counts from now on."), "success")
            return redirect(url_for("people.consents") + f"#{purpose.value}")
        flash(_("The form expired. Please send it again."), "error")
        return redirect(url_for("people.consents"))
    texts = service.current_texts()
    return render_template("people/consent/consents.html", texts=texts, purposes=OPTIONAL_PURPOSES,
                           answers=service.answers(current_user.id), history=service.history(current_user.id),
                           locale=select_locale(), render=service.render_text, privacy=ConsentPurpose.PRIVACY)


@bp.route("/consents/renew", methods=["GET", "POST"])
@login_required
def renew_consents():
    target = safe_next(request.args.get("next")) or url_for("accounts.dashboard")
    pending = service.outdated_purposes(current_user.id)
    if not pending:
        _remember_checked(current_user.id)
        return redirect(target)
    purpose = pending[0]
    form = AnswerForm()
    if request.method == "POST":
        answer_value = request.form.get("answer")
        if form.validate_on_submit() and form.purpose.data == purpose.value and answer_value in ("yes", "no"):
            try:
                service.answer(current_user, purpose, answer_value == "yes", form.text_id.data)
            except service.ConsentError as exc:
                if exc.reason == "required":
                    flash(_("To go on using the platform, please accept the privacy notice, or log out."), "warning")
                else:
                    flash(_changed_message(), "warning")
        else:
            flash(_("The form expired. Please send it again."), "error")
        return redirect(url_for("people.renew_consents", next=request.args.get("next")))
    texts = service.current_texts()
    previous = service.answers(current_user.id).get(purpose)
    return render_template("people/consent/renew.html", purpose=purpose, text=texts[purpose],
                           previous=previous, locale=select_locale(), render=service.render_text,
                           remaining=len(pending), privacy=ConsentPurpose.PRIVACY)


# ---------------------------------------------------------------- texts: admins publish, all may read
@bp.get("/consent-texts")
@admin_required
def consent_texts():
    texts = service.current_texts()
    versions = {p: service.text_versions(p) for p in service.PURPOSE_ORDER}
    return render_template("people/consent/texts.html", texts=texts, versions=versions,
                           purposes=service.PURPOSE_ORDER, locale=select_locale())


@bp.route("/consent-texts/<purpose>/new", methods=["GET", "POST"])
@admin_required
def publish_consent_text(purpose: str):
    purpose_ = _purpose_or_404(purpose)
    current = service.current_text(purpose_)
    form = PublishTextForm(obj=None if request.method == "POST" else current)
    if form.validate_on_submit():
        try:
            text = service.publish_text(purpose_, title_de=form.title_de.data, title_en=form.title_en.data,
                                        body_de=form.body_de.data, body_en=form.body_en.data,
                                        actor=current_user)
        except service.ConsentError as exc:
            if exc.reason == "unchanged":
                form.body_de.errors.append(_("Nothing has changed. Change the text before publishing a new version."))
            else:
                form.body_de.errors.append(_("Someone else has just published a new version. Please reload the page."))
        else:
            flash(_("Version %(n)d is published. People who agreed to an earlier version are asked again "
                    "at their next visit.", n=text.version), "success")
            return redirect(url_for("people.consent_texts"))
    return render_template("people/consent/publish.html", form=form, purpose=purpose_, current=current)


@bp.get("/consent-texts/<purpose>/<int:version>")
def show_consent_text(purpose: str, version: int):
    """Any published version, for anyone (the texts are public; people see what they agreed to)."""
    purpose_ = _purpose_or_404(purpose)
    text = service.text_version(purpose_, version)
    if text is None:
        abort(404)
    return render_template("people/consent/show_text.html", text=text, purpose=purpose_,
                           locale=select_locale(), render=service.render_text,
                           is_current=service.current_text(purpose_).id == text.id)
