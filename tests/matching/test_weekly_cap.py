"""One weekly cap for proposals and urgent calls together (MATCHING_WEEKLY_CAP): a volunteer asked
often enough this week by one area is not asked by the other either."""
from __future__ import annotations

from datetime import timedelta

from app.accounts.models import User
from app.activities import urgent
from app.core.timeutil import utcnow
from app.extensions import db
from app.matching.candidates import candidates_for
from app.matching.models import Need, Proposal, ProposalState

EVENINGS = tuple((d, "evening") for d in range(7))


def _u(uid):
    return db.session.get(User, uid)


def test_proposals_count_for_urgent_calls_and_urgent_calls_for_proposals(app, make, need):
    office = make.office()
    coordinator = make.coordinator(office)
    person = make.full_volunteer(office, slots=EVENINGS + ((1, "morning"), (3, "afternoon")))
    acts = [make.activity(office, roles=(("Tutor", 1),), days_ahead=3 + i) for i in range(3)]
    needs = [need(office, coordinator, case_code=f"N{i}") for i in range(4)]
    app.config["MATCHING_WEEKLY_CAP"] = 2
    with app.test_request_context():
        assert person.id in {c.user_id for c in urgent.rank_for_slot(acts[0].slot, 10)}
        for n in needs[:2]:  # two proposals this week
            db.session.add(Proposal(need_id=n, user_id=person.id, deadline=utcnow() + timedelta(days=3),
                                    state=ProposalState.DECLINED))
        db.session.commit()
        assert person.id not in {c.user_id for c in urgent.rank_for_slot(acts[0].slot, 10)}
        # a week later they count no more; two urgent calls then fill the cap for proposals
        db.session.execute(Proposal.__table__.update().values(created_at=utcnow() - timedelta(days=8)))
        db.session.commit()
        assert person.id in {c.user_id for c in candidates_for(db.session.get(Need, needs[2]))}
        for act in acts[1:]:
            urgent.send_call(_u(coordinator.id), act.slot, 1, 5)
        assert person.id not in {c.user_id for c in candidates_for(db.session.get(Need, needs[2]))}


def test_a_cap_of_nothing_lets_nobody_be_asked(app, make, need):
    from app.matching.models import Need

    office = make.office()
    need_id = need(office, make.coordinator(office))
    make.full_volunteer(office)
    app.config["MATCHING_WEEKLY_CAP"] = 0
    try:
        with app.app_context():
            assert candidates_for(db.session.get(Need, need_id)) == []
    finally:
        app.config["MATCHING_WEEKLY_CAP"] = 3
