"""Proposals: the mail (no case code, only the shared text), links that work once, not forged,
not after expiry; accept → matched and coordinator told; decline / expiry → open again; check-ins
exactly once; the volunteer's assignments and hours."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from tests.conftest import csrf_from, link_in
from tests.matching.conftest import user


@pytest.fixture
def world(app, make, need):
    office = make.office()
    coordinator = make.coordinator(office)
    volunteer = make.full_volunteer(office, name="Amira Vol")
    need_id = need(office, coordinator, case_code="GEHEIM-42", description="Familie GEHEIM, interne Notiz")
    return office, coordinator, volunteer, need_id


def _propose(app, coordinator, need_id, volunteer, text="Begleitung zur Ausländerbehörde, Arabisch hilft."):
    from app.matching.proposals import propose

    with app.app_context():
        return propose(user(app, coordinator.id), need_id, volunteer.id, text).id


def test_propose_mails_shared_text_without_case_code(app, world, deliver):
    from app.matching.models import Need, NeedState

    office, coordinator, volunteer, need_id = world
    _propose(app, coordinator, need_id, volunteer)
    with app.app_context():
        assert db.session.get(Need, need_id).state == NeedState.PROPOSED
    mails = deliver()
    assert len(mails) == 1 and volunteer.email in mails[0].recipients[0]
    body = mails[0].body + (mails[0].html or "")
    assert "Ausländerbehörde" in body and "GEHEIM" not in body and "interne Notiz" not in body
    assert "/matching/answer/" in body


def test_shared_text_with_case_code_or_phone_refused_and_not_twice(app, world):
    from app.matching.proposals import propose
    from app.matching.services import NeedError

    office, coordinator, volunteer, need_id = world
    with app.app_context():
        for text in ("Fall GEHEIM-42", "Ruf an: 0176 1234567", ""):
            with pytest.raises(NeedError) as exc:
                propose(user(app, coordinator.id), need_id, volunteer.id, text)
            assert "shared_text" in exc.value.errors
    _propose(app, coordinator, need_id, volunteer)
    with app.app_context():
        with pytest.raises(NeedError) as exc:
            propose(user(app, coordinator.id), need_id, volunteer.id, "Nochmal")
        assert "user_id" in exc.value.errors


def test_accept_by_link_without_login_matches_and_tells_the_coordinator(app, world, client, deliver):
    from app.matching.models import CheckIn, Need, NeedState, Proposal, ProposalState

    office, coordinator, volunteer, need_id = world
    _propose(app, coordinator, need_id, volunteer)
    path = link_in(deliver()[0], "/matching/answer/")
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Ausländerbehörde" in html and "GEHEIM" not in html
    assert client.get(path).status_code == 200  # GET spends nothing
    answer = client.post(path, data={"csrf_token": csrf_from(html), "answer": "accept"})
    assert answer.status_code == 200
    with app.app_context():
        need = db.session.get(Need, need_id)
        assert need.state == NeedState.MATCHED and need.matched_user_id == volunteer.id
        assert db.session.scalar(select(Proposal.state)) == ProposalState.ACCEPTED
        assert db.session.scalar(select(func.count(CheckIn.id))) == 0  # one-off: no check-ins
    told = deliver()
    assert len(told) == 1 and coordinator.email in told[0].recipients[0]
    assert "Amira Vol" in told[0].body and f"/matching/needs/{need_id}" in told[0].body
    # used once: the second POST and a GET now say it's gone
    again = client.post(path, data={"csrf_token": csrf_from(html), "answer": "decline"})
    assert again.status_code in (404, 410)
    assert client.get(path).status_code in (404, 410)


def test_forged_and_expired_links_fail(app, world, client, deliver):
    from app.matching.models import Need, NeedState, Proposal
    from app.matching.proposals import ProposalError, answer, expire

    office, coordinator, volunteer, need_id = world
    proposal_id = _propose(app, coordinator, need_id, volunteer)
    path = link_in(deliver()[0], "/matching/answer/")
    token = path.rsplit("/", 1)[1]
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert client.get(f"/matching/answer/{forged}").status_code == 404
    with app.app_context():
        from itsdangerous import URLSafeTimedSerializer

        other = URLSafeTimedSerializer("another key", salt="willkommen.matching-proposal").dumps({"p": proposal_id,
                                                                                                "_j": "x"})
        with pytest.raises(ProposalError):
            answer(other, True)
        # past the deadline: the link says it's over, the job expires it and reopens the need
        proposal = db.session.get(Proposal, proposal_id)
        later = proposal.deadline + timedelta(minutes=1)
        with pytest.raises(ProposalError) as exc:
            answer(token, True, now=later)
        assert exc.value.code == "gone"
    with app.app_context():
        assert expire(later) == 1
        assert expire(later) == 0
        assert db.session.get(Need, need_id).state == NeedState.OPEN


def test_decline_reopens_and_the_page_suggests_the_next(app, world, make, client, auth, deliver):
    from app.matching.models import Need, NeedState
    from app.matching.proposals import answer, link_token

    office, coordinator, volunteer, need_id = world
    second = make.full_volunteer(office, name="Zweite Person")
    proposal_id = _propose(app, coordinator, need_id, volunteer)
    with app.app_context():
        from app.matching.models import Proposal

        answer(link_token(db.session.get(Proposal, proposal_id)), False)
        assert db.session.get(Need, need_id).state == NeedState.OPEN
    auth.login(coordinator)
    html = client.get(f"/matching/needs/{need_id}").get_data(as_text=True)
    assert "Zweite Person" in html and "Amira Vol" in html  # suggested / in the proposals list


def test_partnership_check_ins_each_exactly_once(app, make, need, deliver):
    from app.matching.models import CheckIn, Proposal
    from app.matching.proposals import answer, link_token, send_check_ins

    office = make.office()
    coordinator = make.coordinator(office)
    volunteer = make.full_volunteer(office)
    need_id = need(office, coordinator, ongoing=True)
    proposal_id = _propose(app, coordinator, need_id, volunteer)
    with app.app_context():
        answer(link_token(db.session.get(Proposal, proposal_id)), True)
        due = sorted(db.session.scalars(select(CheckIn.due_at)))
        assert len(due) == 2
    deliver()
    with app.app_context():
        assert send_check_ins(due[0] - timedelta(minutes=1)) == 0
        assert send_check_ins(due[0] + timedelta(minutes=1)) == 1
        assert send_check_ins(due[0] + timedelta(days=1)) == 0
        assert send_check_ins(due[1] + timedelta(minutes=1)) == 1
        assert send_check_ins(due[1] + timedelta(days=30)) == 0
    mails = deliver()
    assert len(mails) == 2 and all(coordinator.email in m.recipients[0] for m in mails)


def test_my_assignments_done_with_hours_counts_in_my_hours(app, world, client, auth):
    from app.matching.models import Need, NeedState, Proposal
    from app.matching.proposals import answer, link_token
    from tests.conftest import submit

    office, coordinator, volunteer, need_id = world
    proposal_id = _propose(app, coordinator, need_id, volunteer)
    with app.app_context():
        answer(link_token(db.session.get(Proposal, proposal_id)), True)
    auth.login(volunteer)
    page = client.get("/my/assignments")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Ausländerbehörde" in html and "GEHEIM" not in html
    bad = submit(client, "/my/assignments", {"need_id": need_id, "hours_given": "abc"})
    assert bad.status_code == 400
    done = submit(client, "/my/assignments", {"need_id": need_id, "hours_given": "2,5"})
    assert done.status_code == 302
    with app.app_context():
        need = db.session.get(Need, need_id)
        assert need.state == NeedState.DONE and need.hours_given == 2.5
    hours = client.get("/my/hours").get_data(as_text=True)
    assert "2,5" in hours
    mydata = client.get("/my-data/download").get_json()
    assert "matching" in mydata["sections"] and "GEHEIM" not in str(mydata)


def test_someone_else_cant_report_done(app, world, make):
    from app.matching.models import Proposal
    from app.matching.proposals import answer, link_token
    from app.matching.services import NeedError, mark_done

    office, coordinator, volunteer, need_id = world
    stranger = make.full_volunteer(office)
    proposal_id = _propose(app, coordinator, need_id, volunteer)
    with app.app_context():
        answer(link_token(db.session.get(Proposal, proposal_id)), True)
        with pytest.raises(NeedError):
            mark_done(user(app, stranger.id), need_id, 2.0)


def test_deleting_the_account_reopens_its_needs(app, world):
    from app.matching.models import Need, NeedState, Proposal
    from app.matching.proposals import answer, link_token
    from app.mydata.services import delete_account

    office, coordinator, volunteer, need_id = world
    proposal_id = _propose(app, coordinator, need_id, volunteer)
    with app.app_context():
        answer(link_token(db.session.get(Proposal, proposal_id)), True)
    with app.app_context():
        person = user(app, volunteer.id)
        delete_account(person, person)
        need = db.session.get(Need, need_id)
        assert need.state == NeedState.OPEN and need.matched_user_id is None
        assert db.session.scalar(select(func.count(Proposal.id))) == 0


def test_partnership_reopened_and_matched_again_gets_fresh_check_ins(app, make, need):
    from app.matching.models import CheckIn, Proposal
    from app.matching.proposals import answer, link_token, send_check_ins
    from app.matching.services import reopen_need

    office = make.office()
    coordinator = make.coordinator(office)
    first, second = make.full_volunteer(office), make.full_volunteer(office)
    need_id = need(office, coordinator, ongoing=True)
    with app.app_context():
        answer(link_token(db.session.get(Proposal, _propose(app, coordinator, need_id, first))), True)
        due = min(db.session.scalars(select(CheckIn.due_at)))
        assert send_check_ins(due + timedelta(minutes=1)) == 1
        reopen_need(user(app, coordinator.id), need_id)
        assert db.session.scalar(select(func.count(CheckIn.id))) == 0
    with app.app_context():
        answer(link_token(db.session.get(Proposal, _propose(app, coordinator, need_id, second))), True)
        assert db.session.scalar(select(func.count(CheckIn.id)).where(CheckIn.sent_at.is_(None))) == 2
