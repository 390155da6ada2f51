from __future__ import annotations

from flask_babel import lazy_gettext as _l
from app.core.forms import BaseForm, MultiCheckboxField
from app.core.passwords import password_problem
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp, ValidationError

MIN_PASSWORD = 10
MAX_PASSWORD = 200


class _EmailField(EmailField):
    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data:
            self.data = self.data.strip().lower()


def email_field(label=None, missing=None):
    """An e-mail address field; `missing`: the message when it is left empty (default: "your")."""
    return _EmailField(
        label or _l("E-mail address"),
        validators=[
            DataRequired(message=missing or _l("Please enter your e-mail address.")),
            Email(message=_l("This is not a valid e-mail address."), check_deliverability=False),
            Length(max=254),
        ],
    )


class HardToGuess:
    """Refuse the most common passwords and ones that are the person's e-mail or name.

    The form's own name and e-mail fields count, and whatever the view puts in
    `form.personal_words` (the logged-in person's name and address)."""

    def __call__(self, form, field):
        if not field.data or not MIN_PASSWORD <= len(field.data) <= MAX_PASSWORD:
            return  # the length rule speaks first (and nothing huge is analysed)
        inputs = list(getattr(form, "personal_words", []) or [])
        for name in ("name", "email"):
            if name in form and isinstance(form[name].data, str):
                inputs.append(form[name].data)
        problem = password_problem(field.data, inputs)
        if problem == "personal":
            raise ValidationError(_l("The password must not be your name or e-mail address. A short sentence is easy to remember and hard to guess."))
        if problem == "common":
            raise ValidationError(_l("This password is one of the most common ones and easy to guess. Please choose another one, for example a short sentence."))


def new_password_field(label=None):
    return PasswordField(
        label or _l("Password"),
        validators=[
            DataRequired(message=_l("Please choose a password.")),
            Length(min=MIN_PASSWORD, max=MAX_PASSWORD,
                   message=_l("The password must have at least %(min)d characters.", min=MIN_PASSWORD)),
            HardToGuess(),
        ],
    )


class RegisterForm(BaseForm):
    name = StringField(_l("Your name"), validators=[
        DataRequired(message=_l("Please enter your name.")), Length(max=120)])
    email = email_field()
    password = new_password_field()
    privacy = BooleanField(_l("I have read the privacy notice."), validators=[
        DataRequired(message=_l("Please confirm that you have read the privacy notice."))])
    # The version of the privacy notice the page linked to (its text id): recorded as accepted.
    privacy_text = HiddenField(validators=[Optional(), Regexp(r"^[0-9]{1,9}$")])
    # Optional, never pre-ticked: to be told about new opportunities (consent purpose "contact").
    contact = BooleanField(_l("Yes, the offices may tell me by e-mail about new opportunities and needs (optional)."))


class NameForm(BaseForm):
    name = StringField(_l("Your name"), validators=[
        DataRequired(message=_l("Please enter your name.")), Length(max=120)])


class MailPreferencesForm(BaseForm):
    messages = BooleanField(_l("I would like to get messages from the coordinators (news, requests for help)"))


class EndSessionForm(BaseForm):
    pass


class LoginForm(BaseForm):
    email = email_field()
    password = PasswordField(_l("Password"), validators=[DataRequired(message=_l("Please enter your password."))])
    remember = BooleanField(_l("Stay logged in on this device"))


class ForgotPasswordForm(BaseForm):
    email = email_field()


class ResetPasswordForm(BaseForm):
    password = new_password_field(_l("New password"))
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        EqualTo("password", message=_l("The two passwords are not the same."))])


class ChangePasswordForm(BaseForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(message=_l("Please enter your current password."))])
    password = new_password_field(_l("New password"))
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        EqualTo("password", message=_l("The two passwords are not the same."))])


class ChangeEmailForm(BaseForm):
    email = email_field(_l("New e-mail address"))
    current = PasswordField(_l("Current password"), validators=[DataRequired(message=_l("Please enter your current password."))])


class ResendForm(BaseForm):
    pass


class CoordinatorForm(BaseForm):
    """An admin invites a colleague: a coordinator (or admin) account, mailed a set-password link."""

    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Please enter a name.")), Length(max=120)])
    email = email_field()
    role = SelectField(_l("Role"), choices=[("coordinator", _l("Coordinator")), ("admin", _l("Administrator"))])
    offices = MultiCheckboxField(_l("Offices"), coerce=int)

    def validate_offices(self, field):
        if self.role.data == "coordinator" and not field.data:
            raise ValidationError(_l("A coordinator needs at least one office."))


class AssignOfficesForm(BaseForm):
    offices = MultiCheckboxField(_l("Offices"), coerce=int)


class RoleForm(BaseForm):
    """An admin gives an account another role (coordinators with their offices)."""

    role = SelectField(_l("Role"), choices=[
        ("volunteer", _l("Volunteer")), ("partner", _l("Partner contact")),
        ("coordinator", _l("Coordinator")), ("admin", _l("Administrator"))])
    offices = MultiCheckboxField(_l("Offices (for coordinators)"), coerce=int)
