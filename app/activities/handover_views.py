"""Hand-over pages: a volunteer offers their place to a colleague or to everyone who fits; the
person a link was mailed to takes it over; a coordinator approves where the role asks for it.
The rules live in app/activities/handover.py."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.accounts.models import Role as AccountRole
from app.accounts.models import User
from app.activities import bp
from app.activities import handover as services
from app.activities.models import Handover, HandoverState, Signup
from app.activities.signup import SignupError
from app.core.permissions import confirmed_required, staff_required
from app.core.timeutil import utcnow
from app.extensions import db

OFFER_TEMPLATE = "activities/volunteer/handover_offer.html"
TAKE_TEMPLATE = "activities/volunteer/handover.html"
MAX_NOTE = 300


def _own_signup_or_404(signup_id: int) -> Signup:
    signup = db.session.get(Signup, signup_id)
    if signup is None or signup.user_id != current_user.id:
        abort(404)
    return signup


def _open_handover(signup_id: int) -> Handover | None:
    return db.session.scalar(select(Handover).where(Handover.open_signup_id == signup_id))


@bp.route("/my/activities/signups/<int:signup_id>/handover", methods=["GET", "POST"], endpoint="handover_offer")
@confirmed_required
def handover_offer(signup_id: int):
    """"I can't come": offer my place to a named colleague (by e-mail address) or to everyone."""
    signup = _own_signup_or_404(signup_id)
    errors: dict[str, str] = {}
    form = {"email": "", "note": ""}
    if request.method == "POST":
        form = {"email": (request.form.get("email") or "").strip().lower()[:254],
                "note": (request.form.get("note") or "").strip()[:MAX_NOTE]}
        to_user_id = None
        if form["email"]:
            to_user_id = db.session.scalar(select(User.id).where(
                func.lower(User.email) == form["email"], User.role == AccountRole.VOLUNTEER,
                User.deleted_at.is_(None), User.active.is_(True)))
            if to_user_id is None:
                errors["email"] = _("We can't find a volunteer with this address. Check it, or leave the field "
                                    "empty to offer the place to everyone who fits.")
        if not errors:
            try:
                services.offer(current_user, signup.id, to_user_id=to_user_id, note=form["note"])
            except SignupError as exc:
                db.session.rollback()
                errors[exc.field or "general"] = str(exc.message)
            else:
                flash(_("Your place is offered. It stays yours until someone takes it over; we will tell you."),
                      "success")
                return redirect(url_for("activities.handover_offer", signup_id=signup.id))
    status = 400 if errors else 200
    return render_template(OFFER_TEMPLATE, signup=signup, open=_open_handover(signup.id), errors=errors, form=form,
                           now=utcnow()), status


@bp.post("/my/activities/handovers/<int:handover_id>/withdraw", endpoint="handover_withdraw")
@confirmed_required
def handover_withdraw(handover_id: int):
    h = db.session.get(Handover, handover_id)
    if h is None or h.from_user_id != current_user.id:
        abort(404)
    try:
        services.withdraw(current_user, h.id)
    except SignupError as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("Your offer is taken back: the place stays yours."), "success")
    return redirect(url_for("activities.handover_offer", signup_id=h.signup_id))


@bp.route("/activities/handover/<token>", methods=["GET", "POST"], endpoint="handover")
def handover_take(token: str):
    """The link in the "can you take over?" mail. GET shows the place (a link scanner takes
    nothing); the button POSTs. The token names the person: no log-in needed."""
    if len(token) > 500:
        abort(404)
    if request.method == "GET":
        try:
            h, person = services.read(token)
        except SignupError as exc:
            return render_template(TAKE_TEMPLATE, handover=None, problem=str(exc.message), done=False), (
                410 if exc.code == "taken" else 404)
        return render_template(TAKE_TEMPLATE, handover=h, person=person, problem=None, done=False)
    try:
        h = services.accept(token)
    except SignupError as exc:
        return render_template(TAKE_TEMPLATE, handover=None, problem=str(exc.message), done=False), (
            410 if exc.code in ("taken", "started") else 400 if exc.code in ("overlap", "already_there") else 404)
    return render_template(TAKE_TEMPLATE, handover=h, person=None, problem=None, done=True)


@bp.get("/manage/activities/handovers/<int:handover_id>", endpoint="handover_review")
@staff_required
def handover_review(handover_id: int):
    """The page the "please approve" mail links to: who gives the place to whom, two buttons."""
    from app.core.permissions import can_act_in_office

    h = db.session.get(Handover, handover_id)
    if h is None or not can_act_in_office(current_user, h.slot.role.activity.office_id):
        abort(404)
    return render_template("activities/manage/handover_review.html", handover=h)


@bp.post("/manage/activities/handovers/<int:handover_id>/decide", endpoint="handover_decide")
@staff_required
def handover_decide(handover_id: int):
    approve = request.form.get("decision") == "approve"
    h = db.session.get(Handover, handover_id)
    if h is None:
        abort(404)
    slot = h.slot
    try:
        services.decide(current_user, h.id, approve)
    except SignupError as exc:
        if exc.code == "not_found":
            abort(404)
        flash(str(exc.message), "error")
    else:
        flash(_("The place is handed over.") if approve and h.state == HandoverState.DONE
              else _("The hand-over is refused; the place stays where it was."), "success")
    return redirect(url_for("activities.manage_roster", activity_id=slot.activity_id, slot_id=slot.id))

