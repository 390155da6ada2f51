"""The batch's confirmation, set-wise: a constant number of statements for 3 and for 30 rows;
each row checked again (a need taken or a consent withdrawn since the preview, the week full
across the rows, another office's need) and refused with its reason while the others go; the
same proposal, need state, audit entries and mail as one proposal made by `propose`."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from tests.conftest import recorded_statements
from tests.matching.conftest import user

TEXT = "Begleitung zu einem Termin"


def _confirm(app, coordinator, office, choices, now=None):
    from app.matching.batch import confirm

    with app.test_request_context():
        return confirm(user(app, coordinator.id), office.id, choices, TEXT, now)


def _office_with(make, need, people: int, needs: int, prefix: str):
    office = make.office()
    coordinator = make.coordinator(office)
    volunteers = [make.full_volunteer(office, hours=None) for _ in range(people)]
    need_ids = [need(office, coordinator, case_code=f"{prefix}-{i}") for i in range(needs)]
    choices = [(n, volunteers[i % people].id) for i, n in enumerate(need_ids)]
    return office, coordinator, choices


def test_statements_are_the_same_for_3_and_for_30_rows(app, make, need):
    from app.mail.models import OutboxMail
    from app.matching.models import Proposal

    app.config["MATCHING_WEEKLY_CAP"] = 3
    small = _office_with(make, need, people=3, needs=3, prefix="S")
    large = _office_with(make, need, people=10, needs=30, prefix="L")
    counts = []
    for office, coordinator, choices in (small, large):
        with recorded_statements(app) as statements:
            outcomes = _confirm(app, coordinator, office, choices)
        assert [o.sent for o in outcomes] == [True] * len(choices), [o.reason for o in outcomes]
        counts.append(len(statements))
        with app.app_context():
            proposed = db.session.execute(select(Proposal.need_id, Proposal.user_id).where(
                Proposal.need_id.in_([n for n, _u in choices]))).all()
            assert sorted(proposed) == sorted(choices)
            mailed = db.session.scalars(select(OutboxMail.user_id).where(OutboxMail.kind == "matching_proposal",
                                                                          OutboxMail.office_id == office.id)).all()
            assert sorted(mailed) == sorted(u for _n, u in choices)  # one mail per row
    assert counts[0] == counts[1], counts
    # the user, the lock (SQLite: the write lock first), skills, people, pairs, hours, overrides,
    # proposals, needs, audit, outbox
    assert counts[0] <= 13, counts


def test_each_row_checked_again_and_refused_with_its_reason(app, make, need):
    from app.core.models import AuditEntry
    from app.mail.models import OutboxMail
    from app.matching.models import Need, NeedState, Proposal
    from app.matching.proposals import propose
    from app.people.consent import record_consent
    from app.people.models import ConsentPurpose

    app.config["MATCHING_WEEKLY_CAP"] = 2
    office, elsewhere = make.office(), make.office()
    coordinator, colleague = make.coordinator(office), make.coordinator(elsewhere)
    busy = make.full_volunteer(office, hours=None)  # one proposal this week already: one left
    leaves = make.full_volunteer(office, hours=None)
    other = make.full_volunteer(office, hours=None)
    earlier = need(office, coordinator, case_code="E-0")
    ok, full_week, taken, withdrawn = (need(office, coordinator, case_code=f"E-{i}") for i in range(1, 5))
    foreign = need(elsewhere, colleague, case_code="F-1")
    with app.test_request_context():
        propose(user(app, coordinator.id), earlier, busy.id, TEXT)
        propose(user(app, coordinator.id), taken, other.id, TEXT)  # a colleague was quicker
        record_consent(leaves.id, ConsentPurpose.CONTACT, False)
        mails_before = len(db.session.scalars(select(OutboxMail.id)).all())
    choices = [(ok, busy.id), (full_week, busy.id), (taken, leaves.id), (withdrawn, leaves.id),
               (foreign, other.id), (999999, other.id)]
    outcomes = _confirm(app, coordinator, office, choices)
    assert [(o.need_id, o.user_id, o.sent) for o in outcomes] == [(n, u, n == ok) for n, u in choices]
    reasons = {o.need_id: o.reason for o in outcomes}
    assert "no longer meets the conditions" in reasons[full_week] or "nicht mehr" in reasons[full_week]
    assert "no longer open" in reasons[taken] or "nicht mehr offen" in reasons[taken]
    assert reasons[withdrawn] == reasons[full_week]
    assert reasons[foreign] == reasons[999999] and reasons[foreign]
    with app.app_context():
        proposals = db.session.execute(select(Proposal.need_id, Proposal.user_id).order_by(Proposal.id)).all()
        assert proposals == [(earlier, busy.id), (taken, other.id), (ok, busy.id)]
        states = dict(db.session.execute(select(Need.id, Need.state)).all())
        assert states[ok] == NeedState.PROPOSED and states[full_week] == states[withdrawn] == NeedState.OPEN
        mails = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
        assert [m.user_id for m in mails[mails_before:]] == [busy.id]
        entries = db.session.execute(select(AuditEntry.action, AuditEntry.record_type, AuditEntry.record_id)
                                     .where(AuditEntry.office_id == office.id).order_by(AuditEntry.id)).all()
        proposal_id = db.session.scalar(select(Proposal.id).where(Proposal.need_id == ok))
        assert entries[-2:] == [("need.state_changed", "needs", ok), ("proposal.sent", "proposals", proposal_id)]


def test_the_same_row_twice_and_a_full_text(app, make, need):
    """One need twice in the choices goes once; a text with the case code or too long goes nowhere."""
    from app.matching.models import Proposal

    office = make.office()
    coordinator = make.coordinator(office)
    a, b = make.full_volunteer(office, hours=None), make.full_volunteer(office, hours=None)
    n1 = need(office, coordinator, case_code="ZZ-9")
    from app.matching.batch import confirm

    with app.test_request_context():
        refused = confirm(user(app, coordinator.id), office.id, [(n1, a.id)], "Termin für ZZ-9")
        assert not refused[0].sent and ("case code" in refused[0].reason or "Fallkennung" in refused[0].reason)
        too_long = confirm(user(app, coordinator.id), office.id, [(n1, a.id)], "x" * 1001)
        assert not too_long[0].sent and too_long[0].reason
    outcomes = _confirm(app, coordinator, office, [(n1, a.id), (n1, b.id)])
    assert [o.sent for o in outcomes] == [True, False] and outcomes[1].reason
    with app.app_context():
        assert db.session.execute(select(Proposal.need_id, Proposal.user_id)).all() == [(n1, a.id)]


def test_the_same_rows_as_one_proposal_by_propose(app, make, need):
    """Two needs alike and two people alike: one proposed by `propose`, one by the batch at the
    same moment — the same proposal, need state, audit entries (score too) and mail."""
    from app.core.models import AuditEntry
    from app.core.timeutil import utcnow
    from app.mail.models import OutboxMail
    from app.matching.models import Need, Proposal
    from app.matching.proposals import propose

    office = make.office()
    coordinator = make.coordinator(office)
    one, two = (make.full_volunteer(office, name="Amal Haddad", hours=8, locale="en",
                                            slots=tuple((d, p) for d in range(7) for p in range(3)))
                    for _ in range(2))
    starts_at = (utcnow() + timedelta(days=2)).replace(microsecond=0)  # before the answer days end
    n1, n2 = (need(office, coordinator, case_code=f"P-{i}", expected_hours=2, timing="at", starts_at=starts_at)
              for i in range(2))
    now = utcnow()
    with app.test_request_context():
        propose(user(app, coordinator.id), n1, one.id, TEXT, now)
    assert _confirm(app, coordinator, office, [(n2, two.id)], now)[0].sent
    with app.app_context():
        def proposal(need_id):
            p = db.session.scalar(select(Proposal).where(Proposal.need_id == need_id))
            return p, (p.state, p.shared_text, p.proposed_by_id, p.created_at, p.deadline, p.answered_at)

        (p1, first), (p2, second) = proposal(n1), proposal(n2)
        assert first == second

        def need_row(need_id):
            n = db.session.get(Need, need_id)
            return n.state, n.state_changed_at, n.matched_user_id

        assert need_row(n1) == need_row(n2)

        def entries(need_id, proposal_id, person):
            rows = db.session.scalars(select(AuditEntry).where(
                ((AuditEntry.record_type == "needs") & (AuditEntry.record_id == need_id))
                | ((AuditEntry.record_type == "proposals") & (AuditEntry.record_id == proposal_id)))
                .order_by(AuditEntry.id)).all()
            swap = {need_id: "NEED", person: "USER"}
            return [(e.actor_id, e.actor_name, e.action, e.office_id,
                     {k: swap.get(v, v) if k in ("need", "user") else v for k, v in e.detail.items()})
                    for e in rows if e.action != "need.recorded"]

        assert entries(n1, p1.id, one.id) == entries(n2, p2.id, two.id)
        assert [e[2] for e in entries(n2, p2.id, two.id)] == ["need.state_changed", "proposal.sent"]

        def mail(person):
            m = db.session.scalar(select(OutboxMail).where(OutboxMail.user_id == person.id))
            link = re.compile(r"/matching/answer/[^\s\"'<]+")
            return (m.kind, m.to_name, m.locale, m.office_id, m.subject, link.sub("LINK", m.body_text),
                    link.sub("LINK", m.body_html), m.is_service, m.status, m.dedupe_key)

        assert mail(one) == mail(two)
        assert "/matching/answer/" in db.session.scalar(select(OutboxMail.body_text)
                                                        .where(OutboxMail.user_id == two.id))
