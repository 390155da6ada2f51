"""Forms of the management pages: one screen per concern (the activity, a date, a weekly series,
a role, the roster's actions). Choices are filled by the views; the services check again."""
from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, DateTimeLocalField, HiddenField, RadioField, SelectField, StringField
from wtforms import TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app.core.forms import BaseForm, IntegerField, MultiCheckboxField
from app.people.languages import LanguageSelect


def optional_int(value):
    """A select's value: "" (nothing chosen) is None, else an int (garbage is None, refused by
    the choice check)."""
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


REQUIRED_TIME = _l("Please enter a time.")
REQUIRED_DAY = _l("Please enter a day.")


class ActivityForm(BaseForm):
    title = StringField(_l("Title"), validators=[DataRequired(message=_l("Please enter a title.")), Length(max=160)])
    kind = SelectField(_l("Kind"), validators=[DataRequired(message=_l("Please choose a kind from the list."))])
    office_id = SelectField(_l("Office"), coerce=optional_int,
                            validators=[InputRequired(message=_l("Please choose one of your offices."))])
    place_kind = RadioField(_l("Where"), default="office",
                            choices=[("office", _l("at the office")), ("satellite", _l("at a satellite location")),
                                     ("address", _l("at another address"))])
    satellite_id = SelectField(_l("Satellite location"), coerce=optional_int, validate_choice=False)
    place_name = StringField(_l("Name of the place"), validators=[Length(max=160)])
    street = StringField(_l("Street and number"), validators=[Length(max=120)])
    postcode = StringField(_l("Postcode"), validators=[Length(max=10)])
    city = StringField(_l("City"), default="Dortmund", validators=[Length(max=80)])
    district_id = SelectField(_l("District"), coerce=optional_int, validate_choice=False)
    summary = StringField(_l("Summary in one line"), validators=[Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Length(max=20000)])
    languages = MultiCheckboxField(_l("Languages"))
    other_language = SelectField(_l("Another language"), validate_choice=False,
                                 widget=LanguageSelect(others_only=True))  # options built once per locale
    organisation_id = SelectField(_l("Organiser"), coerce=optional_int, validate_choice=False)
    contact_id = SelectField(_l("Contact person"), coerce=optional_int, validate_choice=False)
    reminder_days = IntegerField(_l("Reminder, days before each date"), validators=[Optional()], min=0, max=30)


class ConfirmForm(BaseForm):
    """Just the CSRF token (publish, delete)."""


class CancelForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[
        DataRequired(message=_l("Please say why. The people signed up get this reason by mail.")), Length(max=500)])


class DateCancelForm(BaseForm):
    reason = StringField(_l("Reason (optional)"), validators=[Length(max=300)])


class CopyForm(BaseForm):
    weeks = IntegerField(_l("Weeks later"), validators=[InputRequired(message=_l("Please enter a number."))],
                         min=0, max=104)
    title = StringField(_l("Title of the copy"), validators=[Length(max=160)])


class DateForm(BaseForm):
    day = DateField(_l("Day"), validators=[InputRequired(message=REQUIRED_DAY)])
    start_time = TimeField(_l("From"), validators=[InputRequired(message=REQUIRED_TIME)])
    end_time = TimeField(_l("Until"), validators=[InputRequired(message=REQUIRED_TIME)])
    note = StringField(_l("Note (optional)"), validators=[Length(max=200)])


class MoveForm(BaseForm):
    day = DateField(_l("New day"), validators=[InputRequired(message=REQUIRED_DAY)])
    start_time = TimeField(_l("From"), validators=[InputRequired(message=REQUIRED_TIME)])
    end_time = TimeField(_l("Until"), validators=[InputRequired(message=REQUIRED_TIME)])


_DAY = re.compile(r"^(?:(\d{4})-(\d{1,2})-(\d{1,2})|(\d{1,2})\.(\d{1,2})\.(\d{4}))$")


def parse_days(text: str) -> tuple[set[date], list[str]]:
    """Days to skip, one per line or separated by commas: 2027-04-06 or 06.04.2027; also a
    range "06.04.2027 - 17.04.2027". Returns (days, the parts that are not a day)."""
    days: set[date] = set()
    bad: list[str] = []
    for part in re.split(r"[,;\n]+", text or ""):
        part = part.strip()
        if not part:
            continue
        ends = [p.strip() for p in re.split(r"\s+[-–]\s+|\s*–\s*|\s+bis\s+|\s+to\s+", part)]
        parsed = []
        for e in ends:
            m = _DAY.match(e)
            try:
                if not m:
                    raise ValueError
                parsed.append(date(int(m[1]), int(m[2]), int(m[3])) if m[1] else date(int(m[6]), int(m[5]), int(m[4])))
            except ValueError:
                parsed = []
                break
        if len(parsed) == 1:
            days.add(parsed[0])
        elif len(parsed) == 2 and parsed[0] <= parsed[1] and (parsed[1] - parsed[0]).days <= 120:
            d = parsed[0]
            while d <= parsed[1]:
                days.add(d)
                d = date.fromordinal(d.toordinal() + 1)
        else:
            bad.append(part[:40])
    return days, bad


class SeriesForm(BaseForm):
    weekdays = MultiCheckboxField(_l("Weekdays"), coerce=int)
    starts_on = DateField(_l("First day"), validators=[InputRequired(message=REQUIRED_DAY)])
    ends_on = DateField(_l("Last day"), validators=[InputRequired(message=REQUIRED_DAY)])
    start_time = TimeField(_l("From"), validators=[InputRequired(message=REQUIRED_TIME)])
    end_time = TimeField(_l("Until"), validators=[InputRequired(message=REQUIRED_TIME)])
    interval_weeks = IntegerField(_l("Every how many weeks"), default=1, min=1, max=8,
                                  validators=[InputRequired(message=_l("Please enter a number."))])
    skip_dates = TextAreaField(_l("Days to skip (holidays)"), validators=[Length(max=4000)])

    def validate_weekdays(self, field):
        if not field.data:
            raise ValidationError(_l("Choose at least one weekday."))

    def validate_skip_dates(self, field):
        _days, bad = parse_days(field.data or "")
        if bad:
            raise ValidationError(_l("Not a day: %(parts)s. Please write days like 06.04.2027.",
                                     parts=", ".join(bad[:3])))

    def skip(self) -> frozenset[date]:
        return frozenset(parse_days(self.skip_dates.data or "")[0])

    def mask(self) -> int:
        m = 0
        for d in self.weekdays.data or []:
            m |= 1 << d
        return m


class RoleForm(BaseForm):
    name = StringField(_l("Name of the role"), validators=[DataRequired(message=_l("Please enter a name.")),
                                                          Length(max=120)])
    description = TextAreaField(_l("What the role does (optional)"), validators=[Length(max=500)])
    capacity = IntegerField(_l("Places per date"), validators=[InputRequired(message=_l("Please enter a number."))],
                            min=0, max=1000)
    slot_start = TimeField(_l("Shift from (optional)"), validators=[Optional()])
    slot_end = TimeField(_l("Shift until (optional)"), validators=[Optional()])
    signup_opens_at = DateTimeLocalField(_l("Sign-up opens at (optional)"), validators=[Optional()],
                                         format="%Y-%m-%dT%H:%M")
    signup_closes_at = DateTimeLocalField(_l("Sign-up closes at (optional)"), validators=[Optional()],
                                          format="%Y-%m-%dT%H:%M")
    deadline_hours = IntegerField(_l("Sign-up closes this many hours before each date"), default=0, min=0,
                                  max=720, validators=[Optional()])
    required_language = SelectField(_l("Required language (optional)"), validate_choice=False)
    required_level = SelectField(_l("At least at level"), coerce=optional_int, validate_choice=False)
    required_skill_id = SelectField(_l("Required skill (optional)"), coerce=optional_int, validate_choice=False)
    for_partners = BooleanField(_l("Delegate places: partner organisations sign up their people"))
    max_per_organisation = IntegerField(_l("At most this many per organisation"), validators=[Optional()],
                                        min=1, max=50)
    auto_move_up = BooleanField(_l("When a place frees up, move the next person up at once (no offer by mail)"))

    def validate_slot_end(self, field):
        if (self.slot_start.data is None) != (field.data is None):
            raise ValidationError(_l("Please give both the start and the end of the shift, or neither."))


class RosterActionForm(BaseForm):
    over_capacity = BooleanField(_l("Allow more people than places (deliberately over capacity)"))


class AddPersonForm(BaseForm):
    user_id = HiddenField(validators=[DataRequired()])
    over_capacity = BooleanField(_l("Allow more people than places (deliberately over capacity)"))


class RemoveForm(BaseForm):
    reason = StringField(_l("Reason (optional, goes to the person by mail)"), validators=[Length(max=300)])


class RosterMessageForm(BaseForm):
    """A coordinator's message to a part of an activity's roster (app.activities.roster_messages)."""
    to = SelectField(_l("To"), validators=[DataRequired(message=_l("Please choose who gets the message."))])
    subject = StringField(_l("Subject"), validators=[DataRequired(message=_l("Please enter a subject.")), Length(max=200)])
    body = TextAreaField(_l("Text"), validators=[DataRequired(message=_l("Please enter a text.")), Length(max=20000)])
    # Identifies this one message across preview, send and an accidental second send.
    token = HiddenField(validators=[Length(max=64)])
