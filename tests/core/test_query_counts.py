"""No query per row: the daily pages run the same number of SQL statements for 3 rows as for 30."""
from __future__ import annotations

import pytest


from app.extensions import db
from tests.conftest import count_statements




def grow(app, make, n: int, office) -> None:
    from app.mail.services import queue_mail, send_message
    from app.people.services import volunteer_recipients

    for _ in range(n):
        o = make.office(satellites=2)
        make.coordinator(o)
        make.volunteer(district_id=office.district_ids[0], languages=("ar", "fa"))
    with app.app_context():
        for i in range(n):
            queue_mail("confirm_address", to=f"x{i}@example.org",
                       context={"user": {"name": "X", "email": "x"}, "link": "l", "hours": 1})
        db.session.commit()
        send_message(sender=None, office_id=office.id, subject="s", body="b", audience="a",
                     recipients=volunteer_recipients(office.id))


@pytest.mark.parametrize("path", ["/offices/", "/admin/accounts", "/admin/outbox", "/messages",
                                  "/messages/1", "/admin/templates", "/home"])
def test_statement_count_does_not_grow_with_rows(app, client, make, auth, path):
    office = make.office()
    auth.login(make.admin())
    grow(app, make, 3, office)
    small = count_statements(app, client, path)
    grow(app, make, 27, office)
    large = count_statements(app, client, path)
    assert large == small, f"{path}: {small} statements with few rows, {large} with more"
    assert small <= 10, path
