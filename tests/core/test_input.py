"""Input hardening in app/core/forms.py (issue 10, points 9 and 11).

9: every number field of every form answers huge, negative, non-numeric and unicode-digit input
   with a form error at the field, never a 500 (OverflowError in NumberRange, overflow in the
   database); a future form that uses a plain WTForms number field is guarded as well.
11: one-line fields refuse C1 controls, line/paragraph separators, bidi overrides and isolates
   and zero-width characters; multi-line fields refuse all but the line breaks; search boxes
   (clean_text) strip them.
"""
from __future__ import annotations

import decimal
import importlib
import inspect
import pkgutil

import pytest
import wtforms
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from wtforms.validators import NumberRange, Optional

import app as app_package
from app.core import forms as core_forms
from app.core.forms import BaseForm, DecimalField, IntegerField, clean_text
from app.extensions import db
from app.offices.models import Office, SatelliteLocation
from tests.conftest import submit

EN = {"Accept-Language": "en"}

BAD_NUMBERS = {
    "huge": "9" * 400,
    "huge-negative": "-" + "9" * 400,
    "beyond-int-str-limit": "9" * 5000,
    "negative": "-5",
    "non-numeric": "abc",
    "exponent": "1e400",
    "nan": "nan",
    "infinity": "inf",
    "arabic-indic-digits": "\u0661\u0669\u0669\u0665",   # ١٩٩٥
    "fullwidth-digits": "\uff12\uff10\uff11\uff16",      # ２０１６
    "devanagari-digits": "\u0968\u0966\u0967\u096c",     # २०१६
    "underscore": "2_016",
    "int32-overflow": "2147483648",
}
BAD = pytest.mark.parametrize("value", BAD_NUMBERS.values(), ids=BAD_NUMBERS.keys())


def _office_form_data(**extra):
    return {"name": "Büro Test", "slug": "buero-test", **extra}


# ---------------------------------------------------------------- 9: over HTTP, every number field
@BAD
def test_founded_year_is_a_form_error(app, client, make, auth, value):
    office = make.office()
    auth.login(make.admin(locale="en"))
    r = submit(client, f"/offices/{office.id}/edit", _office_form_data(founded_year=value), headers=EN)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="founded_year-error"' in html, value[:20]
    with app.app_context():
        assert db.session.get(Office, office.id).founded_year is None


@pytest.mark.parametrize("value,expected", [("2016", 2016), (" 2016 ", 2016), ("", None)])
def test_founded_year_accepts_a_year(app, client, make, auth, value, expected):
    office = make.office()
    auth.login(make.admin(locale="en"))
    r = submit(client, f"/offices/{office.id}/edit", _office_form_data(founded_year=value))
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(Office, office.id).founded_year == expected


def test_founded_year_out_of_range_names_the_range(client, make, auth):
    office = make.office()
    auth.login(make.admin(locale="en"))
    html = submit(client, f"/offices/{office.id}/edit", _office_form_data(founded_year="1800"),
                  headers=EN).get_data(as_text=True)
    assert "Please enter a year from 1990 to 2100." in html


@BAD
def test_office_district_picker_refuses_bad_numbers(app, client, make, auth, value):
    office = make.office()
    auth.login(make.admin(locale="en"))
    r = submit(client, f"/offices/{office.id}/edit", _office_form_data(districts=value))
    assert r.status_code == 200 and 'id="districts-error"' in r.get_data(as_text=True)


@BAD
def test_satellite_weekday_refuses_bad_numbers(app, client, make, auth, value):
    office = make.office(satellites=0)
    auth.login(make.coordinator(office))
    r = submit(client, f"/offices/{office.id}/satellites/new",
               {"name": "Café", "street": "Markt 1", "postcode": "44135", "weekday": value,
                "opens_at": "14:00", "closes_at": "16:00"})
    assert r.status_code == 200 and 'id="weekday-error"' in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SatelliteLocation)) == 0


@BAD
@pytest.mark.parametrize("name", ["office", "district"])
def test_message_office_and_district_refuse_bad_numbers(client, make, auth, value, name):
    office = make.office()
    make.volunteer(district_id=office.district_ids[0])
    auth.login(make.coordinator(office))
    data = {"office": office.id, "district": 0, "language": "", "subject": "Fest", "body": "Hallo",
            "preview": "1", name: value}
    r = submit(client, "/people/message", data)
    assert r.status_code == 200 and f'id="{name}-error"' in r.get_data(as_text=True)


@BAD
def test_invite_office_picker_refuses_bad_numbers(app, client, make, auth, value):
    make.office()
    auth.login(make.admin(locale="en"))
    r = submit(client, "/admin/accounts", {"name": "Neu", "email": "neu@example.org",
                                           "role": "coordinator", "offices": value})
    assert r.status_code == 200 and 'id="offices-error"' in r.get_data(as_text=True)


@BAD
def test_assign_office_picker_refuses_bad_numbers(app, client, make, auth, value):
    office = make.office()
    coordinator = make.coordinator(office)
    auth.login(make.admin(locale="en"))
    r = submit(client, f"/admin/accounts/{coordinator.id}", {"offices": value})
    assert r.status_code == 200 and 'id="offices-error"' in r.get_data(as_text=True)


def test_every_number_field_of_every_form_is_bounded():
    """Future forms too: a number field must be app.core.forms.IntegerField/DecimalField."""
    plain = (wtforms.IntegerField, wtforms.DecimalField, wtforms.FloatField)
    found, unbounded = [], []
    for info in pkgutil.walk_packages(app_package.__path__, "app."):
        if not info.name.endswith(".forms"):
            continue
        module = importlib.import_module(info.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, BaseForm):
                continue
            for attr, unbound in _unbound(cls):
                if issubclass(unbound.field_class, plain):
                    found.append(f"{cls.__name__}.{attr}")
                    if not issubclass(unbound.field_class, (IntegerField, DecimalField)):
                        unbounded.append(f"{cls.__name__}.{attr}")
    assert "OfficeForm.founded_year" in found
    assert not unbounded, unbounded


def _unbound(cls):
    return [(name, value) for name in dir(cls)
            if isinstance(value := getattr(cls, name), wtforms.fields.core.UnboundField)]


# ---------------------------------------------------------------- 9: the guard, unit level
class _PlainNumbers(BaseForm):
    """A careless future form: plain WTForms number fields with NumberRange."""

    class Meta:
        csrf = False

    count = wtforms.IntegerField("n", validators=[Optional(), NumberRange(min=0, max=100)])
    amount = wtforms.DecimalField("a", validators=[Optional(), NumberRange(min=0, max=100)])
    ratio = wtforms.FloatField("r", validators=[Optional(), NumberRange(min=0, max=1)])


class _Bounded(BaseForm):
    class Meta:
        csrf = False

    count = IntegerField("n", min=0, max=100)
    amount = DecimalField("a", min=0, max=100)


@BAD
@pytest.mark.parametrize("name", ["count", "amount", "ratio"])
def test_plain_wtforms_number_fields_are_guarded(app, value, name):
    with app.test_request_context(method="POST"):
        form = _PlainNumbers(formdata=MultiDict({name: value}))
        assert form.validate() is False, value[:20]
        assert getattr(form, name).errors, value[:20]


@pytest.mark.parametrize("value", ["sNaN", "-sNaN", "1e999999", "Infinity"])
def test_plain_decimal_field_special_values(app, value):
    with app.test_request_context(method="POST"):
        form = _PlainNumbers(formdata=MultiDict({"amount": value}))
        assert form.validate() is False and form.amount.errors


@pytest.mark.parametrize("value,data", [("42", 42), ("+7", 7), ("0", 0), ("100", 100)])
def test_bounded_integer_accepts_ascii_numbers(app, value, data):
    with app.test_request_context(method="POST"):
        form = _Bounded(formdata=MultiDict({"count": value}))
        assert form.validate(), form.errors
        assert form.count.data == data


@BAD
def test_bounded_integer_refuses(app, value):
    with app.test_request_context(method="POST"):
        form = _Bounded(formdata=MultiDict({"count": value}))
        assert not form.validate() and form.count.errors
        assert len(form.count.errors) == 1  # one clear message, not a pile


@pytest.mark.parametrize("value,data", [("12,50", decimal.Decimal("12.50")), ("7.5", decimal.Decimal("7.5")),
                                        ("100", decimal.Decimal(100))])
def test_bounded_decimal_accepts_point_or_comma(app, value, data):
    with app.test_request_context(method="POST"):
        form = _Bounded(formdata=MultiDict({"amount": value}))
        assert form.validate(), form.errors
        assert form.amount.data == data


@pytest.mark.parametrize("value", ["1e2", "sNaN", "NaN", "12.345", "100.01", "-1", "1.2.3", "\u0661"])
def test_bounded_decimal_refuses(app, value):
    with app.test_request_context(method="POST"):
        form = _Bounded(formdata=MultiDict({"amount": value}))
        assert not form.validate() and form.amount.errors


# ---------------------------------------------------------------- 11: invisible characters
C1 = {"U+0080": "\x80", "U+0085 next line": "\x85", "U+009B CSI": "\x9b", "U+009F": "\x9f"}
SEPARATORS = {"U+2028 line separator": "\u2028", "U+2029 paragraph separator": "\u2029"}
BIDI = {f"U+{cp:04X}": chr(cp) for cp in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}
# (the non-joiner and joiner are refused next to spaces and at the ends; see below)
ZERO_WIDTH = {f"U+{cp:04X}": chr(cp) for cp in (0x200B, 0x2060, 0xFEFF)}
MESSAGES = {
    "c1": "Please remove invisible control characters.",
    "separator": "Please write this on one line, without line breaks.",
    "bidi": "Please remove the hidden characters that change the writing direction.",
    "zero-width": "Please remove the invisible zero-width characters.",
}
CASES = [pytest.param(kind, ch, id=f"{kind}-{label}")
         for kind, chars in (("c1", C1), ("separator", SEPARATORS), ("bidi", BIDI), ("zero-width", ZERO_WIDTH))
         for label, ch in chars.items()]


def _edit_office(client, office, **data):
    return submit(client, f"/offices/{office.id}/edit",
                  {"name": office.name, "slug": office.slug, **data}, headers=EN)


@pytest.mark.parametrize("kind,ch", CASES)
def test_one_line_fields_refuse_invisible_characters(app, client, make, auth, kind, ch):
    office = make.office("Büro Nord")
    auth.login(make.admin(locale="en"))
    r = _edit_office(client, office, name=f"Büro{ch} Nord", operator=f"Cari{ch}tas")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert 'id="name-error"' in html and 'id="operator-error"' in html
    assert MESSAGES[kind] in html
    with app.app_context():
        assert db.session.get(Office, office.id).name == "Büro Nord"


@pytest.mark.parametrize("kind,ch", [c for c in CASES if c.values[0] != "separator"])
def test_multi_line_fields_refuse_invisible_characters(app, client, make, auth, kind, ch):
    office = make.office()
    auth.login(make.admin(locale="en"))
    r = _edit_office(client, office, opening_hours=f"Mo 9–12 Uhr\r\nDi{ch} 14–17 Uhr")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="opening_hours-error"' in html and MESSAGES[kind] in html


@pytest.mark.parametrize("breaks", ["\r\n", "\n", "\u2028", "\u2029"])
def test_multi_line_fields_allow_line_breaks(app, client, make, auth, breaks):
    office = make.office()
    auth.login(make.admin(locale="en"))
    text = f"Mo 9–12 Uhr{breaks}Di 14–17 Uhr"
    assert _edit_office(client, office, opening_hours=text).status_code == 302
    with app.app_context():
        assert db.session.get(Office, office.id).opening_hours.replace("\r\n", "\n") == text.replace("\r\n", "\n")


def test_ordinary_international_names_pass(app, client, make, auth):
    office = make.office()
    auth.login(make.admin(locale="en"))
    for name in ("Büro Hörde – Süd", "مكتب الشمال", "Бюро Север", "Straße 1½"):
        assert _edit_office(client, office, name=name).status_code == 302, name


def test_several_kinds_give_each_message_once(client, make, auth):
    office = make.office()
    auth.login(make.admin(locale="en"))
    html = _edit_office(client, office, name="a\u202eb\u200bc\u200bd").get_data(as_text=True)
    error = html.split('id="name-error">', 1)[1].split("</p>", 1)[0]
    assert error.count(MESSAGES["bidi"]) == 1 and error.count(MESSAGES["zero-width"]) == 1


@pytest.mark.parametrize("kind,ch", CASES)
def test_clean_text_strips_invisible_characters(kind, ch):
    cleaned = clean_text(f"Ma{ch}ria")
    assert cleaned in ("Maria", "Ma ria")
    assert not any(c in cleaned for c in ch)


def test_clean_text_keeps_words_apart_at_line_breaks():
    assert clean_text("Maria\r\nMüller\u2028Ali\u2029Ben\x85Cem") == "Maria  Müller Ali BenCem"
    assert clean_text("\ufeff\u202eMaria\u2066\u2069") == "Maria"
    assert clean_text("x" * 500) == "x" * 200


def test_search_box_strips_invisible_characters(client, make, auth):
    auth.login(make.admin(locale="en"))
    make.user("coordinator", name="Maria Müller", email="maria@example.org")
    r = client.get("/admin/accounts?q=Ma%E2%80%AEria%E2%80%8B")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'value="Maria"' in html and "maria@example.org" in html


def test_character_classes_are_the_documented_ones():
    """The patterns cover exactly the ranges named in issue 10, point 11 (plus C0 and DEL)."""
    for cp in [*range(0x80, 0xA0)]:
        assert core_forms.CONTROL.match(chr(cp)), hex(cp)
    for cp in (0x2028, 0x2029, 0x0D, 0x0A):
        assert core_forms.LINE_BREAK.match(chr(cp)), hex(cp)
    for cp in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]:
        assert core_forms.BIDI.match(chr(cp)), hex(cp)
    for cp in (0x200B, 0x2060, 0xFEFF):
        assert core_forms.ZERO_WIDTH.match(chr(cp)), hex(cp)
    for cp in (0x200C, 0x200D):  # alone, at an edge, next to a space: refused
        for text in (chr(cp), f"a{chr(cp)}", f"{chr(cp)}a", f"a {chr(cp)}b", f"a{chr(cp)}{chr(cp)}b"):
            assert core_forms.ZERO_WIDTH.search(text), (hex(cp), text)
    for ok in "aÄß\t\u00a0\u00ad€١":  # letters, tab, no-break space, soft hyphen, euro, digit
        assert not any(p.match(ok) for p in (core_forms.CONTROL, core_forms.BIDI, core_forms.ZERO_WIDTH)), repr(ok)


def test_persian_words_with_a_zero_width_non_joiner_are_accepted(app, client, make, auth):
    """Correct Farsi spelling needs U+200C inside words; an emoji sequence needs U+200D."""
    from app.core import forms as core_forms

    for text in ("می\u200cخواهم", "Zahra \U0001F469\u200d\U0001F467", "خانه\u200cها"):
        assert not core_forms.ZERO_WIDTH.search(text), text
    assert clean_text("می\u200cخواهم") == "می\u200cخواهم"
