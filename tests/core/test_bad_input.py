"""Bad input never answers 500: huge ids, huge page numbers, smuggled url_for arguments,
control characters. (Each also on PostgreSQL, where overflow and NUL bytes are errors.)"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.extensions import db
from tests.conftest import submit

HUGE = "9" * 30


@pytest.mark.parametrize("path", [
    f"/offices/{HUGE}", f"/offices/1/satellites/{HUGE}", f"/admin/accounts/{HUGE}", f"/messages/{HUGE}",
    f"/admin/templates/colleague_invited/{HUGE}/de", "/offices/2147483648",
])
def test_huge_ids_are_404(client, make, auth, path):
    make.office()
    auth.login(make.admin())
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("query", [f"page={HUGE}", "page=-5", "page=abc", "endpoint=core.index",
                                   "_external=1&_scheme=https", "_method=DELETE", "q=%00", "role=%00x"])
def test_list_query_strings_never_500(app, client, make, auth, query):
    auth.login(make.admin())
    for i in range(60):  # more than one page
        make.user("coordinator", email=f"c{i}@example.org")
    for path in ("/admin/accounts", "/admin/outbox"):
        r = client.get(f"{path}?{query}")
        assert r.status_code == 200, (path, query)
        html = r.get_data(as_text=True)
        links = [part.split('"')[0] for part in html.split('<a href="')[1:] if 'rel="' in part.split(">")[0]]
        assert all("_external" not in link and "endpoint=" not in link for link in links), links


def test_pagination_links_keep_filters(client, make, auth):
    auth.login(make.admin())
    for i in range(60):
        make.user("coordinator", email=f"c{i}@example.org")
    html = client.get("/admin/accounts?role=coordinator&q=example").get_data(as_text=True)
    assert "page=2" in html and "role=coordinator" in html and "q=example" in html


@pytest.mark.parametrize("name", ["Evil\x00", "Evil\nBcc: x@example.org", "Tab\x0bbed"])
def test_control_characters_are_a_form_error(app, client, name):
    r = submit(client, "/register", {"name": name, "email": "a@example.org",
                                     "password": "ein langes passwort", "privacy": "y"})
    assert r.status_code == 200 and 'id="name-error"' in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_line_breaks_allowed_in_text_areas_but_not_in_subjects(app, client, make, auth):
    office = make.office()
    make.volunteer(district_id=office.district_ids[0])
    auth.login(make.coordinator(office))
    r = submit(client, "/people/message", {"office": office.id, "district": 0, "language": "",
                                           "subject": "Fest\r\nBcc: x@example.org", "body": "Zeile 1\r\nZeile 2",
                                           "send": "1"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="subject-error"' in html and 'id="body-error"' not in html
