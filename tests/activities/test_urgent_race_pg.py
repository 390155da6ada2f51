"""Urgent calls answered at the same moment: real parallel connections on PostgreSQL."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.activities import signup as svc
from app.activities import urgent
from app.activities.models import Signup, SignupState, UrgentCall, UrgentInvite, UrgentOutcome
from app.extensions import db
from app.mail.models import OutboxMail
from tests.activities.test_race_pg import _run_at_once, wide_app  # noqa: F401  (the fixture)
from tests.conftest import PG_URL

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not PG_URL, reason="races are proven on PostgreSQL (set TEST_DATABASE_URL)")]

EVENINGS = tuple((d, "evening") for d in range(7))


def _tokens(app):
    with app.app_context():
        rows = db.session.scalars(select(OutboxMail).where(OutboxMail.kind == "activity_urgent_call")).all()
        return [re.search(r"/activities/urgent/(\S+)", m.body_text).group(1) for m in rows]


@pytest.mark.parametrize("capacity,places", [(3, 3), (5, 3)])
def test_ten_invitees_accept_at_once_for_three_places(app, wide_app, make, capacity, places):  # noqa: F811
    office = make.office()
    coord = make.coordinator(office)
    act = make.activity(office, roles=(("Getränkestand", capacity),))
    for _ in range(10):
        make.full_volunteer(office, slots=EVENINGS)
    with app.test_request_context():
        urgent.send_call(db.session.get(User, coord.id), act.slot, places, 10)
    tokens = _tokens(app)
    assert len(tokens) == 10
    errors = _run_at_once(wide_app, [(lambda t=t: urgent.accept(t)) for t in tokens])
    assert len(errors) == 10 - places
    assert all(isinstance(e, svc.SignupError) and e.code == "taken" for e in errors), errors
    with app.app_context():
        confirmed = db.session.scalars(select(Signup).where(Signup.slot_id == act.slot,
                                                            Signup.state == SignupState.CONFIRMED)).all()
        assert len(confirmed) == places  # exactly as many win as places are wanted
        outcomes = [i.outcome for i in db.session.scalars(select(UrgentInvite))]
        assert outcomes.count(UrgentOutcome.ACCEPTED) == places
        assert outcomes.count(UrgentOutcome.TOO_LATE) == 10 - places
        assert db.session.scalar(select(UrgentCall.ended_at)) is not None
