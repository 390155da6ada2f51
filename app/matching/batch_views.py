"""The office's batch assignment page (thin: `batch.plan` and `batch.confirm` do the work).

GET /matching/offices/<office_id>/batch shows the optimal assignment of the office's open needs,
a row per need with a "change" select (eligible people only, or nobody) and a "propose" box;
nothing is mailed. POST …/batch/confirm checks every chosen pair again and proposes the valid
ones (the same mails as one by one); a one-time form token makes a double submit propose once."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.core.forms import BaseForm
from app.core.permissions import can_act_in_office, staff_required
from app.core.timeutil import utcnow
from app.core.tokens import TokenError, consume_token, make_token
from app.extensions import db
from app.matching import batch as batch_svc
from app.matching import bp
from app.matching.texts import when_of
from app.offices.models import Office

TOKEN_PURPOSE = "matching-batch"
TOKEN_MAX_AGE = 6 * 3600  # a page left open longer is computed afresh


class BatchForm(BaseForm):
    shared_text = TextAreaField(_l("What the volunteers may know"),
                                validators=[DataRequired(_l("Please write what the volunteers may know.")),
                                            Length(max=1000)])
    batch_token = HiddenField()


def _locale() -> str:
    return str(get_locale() or "de")


def _office_or_404(office_id: int) -> Office:
    office = db.session.get(Office, office_id)
    if office is None or not can_act_in_office(current_user, office_id):
        abort(404)
    return office


def _page(office: Office, form: BatchForm, status: int = 200):
    plan = batch_svc.plan(current_user, office.id)
    form.batch_token.data = make_token(TOKEN_PURPOSE, o=office.id, u=current_user.id)
    if not form.shared_text.data:
        form.shared_text.data = batch_svc.default_text(_locale())
    return render_template("matching/batch.html", office=office, plan=plan, form=form, when_of=when_of,
                           locale=_locale(), max_needs=batch_svc.MAX_NEEDS), status


@bp.route("/matching/batch")
@staff_required
def batch_offices():
    """From the board: straight to the office's batch, or the offices to choose from."""
    from sqlalchemy import select

    from app.core.permissions import scope_to_offices

    offices = db.session.scalars(scope_to_offices(select(Office).order_by(Office.name), Office.id,
                                                  current_user)).all()
    if len(offices) == 1:
        return redirect(url_for("matching.batch", office_id=offices[0].id))
    return render_template("matching/batch_offices.html", offices=offices)


@bp.route("/matching/offices/<int:office_id>/batch")
@staff_required
def batch(office_id: int):
    return _page(_office_or_404(office_id), BatchForm(formdata=None))


def _choices(form_data) -> tuple[list[tuple[int, int]], list[batch_svc.Outcome]]:
    """The rows ticked "propose" with a person chosen; rows with a value not from the page come back."""
    chosen, refused = [], []
    seen: set[int] = set()
    for raw in form_data.getlist("need")[: batch_svc.MAX_NEEDS]:
        try:
            need_id = int(raw)
        except (TypeError, ValueError):
            continue
        if need_id in seen or form_data.get(f"propose-{need_id}") != "y":
            continue
        seen.add(need_id)
        value = (form_data.get(f"user-{need_id}") or "").strip()
        if not value:
            continue  # "nobody"
        try:
            chosen.append((need_id, int(value)))
        except ValueError:
            refused.append(batch_svc.Outcome(need_id, None, False, _("Please choose a person from the list.")))
    return chosen, refused


@bp.route("/matching/offices/<int:office_id>/batch/confirm", methods=["POST"])
@staff_required
def batch_confirm(office_id: int):
    office = _office_or_404(office_id)
    form = BatchForm()
    if not form.validate():
        return _page(office, form, status=400)
    from app.matching.services import personal_data_in

    if personal_data_in(form.shared_text.data):
        form.shared_text.errors = [*form.shared_text.errors, _("Please leave out e-mail addresses and phone numbers.")]
        return _page(office, form, status=400)
    try:
        data = consume_token(TOKEN_PURPOSE, form.batch_token.data or "", max_age=TOKEN_MAX_AGE)
        if data.payload.get("o") != office.id or data.payload.get("u") != current_user.id:
            raise TokenError("invalid")
        db.session.commit()  # spent before any proposal: a second submit finds it used
    except TokenError as exc:
        db.session.rollback()
        if exc.reason == "used":
            flash(_("These proposals were sent already; nothing was sent twice."), "info")
        else:
            flash(_("The page was open too long. Please check the proposed assignment again."), "error")
        return redirect(url_for("matching.batch", office_id=office.id))
    chosen, refused = _choices(request.form)
    outcomes = batch_svc.confirm(current_user, office.id, chosen, form.shared_text.data.strip(), utcnow())
    outcomes += refused
    from sqlalchemy import select

    from app.accounts.models import User
    from app.matching.models import Need

    need_ids = [o.need_id for o in outcomes]
    user_ids = [o.user_id for o in outcomes if o.user_id]
    codes = dict(db.session.execute(select(Need.id, Need.case_code).where(Need.id.in_(need_ids or [-1]),
                                                                          Need.office_id == office.id)).all())
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(user_ids or [-1]))).all())
    sent = [o for o in outcomes if o.sent]
    if sent:
        flash(_sent_message(len(sent)), "success")
    return render_template("matching/batch_result.html", office=office, sent=sent,
                           not_sent=[o for o in outcomes if not o.sent], codes=codes, names=names)


def _sent_message(n: int) -> str:
    from flask_babel import ngettext

    return ngettext("%(num)d proposal sent.", "%(num)d proposals sent.", n)


__all__ = ["batch", "batch_confirm", "batch_offices"]
