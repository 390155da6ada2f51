from __future__ import annotations

from flask_babel import lazy_gettext as _l
from app.core.forms import BaseForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class MessageForm(BaseForm):
    office = SelectField(_l("Office"), coerce=int)
    district = SelectField(_l("District"), coerce=int)
    language = SelectField(_l("Speaks"))
    subject = StringField(_l("Subject"), validators=[DataRequired(message=_l("Please enter a subject.")), Length(max=200)])
    body = TextAreaField(_l("Text"), validators=[DataRequired(message=_l("Please enter a text.")), Length(max=20000)])
    # Identifies this one message across preview, send and an accidental second send.
    token = HiddenField(validators=[Length(max=64)])
