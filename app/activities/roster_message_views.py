"""Writing to a roster: /manage/activities/<id>/message — one role, one date, the waiting list,
the people present, or the whole activity, through the outbox's `send_message` (preview with the
count and the mail as each language's reader gets it, a one-time token against a double send,
the per-message log afterwards). Coordinators of the activity's office (and admins) only."""
from __future__ import annotations

import secrets

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.activities import bp
from app.activities import manage as svc
from app.activities import roster_messages
from app.activities.manage_forms import RosterMessageForm
from app.activities.manage_views import PREFIX, _staff_activity_or_404, manager_required
from app.mail.services import allow_preview_frame, compose_step


@bp.route(f"{PREFIX}/<int:activity_id>/message", methods=["GET", "POST"])
@manager_required
def roster_message(activity_id: int):
    activity = _staff_activity_or_404(activity_id)
    form = RosterMessageForm()
    form.to.choices = roster_messages.choices(activity, svc.slot_counts(activity.id))
    if not form.is_submitted():
        wanted = request.args.get("to", "")
        form.to.data = wanted if wanted in {v for v, _label in form.to.choices} else "all"
    if not form.token.data:
        form.token.data = secrets.token_urlsafe(24)
    preview = None
    if form.validate_on_submit():
        audience = roster_messages.parse(form.to.data)
        if audience is None or not roster_messages.belongs_to(activity, audience):
            abort(404)
        recipients = roster_messages.recipients(activity.id, audience)
        data = roster_messages.audience_data(activity, audience)
        message, preview = compose_step(send="send" in request.form, sender=current_user, office=activity.office,
                                        subject=form.subject.data, body=form.body.data, recipients=recipients,
                                        audience_data=data, client_token=form.token.data)
        if message is not None:
            flash(_("Your message is on its way to %(n)d people.", n=message.recipient_count), "success")
            return redirect(url_for("mail.message_log", message_id=message.id))
        if not preview["count"]:
            form.to.errors = [*form.to.errors, _("Nobody is in this group yet. Please choose another one.")]
    response = make_response(render_template("activities/manage/message.html", form=form, activity=activity,
                                              preview=preview))
    return allow_preview_frame(response) if preview and preview["mails"] else response
