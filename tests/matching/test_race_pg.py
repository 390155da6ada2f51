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


def _batch(app, make, need, people: int, needs: int):
    office = make.office()
    coordinator = make.coordinator(office)
    volunteers = [make.full_volunteer(office, hours=None) for _ in range(people)]
    need_ids = [need(office, coordinator, case_code=f"R-{i}") for i in range(needs)]
    app.config["MATCHING_WEEKLY_CAP"] = 10
    return office, coordinator, volunteers, need_ids


def _counts(app, need_ids):
    from app.mail.models import OutboxMail
    from app.matching.models import Need, NeedState, Proposal

    with app.app_context():
        proposed = db.session.scalars(select(Proposal.need_id).where(Proposal.need_id.in_(need_ids))).all()
        mails = db.session.scalar(select(func.count(OutboxMail.id)).where(OutboxMail.kind == "matching_proposal"))
        states = set(db.session.scalars(select(Need.state).where(Need.id.in_(need_ids))))
        return sorted(proposed), mails, states, NeedState


def test_the_same_batch_confirmed_twice_at_once(app, wide_app, make, need):
    """Two coordinators' tabs confirm the same rows at the same moment: each need is proposed
    once and mailed once; the later confirmation finds them no longer open."""
    from app.matching.batch import confirm

    office, coordinator, volunteers, need_ids = _batch(app, make, need, people=4, needs=8)
    choices = [(n, volunteers[i % 4].id) for i, n in enumerate(need_ids)]
    results: list = []

    def job():
        results.append(confirm(user(wide_app, coordinator.id), office.id, choices, "Begleitung zum Amt"))

    outcomes = _at_once(wide_app, [job, job, job])
    assert outcomes == ["ok"] * 3, outcomes
    sent = [o for run in results for o in run if o.sent]
    assert sorted(o.need_id for o in sent) == sorted(need_ids)  # each row went once, in one of the runs
    assert all("open" in o.reason or "offen" in o.reason for run in results for o in run if not o.sent)
    proposed, mails, states, NeedState = _counts(app, need_ids)
    assert proposed == sorted(need_ids) and mails == len(need_ids) and states == {NeedState.PROPOSED}


def test_overlapping_batches_in_other_orders_at_once(app, wide_app, make, need):
    """Two confirmations of overlapping needs, their rows in opposite orders and to other people,
    at once: no deadlock (the needs are locked in id order), each need proposed and mailed once."""
    from app.matching.batch import confirm

    office, coordinator, volunteers, need_ids = _batch(app, make, need, people=3, needs=6)
    forward = [(n, volunteers[i % 3].id) for i, n in enumerate(need_ids)]
    backward = [(n, volunteers[(i + 1) % 3].id) for i, n in reversed(list(enumerate(need_ids[1:], 1)))]
    results: list = []
    jobs = [lambda c=c: results.append(confirm(user(wide_app, coordinator.id), office.id, c, "Begleitung zum Amt"))
            for c in (forward, backward)]
    outcomes = _at_once(wide_app, jobs)
    assert outcomes == ["ok", "ok"], outcomes
    sent = sorted(o.need_id for run in results for o in run if o.sent)
    assert sent == sorted(need_ids)
    proposed, mails, states, NeedState = _counts(app, need_ids)
    assert proposed == sorted(need_ids) and mails == len(need_ids) and states == {NeedState.PROPOSED}
