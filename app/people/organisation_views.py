"""People: organisation views (same blueprint as app.people.views for staff pages, and the
`partners` blueprint at /partner for the public list and the contacts' own pages)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.accounts.models import Role
from app.core.forms import clean_text
from app.core.i18n import select_locale
from app.core.pagination import paginate
from app.core.permissions import confirmed_required, get_in_any_office_or_404, office_scope, staff_required
from app.core.tokens import TokenError
from app.extensions import db, limiter
from app.offices.models import District
from app.people import bp
from app.people import organisations as svc
from app.people.models import ChoiceItem, Organisation, OrganisationState, OrganisationType
from app.people.organisation_forms import (ActionForm, DecisionForm, InviteForm, JoinForm, OrganisationFields,
                                           RegisterOrganisationForm)

partners = Blueprint("partners", __name__, template_folder="templates", url_prefix="/partner")


@bp.record_once
def _register_partners(state) -> None:
    # The public and contact pages live at /partner, outside the /people prefix.
    state.app.register_blueprint(partners)


PER_PAGE = 50


def _auth_limit() -> str:
    return current_app.config["RATELIMIT_AUTH"]


def _locale() -> str:
    return str(get_locale() or "de")


ERRORS = {
    "name-taken": lambda: _("An organisation with this name is already registered."),
    "districts": lambda: _("Please choose districts from the list."),
    "districts-office": lambda: _("Districts of another office's area can only be added by that office. "
                                  "Please ask the office there."),
    "needs": lambda: _("Please choose needs from the list."),
    "offers": lambda: _("Please choose offers from the list."),
    "reason": lambda: _("Please say why the organisation is refused. The contacts get this reason by mail."),
    "reason-long": lambda: _("Please write at most %(max)d characters.", max=svc.MAX_REASON),
    "not-pending": lambda: _("This organisation has been decided on already."),
    "state": lambda: _("This is not possible in the organisation's current state."),
    "last-contact": lambda: _("You are the only contact person of your organisation. Please invite a colleague "
                              "first; as soon as they have joined, you can leave."),
    "self": lambda: _("This is your own address."),
    "has-account": lambda: _("This address has an account already. Please log in to accept the invitation."),
    "other-account": lambda: _("This invitation is for another e-mail address. Please log in with that address."),
    "already": lambda: _("You are a contact person of this organisation already."),
    "not-volunteer": lambda: _("Your account cannot become a contact person of an organisation "
                               "(only volunteer accounts can)."),
}

TOKEN_MESSAGES = {
    "expired": lambda: _("This invitation has expired. Please ask your colleague for a new one."),
    "used": lambda: _("This invitation has already been used."),
    "invalid": lambda: _("This invitation is not valid. Please copy the link completely from the mail."),
}


def _message(exc: svc.OrganisationError) -> str:
    return ERRORS.get(exc.code, lambda: _("This is not possible."))()


# ---------------------------------------------------------------- form helpers
def _choices(form: OrganisationFields, org: Organisation | None = None) -> None:
    locale = _locale()
    form.districts.choices = [(d.id, d.name) for d in db.session.scalars(select(District).order_by(District.name))]
    current = {c.id for c in org.need_categories} if org is not None else set()
    items = db.session.scalars(select(ChoiceItem).where(ChoiceItem.list_name == ChoiceItem.NEED_CATEGORIES)
                               .order_by(ChoiceItem.position, ChoiceItem.id))
    form.needs.choices = [(c.id, c.label(locale)) for c in items if c.active or c.id in current]


def _fill(form: OrganisationFields, org: Organisation) -> None:
    if form.is_submitted():
        return
    form.org_name.data = org.name
    form.kind.data = org.kind.value
    form.districts.data = [d.id for d in org.districts]
    form.website.data = org.website
    form.description.data = org.description
    form.offers.data = [k.value for k in org.offers()]
    form.needs.data = [c.id for c in org.need_categories]


def _data(form: OrganisationFields) -> svc.OrganisationData:
    return svc.OrganisationData(name=form.org_name.data, kind=OrganisationType(form.kind.data),
                                district_ids=list(form.districts.data or []), website=form.website.data or "",
                                description=form.description.data or "", offers=list(form.offers.data or []),
                                need_category_ids=list(form.needs.data or []))


def _field_error(form, exc: svc.OrganisationError) -> None:
    target = {"name": "org_name"}.get(exc.field or "", exc.field)
    if target and target in form:
        form[target].errors = [*form[target].errors, _message(exc)]
    else:
        flash(_message(exc), "error")


# ---------------------------------------------------------------- public list
def _enum_arg(name: str, enum_cls):
    try:
        return enum_cls(request.args.get(name, ""))
    except ValueError:
        return None


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def _page_arg() -> int:
    return _int_arg("page") or 1


@partners.get("")
def public_list():
    kind = _enum_arg("type", OrganisationType)
    district_id = _int_arg("district")
    page = paginate(svc.public_partners(kind=kind, district_id=district_id), _page_arg(), PER_PAGE)
    districts = db.session.execute(select(District.id, District.name).order_by(District.name)).all()
    return render_template("people/organisations/public_list.html", page=page, districts=districts,
                           types=list(OrganisationType), kind=kind, district_id=district_id)


# ---------------------------------------------------------------- registration
@partners.route("/register", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return _register_for_account()
    form = RegisterOrganisationForm()
    _choices(form)
    if form.validate_on_submit():
        try:
            svc.register_organisation(_data(form), name=form.name.data, email=form.email.data,
                                      password=form.password.data, locale=select_locale())
        except svc.OrganisationError as exc:
            _field_error(form, exc)
        else:
            return render_template("people/organisations/registered.html", email=form.email.data)
    return render_template("people/organisations/register.html", form=form, account=True)


@confirmed_required
def _register_for_account():
    if current_user.role == Role.PARTNER:
        return redirect(url_for("partners.my_organisation"))
    if current_user.role != Role.VOLUNTEER:
        abort(403)  # staff do not become contacts of an organisation
    form = OrganisationFields()
    _choices(form)
    if form.validate_on_submit():
        try:
            svc.register_for_account(current_user._get_current_object(), _data(form))
        except svc.OrganisationError as exc:
            _field_error(form, exc)
        else:
            flash(_("Thank you! Your organisation is registered and waits for approval by an office."), "success")
            return redirect(url_for("partners.my_organisation"))
    return render_template("people/organisations/register.html", form=form, account=False)


# ---------------------------------------------------------------- the contacts' own pages
def _own_organisation() -> Organisation:
    if current_user.role != Role.PARTNER or current_user.organisation_id is None:
        abort(404)
    org = db.session.get(Organisation, current_user.organisation_id)
    if org is None:
        abort(404)
    return org


@partners.get("/organisation")
@login_required
def my_organisation():
    org = _own_organisation()
    contacts = svc.active_contacts(org.id) if org.is_approved else []
    return render_template("people/organisations/mine.html", org=org, contacts=contacts,
                           invite_form=InviteForm(prefix="inv"), action_form=ActionForm())


@partners.route("/organisation/edit", methods=["GET", "POST"])
@login_required
def edit_my_organisation():
    org = _own_organisation()
    if not org.is_approved:
        abort(404)
    form = OrganisationFields()
    _choices(form, org)
    _fill(form, org)
    if form.validate_on_submit():
        try:
            svc.update_organisation(org.id, _data(form), current_user._get_current_object())
        except svc.OrganisationError as exc:
            _field_error(form, exc)
        else:
            flash(_("The details of your organisation are saved."), "success")
            return redirect(url_for("partners.my_organisation"))
    return render_template("people/organisations/edit.html", form=form, org=org, staff=False)


@partners.post("/organisation/invite")
@login_required
@limiter.limit(_auth_limit)
def invite():
    org = _own_organisation()
    if not org.is_approved:
        abort(404)
    form = InviteForm(prefix="inv")
    if form.validate_on_submit():
        try:
            svc.invite_colleague(org, current_user._get_current_object(), form.email.data)
        except svc.OrganisationError as exc:
            form.email.errors.append(_message(exc))
        else:
            # The same words whether or not the address has an account.
            flash(_("We have sent an invitation to %(email)s. The link works for 7 days.", email=form.email.data),
                  "success")
            return redirect(url_for("partners.my_organisation"))
    contacts = svc.active_contacts(org.id)
    return render_template("people/organisations/mine.html", org=org, contacts=contacts, invite_form=form,
                           action_form=ActionForm())


@partners.post("/organisation/leave")
@login_required
def leave():
    org = _own_organisation()
    if ActionForm().validate_on_submit():
        if request.form.get("confirm") != "yes":  # one tap by mistake leaves nothing
            flash(_("Please tick the box to confirm that you want to leave."), "error")
            return redirect(url_for("partners.my_organisation"))
        try:
            svc.leave_organisation(current_user._get_current_object())
        except svc.OrganisationError as exc:
            flash(_message(exc), "error")
            return redirect(url_for("partners.my_organisation"))
        flash(_("You are no longer a contact person of %(org)s. Your account is a volunteer account now.",
                org=org.name), "success")
        return redirect(url_for("accounts.dashboard"))
    return redirect(url_for("partners.my_organisation"))


# ---------------------------------------------------------------- invitations
def _token_error(exc: TokenError):
    flash(TOKEN_MESSAGES.get(exc.reason, TOKEN_MESSAGES["invalid"])(), "error")
    return redirect(url_for("core.index"))


@partners.route("/join/<token>", methods=["GET", "POST"])
@limiter.limit(_auth_limit, methods=["POST"])
def join(token: str):
    try:
        invitation = svc.read_invitation(token)
    except TokenError as exc:
        return _token_error(exc)
    if invitation.account is not None:
        return _join_existing(token, invitation)
    if current_user.is_authenticated:
        flash(_message(svc.OrganisationError("other-account")), "error")
        return redirect(url_for("accounts.dashboard"))
    form = JoinForm()
    form.personal_words = [invitation.email]
    if form.validate_on_submit():
        try:
            user = svc.accept_invitation_new(token, form.name.data, form.password.data, locale=select_locale())
        except TokenError as exc:
            return _token_error(exc)
        except svc.OrganisationError as exc:
            flash(_message(exc), "error")
            return redirect(url_for("accounts.login"))
        from app.accounts.views import log_in_from_link

        # the link proved the mailbox and the password is chosen: logged in, as after a reset
        return log_in_from_link(user, url_for("partners.my_organisation"),
                                _("Welcome! You are a contact person of %(org)s now.", org=invitation.organisation.name))
    return render_template("people/organisations/join.html", form=form, invitation=invitation, existing=False)


def _join_existing(token: str, invitation: svc.Invitation):
    if not current_user.is_authenticated:
        flash(_("Please log in to accept the invitation."), "warning")
        return redirect(url_for("accounts.login", next=url_for("partners.join", token=token)))
    if current_user.email != invitation.email:
        flash(_message(svc.OrganisationError("other-account")), "error")
        return redirect(url_for("accounts.dashboard"))
    form = ActionForm()
    if form.validate_on_submit():
        try:
            svc.accept_invitation_existing(token, current_user._get_current_object())
        except TokenError as exc:
            return _token_error(exc)
        except svc.OrganisationError as exc:
            flash(_message(exc), "error")
            return redirect(url_for("accounts.dashboard"))
        flash(_("You are a contact person of %(org)s now.", org=invitation.organisation.name), "success")
        return redirect(url_for("partners.my_organisation"))
    return render_template("people/organisations/join.html", form=form, invitation=invitation, existing=True)


# ---------------------------------------------------------------- staff
def _staff_org_or_404(org_id: int) -> Organisation:
    return get_in_any_office_or_404(Organisation, org_id, svc.office_ids_of)


@bp.get("/organisations")
@staff_required
def organisations():
    offices = office_scope(current_user)
    kind = _enum_arg("type", OrganisationType)
    state = _enum_arg("state", OrganisationState)
    district_id = _int_arg("district")
    q = clean_text(request.args.get("q"), 100)
    districts = select(District.id, District.name).order_by(District.name)
    if offices is not None:
        districts = districts.where(District.office_id.in_(offices or {-1}))
    districts = db.session.execute(districts).all()
    # a value not on the list (a stale bookmark, a typed URL): said at its field, not applied
    errors = {name: _("Please choose a value from the list.") for name, value, ok in (
        ("type", request.args.get("type"), kind is not None), ("state", request.args.get("state"), state is not None),
        ("district", request.args.get("district"), district_id in {d for d, _n in districts})) if value and not ok}
    if "district" in errors:
        district_id = None
    stmt = svc.organisations_for_offices(offices, kind=kind, district_id=district_id, state=state, name=q or None)
    page = paginate(stmt, _page_arg(), PER_PAGE)
    return render_template("people/organisations/staff_list.html", page=page, pending=svc.pending_count(offices),
                           districts=districts, types=list(OrganisationType), errors=errors,
                           states=list(OrganisationState), kind=kind, state=state, district_id=district_id, q=q)


@bp.get("/organisations/<int:org_id>")
@staff_required
def organisation_detail(org_id: int):
    org = _staff_org_or_404(org_id)
    return render_template("people/organisations/detail.html", org=org, contacts=svc.active_contacts(org.id),
                           decision_form=DecisionForm(), action_form=ActionForm())


@bp.post("/organisations/<int:org_id>/approve")
@staff_required
def approve_organisation(org_id: int):
    org = _staff_org_or_404(org_id)
    if ActionForm().validate_on_submit():
        try:
            svc.approve(org.id, current_user._get_current_object(), office_scope(current_user))
        except svc.OrganisationError as exc:
            flash(_message(exc), "error")
        else:
            flash(_("%(org)s is approved. The contacts get a mail.", org=org.name), "success")
    return redirect(url_for("people.organisation_detail", org_id=org_id))


@bp.post("/organisations/<int:org_id>/refuse")
@staff_required
def refuse_organisation(org_id: int):
    org = _staff_org_or_404(org_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            svc.refuse(org.id, current_user._get_current_object(), office_scope(current_user), form.reason.data)
        except svc.OrganisationError as exc:
            if exc.field == "reason":
                form.reason.errors.append(_message(exc))
            else:
                flash(_message(exc), "error")
                return redirect(url_for("people.organisation_detail", org_id=org_id))
        else:
            flash(_("%(org)s is refused. The contacts get a mail with the reason.", org=org.name), "success")
            return redirect(url_for("people.organisation_detail", org_id=org_id))
    org = db.session.get(Organisation, org_id)
    return render_template("people/organisations/detail.html", org=org, contacts=svc.active_contacts(org.id),
                           decision_form=form, action_form=ActionForm())


@bp.post("/organisations/<int:org_id>/deactivate")
@staff_required
def deactivate_organisation(org_id: int):
    return _set_active(org_id, False)


@bp.post("/organisations/<int:org_id>/reactivate")
@staff_required
def reactivate_organisation(org_id: int):
    return _set_active(org_id, True)


def _set_active(org_id: int, active: bool):
    org = _staff_org_or_404(org_id)
    if ActionForm().validate_on_submit():
        try:
            svc.set_active(org.id, current_user._get_current_object(), office_scope(current_user), active)
        except svc.OrganisationError as exc:
            flash(_message(exc), "error")
        else:
            flash(_("The organisation is active again.") if active else
                  _("The organisation is deactivated and no longer on the public list."), "success")
    return redirect(url_for("people.organisation_detail", org_id=org_id))


@bp.route("/organisations/<int:org_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_organisation(org_id: int):
    org = _staff_org_or_404(org_id)
    form = OrganisationFields()
    _choices(form, org)
    _fill(form, org)
    if form.validate_on_submit():
        try:
            svc.update_organisation(org.id, _data(form), current_user._get_current_object(),
                                    office_scope(current_user))
        except svc.OrganisationError as exc:
            _field_error(form, exc)
            org = db.session.get(Organisation, org_id)
        else:
            flash(_("The organisation is saved."), "success")
            return redirect(url_for("people.organisation_detail", org_id=org_id))
    return render_template("people/organisations/edit.html", form=form, org=org, staff=True)
