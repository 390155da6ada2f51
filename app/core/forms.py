"""The base of every form: Flask-WTF (CSRF), a refusal of invisible characters, safe numbers and
checkbox groups.

- Invisible characters: a NUL byte breaks PostgreSQL text columns, a line break in a name or
  subject would break mail headers, a bidi override (U+202E) makes "gpj.exe" read "exe.jpg", and
  zero-width characters make two names look equal that are not. Each gets a clear message at the
  field instead of a 500, a stuck mail or a look-alike. One-line fields refuse all of them;
  multi-line fields (text areas) allow ordinary line breaks and the line/paragraph separators.
- Numbers: `IntegerField` and `DecimalField` here accept only ASCII digits of bounded length and
  check their own bounds, so a 400-digit "year" is a form error, not an OverflowError in a
  validator or the database. `BaseForm` also guards plain WTForms number fields (a future form
  that forgets to use these) the same way.
- `MultiCheckboxField`: a multiple choice shown as checkboxes (macro `checkboxes` in
  `_forms.html`), not a multi-select that needs Ctrl.
"""
from __future__ import annotations

import decimal
import math
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectMultipleField, TextAreaField
from wtforms import fields as wtf_fields
from wtforms import widgets
from wtforms.validators import StopValidation

# ---------------------------------------------------------------- invisible characters
# C0 controls except tab, line feed and carriage return; DEL; C1 controls (U+0080-U+009F,
# including U+0085 NEXT LINE).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Line breaks: refused in one-line fields. U+2028/U+2029 are the line and paragraph separators.
LINE_BREAK = re.compile(r"[\r\n\u2028\u2029]")
# Bidi embeddings/overrides (U+202A-U+202E) and isolates (U+2066-U+2069).
BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# Zero-width space, word joiner and the byte-order mark / ZWNBSP: always refused. The zero-width
# non-joiner and joiner (U+200C/U+200D) belong to correct Persian writing ("می‌خواهم") and to
# emoji, so they are allowed between two visible characters and refused anywhere else.
_VISIBLE = r"[^\s\u200b-\u200d\u2060\ufeff]"
ZERO_WIDTH = re.compile(
    rf"[\u200b\u2060\ufeff]|(?<!{_VISIBLE})[\u200c\u200d]|[\u200c\u200d](?!{_VISIBLE})")

CONTROL_MESSAGE = _l("Please remove invisible control characters.")
LINE_BREAK_MESSAGE = _l("Please write this on one line, without line breaks.")
BIDI_MESSAGE = _l("Please remove the hidden characters that change the writing direction.")
ZERO_WIDTH_MESSAGE = _l("Please remove the invisible zero-width characters.")


def invisible_character_errors(value: str, multiline: bool = False) -> list:
    """The messages for the invisible characters in value (empty when it is fine)."""
    errors = []
    if CONTROL.search(value):
        errors.append(CONTROL_MESSAGE)
    if not multiline and LINE_BREAK.search(value):
        errors.append(LINE_BREAK_MESSAGE)
    if BIDI.search(value):
        errors.append(BIDI_MESSAGE)
    if ZERO_WIDTH.search(value):
        errors.append(ZERO_WIDTH_MESSAGE)
    return errors


def clean_text(value: str | None, limit: int = 200) -> str:
    """For free text from query strings (search boxes): line breaks become spaces; control,
    bidi and zero-width characters are dropped; the length is bounded."""
    text = LINE_BREAK.sub(" ", value or "")
    text = ZERO_WIDTH.sub("", BIDI.sub("", CONTROL.sub("", text)))
    return text.strip()[:limit]


# ---------------------------------------------------------------- numbers
INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # PostgreSQL `integer`
MAX_DIGITS = 15                           # beyond any sensible input, far below float trouble
_INTEGER = re.compile(r"[+-]?[0-9]{1,%d}" % MAX_DIGITS, re.ASCII)
_DECIMAL = re.compile(r"[+-]?[0-9]{1,%d}(?:[.,][0-9]{1,%d})?" % (MAX_DIGITS, MAX_DIGITS), re.ASCII)

WHOLE_NUMBER_MESSAGE = _l("Please enter a whole number, using the digits 0 to 9.")
NUMBER_MESSAGE = _l("Please enter a number, using the digits 0 to 9.")
RANGE_MESSAGE = _l("Please enter a number from %(min)s to %(max)s.")


def _stop_if_unparsed(field) -> None:
    """An unparsable number has its message already; don't let validators see it."""
    if field.process_errors:
        raise StopValidation()


def _check_bounds(field) -> None:
    if field.data is not None and not (field.min <= field.data <= field.max):
        message = field.range_message or RANGE_MESSAGE
        raise StopValidation(message % {"min": field.min, "max": field.max})


def _raw_number(field, valuelist, pattern, message) -> str | None:
    """The submitted text of a number field if it has the pattern's shape; None when nothing
    was sent or the field was left empty (data None); ValueError with `message` otherwise."""
    if not valuelist:
        return None
    raw = (valuelist[0] or "").strip()
    if not raw:
        field.data = None
        return None
    if not pattern.fullmatch(raw):
        field.data = None
        raise ValueError(field.invalid_value_message or message)
    return raw


class IntegerField(wtf_fields.IntegerField):
    """A whole number in [min, max] (default: a PostgreSQL integer), ASCII digits only.

    Shown as a text input with a numeric keyboard on phones (`inputmode="numeric"`), so what was
    typed stays visible with its error. `message` replaces the default range message; it may use
    %(min)s and %(max)s."""

    widget = widgets.TextInput()

    def __init__(self, label=None, validators=None, min: int = INT_MIN, max: int = INT_MAX,
                 message=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "numeric"})
        super().__init__(label, validators, **kwargs)
        self.min, self.max, self.range_message = min, max, message

    def process_formdata(self, valuelist):
        raw = _raw_number(self, valuelist, _INTEGER, WHOLE_NUMBER_MESSAGE)
        if raw is not None:
            self.data = int(raw)

    def pre_validate(self, form):
        _stop_if_unparsed(self)
        _check_bounds(self)


class DecimalField(wtf_fields.DecimalField):
    """A decimal number in [min, max], ASCII digits with a point or comma, at most `places`
    places after it (default 2). No exponents, NaN or infinity."""

    widget = widgets.TextInput()

    def __init__(self, label=None, validators=None, min=-(10**12), max=10**12, places: int = 2,
                 message=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal"})
        super().__init__(label, validators, places=places, **kwargs)
        self.min, self.max, self.range_message = decimal.Decimal(min), decimal.Decimal(max), message

    def process_formdata(self, valuelist):
        raw = _raw_number(self, valuelist, _DECIMAL, NUMBER_MESSAGE)
        if raw is None:
            return
        self.data = decimal.Decimal(raw.replace(",", "."))
        if self.places is not None and -self.data.as_tuple().exponent > self.places:
            self.data = None
            raise ValueError(self.invalid_value_message or NUMBER_MESSAGE)

    def pre_validate(self, form):
        _stop_if_unparsed(self)
        _check_bounds(self)


def _unsafe_number(field) -> bool:
    """For plain WTForms number fields: was the input anything but a short ASCII number?"""
    raw = field.raw_data[0] if field.raw_data else None
    if isinstance(raw, str) and raw.strip():
        pattern = _INTEGER if isinstance(field, wtf_fields.IntegerField) else _DECIMAL
        if not pattern.fullmatch(raw.strip()):
            return True
    data = field.data
    if data is None:
        return False
    try:
        return not math.isfinite(float(data)) or abs(data) > 10**MAX_DIGITS
    except (ValueError, TypeError, ArithmeticError):  # sNaN and friends
        return True


def _refuse_number(field) -> None:
    field.data = None
    field.process_errors = [*field.process_errors, NUMBER_MESSAGE]
    # This instance only: stop its validators, which might choke on the input (NumberRange on a
    # 400-digit int raises OverflowError).
    field.pre_validate = lambda form: _stop_if_unparsed(field)


# ---------------------------------------------------------------- checkbox groups
class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (render with the `checkboxes` macro of `_forms.html`).

    Nothing ticked is an empty list (a browser sends nothing for it); values not among the
    choices are refused."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


# ---------------------------------------------------------------- the base form
class BaseForm(FlaskForm):
    def validate(self, extra_validators=None) -> bool:
        for field in self:
            if isinstance(field, (wtf_fields.IntegerField, wtf_fields.DecimalField, wtf_fields.FloatField)) \
                    and not isinstance(field, (IntegerField, DecimalField)) and _unsafe_number(field):
                _refuse_number(field)
        valid = super().validate(extra_validators)
        for field in self:
            data = field.data
            if not isinstance(data, str) or isinstance(field, PasswordField):
                continue
            errors = invisible_character_errors(data, multiline=isinstance(field, TextAreaField))
            if errors:
                field.errors = [*field.errors, *errors]
                valid = False
        return valid
