"""Forms of the volunteer's profile (one per section; the steps and the edit page share them) and
of the lists admins edit. Choices are filled by the views from the database; a value that is not
among them (a forged id, an unknown language code) is refused at its field."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import FieldList, Form, FormField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.core.forms import BaseForm, IntegerField, MultiCheckboxField
from app.people import profiles
from app.people.languages import LanguageSelect
from app.people.models import DAY_PARTS

LEVEL_CHOICES = [(4, _l("native language")), (3, _l("fluent")), (2, _l("good")), (1, _l("basic"))]
LEVEL_HINTS = {4: _l("my first language"), 3: _l("I speak it easily"), 2: _l("I can hold a conversation"),
               1: _l("a few words and sentences")}
SLOT_CHOICES = [(f"{d}-{p}", f"{d}-{p}") for d in range(7) for p in range(len(DAY_PARTS))]

class DistrictForm(BaseForm):
    district = SelectField(_l("Which district do you live in?"), coerce=int)

class OfficesForm(BaseForm):
    offices = MultiCheckboxField(_l("Which offices would you like to help?"), coerce=int)

def _optional_int(value):
    if value in (None, ""):
        return None
    return int(value)

class LanguageRow(Form):
    """One language and how well the person speaks it. A row without a language is ignored
    (choosing "no language" removes one: a radio button can't be unticked)."""

    class Meta:  # a row inside the profile form: its messages in the page's language, as the form's
        def get_translations(self, form):
            from flask_wtf.i18n import translations

            return translations

    code = SelectField(_l("Language"), widget=LanguageSelect())  # options built once per locale
    level = RadioField(_l("How well?"), coerce=_optional_int, choices=LEVEL_CHOICES, validate_choice=False)

class LanguagesForm(BaseForm):
    languages = FieldList(FormField(LanguageRow), min_entries=1, max_entries=profiles.MAX_LANGUAGES)

    def set_choices(self, choices: list[tuple[str, str]]) -> None:
        for row in self.languages:
            row.form.code.choices = [("", _l("– no language –"))] + choices

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        seen: set[str] = set()
        for row in self.languages:
            code, level = row.form.code.data, row.form.level.data
            if not code:  # "no language": the row is left out, whatever level it shows
                row.form.level.errors = []
                continue
            if level not in {c for c, _label in LEVEL_CHOICES}:
                row.form.level.errors = [*row.form.level.errors, _l("Please choose how well you speak it.")]
                valid = False
            if code in seen:
                row.form.code.errors = [*row.form.code.errors, _l("You have named this language already.")]
                valid = False
            seen.add(code)
        return valid

    def entries(self) -> list[tuple[str, int]]:
        return [(row.form.code.data, row.form.level.data) for row in self.languages if row.form.code.data]

class SkillsForm(BaseForm):
    skills = MultiCheckboxField(_l("What can you do, what do you enjoy?"), coerce=int)
    kinds = MultiCheckboxField(_l("What would you like to help with?"), coerce=int)

class TimesForm(BaseForm):
    slots = MultiCheckboxField(_l("When do you usually have time?"), choices=SLOT_CHOICES)
    hours = IntegerField(_l("About how many hours a month can you give?"), validators=[Optional()],
                         min=0, max=profiles.MAX_HOURS_PER_MONTH)

    def slot_pairs(self) -> list[tuple[int, int]]:
        return [(int(v[0]), int(v[2])) for v in self.slots.data or []]

class PhoneForm(BaseForm):
    phone = StringField(_l("Phone number (optional)"), validators=[
        Length(max=profiles.MAX_PHONE, message=_l("Please enter at most %(max)d characters."))])

    def validate_phone(self, field):
        try:
            profiles.check_phone(field.data)
        except profiles.ProfileInputError as exc:
            raise ValidationError(exc.message) from None

SECTION_FORMS = {"district": DistrictForm, "offices": OfficesForm, "languages": LanguagesForm,
                 "skills": SkillsForm, "times": TimesForm, "phone": PhoneForm}

# ---------------------------------------------------------------- admin-edited lists
class ListItemForm(BaseForm):
    label_de = StringField(_l("German label"), validators=[
        DataRequired(message=_l("Please enter the German label.")),
        Length(max=profiles.MAX_LABEL, message=_l("Please enter at most %(max)d characters."))])
    label_en = StringField(_l("English label"), validators=[
        DataRequired(message=_l("Please enter the English label.")),
        Length(max=profiles.MAX_LABEL, message=_l("Please enter at most %(max)d characters."))])

class ListActionForm(BaseForm):
    """Move up/down, retire, reactivate: a button and the CSRF token."""
