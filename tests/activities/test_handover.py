"""Hand-overs: offered to a colleague or openly, taken over atomically, approval, withdrawal."""
from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.activities import handover as ho
from app.activities import signup as svc
from app.activities.models import HandoverState, Signup, SignupState
from app.extensions import db
from app.mail.models import OutboxMail
from tests.conftest import PG_URL


def _u(uid):
    return db.session.get(User, uid)


def _links(user_id):
    rows = db.session.scalars(select(OutboxMail).where(OutboxMail.kind == "activity_handover_offered",
                                                       OutboxMail.user_id == user_id)).all()
    return [re.search(r"/activities/handover/(\S+)", m.body_text).group(1) for m in rows]


def _state(slot_id):
    return {s.user_id: s.state for s in db.session.scalars(select(Signup).where(Signup.slot_id == slot_id))}


def test_named_colleague_takes_over(app, make):
    office = make.office()
    act = make.activity(office, roles=(("Getränkestand", 1),))
    a, b = make.full_volunteer(office), make.full_volunteer(office)
    coord = make.coordinator(office)
    with app.test_request_context():
        s = svc.sign_up(_u(a.id), [act.slot])[0]
        h = ho.offer(_u(a.id), s.id, to_user_id=b.id, note="Ich bin krank.")
        token = _links(b.id)[0]
        assert ho.read(token)[1].id == b.id
        assert _state(act.slot)[a.id] == SignupState.CONFIRMED  # still a's until taken
        ho.accept(token)
        assert _state(act.slot) == {a.id: SignupState.HANDED_OVER, b.id: SignupState.CONFIRMED}
        assert svc.counts([act.slot])[act.slot].confirmed == 1  # capacity unchanged
        kinds = {(m.kind, m.user_id) for m in db.session.scalars(select(OutboxMail))}
        assert ("activity_handover_done", a.id) in kinds and ("activity_handover_done", coord.id) in kinds
        assert ("activity_signed_up", b.id) in kinds
        db.session.refresh(h)
        assert h.state == HandoverState.DONE
        with pytest.raises(svc.SignupError):
            ho.accept(token)  # used


def test_open_offer_reaches_the_waiting_list_and_the_second_finds_it_taken(app, make):
    office = make.office()
    act = make.activity(office, roles=(("Getränkestand", 1),))
    a, b, c = (make.full_volunteer(office) for _ in range(3))
    with app.test_request_context():
        s = svc.sign_up(_u(a.id), [act.slot])[0]
        svc.sign_up(_u(b.id), [act.slot])  # waiting
        ho.offer(_u(a.id), s.id)
        tb, tc = _links(b.id), _links(c.id)
        assert tb and tc  # the waiting person and a fitting free volunteer
        ho.accept(tb[0])
        with pytest.raises(svc.SignupError) as e:
            ho.accept(tc[0])
        assert e.value.code == "taken"
        assert _state(act.slot)[b.id] == SignupState.CONFIRMED  # from the waiting list into the place


def test_approval_and_refusal(app, make):
    office = make.office()
    act = make.activity(office, roles=(("Bühne", 1),), handover_needs_approval=True)
    a, b = make.full_volunteer(office), make.full_volunteer(office)
    coord, stranger = make.coordinator(office), make.coordinator(make.office())
    with app.test_request_context():
        s = svc.sign_up(_u(a.id), [act.slot])[0]
        h = ho.offer(_u(a.id), s.id, to_user_id=b.id)
        ho.accept(_links(b.id)[0])
        db.session.refresh(h)
        assert h.state == HandoverState.PENDING and _state(act.slot)[a.id] == SignupState.CONFIRMED
        with pytest.raises(svc.SignupError):
            ho.decide(_u(stranger.id), h.id, True)
        ho.decide(_u(coord.id), h.id, True)
        assert _state(act.slot) == {a.id: SignupState.HANDED_OVER, b.id: SignupState.CONFIRMED}


def test_rules(app, make):
    office = make.office()
    act = make.activity(office, roles=(("Tutor", 2),))
    a, b = make.full_volunteer(office), make.full_volunteer(office)
    with app.test_request_context():
        sa = svc.sign_up(_u(a.id), [act.slot])[0]
        sb = svc.sign_up(_u(b.id), [act.slot])[0]
        with pytest.raises(svc.SignupError) as e:
            ho.offer(_u(b.id), sa.id)  # not one's own
        assert e.value.code == "not_found"
        with pytest.raises(svc.SignupError) as e:
            ho.offer(_u(a.id), sa.id, to_user_id=b.id)  # b has a place already
        assert e.value.code == "already_there"
        h = ho.offer(_u(a.id), sa.id)
        with pytest.raises(svc.SignupError) as e:
            ho.offer(_u(a.id), sa.id)
        assert e.value.code == "already"
        ho.withdraw(_u(a.id), h.id)
        assert ho.offer(_u(a.id), sa.id).state == HandoverState.OPEN  # again after withdrawing
        assert sb.id


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="races are proven on PostgreSQL (set TEST_DATABASE_URL)")
def test_two_acceptances_at_once_one_wins(app, make):
    from tests.activities.test_race_pg import _run_at_once

    from app import create_app
    from config import TestingConfig
    from tests.activities.conftest import stand_ins

    office = make.office()
    act = make.activity(office, roles=(("Getränkestand", 1),))
    a = make.full_volunteer(office)
    others = [make.full_volunteer(office) for _ in range(6)]
    with app.test_request_context():
        s = svc.sign_up(_u(a.id), [act.slot])[0]
        ho.offer(_u(a.id), s.id)
        tokens = [t for o in others for t in _links(o.id)]
    assert len(tokens) == 6
    wide = create_app(TestingConfig, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 10, "max_overflow": 0})
    stand_ins(wide)
    try:
        errors = _run_at_once(wide, [(lambda t=t: ho.accept(t)) for t in tokens])
    finally:
        with wide.app_context():
            db.engine.dispose()
    assert len(errors) == 5 and all(getattr(e, "code", None) == "taken" for e in errors), errors
    with app.app_context():
        states = _state(act.slot)
        assert sum(1 for st in states.values() if st == SignupState.CONFIRMED) == 1
        assert states[a.id] == SignupState.HANDED_OVER
