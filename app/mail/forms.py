from __future__ import annotations

from flask_babel import lazy_gettext as _l
from app.core.forms import BaseForm
from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length


class OverrideForm(BaseForm):
    subject = StringField(_l("Subject"), validators=[DataRequired(message=_l("Please enter a subject.")), Length(max=255)])
    body = TextAreaField(_l("Text"), validators=[DataRequired(message=_l("Please enter a text.")), Length(max=20000)])


class BounceForm(BaseForm):
    email = EmailField(_l("E-mail address"), validators=[
        DataRequired(message=_l("Please enter an e-mail address.")),
        Email(message=_l("This is not a valid e-mail address."), check_deliverability=False)])
    note = StringField(_l("Note"), validators=[Length(max=255)])


class ConfirmForm(BaseForm):
    pass
