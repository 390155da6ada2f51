"""The volunteer's side: my activities, places for me, answering an offered place, calendar
files and the private feed, and partner contacts registering round-table delegates.

Thin: the reading lives in `mine` and `forme`, every change in `signup`."""
from __future__ import annotations

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.accounts.models import Role as AccountRole
from app.accounts.views import register_home_key
from app.activities import bp, calendar, forme, mine
from app.activities import signup as services
from app.activities.texts import when_text
from app.activities.models import ACTIVE, Activity, ActivityState, Role, Signup, SignupState, Slot
from app.core.permissions import confirmed_required
from app.core.timeutil import utcnow
from app.extensions import db

FEED_CACHE = "private, max-age=300"  # a calendar app asks often; never kept by a shared cache


def _cancel_available() -> bool:
    return "activities.cancel" in current_app.view_functions


def _page_arg() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 7 else 1


def _feed_url(key: str | None) -> str | None:
    return url_for("activities.feed", key=key, _external=True) if key else None


# ---------------------------------------------------------------- my activities
bp.add_app_template_global(when_text, "when_text")


@bp.app_template_global("activity_page_url")
def activity_page_url(activity_id: int, anchor: str = "") -> str | None:
    """The public activity page (helper "public"'s part), or None while it isn't there."""
    if "activities.detail" not in current_app.view_functions:
        return None
    return url_for("activities.detail", activity_id=activity_id) + anchor


@bp.get("/my/activities", endpoint="mine")
@login_required
def mine_page():
    now = utcnow()
    upcoming = mine.upcoming(current_user.id, now)
    past = mine.past(current_user.id, now)
    key = mine.feed_key(current_user.id) if current_user.role == AccountRole.VOLUNTEER else None
    return render_template("activities/volunteer/mine.html", upcoming=upcoming, past=past, now=now,
                           feed_url=_feed_url(key), cancel_available=_cancel_available(),
                           offer_token=services.offer_link_token, SignupState=SignupState)


def _home_key() -> tuple:
    from app.activities import cache

    return cache.versions()  # the activities' version and the people's


register_home_key(_home_key)


@bp.app_context_processor
def _my_activities_helpers():
    def next_activity_dates(n: int = 3):
        """The person's next dates for the overview's box (one statement)."""
        if not current_user.is_authenticated:
            return []
        dates = mine.next_dates(current_user.id, n)
        if dates:  # the box changes by the clock when the first of these ends (a kept /home)
            from app.core import viewerpages

            viewerpages.valid_until(min(d.ends_at for d in dates))
        return dates

    def calendar_feed_url():
        """The feed address if the person has one (one statement), for the profile page."""
        if not current_user.is_authenticated:
            return None
        return _feed_url(mine.feed_key(current_user.id, create=False))

    return {"next_activity_dates": next_activity_dates, "calendar_feed_url": calendar_feed_url}


@bp.post("/my/activities/calendar/renew")
@login_required
def renew_feed():
    mine.renew_feed(current_user.id)
    flash(_("Your calendar has a new address. The old one no longer works: please subscribe again with the new "
            "one."), "success")
    back = request.form.get("back")
    target = url_for("people.profile_edit") + "#calendar-feed" if back == "profile" else \
        url_for("activities.mine") + "#calendar-feed"
    return redirect(target)


# ---------------------------------------------------------------- for me
@bp.get("/my/activities/for-me")
@login_required
def for_me():
    if current_user.role != AccountRole.VOLUNTEER:
        return render_template("activities/volunteer/for_me.html", result=None, not_volunteer=True)
    result = forme.for_me(current_user.id, page=_page_arg())
    return render_template("activities/volunteer/for_me.html", result=result, not_volunteer=False)


# ---------------------------------------------------------------- an offered place
OFFER_TEMPLATE = "activities/volunteer/offer.html"


def _offer_problem(exc: services.SignupError):
    status = 410 if exc.code == "offer_gone" else 404
    return render_template(OFFER_TEMPLATE, signup=None, problem=str(exc.message), done=None), status


@bp.route("/activities/offer/<token>", methods=["GET", "POST"])
def offer(token: str):
    """The link in the "a place is free" mail. GET only shows the offer (a link scanner opening
    it takes nothing); the buttons POST. The token is the authority: no log-in needed."""
    if len(token) > 500:
        abort(404)
    if request.method == "GET":
        try:
            signup = services.read_offer(token)
        except services.SignupError as exc:
            return _offer_problem(exc)
        return render_template(OFFER_TEMPLATE, signup=signup, problem=None, done=None)
    answer = request.form.get("answer")
    if answer not in ("accept", "decline"):
        abort(400)
    try:
        signup = services.accept_offer(token) if answer == "accept" else services.decline_offer(token)
    except services.SignupError as exc:
        return _offer_problem(exc)
    return render_template(OFFER_TEMPLATE, signup=signup, problem=None, done=answer)


# ---------------------------------------------------------------- calendars
def _ics(body: bytes, filename: str, cache: str):
    response = make_response(body)
    response.headers["Content-Type"] = calendar.CONTENT_TYPE
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = cache
    return response


@bp.get("/activities/<int:activity_id>/calendar.ics")
def ics(activity_id: int):
    activity = db.session.scalar(select(Activity).where(Activity.id == activity_id)
                                 .options(joinedload(Activity.dates), joinedload(Activity.office),
                                          joinedload(Activity.satellite)))
    if activity is None or activity.state == ActivityState.DRAFT:
        abort(404)
    return _ics(calendar.activity_ics(activity), f"activity-{activity.id}.ics", "public, max-age=300")


@bp.get("/activities/signups/<int:signup_id>.ics")
@login_required
def signup_ics(signup_id: int):
    signup = db.session.get(Signup, signup_id)
    if signup is None or signup.user_id != current_user.id:
        abort(404)
    return _ics(calendar.signup_ics([signup]), f"signup-{signup.id}.ics", "private, no-store")


@bp.get("/calendar/<key>.ics")
def feed(key: str):
    """The private feed a calendar app subscribes to: the secret in the URL is the authority."""
    user_id = mine.feed_owner(key)
    if user_id is None:
        abort(404)
    response = _ics(calendar.feed_ics(user_id), "willkommen.ics", FEED_CACHE)
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# ---------------------------------------------------------------- round-table delegates
def _partner_org_or_403() -> int:
    from app.people.models import OrganisationState

    org = current_user.organisation if current_user.role == AccountRole.PARTNER else None
    if org is None or org.state != OrganisationState.APPROVED:
        abort(403)
    return org.id


def _delegate_page(activity_id: int, role_id: int, org_id: int, errors: dict[int, str] | None = None,
                   typed: dict[int, str] | None = None, status: int = 200):
    now = utcnow()
    role = db.session.scalar(select(Role).join(Role.activity).where(
        Role.id == role_id, Role.activity_id == activity_id, Role.for_partners.is_(True),
        Activity.state != ActivityState.DRAFT).options(joinedload(Role.activity).joinedload(Activity.office)))
    if role is None:
        abort(404)
    slots = list(db.session.scalars(select(Slot).join(Slot.date).where(Slot.role_id == role.id, Slot.ends_at > now)
                                    .options(joinedload(Slot.date)).order_by(Slot.starts_at).limit(60)))
    ids = [s.id for s in slots]
    ours = db.session.scalars(select(Signup).where(Signup.slot_id.in_(ids), Signup.organisation_id == org_id,
                                                   Signup.state.in_(ACTIVE))
                              .order_by(Signup.slot_id, Signup.id)).all() if ids else []
    per_slot: dict[int, list[Signup]] = {}
    for s in ours:
        per_slot.setdefault(s.slot_id, []).append(s)
    pos = services.positions([s.id for s in ours if s.state == SignupState.WAITING])
    tally = services.counts(ids)
    problems = {s.id: services.open_problem(role, s, role.activity, s.date, now, as_partner=True) for s in slots}
    return render_template("activities/volunteer/delegates.html", role=role, activity=role.activity, slots=slots,
                           ours=per_slot, positions=pos, counts=tally, problems=problems, errors=errors or {}, now=now,
                           typed=typed or {}, max_names=services.MAX_DELEGATES_AT_ONCE), status


@bp.route("/activities/<int:activity_id>/roles/<int:role_id>/delegates", methods=["GET", "POST"])
@confirmed_required
def delegates(activity_id: int, role_id: int):
    org_id = _partner_org_or_403()
    if request.method == "GET":
        return _delegate_page(activity_id, role_id, org_id)
    contact = current_user._get_current_object()
    here = url_for("activities.delegates", activity_id=activity_id, role_id=role_id)
    raw_slot = request.form.get("slot", "")
    raw_signup = request.form.get("signup", "")
    if raw_signup:
        if not raw_signup.isdigit() or len(raw_signup) > 9:
            abort(404)
        row = db.session.execute(select(Slot.role_id).join(Signup, Signup.slot_id == Slot.id)
                                 .where(Signup.id == int(raw_signup))).first()
        if row is None or row[0] != role_id:
            abort(404)
        try:
            gone = services.cancel_delegate(contact, int(raw_signup))
        except services.SignupError as exc:
            flash(str(exc.message), "error")
        else:
            flash(_("%(name)s is no longer registered.", name=gone.delegate_name), "success")
        return redirect(here)
    if not raw_slot.isdigit() or len(raw_slot) > 9:
        abort(404)
    slot_id = int(raw_slot)
    if db.session.scalar(select(Slot.role_id).where(Slot.id == slot_id)) != role_id:
        abort(404)
    text = request.form.get("names", "")
    names = [line.strip() for line in text.replace("\r", "").split("\n") if line.strip()]
    if any(len(n) > 120 or any(ord(c) < 32 for c in n) for n in names):
        return _delegate_page(activity_id, role_id, org_id,
                              errors={slot_id: _("Please write each name on its own line, at most 120 "
                                                 "characters.")}, typed={slot_id: text[:2000]}, status=400)
    try:
        made = services.sign_up_delegates(contact, slot_id, names)
    except services.SignupError as exc:
        return _delegate_page(activity_id, role_id, org_id, errors={slot_id: str(exc.message)},
                              typed={slot_id: text[:2000]}, status=400)
    waiting = sum(1 for s in made if s.state == SignupState.WAITING)
    if waiting:
        flash(_("Registered: %(n)d. All places are taken for %(w)d of them: they are on the waiting list.",
                n=len(made), w=waiting), "success")
    else:
        flash(_("Registered: %(n)d.", n=len(made)), "success")
    return redirect(here + f"#slot-{slot_id}")


__all__ = ["delegates", "feed", "for_me", "ics", "mine_page", "offer", "signup_ics"]
