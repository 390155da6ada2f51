"""Mail blueprint: unsubscribe (public), message logs (coordinators), outbox and templates (admins)."""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.core.pagination import paginate
from app.core.security import CSP
from app.core.permissions import admin_required, get_in_scope_or_404, scope_to_offices, staff_required
from app.core.tokens import TokenError
from app.extensions import csrf, db
from app.mail import bp, services
from app.mail.forms import BounceForm, ConfirmForm, OverrideForm
from app.mail.kinds import KINDS
from app.mail.models import MailStatus, MailTemplateOverride, Message, OutboxMail, SuppressedAddress
from app.offices.models import Office


# ---------------------------------------------------------------- unsubscribe (no log-in)
@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token authorizes; RFC 8058 one-click POSTs carry no CSRF token
def unsubscribe(token: str):
    try:
        services.read_token(services.UNSUBSCRIBE, token, max_age=None)
    except TokenError:
        abort(404)
    if request.method == "POST":
        email = services.unsubscribe(token)
        # "Undo" gets its own short-lived, single-use link: an old unsubscribe link (forwarded,
        # in a shared inbox) must not switch someone's messages back on.
        undo = services.make_token(RESUBSCRIBE, e=email)
        return render_template("mail/unsubscribed.html", email=email, undo_token=undo)
    return render_template("mail/unsubscribe.html")


RESUBSCRIBE = "resubscribe"
RESUBSCRIBE_MAX_AGE = 3600


@bp.post("/unsubscribe/undo/<token>")
def resubscribe(token: str):
    """Undo an unsubscribe, straight from the confirmation page."""
    from app.core.tokens import consume_token
    from app.mail.preferences import set_mail_preference

    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        data = consume_token(RESUBSCRIBE, token, RESUBSCRIBE_MAX_AGE)
    except TokenError:
        abort(404)
    email = str(data.payload.get("e", "")).lower()
    if not email:
        abort(404)
    pref = set_mail_preference(email, True)
    return render_template("mail/resubscribed.html", email=email, bounced=pref.bounced)


# ---------------------------------------------------------------- messages and their logs
@bp.get("/messages")
@staff_required
def messages():
    stmt = scope_to_offices(select(Message), Message.office_id, current_user).order_by(
        Message.created_at.desc(), Message.id.desc())
    page = paginate(stmt, request.args.get("page", 1, type=int), per_page=30)
    return render_template("mail/messages.html", page=page, audience_of=_audience_of)


@bp.get("/messages/<int:message_id>")
@staff_required
def message_log(message_id: int):
    message = get_in_scope_or_404(Message, message_id, lambda m: m.office_id)
    status = request.args.get("status", "")
    page = paginate(services.message_log(message.id, status), request.args.get("page", 1, type=int),
                    per_page=100)
    return render_template("mail/message_log.html", message=message, page=page, status=status,
                           counts=services.status_counts(message.id), audience_of=_audience_of)


def _audience_of(message: Message) -> str:
    """Who a message went to, in the reader's language ("Volunteers in Brackel")."""
    return services.describe_audience(message.audience_data, message.audience, short=True)


# ---------------------------------------------------------------- outbox and bounces (admins)
@bp.route("/admin/outbox", methods=["GET", "POST"])
@admin_required
def outbox():
    form = BounceForm()
    if form.validate_on_submit():
        services.mark_bounced(form.email.data, form.note.data or "", actor=current_user)
        flash(_("%(email)s is marked as bounced and gets no more mail except service mails.",
                email=form.email.data), "success")
        return redirect(url_for("mail.outbox"))
    status = request.args.get("status", "")
    stmt = select(OutboxMail).options(selectinload(OutboxMail.message)).order_by(OutboxMail.id.desc())
    if status in {s.value for s in MailStatus}:
        stmt = stmt.where(OutboxMail.status == MailStatus(status))
    page = paginate(stmt, request.args.get("page", 1, type=int), per_page=50)
    suppressed = db.session.scalars(select(SuppressedAddress).order_by(SuppressedAddress.created_at.desc()).limit(50)).all()
    return render_template("mail/outbox.html", page=page, status=status, form=form, suppressed=suppressed,
                           statuses=[s.value for s in MailStatus], kinds=KINDS)


# ---------------------------------------------------------------- template overrides (admins)
@bp.get("/admin/templates")
@admin_required
def templates():
    offices = db.session.scalars(select(Office).order_by(Office.name)).all()
    overrides = {(o.office_id, o.kind, o.locale) for o in db.session.scalars(select(MailTemplateOverride))}
    kinds = [k for k in KINDS.values() if k.per_office]
    return render_template("mail/templates.html", kinds=kinds, offices=offices, overrides=overrides)


@bp.route("/admin/templates/<kind>/<int:office_id>/<locale>", methods=["GET", "POST"])
@admin_required
def edit_template(kind: str, office_id: int, locale: str):
    spec = KINDS.get(kind)
    office = db.session.get(Office, office_id)
    if spec is None or not spec.per_office or office is None or locale not in ("de", "en"):
        abort(404)
    override = db.session.scalar(select(MailTemplateOverride).filter_by(office_id=office_id, kind=kind, locale=locale))
    form = OverrideForm(obj=override)
    if override is None and not form.is_submitted():
        form.subject.data, form.body.data = services.default_override_source(kind, locale)
    preview = None
    if form.validate_on_submit():
        try:
            preview = services.preview_override(kind, locale, form.subject.data, form.body.data)
        except services.TemplateInvalid as exc:
            form.body.errors.append(_("The template cannot be used: %(reason)s", reason=str(exc)))
        else:
            if "save" in request.form:
                services.save_override(office_id, kind, locale, form.subject.data, form.body.data,
                                       actor=current_user)
                flash(_("Template saved."), "success")
                return redirect(url_for("mail.templates"))
    response = make_response(render_template(
        "mail/edit_template.html", form=form, spec=spec, office=office, locale=locale, preview=preview,
        override=override, delete_form=ConfirmForm(), variables=sorted(spec.example)))
    # The HTML preview is a sandboxed srcdoc frame, which inherits this page's policy: allow the
    # mail's inline styles, and drop frame-ancestors (it would block that very frame; the
    # X-Frame-Options header still keeps this page out of other sites' frames). No scripts.
    response.headers["Content-Security-Policy"] = (
        CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
        .replace("frame-ancestors 'none'; ", ""))
    return response


@bp.post("/admin/templates/<kind>/<int:office_id>/<locale>/delete")
@admin_required
def delete_template(kind: str, office_id: int, locale: str):
    if ConfirmForm().validate_on_submit():
        services.delete_override(office_id, kind, locale, actor=current_user)
        flash(_("The standard template is used again."), "success")
    return redirect(url_for("mail.templates"))
