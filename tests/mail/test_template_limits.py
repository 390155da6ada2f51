"""Office template overrides: size limits that hold before anything big is built (issue 10,
point 10) and what the admin sees — variables as {{ name }}, reasons in the UI language, kinds
by name (point 18)."""
from __future__ import annotations

import time
import tracemalloc

import pytest

from app.mail.services import TemplateInvalid, check_override
from tests.conftest import submit

CTX = {"user": {"name": "Amina Haddad", "email": "amina@example.org"}, "minutes": 5,
       "link": "https://example.org/x", "title": "Sprachcafé"}


def _peak_while(fn) -> int:
    tracemalloc.start()
    try:
        fn()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize("body", [
    '{{ "%0100000000d" % 1 }}',            # a constant: once folded when compiling
    '{{ "%0100000000d" % minutes }}',      # a variable: built when rendering
    '{{ "%.100000000f" % minutes }}',
    '{{ "%(name)0100000000s" % user }}',
    '{{ "%(na(m)e)0100000000s" % user }}',  # a key with parentheses, as Python reads it
])
def test_percent_operator_is_size_checked_before_it_builds(app, body):
    with app.test_request_context():
        def render():
            with pytest.raises(TemplateInvalid):
                check_override("S", body, CTX)

        started = time.monotonic()
        peak = _peak_while(render)
        assert peak < 5_000_000, f"{body}: {peak} bytes built before the check"
        assert time.monotonic() - started < 2


def test_small_percent_formats_still_work(app):
    with app.test_request_context():
        assert check_override("S", '{{ "%03d" % minutes }} {{ "%.1f" % 2.25 }} {{ 7 % 3 }}', CTX)[1] \
            == "005 2.2 1"


def test_output_is_limited_while_it_is_produced(app):
    """Many values each below the limit: rendering stops as soon as the text passes the limit."""
    produced = []

    class Piece:
        def __str__(self):
            produced.append(1)
            return "x" * 10_000

    with app.test_request_context():
        with pytest.raises(TemplateInvalid) as err:
            check_override("S", "{{ piece }}" * 100, {**CTX, "piece": Piece()})
    assert len(produced) <= 6  # 50,000 characters; not all 100 pieces first
    assert "too long" in err.value.detail


def test_subject_placeholders_show_as_template_variables(client, make, auth):
    office = make.office()
    auth.login(make.admin())
    page = client.get(f"/admin/templates/reminder/{office.id}/de").get_data(as_text=True)
    assert "%(title)s" not in page
    assert 'value="Erinnerung: {{ title }}"' in page
    page = client.get(f"/admin/templates/reminder/{office.id}/en").get_data(as_text=True)
    assert 'value="Reminder: {{ title }}"' in page


@pytest.mark.parametrize("body,german", [
    ("{{ link ", "Zeile 1 enthält einen Fehler"),
    ("{% if link %}x", "{% endif %}"),
    ("{{ unknown_variable }}", "Die Variable unknown_variable gibt es nicht"),
    ("{{ user.nmae }}", "Einen Teil einer Variablen gibt es nicht"),
    ("{{ user.__class__ }}", "Das ist in Mail-Vorlagen nicht erlaubt"),
    ("{{ 1 / 0 }}", "durch null geteilt"),
    ("{{ 'x' * 100000 }}", "Der Text wäre zu lang"),
    ("{% for i in link %}{% endfor %}", "Schleifen"),
    ("{{ range(3) }}", "Funktionen wie range()"),
    ('{{ "x"|center(9) }}', "Den Filter center"),
])
def test_template_errors_read_in_the_ui_language(client, make, auth, body, german):
    office = make.office()
    auth.login(make.admin())  # German UI
    html = submit(client, f"/admin/templates/colleague_invited/{office.id}/en",
                  {"subject": "S", "body": body, "preview": "1"}).get_data(as_text=True)
    import html as html_lib

    text = html_lib.unescape(html)
    assert "Die Vorlage kann nicht verwendet werden" in text
    assert german in text, text[text.find('id="body-error"') - 200:][:800]
    for raw in ("is undefined", "unexpected", "unsafe", "division by zero", "not allowed in mail templates",
                "too long", "Expected"):
        assert raw not in text, raw


def test_template_errors_in_english_for_an_english_ui(client, make, auth):
    office = make.office()
    auth.login(make.admin(locale="en"))
    html = submit(client, f"/admin/templates/colleague_invited/{office.id}/de",
                  {"subject": "S", "body": "{{ unknown_variable }}", "preview": "1"}).get_data(as_text=True)
    assert "The variable unknown_variable does not exist" in html


def test_outbox_shows_kinds_by_their_names(app, client, make, auth):
    from app.extensions import db
    from app.mail.services import queue_mail

    with app.test_request_context():
        queue_mail("password_reset", to="a@example.org", context={**CTX, "minutes": 5})
        db.session.commit()
    auth.login(make.admin())
    html = client.get("/admin/outbox").get_data(as_text=True)
    assert 'data-label="Art">Passwort zurücksetzen</td>' in html
    assert "password_reset" not in html
