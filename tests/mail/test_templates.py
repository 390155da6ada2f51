"""Per-office overrides of a kind's subject and body: preview, escaping, refusal of broken ones."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.mail.models import MailTemplateOverride
from app.mail.services import render_mail
from tests.conftest import submit


def url(office, kind="colleague_invited", locale="de"):
    return f"/admin/templates/{kind}/{office.id}/{locale}"


def test_every_kind_renders_in_both_languages(app):
    from app.mail.kinds import KINDS

    with app.test_request_context():
        for kind in KINDS.values():
            if kind.key == "coordinator_message":
                continue  # rendered per recipient by the worker, tested there
            for locale in ("de", "en"):
                subject, text, html = render_mail(kind.key, locale, kind.example)
                assert subject and text.strip() and "<html" in html, (kind.key, locale)
            de, en = render_mail(kind.key, "de", kind.example), render_mail(kind.key, "en", kind.example)
            assert de[1] != en[1], f"{kind.key}: German and English bodies are the same"


def test_preview_then_save_override_used_for_that_office_only(app, client, make, auth):
    office, other = make.office(), make.office()
    auth.login(make.admin())
    page = client.get(url(office)).get_data(as_text=True)
    assert "{{ link }}" in page  # starts from the standard text with its variables
    data = {"subject": "Willkommen, {{ user.name }}!", "body": "Bitte klicken: {{ link }}", "preview": "1"}
    r = submit(client, url(office), data)
    html = r.get_data(as_text=True)
    assert "Willkommen, Amina Haddad!" in html  # example data
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MailTemplateOverride)) == 0
    data.pop("preview")
    r = submit(client, url(office), {**data, "save": "1"})
    assert r.status_code == 302
    ctx = {"user": {"name": "<script>x</script>", "email": "e@x"}, "link": "http://l/1", "minutes": 3,
           "offices": "A", "invited_by": "B"}
    with app.test_request_context():
        subject, text, html = render_mail("colleague_invited", "de", ctx, office_id=office.id)
        assert subject == "Willkommen, <script>x</script>!" and "http://l/1" in text
        assert "<script>" not in html and "&lt;script&gt;" in html  # variables escaped in HTML
        assert render_mail("colleague_invited", "de", ctx, office_id=other.id)[0] != subject
        assert render_mail("colleague_invited", "en", ctx, office_id=office.id)[0] != subject


def test_broken_template_is_refused(app, client, make, auth):
    office = make.office()
    auth.login(make.admin())
    for body in ["{{ link ", "{% if %}", "{{ unknown_variable }}", "{{ user.__class__.__mro__ }}",
                 "{{ minutes[0] }}", "{{ 'x' * 10**9 }}", "{{ 'x' * 100000000 }}", "{{ 1 / 0 }}",
                 '{{ "%0500000000d"|format(1) }}', '{{ "x"|center(500000000) }}',
                 "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
                 "{% macro m() %}{% endmacro %}", "{{ range(10) }}", "{{ 'ab' * 9999 }}{{ 'ab' * 9999 }}{{ 'ab' * 9999 }}"]:
        r = submit(client, url(office), {"subject": "S", "body": body, "save": "1"})
        assert r.status_code == 200 and 'id="body-error"' in r.get_data(as_text=True), body
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MailTemplateOverride)) == 0


def test_reset_to_standard(app, client, make, auth):
    office = make.office()
    auth.login(make.admin())
    submit(client, url(office), {"subject": "S {{ link }}", "body": "B", "save": "1"})
    page = client.get(url(office)).get_data(as_text=True)
    from tests.conftest import csrf_from

    r = client.post(url(office) + "/delete", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MailTemplateOverride)) == 0


def test_only_admins_edit_templates(client, make, auth):
    office = make.office()
    auth.login(make.coordinator(office))
    assert client.get(url(office)).status_code == 403
    assert client.get("/admin/templates").status_code == 403


def test_account_mails_are_not_overridable_per_office(client, make, auth):
    office = make.office()
    auth.login(make.admin())
    assert client.get(url(office, kind="confirm_address")).status_code == 404
    assert client.get(url(office, kind="coordinator_message")).status_code == 404


def test_invitation_uses_the_offices_own_wording(app, client, make, auth, deliver):
    office = make.office()
    auth.login(make.admin())
    submit(client, url(office), {"subject": "Hallo {{ user.name }} im Büro", "body": "Passwort setzen: {{ link }}",
                                 "save": "1"})
    submit(client, "/admin/accounts", {"name": "Kim", "email": "kim@example.org", "role": "coordinator",
                                       "offices": [str(office.id)]})
    (mail,) = deliver()
    assert mail.subject == "Hallo Kim im Büro" and "/reset-password/" in mail.body


def test_override_with_real_types_previews_and_broken_one_falls_back(app, client, make, auth):

    office = make.office()
    auth.login(make.admin())
    r = submit(client, url(office), {"subject": "Hallo", "body": "{{ minutes // 60 }} Stunden", "preview": "1"})
    assert r.status_code == 200 and "72 Stunden" in r.get_data(as_text=True)  # 4320 // 60
    # an override that passed the check but breaks on real data: the standard text goes out
    with app.app_context():
        from app.mail.models import MailTemplateOverride

        db.session.add(MailTemplateOverride(office_id=office.id, kind="colleague_invited", locale="de",
                                            subject="S", body="{{ minutes.missing.deeper }}"))
        db.session.commit()
    with app.test_request_context():
        subject, text, _html = render_mail("colleague_invited", "de", {
            "user": {"name": "Kim", "email": "k@x"}, "link": "http://l/1", "minutes": 5,
            "offices": "A", "invited_by": "B"}, office_id=office.id)
    assert subject != "S" and "http://l/1" in text


def test_preview_shows_html_version_in_a_sandboxed_frame(client, make, auth):
    office = make.office()
    auth.login(make.admin())
    r = submit(client, url(office), {"subject": "Hallo", "body": "<b>fett</b> {{ link }}", "preview": "1"})
    html = r.get_data(as_text=True)
    assert "<iframe" in html and "sandbox" in html and "&amp;lt;b&amp;gt;fett" in html  # escaped twice: data in srcdoc
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" in csp.split("style-src")[1].split(";")[0]
    assert r.headers["X-Frame-Options"] == "DENY"


def test_subject_rendering_to_two_lines_is_refused(client, make, auth):
    office = make.office()
    auth.login(make.admin())
    r = submit(client, url(office), {"subject": 'Hallo{{ "\\n" }}Bcc: x@example.org', "body": "B", "save": "1"})
    assert r.status_code == 200 and 'id="body-error"' in r.get_data(as_text=True)
    assert "Der Betreff muss eine Zeile sein" in r.get_data(as_text=True)  # in the UI language


def test_conditions_and_simple_filters_are_allowed(client, make, auth):
    office = make.office()
    auth.login(make.admin())
    r = submit(client, url(office), {"subject": "Hallo {{ user.name|upper }}",
                                     "body": "{% if offices %}Büros: {{ offices }}{% else %}-{% endif %} {{ link }}",
                                     "preview": "1"})
    html = r.get_data(as_text=True)
    assert "Hallo AMINA HADDAD" in html and "Büros: Brackel + Aplerbeck" in html
