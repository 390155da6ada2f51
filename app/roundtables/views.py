"""Round-table pages (thin): staff manage a series, a meeting's agenda and its minutes; partner
contacts of invited organisations read the series and a meeting and propose items. Anyone else,
and staff of another office, gets 404."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.activities.series import local_to_utc, utc_to_local
from app.roundtables import bp
from app.roundtables import services as svc
from app.roundtables.forms import ConfirmForm, DecideForm, DeadlineForm, InviteForm, ItemForm, MinutesForm


def _series_or_404(activity_id: int, staff: bool):
    try:
        act = svc.round_table(activity_id)
    except svc.RoundTableError:
        abort(404)
    if not (svc.is_staff(current_user, act) if staff else svc.may_read(current_user, act)):
        abort(404)
    return act


def _date_or_404(date_id: int, staff: bool):
    try:
        d = svc.meeting_date(date_id)
    except svc.RoundTableError:
        abort(404)
    _series_or_404(d.activity_id, staff)
    return d


def _fail(exc: svc.RoundTableError, form=None):
    if exc.code == "not_found":
        abort(404)
    if form is not None and exc.field and hasattr(form, exc.field):
        getattr(form, exc.field).errors = list(getattr(form, exc.field).errors or []) + [str(exc.message)]
    else:
        flash(str(exc.message), "error")


# ---------------------------------------------------------------- staff: the series
@bp.route("/<int:activity_id>/manage", methods=["GET"])
@login_required
def manage(activity_id: int, invite_form=None):
    act = _series_or_404(activity_id, staff=True)
    form = invite_form or InviteForm()
    form.organisation.choices = [("", _("Please choose"))] + [(o.id, o.name) for o in svc.invitable_organisations(act.id)]
    return render_template("roundtables/manage.html", activity=act, form=form, confirm=ConfirmForm(),
                           invited=svc.invited_organisations(act.id), dates=act.dates)


@bp.route("/<int:activity_id>/invite", methods=["POST"])
@login_required
def invite(activity_id: int):
    act = _series_or_404(activity_id, staff=True)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            svc.invite(current_user, act.id, form.organisation.data)
            flash(_("The organisation is invited."), "success")
            return redirect(url_for(".manage", activity_id=act.id))
        except svc.RoundTableError as exc:
            _fail(exc, form)
    return manage(act.id, invite_form=form), 400


@bp.route("/<int:activity_id>/uninvite/<int:organisation_id>", methods=["POST"])
@login_required
def uninvite(activity_id: int, organisation_id: int):
    act = _series_or_404(activity_id, staff=True)
    if ConfirmForm().validate_on_submit():
        svc.uninvite(current_user, act.id, organisation_id)
        flash(_("The organisation is no longer invited."), "success")
    return redirect(url_for(".manage", activity_id=act.id))


# ---------------------------------------------------------------- staff: one meeting's agenda
@bp.route("/meetings/<int:date_id>/agenda", methods=["GET"])
@login_required
def agenda(date_id: int, item_form=None, decide_form=None, deadline_form=None, status=200):
    d = _date_or_404(date_id, staff=True)
    m = svc.meeting(d.id)
    db_commit()
    if deadline_form is None:
        deadline_form = DeadlineForm()
        if m.proposals_until:
            deadline_form.proposals_until.data = utc_to_local(m.proposals_until).replace(tzinfo=None)
    return render_template("roundtables/agenda.html", date=d, activity=d.activity, meeting=m,
                           items=svc.agenda(d.id), proposals=svc.proposals(d.id), form=item_form or ItemForm(),
                           decide_form=decide_form or DecideForm(), deadline_form=deadline_form,
                           confirm=ConfirmForm(), recipients=len(svc.invitation_recipients(d.activity_id)),
                           until=svc.deadline(m, d)), status


def db_commit():
    from app.extensions import db

    db.session.commit()


@bp.route("/meetings/<int:date_id>/items", methods=["POST"])
@login_required
def add_item(date_id: int):
    d = _date_or_404(date_id, staff=True)
    form = ItemForm()
    if form.validate_on_submit():
        try:
            svc.add_item(current_user, d.id, form.title.data, form.note.data)
            return redirect(url_for(".agenda", date_id=d.id))
        except svc.RoundTableError as exc:
            _fail(exc, form)
    return agenda(d.id, item_form=form, status=400)


@bp.route("/items/<int:item_id>/<any(up,down):direction>", methods=["POST"])
@login_required
def move_item(item_id: int, direction: str):
    date_id = _item_date(item_id)
    if ConfirmForm().validate_on_submit():
        try:
            svc.move_item(current_user, item_id, up=direction == "up")
        except svc.RoundTableError as exc:
            _fail(exc)
    return redirect(url_for(".agenda", date_id=date_id))


@bp.route("/items/<int:item_id>/remove", methods=["POST"])
@login_required
def remove_item(item_id: int):
    date_id = _item_date(item_id)
    if ConfirmForm().validate_on_submit():
        try:
            svc.remove_item(current_user, item_id)
        except svc.RoundTableError as exc:
            _fail(exc)
    return redirect(url_for(".agenda", date_id=date_id))


@bp.route("/items/<int:item_id>/<any(accept,decline):decision>", methods=["POST"])
@login_required
def decide(item_id: int, decision: str):
    date_id = _item_date(item_id)
    form = DecideForm()
    if form.validate_on_submit():
        try:
            svc.decide(current_user, item_id, decision == "accept", form.reason.data or "")
            return redirect(url_for(".agenda", date_id=date_id))
        except svc.RoundTableError as exc:
            _fail(exc, form)
    return agenda(date_id, decide_form=form, status=400)


def _item_date(item_id: int) -> int:
    from app.extensions import db
    from app.roundtables.models import AgendaItem

    item = db.session.get(AgendaItem, item_id)
    if item is None:
        abort(404)
    _date_or_404(item.date_id, staff=True)
    return item.date_id


@bp.route("/meetings/<int:date_id>/deadline", methods=["POST"])
@login_required
def set_deadline(date_id: int):
    d = _date_or_404(date_id, staff=True)
    form = DeadlineForm()
    if form.validate_on_submit():
        value = form.proposals_until.data
        try:
            svc.set_deadline(current_user, d.id, local_to_utc(value.date(), value.time()) if value else None)
            flash(_("The deadline is saved."), "success")
            return redirect(url_for(".agenda", date_id=d.id))
        except svc.RoundTableError as exc:
            _fail(exc, form)
    return agenda(d.id, deadline_form=form, status=400)


@bp.route("/meetings/<int:date_id>/invitation", methods=["POST"])
@login_required
def send_invitation(date_id: int):
    d = _date_or_404(date_id, staff=True)
    if ConfirmForm().validate_on_submit():
        try:
            n = svc.send_invitation(current_user, d.id)
            flash(_("The invitation is on its way to %(n)d people.", n=n), "success")
        except svc.RoundTableError as exc:
            _fail(exc)
    return redirect(url_for(".agenda", date_id=d.id))


# ---------------------------------------------------------------- staff: minutes and attendance
@bp.route("/meetings/<int:date_id>/minutes", methods=["GET", "POST"])
@login_required
def minutes(date_id: int):
    d = _date_or_404(date_id, staff=True)
    m = svc.meeting(d.id)
    db_commit()
    form = MinutesForm()
    status = 200
    if form.validate_on_submit():
        try:
            svc.save_minutes(current_user, d.id, form.minutes.data or "")
            flash(_("The minutes are saved."), "success")
            return redirect(url_for(".minutes", date_id=d.id))
        except svc.RoundTableError as exc:
            _fail(exc, form)
            status = 400
    elif form.errors:
        status = 400
    else:
        form.minutes.data = m.minutes
    return render_template("roundtables/minutes.html", date=d, activity=d.activity, meeting=m, form=form,
                           confirm=ConfirmForm(), attendance=svc.attendance_by_organisation(d.id),
                           preview=svc.minutes_html(m), participants=len(svc.participants(d))), status


@bp.route("/meetings/<int:date_id>/publish", methods=["POST"])
@login_required
def publish(date_id: int):
    d = _date_or_404(date_id, staff=True)
    if ConfirmForm().validate_on_submit():
        try:
            n = svc.publish_minutes(current_user, d.id)
            flash(_("The minutes are published and mailed to %(n)d people.", n=n), "success")
        except svc.RoundTableError as exc:
            _fail(exc)
    return redirect(url_for(".minutes", date_id=d.id))


# ---------------------------------------------------------------- participants: series and meeting
@bp.route("/<int:activity_id>")
@login_required
def series(activity_id: int):
    act = _series_or_404(activity_id, staff=False)
    return render_template("roundtables/series.html", activity=act, dates=act.dates, archive=svc.archive(act.id),
                           staff=svc.is_staff(current_user, act))


@bp.route("/meetings/<int:date_id>", methods=["GET", "POST"])
@login_required
def meeting(date_id: int):
    d = _date_or_404(date_id, staff=False)
    act = d.activity
    m = svc.meeting(d.id)
    db_commit()
    org_id = svc.partner_org(current_user, act)
    form = ItemForm()
    status = 200
    if org_id is not None and form.validate_on_submit():
        try:
            svc.propose(current_user, d.id, form.title.data, form.note.data)
            flash(_("Thank you. The office decides on your proposal."), "success")
            return redirect(url_for(".meeting", date_id=d.id))
        except svc.RoundTableError as exc:
            _fail(exc, form)
            status = 400
    elif form.errors:
        status = 400
    delegate_role = next((r for r in act.roles if r.for_partners), None)
    return render_template("roundtables/meeting.html", date=d, activity=act, meeting=m, items=svc.agenda(d.id),
                           mine=svc.proposals(d.id, org_id) if org_id else [], form=form, partner=org_id is not None,
                           until=svc.deadline(m, d), minutes=svc.minutes_html(m) if m.minutes_published_at else None,
                           delegate_role=delegate_role, staff=svc.is_staff(current_user, act)), status
