"""Admins' page of the districts' neighbours (thin: `neighbours` does the work).

GET /matching/districts lists every district with its neighbours; GET/POST
/matching/districts/<id> ticks one district's neighbours (saved in both directions)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.core.forms import BaseForm, MultiCheckboxField
from app.core.permissions import admin_required
from app.extensions import db
from app.matching import bp
from app.matching import neighbours as svc
from app.offices.models import District


class NeighboursForm(BaseForm):
    neighbours = MultiCheckboxField(_l("Districts that share a border with it"), coerce=int)


@bp.route("/matching/districts")
@admin_required
def districts():
    return render_template("matching/districts.html", rows=svc.districts_with_neighbours())


@bp.route("/matching/districts/<int:district_id>", methods=["GET", "POST"])
@admin_required
def district_neighbours(district_id: int):
    district = db.session.get(District, district_id) or abort(404)
    others = db.session.scalars(select(District).where(District.id != district_id).order_by(District.name)).all()
    form = NeighboursForm()
    form.neighbours.choices = [(d.id, d.name) for d in others]
    if form.validate_on_submit():
        try:
            added, removed = svc.set_neighbours_of(current_user, district_id, set(form.neighbours.data or []))
        except svc.NeighbourError:
            db.session.rollback()
            form.neighbours.errors = [*form.neighbours.errors, _("Please choose only other districts from the list.")]
        else:
            flash(_("The neighbours of %(district)s are saved.", district=district.name) if added or removed
                  else _("Nothing changed."), "success")
            return redirect(url_for("matching.districts"))
    elif not form.is_submitted():
        form.neighbours.data = sorted(svc.neighbour_ids(district_id))
    status = 400 if form.errors else 200
    return render_template("matching/district_neighbours.html", form=form, district=district), status
