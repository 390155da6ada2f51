"""Hours pages: "my hours" (/my/hours), the certificate of hours as PDF (a volunteer's own, or
issued by a coordinator for a volunteer of their offices) and the coordinators' list of
volunteers who reached the Ehrenamtskarte threshold. Thin: app.activities.hours does the work."""
from __future__ import annotations

from flask import abort, current_app, render_template, request, url_for
from flask_login import current_user, login_required

from app.accounts.models import User
from app.activities import bp
from app.activities import hours as svc
from app.activities.hours_forms import CertificateForm
from app.core.permissions import staff_required
from app.extensions import db
from app.people.directory import may_see_volunteer


@bp.route("/my/hours")
@login_required
def my_hours():
    years, minutes = svc.my_hours(current_user.id)
    return render_template("activities/hours/mine.html", years=years, total=minutes, hours=svc.hours_text)


def _pdf_answer(cert, lang: str):
    body = svc.certificate_pdf(cert, lang)
    name = f"nachweis-{cert.since.isoformat()}-{cert.until.isoformat()}.pdf"
    return current_app.response_class(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"})


def _certificate_page(form, person, action):
    return render_template("activities/hours/certificate.html", form=form, person=person, action=action)


@bp.route("/my/hours/certificate", methods=["GET", "POST"])
@login_required
def my_certificate():
    form = CertificateForm(lang=str(getattr(current_user, "locale", "de") or "de"))
    if request.method == "POST":
        period = form.period()
        if period is not None:
            return _pdf_answer(svc.certificate(current_user.id, *period), form.lang.data or "de")
        return _certificate_page(form, None, url_for("activities.my_certificate")), 400
    return _certificate_page(form, None, url_for("activities.my_certificate"))


@bp.route("/manage/volunteers/<int:user_id>/certificate", methods=["GET", "POST"])
@staff_required
def issue_certificate(user_id: int):
    if not may_see_volunteer(current_user, user_id):
        abort(404)
    person = db.session.get(User, user_id) or abort(404)
    form = CertificateForm()
    action = url_for("activities.issue_certificate", user_id=user_id)
    if request.method == "POST":
        period = form.period()
        if period is not None:
            cert = svc.certificate(user_id, *period, issued_by=current_user)
            svc.record_issue(current_user, user_id, cert)
            return _pdf_answer(cert, form.lang.data or "de")
        return _certificate_page(form, person, action), 400
    return _certificate_page(form, person, action)


@bp.route("/manage/ehrenamtskarte")
@staff_required
def ehrenamtskarte():
    page = svc.threshold_page(current_user, request.args.get("page", 1, type=int) or 1)
    return render_template("activities/hours/threshold.html", page=page,
                           threshold=current_app.config.get("EHRENAMTSKARTE_HOURS", 250), hours=svc.hours_text,
                           page_url=lambda n: url_for("activities.ehrenamtskarte", page=n))


__all__ = ["ehrenamtskarte", "issue_certificate", "my_certificate", "my_hours"]

