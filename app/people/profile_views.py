"""People: the volunteer's own profile (first-time steps, summary, edit page) and the lists admins
edit (same blueprint as app.people.views). Thin: forms in profile_forms, rules in profiles."""
from __future__ import annotations

from functools import wraps

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import Role
from app.core.permissions import admin_required, confirmed_required
from app.extensions import db
from app.offices.models import District, Office
from app.people import bp, profiles
from app.people import languages as language_catalogue
from app.people.models import DAY_PART_LABELS, DAY_PARTS, ActivityKind, ChoiceItem
from app.people.profile_forms import (LEVEL_HINTS, SECTION_FORMS, ListActionForm, ListItemForm)
from app.people.profiles import SECTIONS, ProfileInputError

SECTION_TITLES = {
    "district": _l("Where you live"),
    "offices": _l("Offices"),
    "languages": _l("Languages"),
    "skills": _l("Skills and interests"),
    "times": _l("Times"),
    "phone": _l("Phone"),
}
# Steps a person may skip on the first-time path (they can fill them in later).
SKIPPABLE = {"offices", "skills", "times", "phone"}
LIST_TITLES = {ChoiceItem.SKILLS: _l("Skills and interests"), ChoiceItem.NEED_CATEGORIES: _l("Categories of need")}


def _locale() -> str:
    return profiles._locale()


def volunteer_required(view):
    """A confirmed volunteer; anyone else is told that only volunteers have a profile."""

    @wraps(view)
    @confirmed_required
    def wrapped(*args, **kwargs):
        if current_user.role != Role.VOLUNTEER:
            flash(_("Only volunteers have a volunteer profile."), "warning")
            return redirect(url_for("accounts.dashboard"))
        return view(*args, **kwargs)

    return wrapped


@bp.app_context_processor
def _profile_helpers():
    def profile_completed() -> bool:
        return current_user.is_authenticated and profiles.shows_complete(current_user.id, signed_in=True)

    return {"profile_completed": profile_completed}


# ---------------------------------------------------------------- building the section forms
class Choices:
    """What the section forms offer, loaded once per request."""

    def __init__(self, profile):
        self.districts = list(db.session.scalars(select(District).order_by(District.name)))
        self.offices = list(db.session.scalars(select(Office).options(selectinload(Office.districts))
                                               .order_by(Office.name)))
        self.skills = profiles.offered_skills(profile)
        self.languages = language_catalogue.choices()


def _profile_data(section: str, profile) -> dict:
    if section == "district":
        return {"district": profile.district_id or 0}
    if section == "offices":
        return {"offices": [o.id for o in profile.offices]}
    if section == "languages":
        rows = [{"code": lang.code, "level": lang.level} for lang in profile.languages]
        if not rows:
            rows = [{"code": "de", "level": None}]
        return {"languages": rows + [{"code": "", "level": None}]}
    if section == "skills":
        return {"skills": [s.id for s in profile.skills], "kinds": [k.value for k in profile.wants()]}
    if section == "times":
        return {"slots": [f"{d}-{p}" for d, p in profiles.availability_slots(profile.availability)],
                "hours": profile.hours_per_month}
    return {"phone": profile.phone}


def _set_choices(section: str, form, choices: Choices) -> None:
    if section == "district":
        form.district.choices = [(0, _("– please choose –"))] + [(d.id, d.name) for d in choices.districts]
    elif section == "offices":
        form.offices.choices = [(o.id, o.name) for o in choices.offices]
        form.offices.notes = {o.id: ", ".join(d.name for d in o.districts) for o in choices.offices if o.districts}
    elif section == "languages":
        form.set_choices(choices.languages)
    elif section == "skills":
        locale = _locale()
        form.skills.choices = [(s.id, s.label(locale)) for s in choices.skills]
        form.skills.notes = {s.id: _("no longer offered") for s in choices.skills if not s.active}
        form.kinds.choices = [(k.value, k.label) for k in ActivityKind]


def build_form(section: str, profile, choices: Choices, bound: bool):
    cls = SECTION_FORMS[section]
    if bound:
        form = cls(prefix=section)
    else:
        form = cls(prefix=section, formdata=None, data=_profile_data(section, profile))
    _set_choices(section, form, choices)
    return form


def save_section(section: str, form, user_id: int) -> bool:
    """Validate and save one section; errors land at their fields. True when saved."""
    if not form.validate():
        return False
    actor = current_user._get_current_object()
    try:
        if section == "district":
            profiles.set_district(user_id, form.district.data or None, actor)
        elif section == "offices":
            profiles.set_offices(user_id, form.offices.data, actor)
        elif section == "languages":
            profiles.set_languages(user_id, form.entries(), actor)
        elif section == "skills":
            profiles.set_skills(user_id, form.skills.data, form.kinds.data, actor)
        elif section == "times":
            profiles.set_times(user_id, profiles.slots_to_bits(form.slot_pairs()), form.hours.data, actor)
        else:
            profiles.set_phone(user_id, form.phone.data, actor)
    except ProfileInputError as exc:
        db.session.rollback()
        target = form
        if section == "languages":
            rows = list(form.languages)
            target = rows[min(exc.index or 0, len(rows) - 1)].form if rows else form
        field = target[exc.field] if exc.field in target else next(iter(target))
        field.errors = [*field.errors, exc.message]
        return False
    return True


def _add_language_row(form, choices: Choices) -> None:
    if len(form.languages) < form.languages.max_entries:
        form.languages.append_entry({"code": "", "level": None})
    form.set_choices(choices.languages)


def _page_context(choices: Choices) -> dict:
    return {"titles": SECTION_TITLES, "level_hints": LEVEL_HINTS, "day_parts": DAY_PARTS,
            "day_part_labels": DAY_PART_LABELS, "weekdays": range(7), "choices": choices}


# ---------------------------------------------------------------- the first-time path
@bp.get("/profile/start")
@volunteer_required
def profile_start():
    profiles.ensure_profile(current_user)
    return redirect(url_for("people.profile_step", section=SECTIONS[0]))


@bp.route("/profile/step/<section>", methods=["GET", "POST"])
@volunteer_required
def profile_step(section: str):
    if section not in SECTIONS:
        abort(404)
    profile = profiles.ensure_profile(current_user)
    choices = Choices(profile)
    back_to_summary = request.args.get("back") == "summary"
    form = build_form(section, profile, choices, bound=request.method == "POST")
    if request.method == "POST":
        if section == "languages" and "add_row" in request.form:
            _add_language_row(form, choices)
        elif save_section(section, form, current_user.id):
            index = SECTIONS.index(section)
            if back_to_summary or index + 1 == len(SECTIONS):
                return redirect(url_for("people.profile_summary"))
            return redirect(url_for("people.profile_step", section=SECTIONS[index + 1]))
    index = SECTIONS.index(section)
    return render_template(
        "people/profile/step.html", section=section, form=form, number=index + 1, total=len(SECTIONS),
        previous=SECTIONS[index - 1] if index else None,
        following=SECTIONS[index + 1] if index + 1 < len(SECTIONS) else None,
        skippable=section in SKIPPABLE, back_to_summary=back_to_summary, **_page_context(choices))


@bp.route("/profile/summary", methods=["GET", "POST"])
@volunteer_required
def profile_summary():
    profile = profiles.ensure_profile(current_user)
    form = ListActionForm()
    if form.validate_on_submit():
        profiles.complete(current_user.id)
        flash(_("Thank you! Your profile is saved. You can change it at any time under \"My profile\"."),
              "success")
        return redirect(url_for("accounts.dashboard"))
    return render_template("people/profile/summary.html", profile=profile, form=form, **_summary_context(profile))


def _summary_context(profile) -> dict:
    locale = _locale()
    return {
        "titles": SECTION_TITLES, "sections": SECTIONS,
        "languages": [(language_catalogue.name_of(lang.code), lang.level_label) for lang in profile.languages],
        "skills": [s.label(locale) for s in profile.skills],
        "kinds": [k.label for k in profile.wants()],
        "slots": [profiles.slot_label(d, p) for d, p in profiles.availability_slots(profile.availability)],
    }


# ---------------------------------------------------------------- the edit page
@bp.get("/profile")
@volunteer_required
def profile_edit():
    profile = profiles.ensure_profile(current_user)
    return _render_edit(profile, Choices(profile))


@bp.post("/profile/<section>")
@volunteer_required
def profile_save(section: str):
    if section not in SECTIONS:
        abort(404)
    profile = profiles.ensure_profile(current_user)
    choices = Choices(profile)
    form = build_form(section, profile, choices, bound=True)
    if section == "languages" and "add_row" in request.form:
        _add_language_row(form, choices)
    elif save_section(section, form, current_user.id):
        flash(_("Saved: %(section)s.", section=SECTION_TITLES[section]), "success")
        return redirect(url_for("people.profile_edit") + f"#section-{section}")
    return _render_edit(profile, choices, {section: form})


def _render_edit(profile, choices: Choices, bound: dict | None = None):
    forms = {s: (bound or {}).get(s) or build_form(s, profile, choices, bound=False) for s in SECTIONS}
    return render_template("people/profile/edit.html", profile=profile, forms=forms, sections=SECTIONS,
                           **_page_context(choices))


# ---------------------------------------------------------------- admin-edited lists
def _list_or_404(list_name: str) -> str:
    if list_name not in profiles.LIST_NAMES:
        abort(404)
    return list_name


@bp.route("/admin/lists/<list_name>", methods=["GET", "POST"])
@admin_required
def admin_list(list_name: str):
    _list_or_404(list_name)
    form = ListItemForm(prefix="new")
    if form.validate_on_submit():
        try:
            item = profiles.add_item(list_name, form.label_de.data, form.label_en.data, current_user)
        except ProfileInputError as exc:
            db.session.rollback()
            form[exc.field].errors.append(exc.message)
        else:
            flash(_("Added: %(label)s.", label=item.label(_locale())), "success")
            return redirect(url_for("people.admin_list", list_name=list_name))
    return render_template("people/profile/admin_list.html", list_name=list_name, title=LIST_TITLES[list_name],
                           items=profiles.list_items(list_name), form=form, action=ListActionForm(),
                           lists=LIST_TITLES, locale=_locale())


@bp.route("/admin/lists/<list_name>/<int:item_id>/edit", methods=["GET", "POST"])
@admin_required
def admin_list_item(list_name: str, item_id: int):
    item = _item_or_404(list_name, item_id)
    form = ListItemForm(obj=item)
    if form.validate_on_submit():
        try:
            profiles.rename_item(list_name, item.id, form.label_de.data, form.label_en.data, current_user)
        except ProfileInputError as exc:
            db.session.rollback()
            form[exc.field].errors.append(exc.message)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("people.admin_list", list_name=list_name))
    return render_template("people/profile/admin_list_item.html", list_name=list_name,
                           title=LIST_TITLES[list_name], item=item, form=form)


@bp.post("/admin/lists/<list_name>/<int:item_id>/<change>")
@admin_required
def admin_list_change(list_name: str, item_id: int, change: str):
    item = _item_or_404(list_name, item_id)
    if change not in ("up", "down", "retire", "reactivate") or not ListActionForm().validate_on_submit():
        abort(400)
    if change in ("up", "down"):
        profiles.move_item(list_name, item.id, -1 if change == "up" else 1, current_user)
    else:
        profiles.set_item_active(list_name, item.id, change == "reactivate", current_user)
        label = item.label(_locale())
        flash(_("Reactivated: %(label)s.", label=label) if change == "reactivate"
              else _("Retired: %(label)s. It is no longer offered; profiles that have it keep it.", label=label),
              "success")
    return redirect(url_for("people.admin_list", list_name=list_name) + f"#item-{item.id}")


def _item_or_404(list_name: str, item_id: int) -> ChoiceItem:
    _list_or_404(list_name)
    item = db.session.get(ChoiceItem, item_id)
    if item is None or item.list_name != list_name:
        abort(404)
    return item
