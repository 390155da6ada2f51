"""Urgent-call pages: the coordinator's page per slot (who would be asked, with reasons; send;
the calls' status; end one) and the page the mailed link opens (no log-in; GET spends nothing).
The rules live in app/activities/urgent.py."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from app.activities import bp
from app.activities import manage as manage_svc
from app.activities import urgent as services
from app.activities.manage_views import PREFIX, _slot_or_404, manager_required
from app.activities.models import UrgentCall
from app.activities.signup import SignupError, counts
from app.core.forms import BaseForm
from app.core.timeutil import utcnow
from app.extensions import db

TAKE_TEMPLATE = "activities/urgent_take.html"


class UrgentCallForm(BaseForm):
    places = IntegerField(_l("Places wanted"), validators=[
        InputRequired(message=_l("Please enter a number.")),
        NumberRange(min=1, max=500, message=_l("Please enter a number from 1 to %(max)d."))])
    invites = IntegerField(_l("How many people to ask"), validators=[
        InputRequired(message=_l("Please enter a number.")),
        NumberRange(min=1, max=services.MAX_INVITES, message=_l("Please enter a number from 1 to %(max)d."))])


class EndCallForm(BaseForm):
    """Just the CSRF token."""


def _staff_slot_or_404(activity_id: int, slot_id: int):
    slot = _slot_or_404(activity_id, slot_id)
    if not manage_svc.may_publish(current_user, slot.role.activity):
        abort(404)
    return slot


@bp.route(f"{PREFIX}/<int:activity_id>/slots/<int:slot_id>/urgent", methods=["GET", "POST"],
          endpoint="manage_urgent")
@manager_required
def manage_urgent(activity_id: int, slot_id: int):
    """Who an urgent call would reach (best first, with reasons), the form, and the calls so far."""
    slot = _staff_slot_or_404(activity_id, slot_id)
    tally = counts([slot.id]).get(slot.id)
    free = tally.free if tally else 0
    form = UrgentCallForm(data={"places": max(free, 1), "invites": services.DEFAULT_INVITES})
    status = 200
    if request.method == "POST":
        form = UrgentCallForm()
        if form.validate_on_submit():
            try:
                call = services.send_call(current_user, slot.id, form.places.data, form.invites.data)
            except SignupError as exc:
                db.session.rollback()
                if exc.code == "not_found":
                    abort(404)
                target = getattr(form, exc.field, None) if exc.field else None
                if target is not None:
                    target.errors = [*target.errors, str(exc.message)]
                else:
                    flash(str(exc.message), "error")
                status = 400
            else:
                flash(_("The urgent call is sent to %(n)d people. The first to answer get the place.",
                        n=len(call.invites)), "success")
                return redirect(url_for("activities.manage_urgent", activity_id=activity_id, slot_id=slot.id))
        else:
            status = 400
    shown = form.invites.data if isinstance(form.invites.data, int) and 1 <= form.invites.data <= \
        services.MAX_INVITES else services.DEFAULT_INVITES
    candidates = services.rank_for_slot(slot.id, shown)
    calls = services.calls_for_slot(slot.id)
    return render_template("activities/urgent.html", slot=slot, activity=slot.role.activity, free=free,
                           form=form, candidates=candidates, calls=calls, end_form=EndCallForm(),
                           open_call=next((c for c in calls if c.ended_at is None), None),
                           cap=services.weekly_cap(), now=utcnow()), status


@bp.post(f"{PREFIX}/<int:activity_id>/slots/<int:slot_id>/urgent/<int:call_id>/end",
         endpoint="manage_urgent_end")
@manager_required
def manage_urgent_end(activity_id: int, slot_id: int, call_id: int):
    slot = _staff_slot_or_404(activity_id, slot_id)
    call = db.session.get(UrgentCall, call_id)
    if call is None or call.slot_id != slot.id:
        abort(404)
    back = redirect(url_for("activities.manage_urgent", activity_id=activity_id, slot_id=slot.id))
    if not EndCallForm().validate_on_submit():
        flash(_("The form expired. Please send it again."), "error")
        return back
    try:
        services.end_call(current_user, call.id)
    except SignupError:
        abort(404)
    flash(_("The urgent call is ended. Its links now say that the place is taken."), "success")
    return back


@bp.route("/activities/urgent/<token>", methods=["GET", "POST"], endpoint="urgent")
def urgent_take(token: str):
    """The link in the urgent-call mail. GET shows the shift (a link scanner takes nothing); the
    button POSTs. The token names the person: no log-in needed."""
    if len(token) > 500:
        abort(404)
    if request.method == "GET":
        try:
            invite, person = services.read(token)
        except SignupError as exc:
            return _problem(exc)
        return render_template(TAKE_TEMPLATE, invite=invite, slot=invite.call.slot, problem=None, done=None)
    answer = request.form.get("answer")
    if answer not in ("accept", "decline"):
        abort(400)  # only the page's two buttons answer: nothing else takes a place
    try:
        if answer == "decline":
            invite = services.decline(token)
            return render_template(TAKE_TEMPLATE, invite=invite, slot=invite.call.slot, problem=None,
                                   done="declined")
        signup = services.accept(token)
    except SignupError as exc:
        return _problem(exc)
    return render_template(TAKE_TEMPLATE, invite=None, slot=signup.slot, problem=None, done="accepted")


def _problem(exc: SignupError):
    """A clear page: "already taken" and "answered already" are answers (200), a broken or
    expired link is 404, a clash with the person's other dates 400."""
    taken = exc.code in ("taken", "answered")
    status = 200 if taken or exc.code == "no_longer" else 400 if exc.code in ("overlap", "already_there", "closed") else 404
    return render_template(TAKE_TEMPLATE, invite=None, slot=None, problem=str(exc.message), taken=taken,
                           done=None), status
