"""Pages of the matching area (thin: the services do the work).

Staff: the board (/matching/needs), record and edit a need, a need's page with its ranked
candidates, partners beside, proposals and history; propose, withdraw, close, reopen, done.
Volunteers: "my assignments" (/my/assignments) and "done" with hours. Anyone with the mailed
link: the answer page (/matching/answer/<token>; GET asks, POST spends the link)."""
from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from wtforms import Field

from app.accounts.models import Role
from app.activities.series import local_to_utc, utc_to_local
from app.core import audit
from app.core.urls import form_id
from app.core.permissions import can_act_in_office, office_scope, staff_required
from app.extensions import db
from app.matching import bp
from app.matching import candidates as cand
from app.matching import mine as mine_svc
from app.matching import proposals as prop
from app.matching import services as svc
from app.matching.forms import BoardFilterForm, CloseForm, DoneForm, NeedForm, ProposeForm
from app.matching.models import NEED_STATE_LABELS, Need, NeedState, NeedTiming, Proposal
from app.matching.texts import slot_names, when_of
from app.offices.models import Office
from app.people import languages
from app.people.languages import TOP_LANGUAGES
from app.people.models import DAY_PART_LABELS, DAY_PARTS, ChoiceItem, LanguageLevel, slot_bit


def _locale() -> str:
    return str(get_locale() or "de")


def _lists():
    """Need categories and skills (active), one statement."""
    items = db.session.scalars(select(ChoiceItem).where(
        ChoiceItem.list_name.in_([ChoiceItem.NEED_CATEGORIES, ChoiceItem.SKILLS]))
        .order_by(ChoiceItem.list_name, ChoiceItem.position, ChoiceItem.id)).all()
    return ([i for i in items if i.list_name == ChoiceItem.NEED_CATEGORIES],
            [i for i in items if i.list_name == ChoiceItem.SKILLS])


def _my_offices():
    scope = office_scope(current_user)
    stmt = select(Office).options(selectinload(Office.districts)).order_by(Office.name)
    if scope is not None:
        stmt = stmt.where(Office.id.in_(sorted(scope) or [-1]))
    return db.session.scalars(stmt).all()


def _fill_choices(form: NeedForm, offices, need: Need | None) -> None:
    locale = _locale()
    categories, skills = _lists()
    form.office_id.choices = [(o.id, o.name) for o in offices]
    districts = [d for o in offices for d in o.districts]
    form.district_id.choices = [(None, _("– no district –"))] + [(d.id, f"{d.name} ({d.office.name})" if len(offices) > 1
                                                                  else d.name) for d in districts]
    keep_cat = need.category_id if need else None
    form.category_id.choices = [(None, _("– please choose –"))] + [
        (c.id, c.label(locale)) for c in categories if c.active or c.id == keep_cat]
    keep_skills = {s.id for s in need.skills} if need else set()
    form.skill_ids.choices = [(s.id, s.label(locale)) for s in skills if s.active or s.id in keep_skills]
    langs = [(c, languages.name_of(c, locale)) for c in TOP_LANGUAGES]
    form.household_languages.choices = langs
    form.helpful_languages.choices = langs
    form.required_language.choices = [("", _("– none –"))] + langs


def _data_from(form: NeedForm, need: Need | None) -> svc.NeedData:
    starts_at = None
    if form.timing.data == NeedTiming.AT.value and form.starts_on.data and form.starts_time.data:
        starts_at = local_to_utc(form.starts_on.data, form.starts_time.data)
    bits = 0
    for value in form.slots.data or []:
        d, p = value.split("-")
        bits |= slot_bit(int(d), int(p))
    return svc.NeedData(
        office_id=need.office_id if need else form.office_id.data, category_id=form.category_id.data,
        case_code=form.case_code.data or "", district_id=form.district_id.data,
        household_size=form.household_size.data, household_languages=list(form.household_languages.data or []),
        helpful_languages=list(form.helpful_languages.data or []),
        required_language=form.required_language.data or None,
        required_level=form.required_level.data if form.required_language.data else None,
        skill_ids=list(form.skill_ids.data or []), timing=form.timing.data or NeedTiming.FLEXIBLE.value,
        starts_at=starts_at, slots=bits, due_on=form.due_on.data,
        expected_hours=float(form.expected_hours.data) if form.expected_hours.data is not None else None,
        description=form.description.data or "", ongoing=bool(form.ongoing.data),
        personal_data_confirmed=bool(form.personal_data_confirmed.data))


def _form_from(need: Need) -> NeedForm:
    form = NeedForm(obj=None)
    form.office_id.data = need.office_id
    form.district_id.data = need.district_id
    form.category_id.data = need.category_id
    form.case_code.data = need.case_code
    form.household_size.data = need.household_size
    form.household_languages.data = need.language_codes("household")
    form.helpful_languages.data = need.language_codes("helpful")
    form.required_language.data = need.required_language or ""
    form.required_level.data = need.required_level or 2
    form.skill_ids.data = [s.id for s in need.skills]
    form.timing.data = need.timing.value
    if need.starts_at:
        local = utc_to_local(need.starts_at)
        form.starts_on.data, form.starts_time.data = local.date(), local.time()
    form.slots.data = [f"{d}-{p}" for d in range(7) for p in range(3) if need.slots & slot_bit(d, p)]
    form.due_on.data = need.due_on
    form.expected_hours.data = need.expected_hours
    form.description.data = need.description
    form.ongoing.data = need.ongoing
    return form


def _need_or_404(need_id: int, *, full: bool = False) -> Need:
    stmt = select(Need).where(Need.id == need_id).options(
        joinedload(Need.category), joinedload(Need.district), joinedload(Need.office),
        joinedload(Need.matched_user), selectinload(Need.skills))
    need = db.session.scalar(stmt)
    if need is None or not can_act_in_office(current_user, need.office_id):
        abort(404)
    return need


def _report(exc: svc.NeedError, field_of: Callable[[str], Field | None] = lambda _name: None) -> None:
    """A service's refusal: each message at its form field where `field_of` names one, else flashed."""
    for name, message in exc.errors.items():
        field = field_of(name)
        if field is not None:
            field.errors = [*field.errors, str(message)]
        else:
            flash(str(message), "error")


def _act(need_id: int, run: Callable[[], object], done: str, *,
         field_of: Callable[[str], Field | None] = lambda _name: None, again: Callable[[], object] | None = None):
    """An action on a need's page: `run` the service; its refusal is reported (`_report`) and
    answered by `again()` (the page once more, with the form) or else by going back to the need's
    page, where success is flashed too."""
    try:
        run()
    except svc.NeedError as exc:
        _report(exc, field_of)
        if again is not None:
            return again()
    else:
        flash(done, "success")
    return redirect(url_for("matching.need_detail", need_id=need_id))


def _form_page(form, need, offices, warnings=None, status=200):
    return render_template("matching/need_form.html", form=form, need=need, offices=offices,
                           warnings=warnings or {}, weekdays=range(7), day_parts=DAY_PARTS,
                           day_part_labels=DAY_PART_LABELS), status


def _save(form: NeedForm, need: Need | None, offices):
    if need is not None:
        form.office_id.data = need.office_id
    if not form.validate():
        return _form_page(form, need, offices, status=400)
    try:
        data = _data_from(form, need)
        saved = svc.record_need(current_user, data) if need is None else svc.edit_need(current_user, need.id, data)
    except svc.NeedError as exc:
        _report(exc, lambda name: getattr(form, name if name != "starts_at" else "starts_on", None))
        return _form_page(form, need, offices, warnings={k: str(v) for k, v in exc.warnings.items()}, status=400)
    flash(_("The need is saved.") if need else _("The need is recorded."), "success")
    return redirect(url_for("matching.need_detail", need_id=saved.id))


# ---------------------------------------------------------------- staff pages
@bp.route("/matching/needs")
@staff_required
def board():
    categories, _skills = _lists()
    offices = _my_offices()
    form = BoardFilterForm(request.args)
    form.state.choices = [("", _("not finished")), ("all", _("all"))] + [(s.value, NEED_STATE_LABELS[s]) for s in NeedState]
    form.category.choices = [(None, _("all"))] + [(c.id, c.label(_locale())) for c in categories]
    form.district.choices = [(None, _("all"))] + [(d.id, d.name) for o in offices for d in o.districts]
    form.validate()
    state = form.state.data if not form.state.errors else None
    category = form.category.data if not form.category.errors else None
    district = form.district.data if not form.district.errors else None
    rows = svc.board(current_user, state=state or None, category_id=category, district_id=district)
    labels = {c.id: c.label(_locale()) for c in categories}
    from app.core.timeutil import utcnow

    return render_template("matching/board.html", rows=rows, form=form, labels=labels, now=utcnow())


@bp.route("/matching/needs/new", methods=["GET", "POST"])
@staff_required
def need_new():
    offices = _my_offices()
    form = NeedForm()
    _fill_choices(form, offices, None)
    if request.method == "POST":
        return _save(form, None, offices)
    if len(offices) == 1:
        form.office_id.data = offices[0].id
    return _form_page(form, None, offices)


@bp.route("/matching/needs/<int:need_id>/edit", methods=["GET", "POST"])
@staff_required
def need_edit(need_id: int):
    need = _need_or_404(need_id)
    offices = [need.office]
    if request.method == "POST":
        form = NeedForm()
        _fill_choices(form, offices, need)
        return _save(form, need, offices)
    form = _form_from(need)
    _fill_choices(form, offices, need)
    return _form_page(form, need, offices)


def _detail(need: Need, propose_form=None, close_form=None, status=200):
    search = (request.args.get("q") or "").strip()[:100]
    active = need.state in (NeedState.OPEN, NeedState.PROPOSED)
    ranked = cand.candidates_for(need, name=search or None, limit=30) if active else []
    proposals = db.session.execute(
        select(Proposal.id, Proposal.state, Proposal.deadline, Proposal.created_at, Proposal.user_id,
               Proposal.shared_text).where(Proposal.need_id == need.id).order_by(Proposal.id)).all()
    names = {}
    if proposals:
        from app.accounts.models import User

        names = dict(db.session.execute(select(User.id, User.name).where(
            User.id.in_({p.user_id for p in proposals}))).all())
    return render_template(
        "matching/need.html", need=need, candidates=ranked, search=search,
        partners=cand.partners_for(need) if active else [], proposals=proposals, names=names,
        history=svc.history(need), when=when_of(need), slot_names=slot_names,
        propose_form=propose_form or ProposeForm(), close_form=close_form or CloseForm(),
        done_form=DoneForm(), language_name=lambda c: languages.name_of(c, _locale()),
        suggest_next=need.state == NeedState.OPEN and bool(proposals) and not search,
        locale=_locale(), action_label=audit.action_label,
        level_label=lambda n: LanguageLevel(n).label if n else ""), status


@bp.route("/matching/needs/<int:need_id>")
@staff_required
def need_detail(need_id: int):
    return _detail(_need_or_404(need_id))


@bp.route("/matching/needs/<int:need_id>/propose", methods=["POST"])
@staff_required
def need_propose(need_id: int):
    need = _need_or_404(need_id)
    form = ProposeForm()
    user_id = form_id(request.form.get("user_id"))
    if not form.validate() or not user_id:
        if not user_id:
            flash(_("Please choose a person."), "error")
        return _detail(need, propose_form=form, status=400)
    return _act(need.id, lambda: prop.propose(current_user, need.id, user_id, form.shared_text.data),
                _("Proposed. The volunteer got a mail with the request."),
                field_of={"shared_text": form.shared_text}.get,
                again=lambda: _detail(_need_or_404(need_id), propose_form=form, status=400))


@bp.route("/matching/needs/<int:need_id>/close", methods=["POST"])
@staff_required
def need_close(need_id: int):
    need = _need_or_404(need_id)
    form = CloseForm()
    if not form.validate():
        return _detail(need, close_form=form, status=400)
    return _act(need.id, lambda: svc.close_need(current_user, need.id, form.close_reason.data),
                _("The need is closed."), again=lambda: _detail(_need_or_404(need_id), close_form=form, status=400))


@bp.route("/matching/needs/<int:need_id>/reopen", methods=["POST"])
@staff_required
def need_reopen(need_id: int):
    need = _need_or_404(need_id)
    return _act(need.id, lambda: svc.reopen_need(current_user, need.id), _("The need is open again."))


@bp.route("/matching/needs/<int:need_id>/done", methods=["POST"])
@staff_required
def need_done(need_id: int):
    need = _need_or_404(need_id)
    form = DoneForm()
    if not form.validate():
        for message in [*form.hours_given.errors, *form.outcome.errors]:
            flash(str(message), "error")
        return redirect(url_for("matching.need_detail", need_id=need.id))
    hours = float(form.hours_given.data)
    return _act(need.id, lambda: svc.mark_done(current_user, need.id, hours, form.outcome.data or ""),
                _("The need is done."))


@bp.route("/matching/proposals/<int:proposal_id>/withdraw", methods=["POST"])
@staff_required
def proposal_withdraw(proposal_id: int):
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        abort(404)
    need = _need_or_404(proposal.need_id)
    return _act(need.id, lambda: prop.withdraw(current_user, proposal_id), _("The proposal is withdrawn."))


# ---------------------------------------------------------------- the mailed link
ANSWER_TEMPLATE = "matching/answer.html"


@bp.route("/matching/answer/<token>", methods=["GET", "POST"])
def answer(token: str):
    """GET shows the request (a link scanner opening it spends nothing); the buttons POST. The
    token is the authority: no log-in needed."""
    if len(token) > 500:
        abort(404)
    try:
        if request.method == "GET":
            proposal = prop.read(token)
            return render_template(ANSWER_TEMPLATE, proposal=proposal, when=when_of(proposal.need), done=None,
                                   problem=None, locale=_locale())
        choice = request.form.get("answer")
        if choice not in ("accept", "decline"):
            abort(400)
        proposal = prop.answer(token, choice == "accept")
    except prop.ProposalError as exc:
        status = 410 if exc.code == "gone" else 404
        return render_template(ANSWER_TEMPLATE, proposal=None, problem=str(exc.message), done=None), status
    return render_template(ANSWER_TEMPLATE, proposal=proposal, when=when_of(proposal.need), done=choice,
                           problem=None, locale=_locale())


# ---------------------------------------------------------------- the volunteer's side
@bp.route("/my/assignments", methods=["GET", "POST"])
@login_required
def my_assignments():
    if current_user.role != Role.VOLUNTEER:
        return render_template("matching/mine.html", rows=[], not_volunteer=True, form=None, errors_for=None)
    form = DoneForm()
    errors_for = None
    if request.method == "POST":
        need_id = form_id(request.form.get("need_id"))
        if form.validate() and need_id:
            try:
                svc.mark_done(current_user, need_id, float(form.hours_given.data), form.outcome.data or "")
                flash(_("Thank you! Your hours are counted."), "success")
                return redirect(url_for("matching.my_assignments"))
            except svc.NeedError as exc:
                hours = form.hours_given if "hours_given" in exc.errors else None
                _report(exc, lambda _name: hours)  # any refusal about the hours: all of it at the field
        errors_for = need_id
        rows = mine_svc.assignments(current_user.id)
        return render_template("matching/mine.html", rows=rows, not_volunteer=False, form=form,
                               errors_for=errors_for, when_of=_when_row, locale=_locale()), 400
    rows = mine_svc.assignments(current_user.id)
    return render_template("matching/mine.html", rows=rows, not_volunteer=False, form=form, errors_for=None,
                           when_of=_when_row, locale=_locale())


def _when_row(row) -> str:
    class _N:  # the few fields when_of reads
        timing, starts_at, slots = row.timing, row.starts_at, row.slots

    return when_of(_N)  # type: ignore[arg-type]


__all__ = ["answer", "board", "my_assignments", "need_close", "need_detail", "need_done", "need_edit",
           "need_new", "need_propose", "need_reopen", "proposal_withdraw"]
