"""Management pages at /manage/activities: coordinators (their offices' activities) and partner
contacts (their approved organisation's; drafts only for changes). Thin: forms in, services
(app.activities.manage, app.activities.signup) do the work; another office's or organisation's
activity answers 404."""
from __future__ import annotations

from datetime import datetime, timezone
from functools import wraps
from math import ceil

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts.models import Role as UserRole
from app.accounts.models import User, coordinator_offices
from app.activities import bp
from app.activities import manage as svc
from app.activities.manage_forms import (ActivityForm, AddPersonForm, CancelForm, ConfirmForm, CopyForm,
                                         DateCancelForm, DateForm, MoveForm, RemoveForm, RoleForm,
                                         RosterActionForm, SeriesForm)
from app.activities.models import (ACTIVITY_TYPE_LABELS, Activity, ActivityDate, ActivityState, ActivityType,
                                   PlaceKind, Role, Signup, SignupState)
from app.activities.series import local_to_utc, utc_to_local
from app.core import splice
from app.core.forms import clean_text
from app.core.timeutil import utcnow
from app.extensions import db
from app.offices.models import Office
from app.people import languages as language_catalogue
from app.people.models import LanguageLevel, Organisation, OrganisationState

PER_PAGE = 30
PREFIX = "/manage/activities"


def manager_required(view):
    """Staff, or a contact of an approved partner organisation; anyone else 403 — a contact whose
    organisation is not approved (yet) is told so (the menu shows them the link already)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not (svc.is_staff(current_user) or svc.partner_organisation_id(current_user) is not None):
            if current_user.role == UserRole.PARTNER and request.method == "GET":
                return render_template("activities/manage/not_approved.html"), 403
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _locale() -> str:
    return str(get_locale() or "de")


def _activity_or_404(activity_id: int) -> Activity:
    activity = svc.overview(activity_id)
    if activity is None or not svc.may_manage(current_user, activity):
        abort(404)
    return activity


def _editable_or_404(activity_id: int) -> Activity:
    activity = _activity_or_404(activity_id)
    if not svc.may_edit(current_user, activity):
        abort(404 if not svc.is_staff(current_user) else 403)
    return activity


def _staff_activity_or_404(activity_id: int) -> Activity:
    activity = _activity_or_404(activity_id)
    if not svc.may_publish(current_user, activity):
        abort(404)
    return activity


def _show(activity_id: int):
    return redirect(url_for("activities.manage_show", activity_id=activity_id))


def _error(form, exc: svc.ManageError, mapping: dict[str, str] | None = None) -> None:
    """A service's refusal: next to its field when the form has it, else as a message on top."""
    name = (mapping or {}).get(exc.field or "", exc.field)
    if form is not None and name and name in form:
        form[name].errors = [*form[name].errors, str(exc.message)]
    else:
        flash(str(exc.message), "error")


# ---------------------------------------------------------------- the list
def _arg_enum(name: str, enum_cls):
    try:
        return enum_cls(request.args.get(name, ""))
    except ValueError:
        return None


def _arg_int(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


@bp.get(PREFIX)
@manager_required
def manage_list():
    offices = svc.offices_for(current_user) if svc.is_staff(current_user) else []
    office_id = _arg_int("office")
    flt = svc.ListFilter(state=_arg_enum("state", ActivityState), kind=_arg_enum("kind", ActivityType),
                         office_id=office_id if office_id in {o.id for o in offices} else None)
    stmt = svc.list_stmt(current_user, flt)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, ceil(total / PER_PAGE))
    page = min(max(1, _arg_int("page") or 1), pages)
    rows = db.session.execute(stmt.options(selectinload(Activity.office), selectinload(Activity.organisation))
                              .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()

    class _Page:  # what _pagination.html reads
        pass

    p = _Page()
    p.page, p.pages, p.has_prev, p.has_next, p.total = page, pages, page > 1, page < pages, total
    return render_template("activities/manage/list.html", rows=rows, page=p, flt=flt, offices=offices,
                           states=list(ActivityState), kinds=list(ActivityType),
                           is_staff=svc.is_staff(current_user))


# ---------------------------------------------------------------- the activity's fields
def _activity_form(activity: Activity | None = None) -> ActivityForm:
    form = ActivityForm(obj=activity)
    offices = svc.offices_for(current_user)
    if activity is not None and activity.office not in offices:
        offices = [activity.office, *offices]
    form.office_id.choices = [(o.id, o.name) for o in offices]
    if len(offices) > 1 and activity is None:
        form.office_id.choices = [("", _("Please choose")), *form.office_id.choices]
    office_ids = [o.id for o in offices]
    from app.offices.models import District, SatelliteLocation

    sats = db.session.scalars(select(SatelliteLocation).where(SatelliteLocation.office_id.in_(office_ids))
                              .order_by(SatelliteLocation.name)).all()
    many = len(offices) > 1
    names = {o.id: o.name for o in offices}
    form.satellite_id.choices = [("", "—")] + [
        (s.id, f"{s.name} ({names[s.office_id]})" if many else s.name) for s in sats]
    districts = db.session.scalars(select(District).where(District.office_id.in_(office_ids))
                                   .order_by(District.name)).all()
    form.district_id.choices = [("", _("the office's first district"))] + [
        (d.id, f"{d.name} ({names[d.office_id]})" if many else d.name) for d in districts]
    form.kind.choices = [(k.value, str(ACTIVITY_TYPE_LABELS[k])) for k in ActivityType]
    locale = _locale()
    current = svc.languages_of(activity.id) if activity is not None else ["de"]
    top = list(language_catalogue.TOP_LANGUAGES)
    form.languages.choices = [(c, language_catalogue.name_of(c, locale)) for c in
                              top + [c for c in current if c not in top]]
    form.other_language.choices = [("", "—")] + [(c, n) for c, n in language_catalogue.choices(locale)
                                                 if c not in top]
    if svc.is_staff(current_user):
        orgs = db.session.execute(select(Organisation.id, Organisation.name).where(
            (Organisation.state == OrganisationState.APPROVED)
            | (Organisation.id == (activity.organisation_id if activity else -1)))
            .order_by(Organisation.name)).all()
        form.organisation_id.choices = [("", _("the office"))] + [(i, n) for i, n in orgs]
    else:
        form.organisation_id.choices = [(current_user.organisation_id, current_user.organisation.name)]
    coords = db.session.execute(select(User.id, User.name, coordinator_offices.c.office_id)
                                .join(coordinator_offices, coordinator_offices.c.user_id == User.id)
                                .where(coordinator_offices.c.office_id.in_(office_ids),
                                       User.role == UserRole.COORDINATOR, User.active.is_(True))
                                .order_by(User.name)).all()
    form.contact_id.choices = [("", "—")] + [(i, f"{n} ({names[o]})" if many else n) for i, n, o in coords]
    if not form.is_submitted():
        form.languages.data = current
        if activity is not None:
            form.kind.data = activity.kind.value
            form.place_kind.data = activity.place_kind.value
        elif len(offices) == 1:
            form.office_id.data = offices[0].id
    return form


def _activity_data(form: ActivityForm) -> svc.ActivityData:
    langs = list(form.languages.data or [])
    if form.other_language.data and form.other_language.data not in langs:
        langs.append(form.other_language.data)
    return svc.ActivityData(
        title=form.title.data or "", kind=form.kind.data, office_id=form.office_id.data,
        place_kind=form.place_kind.data or "office", satellite_id=form.satellite_id.data,
        place_name=form.place_name.data or "", street=form.street.data or "", postcode=form.postcode.data or "",
        city=form.city.data or "", district_id=form.district_id.data, summary=form.summary.data or "",
        description=form.description.data or "", languages=langs, organisation_id=form.organisation_id.data,
        contact_id=form.contact_id.data, reminder_days=form.reminder_days.data)


@bp.route(f"{PREFIX}/new", methods=["GET", "POST"])
@manager_required
def manage_new():
    form = _activity_form()
    if not form.office_id.choices:
        flash(_("Your organisation's districts belong to no office yet, so it cannot offer activities here."),
              "warning")
        return redirect(url_for("activities.manage_list"))
    if form.validate_on_submit():
        try:
            activity = svc.create_activity(current_user, _activity_data(form))
        except svc.ManageError as exc:
            _error(form, exc)
        else:
            flash(_("Activity saved as a draft. Now add its dates and roles."), "success")
            return _show(activity.id)
    return render_template("activities/manage/activity_form.html", form=form, activity=None)


@bp.route(f"{PREFIX}/<int:activity_id>/edit", methods=["GET", "POST"])
@manager_required
def manage_edit(activity_id: int):
    activity = _editable_or_404(activity_id)
    form = _activity_form(activity)
    if form.validate_on_submit():
        try:
            svc.update_activity(current_user, activity.id, _activity_data(form))
        except svc.ManageError as exc:
            db.session.rollback()
            _error(form, exc)
        else:
            flash(_("Activity saved."), "success")
            return _show(activity.id)
    return render_template("activities/manage/activity_form.html", form=form, activity=activity)


# ---------------------------------------------------------------- the management page
@bp.get(f"{PREFIX}/<int:activity_id>")
@manager_required
def manage_show(activity_id: int):
    activity = _activity_or_404(activity_id)
    counts = svc.slot_counts(activity.id)
    return render_template("activities/manage/show.html", activity=activity, counts=counts,
                           languages=svc.languages_of(activity.id), now=utcnow(), form=ConfirmForm(),
                           can_edit=svc.may_edit(current_user, activity),
                           can_publish=svc.may_publish(current_user, activity),
                           level_names=_level_names())


def _level_names() -> dict[int, str]:
    from app.people.models import LEVEL_LABELS

    return {int(k): str(v) for k, v in LEVEL_LABELS.items()}


@bp.post(f"{PREFIX}/<int:activity_id>/publish")
@manager_required
def manage_publish(activity_id: int):
    activity = _staff_activity_or_404(activity_id)
    if ConfirmForm().validate_on_submit():
        try:
            svc.publish(current_user, activity.id)
        except svc.ManageError as exc:
            db.session.rollback()
            _error(None, exc)
        else:
            flash(_("The activity is published."), "success")
    return _show(activity.id)


@bp.route(f"{PREFIX}/<int:activity_id>/cancel", methods=["GET", "POST"])
@manager_required
def manage_cancel(activity_id: int):
    activity = _staff_activity_or_404(activity_id)
    if activity.state == ActivityState.CANCELLED:
        flash(_("This activity is cancelled already."), "warning")
        return _show(activity.id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            svc.cancel_activity(current_user, activity.id, form.reason.data)
        except svc.ManageError as exc:
            db.session.rollback()
            _error(form, exc)
        else:
            flash(_("The activity is cancelled. Everyone signed up gets a mail."), "success")
            return _show(activity.id)
    people = db.session.scalar(select(func.count()).select_from(Signup).where(
        Signup.slot_id.in_(select(svc.Slot.id).where(svc.Slot.activity_id == activity.id)),
        Signup.state.in_(svc.ACTIVE)))
    return render_template("activities/manage/cancel.html", form=form, activity=activity, people=people)


@bp.route(f"{PREFIX}/<int:activity_id>/copy", methods=["GET", "POST"])
@manager_required
def manage_copy(activity_id: int):
    activity = _staff_activity_or_404(activity_id)
    form = CopyForm()
    if not form.is_submitted():
        form.weeks.data = _term_weeks(activity)
        form.title.data = activity.title
    if form.validate_on_submit():
        try:
            copy = svc.copy_activity(current_user, activity.id, form.weeks.data, form.title.data)
        except svc.ManageError as exc:
            db.session.rollback()
            _error(form, exc)
        else:
            flash(_("Copy saved as a draft. Check its dates, then publish it."), "success")
            return _show(copy.id)
    return render_template("activities/manage/copy.html", form=form, activity=activity)


def _term_weeks(activity: Activity) -> int:
    """A useful default: the weeks from the first to one week after the last date."""
    if not activity.dates:
        return 1
    first, last = activity.dates[0].starts_at, activity.dates[-1].starts_at
    return max(1, min(104, (last - first).days // 7 + 1))


# ---------------------------------------------------------------- dates
@bp.route(f"{PREFIX}/<int:activity_id>/dates/new", methods=["GET", "POST"])
@manager_required
def manage_date_new(activity_id: int):
    activity = _editable_or_404(activity_id)
    form = DateForm()
    if form.validate_on_submit():
        try:
            svc.add_date(current_user, activity.id, form.day.data, form.start_time.data, form.end_time.data,
                         form.note.data)
        except svc.ManageError as exc:
            db.session.rollback()
            _error(form, exc)
        else:
            flash(_("Date added."), "success")
            return _show(activity.id)
    return render_template("activities/manage/date_form.html", form=form, activity=activity)


@bp.route(f"{PREFIX}/<int:activity_id>/series/new", methods=["GET", "POST"])
@manager_required
def manage_series_new(activity_id: int):
    activity = _editable_or_404(activity_id)
    form = SeriesForm()
    form.weekdays.choices = [(i, _weekday(i)) for i in range(7)]
    preview = None
    if form.validate_on_submit():
        rule = svc.SeriesRule(weekdays_mask=form.mask(), starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                              start_time=form.start_time.data, end_time=form.end_time.data,
                              interval_weeks=form.interval_weeks.data or 1, skip=form.skip())
        try:
            if "save" not in request.form:
                preview = svc.preview_series(rule)
            else:
                dates = svc.add_series(current_user, activity.id, rule)
        except svc.ManageError as exc:
            db.session.rollback()
            _error(form, exc, {"weekdays_mask": "weekdays"})
        else:
            if preview is None:
                flash(ngettext("%(num)d date added.", "%(num)d dates added.", len(dates)), "success")
                return _show(activity.id)
    return render_template("activities/manage/series_form.html", form=form, activity=activity, preview=preview,
                           skipped=sorted(form.skip()) if preview is not None else [])


def _weekday(i: int) -> str:
    from app.core.templating import weekday_name

    return weekday_name(i)


def _date_or_404(activity: Activity, date_id: int) -> ActivityDate:
    for d in activity.dates:
        if d.id == date_id:
            return d
    abort(404)


@bp.route(f"{PREFIX}/<int:activity_id>/dates/<int:date_id>/move", methods=["GET", "POST"])
@manager_required
def manage_date_move(activity_id: int, date_id: int):
    activity = _editable_or_404(activity_id)
    d = _date_or_404(activity, date_id)
    form = MoveForm()
    if not form.is_submitted():
        start, end = utc_to_local(d.starts_at), utc_to_local(d.ends_at)
        form.day.data, form.start_time.data, form.end_time.data = start.date(), start.time(), end.time()
    if form.validate_on_submit():
        try:
            svc.move_date(current_user, d.id, form.day.data, form.start_time.data, form.end_time.data,
                          activity_id=activity.id)
        except svc.ManageError as exc:
            db.session.rollback()
            _error(form, exc)
        else:
            flash(_("Date moved. Everyone signed up gets a mail."), "success")
            return _show(activity.id)
    return render_template("activities/manage/date_move.html", form=form, activity=activity, date=d)


@bp.route(f"{PREFIX}/<int:activity_id>/dates/<int:date_id>/cancel", methods=["GET", "POST"])
@manager_required
def manage_date_cancel(activity_id: int, date_id: int):
    activity = _editable_or_404(activity_id)
    d = _date_or_404(activity, date_id)
    form = DateCancelForm()
    if form.validate_on_submit():
        try:
            svc.cancel_date(current_user, d.id, form.reason.data, activity_id=activity.id)
        except svc.ManageError as exc:
            db.session.rollback()
            _error(form, exc)
        else:
            flash(_("Date cancelled. Everyone signed up gets a mail."), "success")
            return _show(activity.id)
    return render_template("activities/manage/date_cancel.html", form=form, activity=activity, date=d)


# ---------------------------------------------------------------- roles
def _role_form(role: Role | None = None) -> RoleForm:
    form = RoleForm(obj=role)
    locale = _locale()
    form.required_language.choices = [("", "—")] + language_catalogue.choices(locale)
    from app.people.models import LEVEL_LABELS

    form.required_level.choices = [(int(k), str(v)) for k, v in LEVEL_LABELS.items()]
    form.required_skill_id.choices = [("", "—")] + [
        (s.id, s.label(locale)) for s in svc.skill_choices(role.required_skill_id if role else None)]
    if not form.is_submitted():
        if role is None:
            form.required_level.data = int(LanguageLevel.GOOD)
        else:
            form.required_language.data = role.required_language or ""
            form.signup_opens_at.data = _local_naive(role.signup_opens_at)
            form.signup_closes_at.data = _local_naive(role.signup_closes_at)
    return form


def _local_naive(value: datetime | None) -> datetime | None:
    return utc_to_local(value).replace(tzinfo=None) if value else None


def _utc(value: datetime | None) -> datetime | None:
    """A Berlin wall-clock datetime-local input as naive UTC."""
    return local_to_utc(value.date(), value.time()) if value else None


def _role_data(form: RoleForm) -> svc.RoleData:
    return svc.RoleData(
        name=form.name.data or "", description=form.description.data or "", capacity=form.capacity.data,
        slot_start=form.slot_start.data, slot_end=form.slot_end.data,
        signup_opens_at=_utc(form.signup_opens_at.data), signup_closes_at=_utc(form.signup_closes_at.data),
        deadline_hours=form.deadline_hours.data or 0, required_language=form.required_language.data or None,
        required_level=form.required_level.data, required_skill_id=form.required_skill_id.data,
        for_partners=form.for_partners.data, max_per_organisation=form.max_per_organisation.data,
        auto_move_up=form.auto_move_up.data)


@bp.route(f"{PREFIX}/<int:activity_id>/roles/new", methods=["GET", "POST"])
@manager_required
def manage_role_new(activity_id: int):
    activity = _editable_or_404(activity_id)
    form = _role_form()
    if form.validate_on_submit():
        try:
            svc.add_role(current_user, activity.id, _role_data(form))
        except svc.ManageError as exc:
            db.session.rollback()
            _error(form, exc)
        else:
            flash(_("Role saved."), "success")
            return _show(activity.id)
    return render_template("activities/manage/role_form.html", form=form, activity=activity, role=None)


def _role_or_404(activity: Activity, role_id: int) -> Role:
    for r in activity.roles:
        if r.id == role_id:
            return r
    abort(404)


@bp.route(f"{PREFIX}/<int:activity_id>/roles/<int:role_id>/edit", methods=["GET", "POST"])
@manager_required
def manage_role_edit(activity_id: int, role_id: int):
    activity = _editable_or_404(activity_id)
    role = _role_or_404(activity, role_id)
    form = _role_form(role)
    if form.validate_on_submit():
        try:
            change = svc.update_role(current_user, role.id, _role_data(form), activity_id=activity.id)
        except svc.ManageError as exc:
            db.session.rollback()
            _error(form, exc)
        else:
            flash(_("Role saved."), "success")
            if change.over:
                flash(ngettext("More people are signed up than there are places now: %(num)d too many on the "
                               "fullest date (%(dates)d dates over capacity). Nobody was removed.",
                               "More people are signed up than there are places now: %(num)d too many on the "
                               "fullest date (%(dates)d dates over capacity). Nobody was removed.",
                               change.over, dates=change.dates_over), "warning")
            return _show(activity.id)
    return render_template("activities/manage/role_form.html", form=form, activity=activity, role=role,
                           delete_form=ConfirmForm())


@bp.post(f"{PREFIX}/<int:activity_id>/roles/<int:role_id>/delete")
@manager_required
def manage_role_delete(activity_id: int, role_id: int):
    activity = _editable_or_404(activity_id)
    role = _role_or_404(activity, role_id)
    if ConfirmForm().validate_on_submit():
        try:
            svc.delete_role(current_user, role.id, activity_id=activity.id)
        except svc.ManageError as exc:
            db.session.rollback()
            _error(None, exc)
            return redirect(url_for("activities.manage_role_edit", activity_id=activity.id, role_id=role.id))
        flash(_("Role removed."), "success")
    return _show(activity.id)


# ---------------------------------------------------------------- the roster
def _slot_or_404(activity_id: int, slot_id: int):
    """The slot with role, date and activity in one statement; 404 outside the viewer's reach."""
    slot = svc.roster_slot(slot_id)
    if slot is None or slot.activity_id != activity_id or not svc.may_manage(current_user, slot.role.activity):
        abort(404)
    return slot


_ROW = ('<tr id="s{id}"><th scope="row">{name}{badge}</th>{org}'
        '<td data-label="{l_contact}" class="break">{contact}</td><td data-label="{l_since}">{since}</td>{extra}</tr>')


def _with_org(rows: list[svc.RosterRow]) -> bool:
    """Does the list show an organisation column: only when someone on it has one (a list of
    volunteers would show "Organisation: —" on every person's card on a phone)."""
    return any(r.organisation for r in rows)


def _rows_html(rows: list[svc.RosterRow], kind: str, staff: bool, labels: dict[str, str], activity_id: int,
               with_org: bool, photos_matter: bool = False) -> Markup:
    """A roster section's rows by one format string each (not a macro per row): 300 rows stay cheap;
    the organisation's cell only when the list shows that column (`_with_org`)."""
    from flask_babel import format_datetime

    out = []
    remove_url = url_for("activities.manage_remove", activity_id=activity_id, signup_id=0)[:-len("/0/remove")]
    review_url = url_for("activities.handover_review", handover_id=0)[:-len("/0")]
    for r in rows:
        contact = ""
        if r.email:
            contact = f'<a href="mailto:{escape(r.email)}">{escape(r.email)}</a>'
        if r.phone:
            contact += f'{"<br>" if contact else ""}<a href="tel:{escape(r.phone.replace(" ", ""))}">{escape(r.phone)}</a>'
        if not contact:
            contact = labels["no_contact"] if not r.contact_shared else "—"
        badge = ""
        if r.over_capacity:
            badge = f' <span class="tag tag-warn">{labels["over"]}</span>'
        if photos_matter and not r.photos:  # theatre and festivals: who must not be photographed
            badge += f' <span class="tag tag-warn">{labels["no_photos"]}</span>'
        if kind == "waiting":
            badge = f' <span class="tag">{labels["position"]} {r.position}</span>' + badge
        if r.handover_id is not None:
            if r.handover_taker:  # taken over, waiting for the office's approval
                text = escape(labels["handover_pending"] % {"name": r.handover_taker})
                if staff:
                    text = f'<a href="{review_url}/{r.handover_id}">{text}</a>'
                badge += f' <span class="tag tag-warn">{text}</span>'
            else:
                badge += f' <span class="tag">{labels["handover_open"]}</span>'
        extra = ""
        if kind == "offered":
            extra = f'<td data-label="{labels["until"]}">{format_datetime(r.offer_expires_at, "short") if r.offer_expires_at else ""}</td>'
        if kind == "ended":
            extra = f'<td data-label="{labels["state"]}">{escape(r.state.label)}</td>'
        if staff and kind != "ended":
            buttons = f'<a class="button secondary small" href="{remove_url}/{r.id}/remove">{labels["remove"]}</a>'
            if kind == "waiting" or kind == "offered":
                buttons = (f'<button type="submit" class="secondary small" name="move_up" value="{r.id}" '
                           f'form="roster-actions">{labels["move_up"]}</button> ') + buttons
            extra += f'<td class="no-print">{buttons}</td>'
        org = f'<td data-label="{labels["org"]}">{escape(r.organisation) or "—"}</td>' if with_org else ""
        out.append(_ROW.format(id=r.id, name=escape(r.name), badge=badge, org=org,
                               contact=contact, since=format_datetime(r.created_at, "short"), extra=extra,
                               l_contact=labels["contact"], l_since=labels["since"]))
    return Markup("".join(out))


def _roster_rows(slot, staff: bool) -> tuple:
    """The roster's four lists of rows, their rows' HTML and who is on the list: the same for
    every staff viewer (or every partner contact) of the slot at one state of the data, so kept
    per cache version, locale and kind of viewer (app.activities.cache.fragment): a sign-up,
    a mark, a hand-over, a changed name, phone or consent gives a new version."""
    from app.activities import cache

    def build() -> tuple:
        roster = svc.roster(slot, show_contact="all" if staff else "consent")
        labels = {"org": _("Organisation"), "contact": _("Contact"), "since": _("Signed up"),
                  "until": _("Offer until"), "state": _("State"), "remove": _("Remove"), "move_up": _("Move up"),
                  "position": _("Position"), "over": _("over capacity"), "no_contact": _("not shared"),
                  "handover_open": _("offers the place to others"),
                  # %(name)s filled per row (plain %-formatting of the translated text)
                  "handover_pending": _("taken over by %(name)s, waiting for your approval"),
                  "no_photos": _("no photos, please")}
        lists = (roster.confirmed, roster.offered, roster.waiting, roster.ended)
        # kept as UTF-8 (app.core.splice): the page puts them in without copying them into its text
        with_org = tuple(_with_org(rows) for rows in lists)
        # the photo consent's text is about theatre projects and festivals
        photos_matter = slot.role.activity.kind in (ActivityType.THEATRE, ActivityType.EVENT)
        html = tuple(splice.encoded(str(_rows_html(rows, kind, staff, labels, slot.activity_id, org, photos_matter)))
                     for kind, rows, org in zip(ROSTER_KINDS, lists, with_org))
        on_list = frozenset(r.user_id for r in roster.confirmed + roster.offered + roster.waiting)
        return lists, html, on_list, with_org

    return cache.fragment("roster2", slot.id, int(staff), build=build)


ROSTER_KINDS = ("confirmed", "offered", "waiting", "ended")


def slot_place_or_404(activity_id: int, slot_id: int, allowed) -> svc.SlotPlace:
    """The slot's place (svc.slot_place, kept per cache version), checked by `allowed(user,
    place)`; 404 for another activity's slot or one outside the viewer's reach."""
    from app.activities import cache

    entry = cache.fragment("slot-place", slot_id, build=lambda: (svc.slot_place(slot_id),))
    place = entry[0]
    if place is None or place.activity_id != activity_id or not allowed(current_user, place):
        abort(404)
    return place


def kept_slot_page(name: str, place: svc.SlotPlace, build):
    """A staff page of one slot, kept for its viewer (app.core.viewerpages) while nothing it shows
    changes: the activities' version (sign-ups, marks, hand-overs, urgent calls, the people's
    names, phones and consents on the rows), the people's version (search results), whether the
    date has begun."""
    from app.activities import cache
    from app.core import viewerpages

    return viewerpages.kept((name, *cache.versions(), place.activity_id, place.starts_at <= utcnow()), build)


@bp.get(f"{PREFIX}/<int:activity_id>/slots/<int:slot_id>")
@manager_required
def manage_roster(activity_id: int, slot_id: int):
    place = slot_place_or_404(activity_id, slot_id, svc.may_manage)
    return kept_slot_page("roster", place, lambda: _roster_page(activity_id, slot_id))


def _roster_page(activity_id: int, slot_id: int):
    slot = _slot_or_404(activity_id, slot_id)
    staff = svc.is_staff(current_user)
    lists, html, on_list, with_org = _roster_rows(slot, staff)
    roster = svc.Roster(slot, slot.role, slot.date, slot.role.activity, *lists)
    q = clean_text(request.args.get("q"), 100) if staff else ""
    found = svc.search_volunteers(current_user, q) if q else []
    # the template shows a list's rows only when it has some: a marker for each of those, in order
    blocks = [parts for rows, parts in zip(lists, html) if rows]
    markers = iter(splice.marker(n) for n in range(len(blocks)))
    sections = [(kind, rows, next(markers) if rows else "", org)
                for kind, rows, org in zip(ROSTER_KINDS, lists, with_org)]
    from app.activities.urgent import status_by_slot

    urgent = status_by_slot([slot.id]).get(slot.id) if staff else None
    page = render_template("activities/manage/roster.html", roster=roster, sections=sections, staff=staff,
                           q=q, found=found, on_list=on_list, action_form=RosterActionForm(),
                           add_form=AddPersonForm(), now=utcnow(), urgent=urgent)
    return splice.response(page, blocks)


def _signup_error(exc) -> None:
    flash(str(getattr(exc, "message", exc)), "error")


@bp.post(f"{PREFIX}/<int:activity_id>/slots/<int:slot_id>/add")
@manager_required
def manage_roster_add(activity_id: int, slot_id: int):
    from app.activities import signup

    slot = _slot_or_404(activity_id, slot_id)
    if not svc.may_publish(current_user, slot.role.activity):
        abort(404)
    form = AddPersonForm()
    back = redirect(url_for("activities.manage_roster", activity_id=activity_id, slot_id=slot_id))
    if not form.validate_on_submit():
        flash(_("The form expired. Please send it again."), "error")
        return back
    user_id = svc.optional_user_id(form.user_id.data)
    if user_id is None or not svc.may_add_volunteer(current_user, user_id):
        flash(_("Please choose a volunteer from the search results."), "error")
        return back
    try:
        s = signup.add_by_staff(current_user, slot.id, user_id, over_capacity=bool(form.over_capacity.data),
                                to_waiting_list="waiting" in request.form)
    except signup.SignupError as exc:
        db.session.rollback()
        _signup_error(exc)
    else:
        if s.state == SignupState.WAITING:
            flash(_("The person is on the waiting list now. They get a mail."), "success")
        else:
            flash(_("Person added. They get a mail."), "success")
    return back


@bp.post(f"{PREFIX}/<int:activity_id>/slots/<int:slot_id>/move-up")
@manager_required
def manage_roster_move_up(activity_id: int, slot_id: int):
    from app.activities import signup

    slot = _slot_or_404(activity_id, slot_id)
    if not svc.may_publish(current_user, slot.role.activity):
        abort(404)
    form = RosterActionForm()
    back = redirect(url_for("activities.manage_roster", activity_id=activity_id, slot_id=slot_id))
    signup_id = svc.optional_user_id(request.form.get("move_up"))
    if not form.validate_on_submit() or signup_id is None:
        flash(_("The form expired. Please send it again."), "error")
        return back
    if db.session.scalar(select(Signup.slot_id).where(Signup.id == signup_id)) != slot.id:
        abort(404)
    try:
        signup.move_up(current_user, signup_id, over_capacity=bool(form.over_capacity.data))
    except signup.SignupError as exc:
        db.session.rollback()
        _signup_error(exc)
    else:
        flash(_("Moved up. The person gets a mail."), "success")
    return back


@bp.route(f"{PREFIX}/<int:activity_id>/signups/<int:signup_id>/remove", methods=["GET", "POST"])
@manager_required
def manage_remove(activity_id: int, signup_id: int):
    from app.activities import signup

    s = db.session.get(Signup, signup_id)
    if s is None:
        abort(404)
    slot = _slot_or_404(activity_id, s.slot_id)
    if not svc.may_publish(current_user, slot.role.activity):
        abort(404)
    back = url_for("activities.manage_roster", activity_id=activity_id, slot_id=slot.id)
    form = RemoveForm()
    if form.validate_on_submit():
        try:
            signup.remove(current_user, s.id, reason=form.reason.data or "")
        except signup.SignupError as exc:
            db.session.rollback()
            _signup_error(exc)
        else:
            flash(_("Removed. The person gets a mail."), "success")
            return redirect(back)
    return render_template("activities/manage/remove.html", form=form, signup=s, slot=slot, back=back)


@bp.app_template_global("manage_when")
def manage_when(starts: datetime | None, ends: datetime | None = None) -> str:
    """"Di., 3. März 2027, 17:00–18:30" in the viewer's language (Berlin time)."""
    from babel.dates import format_skeleton, format_time

    if starts is None:
        return ""
    locale = get_locale()
    start = utc_to_local(starts)
    text = f"{format_skeleton('yMMMEd', start, locale=locale)}, {format_time(start, 'short', locale=locale)}"
    if ends is not None:
        end = utc_to_local(ends)
        if end.date() == start.date():
            text += f"–{format_time(end, 'short', locale=locale)}"
        else:
            text += f" – {format_skeleton('MMMEd', end, locale=locale)}, {format_time(end, 'short', locale=locale)}"
    return text
