"""Forms of the partner organisations: registration, details, decisions, colleagues."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from app.accounts.forms import email_field, new_password_field
from app.core.forms import BaseForm, MultiCheckboxField
from app.people.models import ActivityKind, OrganisationType
from app.people.organisations import MAX_DESCRIPTION, MAX_REASON


class WebAddress:
    """An http or https address with a host; "www.example.org" gets "https://" in front."""

    def __call__(self, form, field):
        value = (field.data or "").strip()
        if not value:
            field.data = ""
            return
        if "://" not in value:
            value = "https://" + value
        try:
            parts = urlsplit(value)
        except ValueError:
            parts = None
        if (parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname
                or "." not in parts.hostname or " " in value or len(value) > 255):
            raise ValidationError(_l("Please enter a web address starting with http:// or https://, "
                                     "for example https://www.example.org."))
        field.data = value


class OrganisationFields(BaseForm):
    """The organisation's details (also the edit form)."""

    org_name = StringField(_l("Name of the organisation"), validators=[
        DataRequired(message=_l("Please enter the name of the organisation.")), Length(max=160)])
    kind = SelectField(_l("Type"), validators=[DataRequired(message=_l("Please choose the type."))])
    districts = MultiCheckboxField(_l("Districts you work in"), coerce=int, validators=[
        DataRequired(message=_l("Please choose at least one district."))])
    website = StringField(_l("Website (optional)"), validators=[Optional(), Length(max=255), WebAddress()])
    offers = MultiCheckboxField(_l("What you offer"), coerce=int,
                                choices=[(k.value, k.label) for k in ActivityKind])
    needs = MultiCheckboxField(_l("Needs you can take on"), coerce=int)
    description = TextAreaField(_l("Description for the public list (optional)"), validators=[
        Length(max=MAX_DESCRIPTION, message=_l("Please write at most %(max)d characters.", max=MAX_DESCRIPTION))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # choices are read lazily so the labels follow the request's language
        self.kind.choices = [("", _l("Please choose"))] + [(t.value, t.label) for t in OrganisationType]
        self.offers.choices = [(k.value, k.label) for k in ActivityKind]


class RegisterOrganisationForm(OrganisationFields):
    """An organisation with its first contact's new account, in one form."""

    name = StringField(_l("Your name"), validators=[
        DataRequired(message=_l("Please enter your name.")), Length(max=120)])
    email = email_field(_l("Your e-mail address"))
    password = new_password_field()
    privacy = BooleanField(_l("I have read the privacy notice."), validators=[
        DataRequired(message=_l("Please confirm that you have read the privacy notice."))])


class DecisionForm(BaseForm):
    reason = TextAreaField(_l("Reason for the refusal"), validators=[
        Length(max=MAX_REASON, message=_l("Please write at most %(max)d characters.", max=MAX_REASON))])


class ActionForm(BaseForm):
    """A button with only the CSRF token (deactivate, reactivate, leave, accept)."""


class InviteForm(BaseForm):
    email = email_field(_l("E-mail address of your colleague"),
                        missing=_l("Please enter your colleague's e-mail address."))


class JoinForm(BaseForm):
    name = StringField(_l("Your name"), validators=[
        DataRequired(message=_l("Please enter your name.")), Length(max=120)])
    password = new_password_field()
    confirm = PasswordField(_l("Repeat the password"), validators=[
        EqualTo("password", message=_l("The two passwords are not the same."))])
    privacy = BooleanField(_l("I have read the privacy notice."), validators=[
        DataRequired(message=_l("Please confirm that you have read the privacy notice."))])


__all__ = ["ActionForm", "DecisionForm", "InviteForm", "JoinForm", "OrganisationFields", "RegisterOrganisationForm"]
