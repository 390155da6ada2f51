"""Offices blueprint: thin views; access in app.offices.access, work in app.offices.services."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.permissions import admin_required, staff_required
from app.core.templating import weekday_name
from app.offices import access, bp, services
from app.offices.forms import DeleteForm, OfficeForm, SatelliteForm


@bp.get("/")
@staff_required
def list_offices():
    offices = services.offices_overview(access.visible_offices_stmt())
    return render_template("offices/list.html", offices=offices)


@bp.get("/<int:office_id>")
@staff_required
def show_office(office_id: int):
    office = access.office_or_404(office_id)
    return render_template("offices/show.html", office=office, delete_form=DeleteForm(),
                           can_edit=access.can_edit_office(),
                           can_manage=access.can_manage_satellites(office))


def _office_form(office=None) -> OfficeForm:
    form = OfficeForm(obj=office)
    districts = services.all_districts()
    form.districts.choices = [(d.id, d.name) for d in districts]
    # Said next to the checkbox, so that nobody moves another office's district by accident.
    form.districts.notes = {d.id: _("currently: %(office)s", office=d.office.name)
                            for d in districts if d.office is not None and d.office is not office}
    if office is not None and not form.is_submitted():
        form.districts.data = [d.id for d in office.districts]
    return form


def _save_office(form: OfficeForm, office=None):
    data = {f: getattr(form, f).data for f in services.OFFICE_FIELDS}
    for f in ("name", "slug", "operator", "street", "postcode", "phone", "email", "opening_hours"):
        data[f] = (data[f] or "").strip()
    try:
        return services.save_office(office, data, form.districts.data, actor=current_user)
    except services.OfficeConflict as exc:
        getattr(form, exc.field).errors.append(_("Another office already uses this."))
        return None


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new_office():
    form = _office_form()
    if form.validate_on_submit() and (office := _save_office(form)) is not None:
        flash(_("Office saved."), "success")
        return redirect(url_for("offices.show_office", office_id=office.id))
    return render_template("offices/office_form.html", form=form, office=None)


@bp.route("/<int:office_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_office(office_id: int):
    office = access.office_or_404(office_id)
    form = _office_form(office)
    if form.validate_on_submit() and _save_office(form, office) is not None:
        flash(_("Office saved."), "success")
        return redirect(url_for("offices.show_office", office_id=office.id))
    return render_template("offices/office_form.html", form=form, office=office)


def _satellite_form(sat=None) -> SatelliteForm:
    form = SatelliteForm(obj=sat)
    form.weekday.choices = [(i, weekday_name(i)) for i in range(7)]
    return form


@bp.route("/<int:office_id>/satellites/new", methods=["GET", "POST"])
@staff_required
def new_satellite(office_id: int):
    office = access.office_or_404(office_id)
    if not access.can_manage_satellites(office):
        abort(404)
    form = _satellite_form()
    if form.validate_on_submit():
        services.save_satellite(office, None, _satellite_data(form), actor=current_user)
        flash(_("Satellite location saved."), "success")
        return redirect(url_for("offices.show_office", office_id=office.id))
    return render_template("offices/satellite_form.html", form=form, office=office, satellite=None)


@bp.route("/<int:office_id>/satellites/<int:satellite_id>", methods=["GET", "POST"])
@staff_required
def edit_satellite(office_id: int, satellite_id: int):
    office = access.office_or_404(office_id)
    sat = access.satellite_or_404(office, satellite_id)
    form = _satellite_form(sat)
    if form.validate_on_submit():
        services.save_satellite(office, sat, _satellite_data(form), actor=current_user)
        flash(_("Satellite location saved."), "success")
        return redirect(url_for("offices.show_office", office_id=office.id))
    return render_template("offices/satellite_form.html", form=form, office=office, satellite=sat)


@bp.post("/<int:office_id>/satellites/<int:satellite_id>/delete")
@staff_required
def delete_satellite(office_id: int, satellite_id: int):
    office = access.office_or_404(office_id)
    sat = access.satellite_or_404(office, satellite_id)
    if DeleteForm().validate_on_submit():
        services.delete_satellite(sat, actor=current_user)
        flash(_("Satellite location deleted."), "success")
    return redirect(url_for("offices.show_office", office_id=office.id))


def _satellite_data(form: SatelliteForm) -> dict:
    data = {f: getattr(form, f).data for f in services.SATELLITE_FIELDS}
    for f in ("name", "street", "postcode", "note"):
        data[f] = (data[f] or "").strip()
    return data
