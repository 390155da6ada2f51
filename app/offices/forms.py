from __future__ import annotations

from flask_babel import lazy_gettext as _l
from app.core.forms import BaseForm, IntegerField, MultiCheckboxField
from wtforms import BooleanField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

POSTCODE = Regexp(r"^\d{5}$", message=_l("A postcode has five digits."))


class OfficeForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Please enter a name.")), Length(max=120)])
    slug = StringField(_l("Short name for addresses"), validators=[
        DataRequired(message=_l("Please enter a short name.")), Length(max=60),
        Regexp(r"^[a-z0-9-]+$", message=_l("Only lower-case letters, digits and hyphens."))])
    operator = StringField(_l("Welfare association in the tandem"), validators=[Length(max=120)])
    street = StringField(_l("Street and number"), validators=[Length(max=120)])
    postcode = StringField(_l("Postcode"), validators=[Optional(), POSTCODE])
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    email = StringField(_l("E-mail address"), validators=[Optional(), Email(message=_l("This is not a valid e-mail address.")), Length(max=254)])
    opening_hours = TextAreaField(_l("Opening hours"), validators=[Length(max=1000)])
    founded_year = IntegerField(_l("Founded in"), validators=[Optional()], min=1990, max=2100,
                                message=_l("Please enter a year from %(min)s to %(max)s."))
    districts = MultiCheckboxField(_l("Districts"), coerce=int)


class SatelliteForm(BaseForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Please enter a name.")), Length(max=120)])
    street = StringField(_l("Street and number"), validators=[DataRequired(message=_l("Please enter the street.")), Length(max=120)])
    postcode = StringField(_l("Postcode"), validators=[DataRequired(message=_l("Please enter the postcode.")), POSTCODE])
    weekday = SelectField(_l("Weekday of the consultation hour"), coerce=int)
    opens_at = TimeField(_l("From"), validators=[DataRequired(message=_l("Please enter a time."))])
    closes_at = TimeField(_l("Until"), validators=[DataRequired(message=_l("Please enter a time."))])
    note = StringField(_l("Note"), validators=[Length(max=255)])
    active = BooleanField(_l("Active"), default=True)

    def validate_closes_at(self, field):
        if self.opens_at.data and field.data and field.data <= self.opens_at.data:
            raise ValidationError(_l("The end must be after the start."))


class DeleteForm(BaseForm):
    pass
