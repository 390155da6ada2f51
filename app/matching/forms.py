"""Forms of the matching area. Choices are filled by the views from the database; a value that
is not among them is refused at its field."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields import DateField, TimeField
from wtforms.validators import DataRequired, Length, Optional

from app.core.forms import BaseForm, DecimalField, IntegerField, MultiCheckboxField
from app.matching.models import NeedTiming, TIMING_LABELS
from app.matching.services import MAX_DESCRIPTION, MAX_TEXT
from app.people.models import DAY_PARTS

SLOT_CHOICES = [(f"{d}-{p}", f"{d}-{p}") for d in range(7) for p in range(len(DAY_PARTS))]
LEVEL_CHOICES = [(1, _l("basic")), (2, _l("good")), (3, _l("fluent")), (4, _l("native language"))]


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    return int(value)


class NeedForm(BaseForm):
    office_id = SelectField(_l("Office"), coerce=_optional_int, validate_choice=False)
    district_id = SelectField(_l("District"), coerce=_optional_int, validate_choice=False)
    category_id = SelectField(_l("What is needed?"), coerce=_optional_int, validate_choice=False)
    case_code = StringField(_l("Case code"), validators=[DataRequired(_l("Please enter the case code.")),
                                                          Length(max=40)])
    household_size = IntegerField(_l("People in the household"), validators=[Optional()], min=1, max=30,
                                  message=_l("Please enter a number between %(min)s and %(max)s."))
    household_languages = MultiCheckboxField(_l("Languages the household speaks"))
    helpful_languages = MultiCheckboxField(_l("Languages that would help"))
    required_language = SelectField(_l("Required language"), default="", validate_choice=False)
    required_level = SelectField(_l("At least"), coerce=_optional_int, choices=LEVEL_CHOICES, default=2,
                                 validate_choice=False)
    skill_ids = MultiCheckboxField(_l("Skills that would help"), coerce=int)
    timing = RadioField(_l("When?"), choices=[(t.value, TIMING_LABELS[t]) for t in NeedTiming],
                        default=NeedTiming.FLEXIBLE.value)
    starts_on = DateField(_l("Date of the appointment"), validators=[Optional()])
    starts_time = TimeField(_l("Time"), validators=[Optional()])
    slots = MultiCheckboxField(_l("Weekly times"), choices=SLOT_CHOICES)
    due_on = DateField(_l("Solved by"), validators=[Optional()])
    expected_hours = DecimalField(_l("Expected effort in hours"), validators=[Optional()], min=0, max=500, places=1)
    ongoing = BooleanField(_l("Ongoing: a partnership (check-ins after 4 and 12 weeks)"))
    description = TextAreaField(_l("Short description"), validators=[Length(max=MAX_DESCRIPTION)])
    personal_data_confirmed = BooleanField(_l("I checked it: this is not the newcomer's e-mail address or phone number"))


class ProposeForm(BaseForm):
    shared_text = TextAreaField(_l("What the volunteer may know"),
                                validators=[DataRequired(_l("Please write what the volunteer may know about the need.")),
                                            Length(max=1000)])


class CloseForm(BaseForm):
    close_reason = StringField(_l("Why is it closed?"),
                               validators=[DataRequired(_l("Please say why the need is closed.")), Length(max=MAX_TEXT)])


class DoneForm(BaseForm):
    hours_given = DecimalField(_l("Hours given"), validators=[DataRequired(_l("Please enter the hours you gave."))],
                               min=0, max=500, places=1,
                               message=_l("Please enter a number between %(min)s and %(max)s."))
    outcome = TextAreaField(_l("How did it go? (optional, no names)"), validators=[Length(max=MAX_TEXT)])


class BoardFilterForm(BaseForm):
    class Meta:
        csrf = False

    state = SelectField(_l("State"), validators=[Optional()])
    category = SelectField(_l("Category"), coerce=_optional_int, validators=[Optional()])
    district = SelectField(_l("District"), coerce=_optional_int, validators=[Optional()])
