"""People blueprint. For now: a coordinator writes to the volunteers of an office."""
from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.core.permissions import can_act_in_office, scope_to_offices, staff_required
from app.core.templating import language_name
from app.extensions import db
from app.mail.services import send_message
from app.offices.models import District, Office
from app.people import bp, services
from app.people.forms import MessageForm


@bp.route("/message", methods=["GET", "POST"])
@staff_required
def compose_message():
    offices = db.session.scalars(scope_to_offices(select(Office), Office.id, current_user).order_by(Office.name)).all()
    if not offices:
        abort(403)
    form = MessageForm()
    if not form.token.data:
        form.token.data = secrets.token_urlsafe(24)
    form.office.choices = [(o.id, o.name) for o in offices]
    office_id = form.office.data if form.office.data in {o.id for o in offices} else offices[0].id
    districts = db.session.scalars(select(District).where(District.office_id == office_id).order_by(District.name)).all()
    form.district.choices = [(0, _("all districts of the office"))] + [(d.id, d.name) for d in districts]
    form.language.choices = [("", _("any language"))] + [(c, language_name(c)) for c in services.COMMON_LANGUAGES]
    preview = None
    if form.validate_on_submit():
        if not can_act_in_office(current_user, form.office.data):
            abort(404)
        recipients = services.volunteer_recipients(form.office.data, form.district.data or None, form.language.data or None)
        office = db.session.get(Office, form.office.data)
        district = db.session.get(District, form.district.data) if form.district.data else None
        audience = _("you are registered as a volunteer in %(place)s", place=district.name if district else office.name)
        if form.language.data:
            audience += _(" and speak %(language)s", language=language_name(form.language.data))
        count = services.count_rows(recipients)
        if "send" in request.form and count:
            message = send_message(sender=current_user, office_id=office.id, subject=form.subject.data,
                                   body=form.body.data, audience=audience, recipients=recipients,
                                   client_token=form.token.data)
            flash(_("Your message is on its way to %(n)d people.", n=message.recipient_count), "success")
            return redirect(url_for("mail.message_log", message_id=message.id))
        preview = {"count": count, "audience": audience}
    return render_template("people/compose_message.html", form=form, preview=preview)
