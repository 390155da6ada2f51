"""The base of every form: Flask-WTF (CSRF) plus a refusal of invisible control characters.

A NUL byte breaks PostgreSQL text columns and a line break in a name or subject would break
mail headers; both get a clear message at the field instead of a 500 or a stuck mail."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, TextAreaField

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LINE_BREAK = re.compile(r"[\r\n]")


def clean_text(value: str | None, limit: int = 200) -> str:
    """For free text from query strings (search boxes): no control characters, bounded length."""
    return CONTROL.sub("", LINE_BREAK.sub(" ", value or "")).strip()[:limit]


class BaseForm(FlaskForm):
    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            data = field.data
            if not isinstance(data, str) or isinstance(field, PasswordField):
                continue
            multiline = isinstance(field, TextAreaField)
            if CONTROL.search(data) or (not multiline and LINE_BREAK.search(data)):
                field.errors = [*field.errors, _l("Please remove invisible control characters.")]
                valid = False
        return valid
