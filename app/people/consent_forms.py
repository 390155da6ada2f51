"""Forms of the consent pages: answering one purpose, and admins publishing a new text version."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.core.forms import BaseForm, IntegerField
from app.people.consent import MAX_BODY, MAX_TITLE


class AnswerForm(BaseForm):
    """One purpose answered: which purpose, the text version the page showed, yes or no (the
    buttons' value)."""

    purpose = HiddenField(validators=[DataRequired(), Length(max=40)])
    text_id = IntegerField(min=1, validators=[DataRequired()])
    answer = HiddenField(validators=[Length(max=3)])  # set by the button pressed ("yes"/"no")


def _title(label):
    return StringField(label, validators=[DataRequired(message=_l("Please enter a title.")),
                                          Length(max=MAX_TITLE)])


def _body(label):
    return TextAreaField(label, validators=[DataRequired(message=_l("Please enter the text.")),
                                            Length(max=MAX_BODY)])


class PublishTextForm(BaseForm):
    title_de = _title(_l("Title (German)"))
    body_de = _body(_l("Text (German)"))
    title_en = _title(_l("Title (English)"))
    body_en = _body(_l("Text (English)"))
