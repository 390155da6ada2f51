"""People blueprint. For now: a coordinator writes to the volunteers of an office."""
from __future__ import annotations

import json
import secrets

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.core.permissions import can_act_in_office, scope_to_offices, staff_required
from app.core.templating import language_name
from app.extensions import db
from app.mail.services import allow_preview_frame, compose_step, volunteers_audience
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
    # Every office's districts, so that the page's script can switch the list at once; without
    # JavaScript the "show districts" button reloads the form with the chosen office's.
    by_office: dict[int, list[tuple[int, str]]] = {o.id: [] for o in offices}
    for d in db.session.scalars(select(District).where(District.office_id.in_(list(by_office)))
                                .order_by(District.name)):
        by_office[d.office_id].append((d.id, d.name))
    all_districts = _("all districts of the office")
    form.district.choices = [(0, all_districts)] + by_office[office_id]
    form.district.render_kw = {"data-districts": json.dumps(
        {str(k): v for k, v in by_office.items()}, ensure_ascii=False, separators=(",", ":"))}
    form.language.choices = [("", _("any language"))] + [(c, language_name(c)) for c in services.COMMON_LANGUAGES]
    preview = None
    if form.is_submitted() and "refresh" in request.form:
        # Only the office changed: show its districts, check nothing yet.
        if form.district.data not in {d for d, _n in by_office[office_id]}:
            form.district.data = 0
    elif form.validate_on_submit():
        if not can_act_in_office(current_user, form.office.data):
            abort(404)
        recipients = services.volunteer_recipients(form.office.data, form.district.data or None, form.language.data or None)
        office = db.session.get(Office, form.office.data)
        district = db.session.get(District, form.district.data) if form.district.data else None
        audience = volunteers_audience(office, district, form.language.data or None)
        message, preview = compose_step(send="send" in request.form, sender=current_user, office=office,
                                        subject=form.subject.data, body=form.body.data, recipients=recipients,
                                        audience_data=audience, client_token=form.token.data)
        if message is not None:
            flash(_("Your message is on its way to %(n)d people.", n=message.recipient_count), "success")
            return redirect(url_for("mail.message_log", message_id=message.id))
    response = make_response(render_template("people/compose_message.html", form=form, preview=preview))
    return allow_preview_frame(response) if preview and preview["mails"] else response
