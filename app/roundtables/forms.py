"""Forms of the round-table pages; the services check everything again."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.activities.manage_forms import optional_int
from app.core.forms import BaseForm


class ItemForm(BaseForm):
    title = StringField(_l("Agenda item"), validators=[DataRequired(_l("Please enter a title.")), Length(max=200)])
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)])


class DecideForm(BaseForm):
    reason = StringField(_l("Reason (needed to decline)"), validators=[Optional(), Length(max=300)])


class DeadlineForm(BaseForm):
    proposals_until = DateTimeLocalField(_l("Proposals until"), format="%Y-%m-%dT%H:%M", validators=[Optional()])


class MinutesForm(BaseForm):
    minutes = TextAreaField(_l("Minutes (Markdown)"), validators=[Optional(), Length(max=50_000)])


class InviteForm(BaseForm):
    organisation = SelectField(_l("Organisation"), coerce=optional_int, validate_choice=False)


class ConfirmForm(BaseForm):
    pass
