"""Review findings on matching: a yes is checked against the hard conditions again, past
appointments are not proposed, check-ins reach a coordinator who still works for the office,
huge ids are refused at the field, finished needs are not edited."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core.timeutil import utcnow
from app.extensions import db
from tests.conftest import submit
from tests.matching.conftest import user


ALWAYS = tuple((d, part) for d in range(7) for part in ("morning", "afternoon", "evening"))


def _propose(app, coordinator, need_id, volunteer):
    from app.matching.proposals import propose

    with app.app_context():
        return propose(user(app, coordinator.id), need_id, volunteer.id, "Begleitung zum Amt").id


def _token(app, proposal_id):
    from app.matching.models import Proposal
    from app.matching.proposals import link_token

    with app.app_context():
        return link_token(db.session.get(Proposal, proposal_id))


def test_a_yes_after_the_consent_is_withdrawn_or_the_need_changed_matches_nobody(app, make, need):
    from app.matching.models import Need, NeedState, Proposal, ProposalState
    from app.matching.proposals import ProposalError, answer
    from app.matching.services import NeedData, edit_need
    from app.people.consent import record_consent
    from app.people.models import ConsentPurpose

    office = make.office()
    coordinator = make.coordinator(office)
    a, b = make.full_volunteer(office), make.full_volunteer(office)
    first, second = need(office, coordinator, case_code="FALL-71"), need(office, coordinator, case_code="FALL-72")
    pa, pb = _propose(app, coordinator, first, a), _propose(app, coordinator, second, b)
    with app.app_context():
        record_consent(a.id, ConsentPurpose.CONTACT, False)
        n = db.session.get(Need, second)
        edit_need(user(app, coordinator.id), second, NeedData(
            office_id=office.id, category_id=n.category_id, case_code="FALL-72", district_id=n.district_id,
            required_language="fa", required_level=4))
    for proposal_id, need_id in ((pa, first), (pb, second)):
        token = _token(app, proposal_id)
        with app.app_context():
            with pytest.raises(ProposalError):
                answer(token, True)
            assert db.session.get(Proposal, proposal_id).state == ProposalState.WITHDRAWN
            need_row = db.session.get(Need, need_id)
            assert need_row.state == NeedState.OPEN and need_row.matched_user_id is None


def test_past_appointments_are_not_proposed_and_answers_end_with_them(app, make, need):
    from app.matching.models import Need, Proposal
    from app.matching.proposals import propose
    from app.matching.services import NeedError

    office = make.office()
    coordinator = make.coordinator(office)
    v = make.full_volunteer(office, slots=ALWAYS)
    soon = utcnow() + timedelta(hours=20)
    need_id = need(office, coordinator, timing="at", starts_at=soon)
    proposal_id = _propose(app, coordinator, need_id, v)
    with app.app_context():
        assert db.session.get(Proposal, proposal_id).deadline <= soon  # not after the appointment
        db.session.get(Need, need_id).starts_at = utcnow() - timedelta(hours=1)
        db.session.commit()
        other = make.full_volunteer(office, slots=ALWAYS)
        with pytest.raises(NeedError) as exc:
            propose(user(app, coordinator.id), need_id, other.id, "Begleitung")
        assert "state" in exc.value.errors


def test_check_ins_go_to_a_coordinator_of_the_office_now(app, make, need, deliver):
    from app.accounts.models import User
    from app.matching.models import CheckIn
    from app.matching.proposals import answer, send_check_ins

    office = make.office()
    leaving, staying = make.coordinator(office), make.coordinator(office)
    v = make.full_volunteer(office)
    need_id = need(office, leaving, ongoing=True)
    with app.app_context():
        answer(_token(app, _propose(app, leaving, need_id, v)), True)
        db.session.get(User, leaving.id).active = False
        db.session.commit()
        due = min(db.session.scalars(select(CheckIn.due_at)))
    deliver()
    with app.app_context():
        assert send_check_ins(due + timedelta(minutes=1)) == 1
    mails = deliver()
    assert len(mails) == 1 and staying.email in mails[0].recipients[0]


def test_a_check_in_without_anyone_to_tell_stays_due(app, make, need):
    from app.accounts.models import User
    from app.matching.models import CheckIn
    from app.matching.proposals import answer, send_check_ins

    office = make.office()
    only = make.coordinator(office)
    v = make.full_volunteer(office)
    need_id = need(office, only, ongoing=True)
    with app.app_context():
        answer(_token(app, _propose(app, only, need_id, v)), True)
        db.session.get(User, only.id).active = False
        db.session.commit()
        due = min(db.session.scalars(select(CheckIn.due_at)))
        assert send_check_ins(due + timedelta(minutes=1)) == 0
        assert db.session.scalar(select(CheckIn.id).where(CheckIn.sent_at.is_(None), CheckIn.due_at == due))


def test_huge_ids_and_finished_needs(app, make, need, client, auth):
    from app.matching.services import NeedData, NeedError, close_need, edit_need

    office = make.office()
    coordinator = make.coordinator(office)
    need_id = need(office, coordinator)
    auth.login(coordinator)
    r = submit(client, f"/matching/needs/{need_id}/propose", {"user_id": "9" * 30, "shared_text": "Hallo"},
               form_url=f"/matching/needs/{need_id}")
    assert r.status_code == 400
    with app.app_context():
        close_need(user(app, coordinator.id), need_id, "no_one")
        with pytest.raises(NeedError):
            edit_need(user(app, coordinator.id), need_id, NeedData(office_id=office.id, category_id=None,
                                                                  case_code="X"))
    auth.logout()
    v = make.full_volunteer(office)
    auth.login(v)
    r = submit(client, "/my/assignments", {"need_id": "9" * 30, "hours_given": "2"})
    assert r.status_code in (200, 302, 400)
