"""Every change staff make writes exactly one audit entry, in the change's own transaction:
the right actor, action, record and office; none when the change is refused."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core.models import AuditEntry
from app.extensions import db
from app.offices.models import District, Office, SatelliteLocation
from tests.conftest import csrf_from, submit
from tests.offices.test_offices import SAT

OFFICE = {"name": "Büro Neu", "slug": "buero-neu", "operator": "AWO", "street": "Weg 1",
          "postcode": "44135", "phone": "", "email": "", "opening_hours": "", "founded_year": ""}


def test_office_created_and_updated(app, client, make, auth, audit_log):
    old = make.office("Büro Alt", districts=("Eving", "Scharnhorst"))
    admin = make.admin()
    auth.login(admin)
    r = submit(client, "/offices/new", {**OFFICE, "districts": [old.district_ids[0]]})
    assert r.status_code == 302
    with app.app_context():
        new_id = db.session.scalar(select(Office.id).where(Office.slug == "buero-neu"))
    [entry] = audit_log()
    assert entry["action"] == "office.created" and entry["actor_id"] == admin.id
    assert entry["actor_name"] == admin.name
    assert (entry["record_type"], entry["record_id"], entry["office_id"]) == ("offices", new_id, new_id)
    assert set(entry["detail"]["fields"]) == {"name", "slug", "operator", "street", "postcode"}
    assert entry["detail"]["districts_added"] == [old.district_ids[0]]

    # the old office: phone changed, its second district given up, the first one is gone already
    r = submit(client, f"/offices/{old.id}/edit", {**OFFICE, "name": "Büro Alt", "slug": old.slug,
                                                    "operator": "Caritas", "street": "Hauptstraße 1",
                                                    "phone": "0231 1", "districts": []})
    assert r.status_code == 302
    [entry] = audit_log("office.updated")
    assert (entry["record_id"], entry["office_id"], entry["actor_id"]) == (old.id, old.id, admin.id)
    assert entry["detail"]["fields"] == ["phone"]
    assert entry["detail"]["districts_removed"] == [old.district_ids[1]]
    assert "districts_added" not in entry["detail"]

    # saved again without a change: nothing to record
    submit(client, f"/offices/{old.id}/edit", {**OFFICE, "name": "Büro Alt", "slug": old.slug,
                                                "operator": "Caritas", "street": "Hauptstraße 1",
                                                "phone": "0231 1", "districts": []})
    assert len(audit_log()) == 2


def test_refused_office_changes_write_nothing(app, client, make, auth, audit_log):
    taken = make.office("Büro Vergeben")
    auth.login(make.admin())
    r = submit(client, "/offices/new", {**OFFICE, "name": "Büro Vergeben"})  # name clash
    assert r.status_code == 200 and "Das verwendet schon ein anderes Büro." in r.get_data(as_text=True)
    r = submit(client, "/offices/new", {**OFFICE, "postcode": "12"})  # form error
    assert r.status_code == 200
    r = submit(client, f"/offices/{taken.id}/edit", {**OFFICE, "slug": "Kein Slug!"})
    assert r.status_code == 200
    assert audit_log() == []


def test_office_clash_found_by_the_database_writes_nothing(app, make, audit_log, monkeypatch):
    """The clash found only by the database (a parallel save won): neither office nor entry."""
    from app.accounts.models import User
    from app.offices import services

    make.office("Büro Eins")
    admin = make.admin()
    with app.app_context():
        actor = db.session.get(User, admin.id)
        real_scalar = db.session.scalar
        # the pre-check sees no clash (as if the other save was not committed yet)
        monkeypatch.setattr(db.session, "scalar", lambda stmt, *a, **k: None)
        with pytest.raises(services.OfficeConflict):
            services.save_office(None, {**OFFICE, "name": "Büro Eins", "slug": "buero-eins-2",
                                        "founded_year": None}, [], actor=actor)
        monkeypatch.setattr(db.session, "scalar", real_scalar)
        assert db.session.scalar(select(Office.id).where(Office.slug == "buero-eins-2")) is None
    assert audit_log() == []


def test_the_entry_rolls_back_with_its_change(app, make, audit_log):
    """record() joins the caller's transaction: a change that fails at commit takes it along."""
    from sqlalchemy.exc import IntegrityError

    from app.core import audit

    office = make.office("Büro Eins")
    with app.app_context():
        audit.record(None, "office.created", record_type="offices", office_id=office.id)
        db.session.add(Office(name="Büro Eins", slug="andere"))  # the unique name refuses it
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
    assert audit_log() == []


def test_satellite_created_updated_deleted_by_a_coordinator(app, client, make, auth, audit_log):
    office = make.office(satellites=0)
    coordinator = make.coordinator(office)
    auth.login(coordinator)
    assert submit(client, f"/offices/{office.id}/satellites/new", SAT).status_code == 302
    with app.app_context():
        sat_id = db.session.scalar(select(SatelliteLocation.id))
    [entry] = audit_log()
    assert (entry["action"], entry["record_type"], entry["record_id"], entry["office_id"], entry["actor_id"]) == (
        "satellite.created", "satellite_locations", sat_id, office.id, coordinator.id)
    assert entry["detail"]["name"] == "Café Nord"

    url = f"/offices/{office.id}/satellites/{sat_id}"
    assert submit(client, url, {**SAT, "closes_at": "17:00", "note": "Neu"}).status_code == 302
    [entry] = audit_log("satellite.updated")
    assert sorted(entry["detail"]["fields"]) == ["closes_at", "note"] and entry["record_id"] == sat_id
    assert submit(client, url, {**SAT, "closes_at": "13:00"}).status_code == 200  # form error
    assert submit(client, url, {**SAT, "closes_at": "17:00", "note": "Neu"}).status_code == 302  # no change
    assert len(audit_log()) == 2

    html = client.get(f"/offices/{office.id}").get_data(as_text=True)
    client.post(f"{url}/delete", data={"csrf_token": csrf_from(html)})
    [entry] = audit_log("satellite.deleted")
    assert (entry["record_id"], entry["office_id"], entry["detail"]["name"]) == (sat_id, office.id, "Café Nord")
    assert len(audit_log()) == 3


def test_template_override_saved_and_deleted(app, client, make, auth, audit_log):
    office = make.office()
    admin = make.admin()
    auth.login(admin)
    url = f"/admin/templates/colleague_invited/{office.id}/de"
    r = submit(client, url, {"subject": "Hallo {{ user.name }", "body": "B", "save": "1"})  # broken
    assert r.status_code == 200 and audit_log() == []
    assert submit(client, url, {"subject": "Hallo {{ user.name }}", "body": "Link: {{ link }}", "save": "1"}).status_code == 302
    [entry] = audit_log()
    assert (entry["action"], entry["record_type"], entry["office_id"], entry["actor_id"]) == (
        "mail_template.saved", "mail_template_overrides", office.id, admin.id)
    assert entry["detail"] == {"kind": "colleague_invited", "locale": "de", "fields": ["subject", "body"]}
    submit(client, url, {"subject": "Hallo {{ user.name }}", "body": "Neu: {{ link }}", "save": "1"})
    assert audit_log()[-1]["detail"]["fields"] == ["body"]
    html = client.get(url).get_data(as_text=True)
    client.post(url + "/delete", data={"csrf_token": csrf_from(html)})
    [entry] = audit_log("mail_template.deleted")
    assert entry["office_id"] == office.id and entry["detail"] == {"kind": "colleague_invited", "locale": "de"}
    assert len(audit_log()) == 3


def test_bounce_names_the_account_never_the_address(app, client, make, auth, audit_log, runner):
    vol = make.volunteer(email="kaputt@example.org")
    admin = make.admin()
    auth.login(admin)
    assert submit(client, "/admin/outbox", {"email": "Kaputt@Example.org", "note": "550"}).status_code == 302
    [entry] = audit_log()
    assert (entry["action"], entry["record_type"], entry["record_id"], entry["office_id"], entry["actor_id"]) == (
        "address.bounced", "users", vol.id, None, admin.id)
    assert entry["detail"] == {"user_id": vol.id}
    submit(client, "/admin/outbox", {"email": "kaputt"})  # form error
    assert len(audit_log()) == 1

    result = runner.invoke(args=["mail", "mark-bounced", "fremd@example.org", "--note", "550"])
    assert result.exit_code == 0, result.output
    entry = audit_log()[-1]
    assert (entry["actor_id"], entry["actor_name"], entry["record_type"], entry["record_id"]) == (
        None, "system", "suppressed_addresses", None)
    assert len(entry["detail"]["address_hash"]) == 12
    assert "fremd" not in repr(entry) and "kaputt" not in repr(audit_log())


def test_invitation_role_offices_and_activation(app, client, make, auth, audit_log):
    a, b = make.office("Büro A"), make.office("Büro B")
    admin = make.admin()
    auth.login(admin)
    r = submit(client, "/admin/accounts", {"name": "Kim", "email": "kim@example.org", "role": "coordinator",
                                           "offices": [b.id, a.id]})
    assert r.status_code == 302
    with app.app_context():
        from app.accounts.models import User
        kim = db.session.scalar(select(User.id).where(User.email == "kim@example.org"))
    [entry] = audit_log()
    assert (entry["action"], entry["record_type"], entry["record_id"], entry["office_id"], entry["actor_id"]) == (
        "account.invited", "users", kim, min(a.id, b.id), admin.id)
    assert entry["detail"] == {"role": "coordinator", "office_ids": sorted([a.id, b.id])}
    # the same address again: refused, nothing recorded
    submit(client, "/admin/accounts", {"name": "Kim", "email": "kim@example.org", "role": "admin"})
    assert len(audit_log()) == 1

    url = f"/admin/accounts/{kim}"
    assert submit(client, url, {"role": "coordinator", "offices": [b.id]}).status_code == 302
    [entry] = audit_log("account.offices_set")
    assert entry["detail"] == {"offices_added": [], "offices_removed": [a.id]} and entry["office_id"] == b.id
    assert submit(client, url, {"role": "coordinator", "offices": []}).status_code == 200  # needs an office
    assert submit(client, url, {"role": "admin"}).status_code == 302
    [entry] = audit_log("account.role_changed")
    assert entry["detail"] == {"old_role": "coordinator", "new_role": "admin", "office_ids": []}
    assert entry["office_id"] == b.id and entry["record_id"] == kim
    assert len(audit_log()) == 3

    html = client.get(url).get_data(as_text=True)
    client.post(url + "/active", data={"active": "0", "csrf_token": csrf_from(html)})
    client.post(url + "/active", data={"active": "0", "csrf_token": csrf_from(html)})  # already: no entry
    client.post(url + "/active", data={"active": "1", "csrf_token": csrf_from(html)})
    actions = [e["action"] for e in audit_log()]
    assert actions[3:] == ["account.deactivated", "account.reactivated"]
    # nobody deactivates themselves: refused, nothing recorded
    client.post(f"/admin/accounts/{admin.id}/active", data={"active": "0", "csrf_token": csrf_from(html)})
    assert len(audit_log()) == 5
    assert all(e["actor_id"] == admin.id and e["record_id"] == kim for e in audit_log())


def test_set_offices_service(app, make, audit_log):
    from app.accounts.models import User
    from app.accounts.services import set_offices

    a, b = make.office(), make.office()
    coordinator, admin = make.coordinator(a), make.admin()
    with app.app_context():
        set_offices(db.session.get(User, coordinator.id), [a.id, b.id], actor=db.session.get(User, admin.id))
    [entry] = audit_log()
    assert entry["action"] == "account.offices_set" and entry["detail"]["offices_added"] == [b.id]
    assert entry["office_id"] == a.id and entry["actor_id"] == admin.id


def test_create_admin_on_the_command_line_is_the_system(app, runner, audit_log):
    result = runner.invoke(args=["users", "create-admin", "--email", "chef@example.org",
                                 "--password", "sehr-geheimes-passwort"])
    assert result.exit_code == 0, result.output
    [entry] = audit_log()
    assert (entry["action"], entry["actor_id"], entry["actor_name"], entry["record_type"], entry["office_id"]) == (
        "account.admin_created", None, "system", "users", None)
    assert entry["detail"] == {"created": True}
    runner.invoke(args=["users", "create-admin", "--email", "chef@example.org", "--password", "kurz"])
    assert len(audit_log()) == 1  # refused: nothing


def test_message_sent_is_recorded_once(app, client, make, auth, audit_log):
    office = make.office()
    for _ in range(3):
        make.volunteer(district_id=office.district_ids[0])
    coordinator = make.coordinator(office)
    auth.login(coordinator)
    page = client.get("/people/message").get_data(as_text=True)
    import re
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
    data = {"office": office.id, "district": 0, "language": "", "subject": "Fest", "body": "Hallo",
            "send": "1", "token": token, "csrf_token": csrf_from(page)}
    assert client.post("/people/message", data=data).status_code == 302
    assert client.post("/people/message", data=data).status_code == 302  # double click: one message
    [entry] = audit_log()
    assert (entry["action"], entry["record_type"], entry["office_id"], entry["actor_id"]) == (
        "message.sent", "messages", office.id, coordinator.id)
    assert entry["detail"] == {"recipients": 3}


def test_entries_cannot_be_changed_on_postgresql(app, make):
    """No route or function changes an entry; on PostgreSQL the database refuses it too."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from app.core import audit

    with app.app_context():
        audit.record(None, "office.updated", record_type="offices", record_id=1, office_id=1)
        db.session.commit()
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the trigger exists on PostgreSQL only")
        for statement in ("UPDATE audit_entries SET action = 'x'", "DELETE FROM audit_entries"):
            with pytest.raises(DBAPIError, match="cannot be changed"):
                db.session.execute(text(statement))
            db.session.rollback()
        assert db.session.scalar(select(AuditEntry.action)) == "office.updated"
