from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.core.timeutil import utcnow
from app.extensions import db
from app.mail.models import OutboxMail
from app.roundtables import services as svc
from app.roundtables.models import ItemState, Meeting


@pytest.fixture
def world(make):
    office = make.office()
    other = make.office()
    rt = make.activity(office, kind="round_table", dates=2, roles=(("Delegierte", 10),), for_partners=True,
                       max_per_organisation=2)
    org = make.organisation()
    outsider = make.organisation()
    coord = make.coordinator(office)
    stranger = make.coordinator(other)
    return dict(office=office, rt=rt, org=org, outsider=outsider, coord=coord, stranger=stranger)


def _u(info):
    return db.session.get(User, info.id)


def test_propose_until_deadline_then_decide(app, world):
    w = world
    with app.app_context():
        coord, contact = _u(w["coord"]), _u(w["org"].contacts[0])
        date_id = w["rt"].date_ids[0]
        with pytest.raises(svc.RoundTableError) as e:  # not invited yet
            svc.propose(contact, date_id, "Sommerfest")
        assert e.value.code == "not_found"
        svc.invite(coord, w["rt"].id, w["org"].id)
        with pytest.raises(svc.RoundTableError) as e:
            svc.propose(contact, date_id, "   ")
        assert e.value.field == "title"
        item = svc.propose(contact, date_id, "Sommerfest")
        assert item.state == ItemState.PROPOSED
        svc.set_deadline(coord, date_id, utcnow() + timedelta(days=1))
        with pytest.raises(svc.RoundTableError) as e:
            svc.propose(contact, date_id, "Zu spät", now=utcnow() + timedelta(days=2))
        assert e.value.code == "deadline"
        with pytest.raises(svc.RoundTableError) as e:
            svc.decide(coord, item.id, accept=False, reason="")
        assert e.value.field == "reason"
        svc.decide(coord, item.id, accept=False, reason="Nächstes Mal")
        assert db.session.get(type(item), item.id).state == ItemState.DECLINED
        with pytest.raises(svc.RoundTableError) as e:
            svc.decide(coord, item.id, accept=True)
        assert e.value.code == "decided"
        mails = db.session.scalars(select(OutboxMail).where(OutboxMail.kind == "roundtable_item_decided")).all()
        assert len(mails) == 1 and "Nächstes Mal" in mails[0].body_text


def test_agenda_order_and_invitation_once_with_ics(app, world):
    w = world
    with app.app_context():
        coord = _u(w["coord"])
        date_id = w["rt"].date_ids[0]
        svc.invite(coord, w["rt"].id, w["org"].id)
        a = svc.add_item(coord, date_id, "Begrüßung")
        b = svc.add_item(coord, date_id, "Sommerfest")
        svc.move_item(coord, b.id, up=True)
        assert [i.title for i in svc.agenda(date_id)] == ["Sommerfest", "Begrüßung"]
        assert a.id
        assert svc.send_invitation(coord, date_id) == 1
        mail = db.session.scalar(select(OutboxMail).where(OutboxMail.kind == "roundtable_invitation"))
        assert "1. Sommerfest" in mail.body_text and "2. Begrüßung" in mail.body_text
        assert mail.attachments[0].filename.endswith(".ics")
        assert b"BEGIN:VEVENT" in mail.attachments[0].data
        with pytest.raises(svc.RoundTableError) as e:
            svc.send_invitation(coord, date_id)
        assert e.value.code == "already"
        assert db.session.scalar(select(db.func.count(OutboxMail.id)).where(
            OutboxMail.kind == "roundtable_invitation")) == 1


def test_minutes_sanitised_published_once(app, world):
    w = world
    with app.app_context():
        coord = _u(w["coord"])
        date_id = w["rt"].date_ids[0]
        svc.invite(coord, w["rt"].id, w["org"].id)
        with pytest.raises(svc.RoundTableError) as e:
            svc.publish_minutes(coord, date_id)
        assert e.value.field == "minutes"
        svc.save_minutes(coord, date_id, "## Ergebnis\n<script>alert(1)</script> **Fest** am 5. Juni")
        m = db.session.get(Meeting, date_id)
        assert "<script>" not in str(svc.minutes_html(m)) and "<strong>Fest</strong>" in str(svc.minutes_html(m))
        assert svc.publish_minutes(coord, date_id) == 1
        with pytest.raises(svc.RoundTableError) as e:
            svc.publish_minutes(coord, date_id)
        assert e.value.code == "already"
        with pytest.raises(svc.RoundTableError):
            svc.save_minutes(coord, date_id, "neu")
        assert [d.id for d, _ in svc.archive(w["rt"].id)] == [date_id]


def test_pages_authorization(app, client, auth, world):
    w = world
    date_id = w["rt"].date_ids[0]
    auth.login(w["stranger"])
    assert client.get(f"/round-tables/{w['rt'].id}/manage").status_code == 404
    assert client.get(f"/round-tables/meetings/{date_id}/agenda").status_code == 404
    auth.logout()
    auth.login(w["org"].contacts[0])
    assert client.get(f"/round-tables/meetings/{date_id}").status_code == 404
    auth.logout()
    auth.login(w["coord"])
    assert client.get(f"/round-tables/{w['rt'].id}/manage").status_code == 200
    assert client.get(f"/round-tables/meetings/{date_id}/agenda").status_code == 200
    assert client.get(f"/round-tables/meetings/{date_id}/minutes").status_code == 200
    with app.app_context():
        svc.invite(_u(w["coord"]), w["rt"].id, w["org"].id)
    auth.logout()
    auth.login(w["org"].contacts[0])
    assert client.get(f"/round-tables/meetings/{date_id}").status_code == 200
    assert client.get(f"/round-tables/{w['rt'].id}").status_code == 200
    assert client.get(f"/round-tables/meetings/{date_id}/agenda").status_code == 404
    auth.logout()
    auth.login(w["outsider"].contacts[0])
    assert client.get(f"/round-tables/meetings/{date_id}").status_code == 404


def test_bad_input_at_the_field(app, client, auth, world, make):
    from tests.conftest import submit

    w = world
    date_id = w["rt"].date_ids[0]
    with app.app_context():
        svc.invite(_u(w["coord"]), w["rt"].id, w["org"].id)
    auth.login(w["org"].contacts[0])
    r = submit(client, f"/round-tables/meetings/{date_id}", {"title": "", "note": ""})
    assert r.status_code == 400
    with app.app_context():
        assert svc.proposals(date_id) == []
    auth.logout()
    auth.login(w["coord"])
    r = submit(client, f"/round-tables/meetings/{date_id}/deadline", {"proposals_until": "kaputt"},
               form_url=f"/round-tables/meetings/{date_id}/agenda")
    assert r.status_code == 400


def _grow(app, w, make, orgs: int, items: int):
    """`orgs` more invited organisations, each proposing an item, and `items` set items per meeting."""
    with app.app_context():
        for _i in range(orgs):
            org = make.organisation()
            svc.invite(_u(w["coord"]), w["rt"].id, org.id)
            svc.propose(db.session.get(User, org.contacts[0].id), w["rt"].date_ids[0], "Vorschlag", "Text")
        for date_id in w["rt"].date_ids:
            for i in range(items):
                svc.add_item(_u(w["coord"]), date_id, f"Punkt {i}", "Notiz")
        svc.save_minutes(_u(w["coord"]), w["rt"].date_ids[0], "## Protokoll\n\n- eins\n- zwei")


def test_round_table_pages_run_a_constant_number_of_statements(app, client, auth, world, make):
    """The office's pages and a partner's read the same number of statements for 1 or 8
    organisations and 2 or 12 items: no query per row."""
    from tests.conftest import count_statements

    w = world
    date_id = w["rt"].date_ids[0]
    with app.app_context():
        svc.invite(_u(w["coord"]), w["rt"].id, w["org"].id)
    paths = [f"/round-tables/{w['rt'].id}/manage", f"/round-tables/meetings/{date_id}/agenda",
             f"/round-tables/meetings/{date_id}/minutes"]
    partner_paths = [f"/round-tables/meetings/{date_id}", f"/round-tables/{w['rt'].id}"]

    def counts():
        auth.login(w["coord"])
        staff = [count_statements(app, client, p) for p in paths]
        auth.logout()
        auth.login(w["org"].contacts[0])
        partner = [count_statements(app, client, p) for p in partner_paths]
        auth.logout()
        return staff + partner

    _grow(app, w, make, orgs=1, items=2)
    small = counts()
    _grow(app, w, make, orgs=7, items=10)
    big = counts()
    assert big == small, list(zip(paths + partner_paths, small, big))
    assert max(small) <= 16, small
