"""Forms of "my data": deleting one's account, and staff deleting it for a person who asks."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, RadioField
from wtforms.validators import DataRequired, InputRequired, Length

from app.core.forms import BaseForm


class DeleteAccountForm(BaseForm):
    password = PasswordField(_l("Your password"), validators=[
        DataRequired(message=_l("Please enter your password.")), Length(max=1000)])


REQUEST_WAY_LABELS = {
    "in_person": _l("in person at the office"),
    "phone": _l("by phone"),
    "letter": _l("by letter"),
    "email": _l("by e-mail"),
}


class DeleteOnRequestForm(BaseForm):
    how = RadioField(_l("How did the person ask?"), choices=list(REQUEST_WAY_LABELS.items()),
                     validators=[InputRequired(message=_l("Please say how the person asked."))])
    confirm = BooleanField(_l("The person asked for their account and data to be deleted. This cannot be undone."),
                           validators=[DataRequired(message=_l("Please confirm."))])
