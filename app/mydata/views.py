"""My data: the page, the JSON download, deleting one's account (and staff deleting on request)."""
from __future__ import annotations

import json
import re
from datetime import datetime

from flask import abort, current_app, flash, make_response, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user

from app.accounts.services import verify_password
from app.core.permissions import staff_required
from app.extensions import limiter
from app.mydata import bp, services
from app.mydata.forms import REQUEST_WAY_LABELS, DeleteAccountForm, DeleteOnRequestForm
from app.people.directory import register_volunteer_section

# Field names of the sections' data, as people read them (unknown ones are shown as they are).
LABELS = {
    "name": _l("Name"), "email": _l("E-mail address"), "role": _l("Role"), "language": _l("Language"),
    "email_confirmed_at": _l("Address confirmed"), "created_at": _l("Created"),
    "last_login_at": _l("Last log-in"), "organisation": _l("Organisation"), "sessions": _l("Sessions"),
    "device": _l("Device"), "remember_me": _l("Stay logged in"), "last_used_at": _l("Last used"),
    "ended_at": _l("Ended"), "current": _l("Current answers"), "history": _l("History"),
    "purpose": _l("Purpose"), "title": _l("Title"), "given": _l("Agreed"), "version": _l("Version"),
    "recorded_at": _l("Recorded"), "recorded_at_office": _l("Recorded at the office"),
    "subject": _l("Subject"), "kind": _l("Kind (code)"), "kind_name": _l("Kind"), "status": _l("Status"),
    "queued_at": _l("Queued"), "sent_at": _l("Sent"), "to": _l("To"),
    "activity": _l("Activity"), "starts_at": _l("Begins"), "ends_at": _l("Ends"), "note": _l("Note"),
    "signups": _l("Sign-ups"), "calendar_feed": _l("Calendar subscription"),
    # the volunteer profile, notes and status history
    "district": _l("District you live in"), "offices": _l("Offices you work with"), "languages": _l("Languages"),
    "code": _l("Language code"), "level": _l("How well"), "skills": _l("Skills and interests"),
    "activity_kinds": _l("Kinds of activity you want"), "availability": _l("When you have time"),
    "hours_per_month": _l("Hours per month"), "phone": _l("Phone"), "completed_at": _l("Profile completed"),
    "date": _l("Date"), "text": _l("Text"), "from": _l("From"),
}
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


def _label(key) -> str:
    return str(LABELS.get(key, str(key).replace("_", " ")))


def _coded(key, value) -> str | None:
    """The words for a code the download keeps as it is (a role, a purpose, a mail's state)."""
    from app.accounts.models import ROLE_LABELS, Role
    from app.mail.models import MailStatus
    from app.people.models import PURPOSE_LABELS, ConsentPurpose

    if key == "language" and isinstance(value, str) and value.isascii() and value.islower() and len(value) <= 3:
        from app.core.templating import language_name

        return language_name(value)
    words = {"role": lambda v: ROLE_LABELS[Role(v)], "purpose": lambda v: PURPOSE_LABELS[ConsentPurpose(v)],
             "status": lambda v: MAIL_STATUS_LABELS[MailStatus(v).value]}.get(key)
    if words is None or not isinstance(value, str):
        return None
    try:
        return str(words(value))
    except (ValueError, KeyError):
        return None  # already words (a profile's status)


MAIL_STATUS_LABELS = {"queued": _l("waiting to be sent"), "sending": _l("being sent"), "sent": _l("sent"),
                      "failed": _l("could not be delivered"), "skipped": _l("not sent")}


def _value(value, key=None):
    """A value for the page: dates in the reader's locale, yes/no, dashes for nothing, codes in
    words (`_coded`)."""
    from flask_babel import format_datetime

    if value is None or value == "":
        return "—"
    coded = _coded(key, value) if key is not None else None
    if coded is not None:
        return coded
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str) and _ISO.match(value):
        try:
            return format_datetime(datetime.fromisoformat(value), "medium")
        except ValueError:
            return value
    return value


@bp.get("/my-data")
@login_required
def my_data():
    data = services.export(current_user)
    return render_template("mydata/index.html", data=data, label=_label, value=_value,
                           may_delete=services.may_delete_self(current_user))


@bp.get("/my-data/download")
@login_required
def download():
    data = services.export(current_user)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = make_response(body)
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="willkommen-my-data-{datetime.now():%Y-%m-%d}.json"')
    return response


def _auth_limit() -> str:
    return current_app.config["RATELIMIT_AUTH"]


@bp.route("/my-data/delete", methods=["GET", "POST"])
@login_required
@limiter.limit(_auth_limit, methods=["POST"])
def delete_account():
    if not services.may_delete_self(current_user):
        return render_template("mydata/delete_staff.html"), 403
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if not verify_password(current_user, form.password.data):
            form.password.errors.append(_("The password is wrong."))
        else:
            user = current_user._get_current_object()
            services.delete_account(user, user)
            logout_user()
            session.clear()
            return redirect(url_for("mydata.goodbye"))
    return render_template("mydata/delete.html", form=form)


@bp.get("/my-data/goodbye")
def goodbye():
    return render_template("mydata/goodbye.html")


# The volunteer's page for staff links here (a part of its own, at the end of the page)
register_volunteer_section("delete_on_request", _l("Delete on request"), template="mydata/_volunteer_delete.html",
                           load=lambda user_id, viewer: {"user_id": user_id}, order=90)


@bp.route("/my-data/delete-on-request/<int:user_id>", methods=["GET", "POST"])
@staff_required
def delete_on_request(user_id: int):
    found = services.deletable_on_request(current_user, user_id)
    if found is None:
        abort(404)
    target, office_id = found
    form = DeleteOnRequestForm()
    if form.validate_on_submit():
        services.delete_on_request(current_user, target, office_id, form.how.data)
        flash(_("The account and its data are deleted."), "success")
        return redirect(url_for("accounts.dashboard"))
    return render_template("mydata/delete_on_request.html", form=form, target=target,
                           ways=REQUEST_WAY_LABELS)
