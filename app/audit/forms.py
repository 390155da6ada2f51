"""The audit page's filters: a GET form, so the filter state lives in the URL."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.validators import Optional, ValidationError

from app.core.forms import BaseForm, IntegerField

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def _in_range(form, field):
    if field.data is not None and not FIRST_DAY <= field.data <= LAST_DAY:
        raise ValidationError(_l("Please enter a date from 2000 to 2100."))


class AuditFilterForm(BaseForm):
    class Meta:
        csrf = False  # a search form: it changes nothing

    # default "": a bookmarked URL that names only some filters leaves the others at "any"
    actor = SelectField(_l("Person"), validate_choice=True, default="")
    action = SelectField(_l("What was done"), validate_choice=True, default="")
    record_type = SelectField(_l("Kind of record"), validate_choice=True, default="")
    record_id = IntegerField(_l("Record number"), validators=[Optional()], min=1)
    date_from = DateField(_l("From (date)"), validators=[Optional(), _in_range],
                          format=["%Y-%m-%d", "%d.%m.%Y"])
    date_to = DateField(_l("Until (date)"), validators=[Optional(), _in_range],
                        format=["%Y-%m-%d", "%d.%m.%Y"])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end must not be before the start."))
