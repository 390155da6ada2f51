"""seed-demo's needs: every state per office, a partnership with a check-in due; twice is once."""
from sqlalchemy import func, select

from app.extensions import db


def test_demo_needs(app):
    from app.core.demo import seed_demo
    from app.matching.models import CheckIn, Need, NeedState
    from app.matching.proposals import send_check_ins

    with app.app_context():
        created = seed_demo(volunteers=120)
        assert created["needs"] > 0 and created["proposals"] > 0
        states = set(db.session.scalars(select(Need.state)))
        assert states == set(NeedState)
        assert db.session.scalar(select(func.count(CheckIn.id))) > 0
        again = seed_demo(volunteers=120)
        assert again["needs"] == 0
        assert send_check_ins() > 0  # the partnerships' 4-week check-ins are due
