"""Flask-Login's session mark (address and browser, hashed) kept per inputs
(app.core.security.remember_session_identifiers): the same value as Flask-Login's own, a new one
for other inputs, and session protection working as before."""
from __future__ import annotations

from flask_login.utils import _create_identifier

from app.extensions import login_manager


def test_the_kept_mark_is_flask_logins_own_for_each_set_of_inputs(app):
    generate = login_manager._session_identifier_generator
    assert generate is not _create_identifier
    cases = [({"REMOTE_ADDR": "10.0.0.1"}, {"User-Agent": "A"}),
             ({"REMOTE_ADDR": "10.0.0.2"}, {"User-Agent": "A"}),
             ({"REMOTE_ADDR": "10.0.0.1"}, {"User-Agent": "B"}),
             ({"REMOTE_ADDR": "10.0.0.1"}, {"User-Agent": "A", "X-Forwarded-For": "1.2.3.4, 10.0.0.1"}),
             ({"REMOTE_ADDR": "10.0.0.1"}, {}),
             ({"REMOTE_ADDR": "10.0.0.1"}, {"User-Agent": "x" * 5000})]  # computed, never kept
    seen = set()
    for _round in range(2):  # the second time from what was kept
        for environ, headers in cases:
            with app.test_request_context("/", environ_base=environ, headers=headers):
                mark = generate()
                assert mark == _create_identifier()
                seen.add(mark)
    assert len(seen) == len(cases)


def test_a_session_used_from_another_browser_is_no_longer_fresh(app, client, make, auth):
    user = make.volunteer()
    auth.login(user)
    client.get("/home", headers={"User-Agent": "elsewhere/2"})
    with client.session_transaction() as session:
        assert session.get("_fresh") is False
