"""The certificate form: a year, or a period from/to; German or English."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, StringField
from wtforms.validators import Optional

from app.core.forms import BaseForm
from app.core.timeutil import to_local, utcnow

FIRST_YEAR = 2000
MAX_DAYS = 5 * 366


class CertificateForm(BaseForm):
    year = StringField(_l("Year"), validators=[Optional()])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])
    lang = RadioField(_l("Language of the certificate"), choices=[("de", _l("German")), ("en", _l("English"))],
                      default="de")

    def period(self) -> tuple[date, date] | None:
        """Validate and give the period (inclusive), or None with messages at the fields."""
        if not self.validate():
            return None
        this_year = to_local(utcnow()).year
        raw = (self.year.data or "").strip()
        if raw:
            if not raw.isdigit() or not FIRST_YEAR <= int(raw) <= this_year:
                self.year.errors = [*self.year.errors, _l("Please enter a year between %(first)d and %(last)d.",
                                                          first=FIRST_YEAR, last=this_year)]
                return None
            return date(int(raw), 1, 1), date(int(raw), 12, 31)
        if self.since.data is None and self.until.data is None:
            if not self.since.errors and not self.until.errors:
                self.year.errors = [*self.year.errors, _l("Please enter a year, or a first and a last day.")]
            return None
        if self.since.data is None:
            self.since.errors = [*self.since.errors, _l("Please enter the first day.")]
            return None
        if self.until.data is None:
            self.until.errors = [*self.until.errors, _l("Please enter the last day.")]
            return None
        if self.until.data < self.since.data:
            self.until.errors = [*self.until.errors, _l("The last day must not be before the first day.")]
            return None
        if (self.until.data - self.since.data).days > MAX_DAYS or self.since.data.year < FIRST_YEAR:
            self.until.errors = [*self.until.errors, _l("Please choose a period of at most five years.")]
            return None
        return self.since.data, self.until.data
