"""The last places, taken by many at the same moment: real parallel connections on PostgreSQL."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from app import create_app
from app.accounts.models import Role as AccountRole
from app.accounts.models import User
from app.activities import signup as svc
from app.activities.models import Signup, SignupState
from app.core.timeutil import utcnow
from app.extensions import db
from config import TestingConfig
from tests.conftest import PG_URL

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not PG_URL, reason="races are proven on PostgreSQL (set TEST_DATABASE_URL)")]

N = 50


@pytest.fixture
def wide_app(app):
    """A second app on the same database whose pool gives every thread its own connection."""
    other = create_app(TestingConfig, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": N + 5, "max_overflow": 0})
    from tests.activities.conftest import stand_ins

    stand_ins(other)
    yield other
    with other.app_context():
        db.engine.dispose()


def _volunteers(app, n):
    with app.app_context():
        users = [User(email=f"race{i}@example.org", name=f"Race {i}", role=AccountRole.VOLUNTEER,
                      password_hash="x", confirmed_at=utcnow()) for i in range(n)]
        db.session.add_all(users)
        db.session.commit()
        return [u.id for u in users]


def _run_at_once(app, jobs):
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job):
        try:
            with app.test_request_context():
                db.session.execute(select(1))  # connect before the start, so all start together
                barrier.wait(30)
                job()
        except svc.SignupError as exc:
            errors.append(exc)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(j,)) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return errors


def _list(app, slot_id):
    with app.app_context():
        rows = db.session.scalars(select(Signup).where(Signup.slot_id == slot_id)).all()
        positions = svc.positions([s.id for s in rows])
        return rows, positions


def test_fifty_volunteers_five_places(app, wide_app, make):
    office = make.office()
    act = make.activity(office, roles=(("Getränkestand", 5),))
    ids = _volunteers(app, N)
    errors = _run_at_once(wide_app, [
        (lambda uid=uid: svc.sign_up(db.session.get(User, uid), [act.slot])) for uid in ids])
    assert errors == []
    rows, positions = _list(app, act.slot)
    assert len(rows) == N
    assert sum(1 for s in rows if s.state == SignupState.CONFIRMED) == 5
    waiting = [s for s in rows if s.state == SignupState.WAITING]
    assert len(waiting) == N - 5
    assert sorted(positions[s.id] for s in waiting) == list(range(1, N - 4))  # 1..45, no gaps, no twins
    assert len({s.queue_no for s in waiting}) == N - 5


def test_a_coordinator_adding_at_the_same_moment_is_held_to_the_same_rule(app, wide_app, make):
    office = make.office()
    act = make.activity(office, roles=(("Getränkestand", 5),))
    coord = make.coordinator(office)
    ids = _volunteers(app, N)
    by_hand = make.full_volunteer(office)
    jobs = [(lambda uid=uid: svc.sign_up(db.session.get(User, uid), [act.slot])) for uid in ids]
    jobs.append(lambda: svc.add_by_staff(db.session.get(User, coord.id), act.slot, by_hand.id))
    errors = _run_at_once(wide_app, jobs)
    rows, positions = _list(app, act.slot)
    confirmed = [s for s in rows if s.state == SignupState.CONFIRMED]
    assert len(confirmed) == 5  # never six, whoever came first
    assert not any(s.over_capacity for s in rows)
    # the coordinator either got one of the five places or was told the role is full
    assert all(isinstance(e, svc.SignupError) and e.code == "full" for e in errors)
    assert len(errors) == (0 if any(s.user_id == by_hand.id for s in confirmed) else 1)
    waiting = [s for s in rows if s.state == SignupState.WAITING]
    assert sorted(positions[s.id] for s in waiting) == list(range(1, len(waiting) + 1))
    assert len(waiting) + len(confirmed) == N + (0 if errors else 1)


def test_many_cancel_while_many_sign_up(app, wide_app, make):
    """Places given back and taken at once: capacity holds, every freed place is held for
    exactly one person, the waiting list stays without gaps."""
    office = make.office()
    act = make.activity(office, roles=(("Tutor", 5),))
    first = _volunteers(app, 10)
    with app.test_request_context():
        mine = {uid: svc.sign_up(db.session.get(User, uid), [act.slot])[0].id for uid in first}
    with app.app_context():
        users = [User(email=f"late{i}@example.org", name=f"Late {i}", role=AccountRole.VOLUNTEER,
                      password_hash="x", confirmed_at=utcnow()) for i in range(20)]
        db.session.add_all(users)
        db.session.commit()
        newcomers = [u.id for u in users]
    jobs = [(lambda uid=uid: svc.cancel(db.session.get(User, uid), mine[uid])) for uid in first[:5]]
    jobs += [(lambda uid=uid: svc.sign_up(db.session.get(User, uid), [act.slot])) for uid in newcomers]
    errors = _run_at_once(wide_app, jobs)
    assert errors == []
    rows, positions = _list(app, act.slot)
    holding = [s for s in rows if s.state in (SignupState.CONFIRMED, SignupState.OFFERED)]
    assert len(holding) == 5
    waiting = [s for s in rows if s.state == SignupState.WAITING]
    assert sorted(positions[s.id] for s in waiting) == list(range(1, len(waiting) + 1))
    assert len(waiting) == 30 - 5 - 5
