"""Forms of the coordinators' directory: the filter (a GET form whose state is the URL), the
status change and the internal note on a volunteer's page."""
from __future__ import annotations

from functools import lru_cache

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import html_params

from app.core.forms import BaseForm
from app.people import languages
from app.people.directory import SORTS, DirectoryFilter
from app.people.models import (STATUS_LABELS, ACTIVITY_KIND_LABELS, DAY_PART_LABELS, DAY_PARTS, LEVEL_LABELS, ActivityKind,
                               LanguageLevel, VolunteerStatus)

CHOOSE_MESSAGE = _l("Please choose a value from the list.")
NOTE_MAX = 2000


def _int_or_none(value):
    """'' → None (no filter), '12' → 12; anything else is not a value of these lists."""
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise ValueError(CHOOSE_MESSAGE)
    return int(text)


# Rendered option lists: (field name, locale, the list's own key) -> the <option>s as HTML. The
# static lists are keyed by name and locale; the lists from the database (offices, districts,
# skills) also by their rows, so an admin's edit of a list is a new key, never a stale one.
_OPTIONS: dict[tuple, str] = {}
_OPTIONS_MAX = 256


def _options_html(field) -> str:
    key = (field.name, str(get_locale()), field.options_key)
    html = _OPTIONS.get(key)
    if html is None:
        if len(_OPTIONS) >= _OPTIONS_MAX:
            _OPTIONS.clear()
        html = _OPTIONS[key] = "".join(
            f'<option value="{escape("" if value is None else value)}">{escape(label)}</option>'
            for value, label in field.choices)
    return html


class CachedSelect:
    """A select like WTForms' own, but its options are rendered once per list and locale (the
    filter form has eleven selects; building ~150 options per request was most of the page's
    time) and only the chosen one is marked per request."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        html = _options_html(field)
        chosen = field.chosen_value()
        if chosen is not None:
            marker = f'<option value="{escape(chosen)}">'
            html = html.replace(marker, f'<option selected value="{escape(chosen)}">', 1)
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{html}</select>")


class ListChoice(SelectField):
    """A select whose first choice ('', "any") means no filter, with our message for values that
    are not in the list (a forged id, an id from another list, text)."""

    widget = CachedSelect()

    def __init__(self, label=None, validators=None, coerce=_int_or_none, **kwargs):
        super().__init__(label, validators, coerce=coerce, **kwargs)
        self.options_key = ()  # the static lists: their name and the locale say it all

    def chosen_value(self) -> str | None:
        """The option value to mark as selected (as WTForms would: coerce(value) == data)."""
        for value, _label in self.choices:
            if self.coerce(value) == self.data:
                return "" if value is None else str(value)
        return None

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(CHOOSE_MESSAGE)

    def pre_validate(self, form):
        if self.process_errors:
            return
        for _value, _label, selected, _kw in self.iter_choices():
            if selected:
                return
        self.data = None
        raise ValidationError(CHOOSE_MESSAGE)


def _text_or_none(value):
    return None if value in (None, "") else str(value)


class DirectoryFilterForm(BaseForm):
    """The directory's filters, read from the query string (no CSRF: it changes nothing).

    Choices are set by the view (offices of the viewer's scope, the skill list, districts). The
    language is checked against the catalogue and rendered from a cached list of options, since
    a select of several hundred languages is the costliest part of the page otherwise."""

    class Meta:
        csrf = False

    q = StringField(_l("Name or e-mail"), validators=[Length(max=200)])
    language = StringField(_l("Language"))
    level = ListChoice(_l("at least"), default=1, choices=[(int(lvl), LEVEL_LABELS[lvl]) for lvl in LanguageLevel])
    skill = ListChoice(_l("Skill"))
    district = ListChoice(_l("Lives in"))
    slot = ListChoice(_l("Has time"))
    status = ListChoice(_l("Status"), coerce=_text_or_none,
                        choices=[("", _l("any status"))] + [(s.value, STATUS_LABELS[s]) for s in VolunteerStatus])
    kind = ListChoice(_l("Wants to do"), coerce=_text_or_none,
                      choices=[("", _l("anything"))] + [(k.name.lower(), ACTIVITY_KIND_LABELS[k]) for k in ActivityKind])
    office = ListChoice(_l("Works with office"))
    contact = ListChoice(_l("May be contacted"), coerce=_text_or_none,
                         choices=[("", _l("no matter")), ("yes", _l("yes, consent given")),
                                  ("no", _l("no consent"))])
    sort = ListChoice(_l("Sort by"), coerce=_text_or_none, default="name",
                      choices=[("name", _l("name")), ("district", _l("district")), ("status", _l("status")),
                               ("newest", _l("newest first"))])

    def validate_language(self, field):
        if field.data and not languages.is_known(field.data.strip()):
            field.data = None
            raise ValidationError(CHOOSE_MESSAGE)

    def set_choices(self, *, offices, districts, skills, weekday_name) -> None:
        self.office.choices = [("", _l("all my offices"))] + offices
        self.district.choices = [("", _l("any district"))] + districts
        self.skill.choices = [("", _l("any skill"))] + skills
        self.office.options_key, self.district.options_key, self.skill.options_key = (
            tuple(offices), tuple(districts), tuple(skills))
        self.slot.choices = _slots(str(get_locale()), weekday_name)

    def to_filter(self) -> DirectoryFilter:
        """The checked filter. Call after validate(): a field with an error is no filter (and
        shows its message), except an office outside the viewer's scope, which shows nothing."""
        ok = lambda f: None if f.errors else f.data  # noqa: E731
        kind = ok(self.kind)
        status = ok(self.status)
        contact = ok(self.contact)
        q = (self.q.data or "").strip() if not self.q.errors else ""
        language = (self.language.data or "").strip() or None if not self.language.errors else None
        return DirectoryFilter(
            q=q, language=language, min_level=ok(self.level) or 1, skill=ok(self.skill),
            district=ok(self.district), slot=ok(self.slot),
            status=VolunteerStatus(status) if status else None,
            kind=ActivityKind[kind.upper()] if kind else None,
            office=ok(self.office), contact={"yes": True, "no": False}.get(contact or ""),
            sort=ok(self.sort) if ok(self.sort) in SORTS else "name",
            nothing=bool(self.office.errors))


@lru_cache(maxsize=8)
def _slots_of(locale: str, weekday_name) -> tuple:
    return tuple([("", _l("any time"))] + [
        (day * 3 + part, f"{weekday_name(day)} {DAY_PART_LABELS[name]}")
        for day in range(7) for part, name in enumerate(DAY_PARTS)])


def _slots(locale: str, weekday_name) -> list:
    """The 21 time slots in the locale's weekday names, built once per locale."""
    return list(_slots_of(locale, weekday_name))


# ---------------------------------------------------------------- a volunteer's page
class StatusForm(BaseForm):
    status = SelectField(_l("New status"), choices=[(s.value, STATUS_LABELS[s]) for s in VolunteerStatus])
    # the status the coordinator saw: a colleague's change in between is not overwritten blindly
    expected = HiddenField()


class NoteForm(BaseForm):
    body = TextAreaField(_l("Note"), validators=[
        DataRequired(message=_l("Please write the note.")),
        Length(max=NOTE_MAX, message=_l("Please keep the note to at most %(max)d characters."))])
