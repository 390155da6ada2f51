"""Writing to a roster: /manage/activities/<id>/message — one role, one date, the waiting list,
the people present, or the whole activity, through the outbox's `send_message` (preview with the
count and the mail as each language's reader gets it, a one-time token against a double send,
the per-message log afterwards). Coordinators of the activity's office (and admins) only."""
from __future__ import annotations

import secrets
from types import SimpleNamespace

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.activities import bp
from app.activities import manage as svc
from app.activities import roster_messages
from app.activities.manage_forms import RosterMessageForm
from app.activities.manage_views import PREFIX, _staff_activity_or_404, manager_required
from app.mail.services import allow_preview_frame, describe_audience, preview_mails, send_message
from app.people.services import count_rows


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
        count = count_rows(recipients)
        if "send" in request.form and count:
            message = send_message(sender=current_user, office_id=activity.office_id, subject=form.subject.data,
                                   body=form.body.data, audience_data=data, recipients=recipients,
                                   client_token=form.token.data)
            flash(_("Your message is on its way to %(n)d people.", n=message.recipient_count), "success")
            return redirect(url_for("mail.message_log", message_id=message.id))
        draft = SimpleNamespace(subject=form.subject.data.strip(), body=form.body.data, audience="",
                                audience_data=data, sender=current_user, office=activity.office)
        preview = {"count": count, "audience": describe_audience(data),
                   "mails": preview_mails(draft, recipients) if count else []}
        if not count:
            form.to.errors = [*form.to.errors, _("Nobody is in this group yet. Please choose another one.")]
    response = make_response(render_template("activities/manage/message.html", form=form, activity=activity,
                                              preview=preview))
    return allow_preview_frame(response) if preview and preview["mails"] else response
