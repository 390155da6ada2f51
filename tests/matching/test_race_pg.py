"""Answers at the same moment, on PostgreSQL with real parallel connections: of several
volunteers saying yes to one need, exactly one is matched; one link spent twice at once works once."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from config import TestingConfig
from tests.conftest import PG_URL
from tests.matching.conftest import user

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not PG_URL, reason="races are proven on PostgreSQL (set TEST_DATABASE_URL)")]


@pytest.fixture
def wide_app(app):
    other = create_app(TestingConfig, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 12, "max_overflow": 0})
    yield other
    with other.app_context():
        db.engine.dispose()


def _at_once(app, jobs):
    barrier = threading.Barrier(len(jobs))
    outcomes: list = []

    def run(job):
        try:
            with app.test_request_context():
                db.session.execute(select(1))
                barrier.wait(30)
                job()
                outcomes.append("ok")
        except BaseException as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=run, args=(j,)) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return outcomes


def test_six_yes_at_once_one_match(app, wide_app, make, need):
    from app.matching.models import Need, NeedState, Proposal, ProposalState
    from app.matching.proposals import ProposalError, answer, link_token, propose

    office = make.office()
    coordinator = make.coordinator(office)
    people = [make.full_volunteer(office) for _ in range(6)]
    need_id = need(office, coordinator)
    app.config["MATCHING_WEEKLY_CAP"] = 10
    with app.app_context():
        tokens = []
        for p in people:
            proposal = propose(user(app, coordinator.id), need_id, p.id, "Begleitung zum Amt")
            tokens.append(link_token(proposal))
    outcomes = _at_once(wide_app, [lambda t=t: answer(t, True) for t in tokens])
    assert outcomes.count("ok") == 1, outcomes
    assert all(isinstance(o, ProposalError) for o in outcomes if o != "ok"), outcomes
    with app.app_context():
        need_row = db.session.get(Need, need_id)
        assert need_row.state == NeedState.MATCHED
        assert db.session.scalar(select(func.count(Proposal.id)).where(
            Proposal.state == ProposalState.ACCEPTED)) == 1


def test_one_link_twice_at_once(app, wide_app, make, need):
    from app.matching.proposals import ProposalError, answer, link_token, propose

    office = make.office()
    coordinator = make.coordinator(office)
    person = make.full_volunteer(office)
    need_id = need(office, coordinator)
    with app.app_context():
        token = link_token(propose(user(app, coordinator.id), need_id, person.id, "Begleitung zum Amt"))
    outcomes = _at_once(wide_app, [lambda: answer(token, True), lambda: answer(token, False)])
    assert outcomes.count("ok") == 1 and isinstance([o for o in outcomes if o != "ok"][0], ProposalError), outcomes
