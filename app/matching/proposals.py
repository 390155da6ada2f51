"""Proposals: a need offered to one volunteer by mail, answered by signed, single-use, expiring
links that work without logging in (GET shows the question, POST spends the link).

Accept → the need is matched and the coordinator told; decline, or no answer by the deadline
(job `expire-proposals`) → the need is open again and the page suggests the next candidate.
Check-ins of partnerships: the coordinator is reminded 4 and 12 weeks after the match, each
reminder exactly once (an UPDATE … WHERE sent_at IS NULL claims it)."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale, format_date, format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.core import audit
from app.core.timeutil import utcnow
from app.core.tokens import make_token, open_link
from app.core.urls import external_url
from app.extensions import db
from app.mail.services import queue_mail_to_user
from app.matching import candidates as cand
from app.matching.models import CheckIn, Need, NeedState, NeedTiming, Proposal, ProposalState
from app.matching.services import NeedError, _locked_need, set_state

PURPOSE = "matching-proposal"
MAX_SHARED = 1000


def answer_days() -> int:
    return int(current_app.config.get("MATCHING_ANSWER_DAYS", 3))


def _max_age() -> int:
    return (answer_days() + 1) * 86400


def link_token(proposal: Proposal) -> str:
    return make_token(PURPOSE, p=proposal.id)


def propose(actor, need_id: int, user_id: int, shared_text: str, now: datetime | None = None) -> Proposal:
    """Propose the need to a volunteer who meets every hard condition (checked again here, under
    the need's lock); mails them the shared text with the answer links. The need becomes
    "proposed"."""
    now = now or utcnow()
    text = (shared_text or "").strip()
    try:
        if not text:
            raise NeedError({"shared_text": _l("Please write what the volunteer may know about the need.")})
        if len(text) > MAX_SHARED:
            raise NeedError({"shared_text": _l("At most %(n)d characters, please.", n=MAX_SHARED)})
        need = _locked_need(actor, need_id)
        if need.state not in (NeedState.OPEN, NeedState.PROPOSED):
            raise NeedError({"state": _l("Only an open need can be proposed.")})
        if _appointment_passed(need, now):
            raise NeedError({"state": _l("The appointment has passed. Please change its date first.")})
        # The person's row locked (in id order, as urgent calls lock them) before the weekly cap is
        # counted: two proposals at once can't both take their last turn of the week.
        db.session.execute(select(User.id).where(User.id == user_id).with_for_update())
        if need.case_code and need.case_code.lower() in text.lower():
            raise NeedError({"shared_text": _l("Please leave the case code out: volunteers never see it.")})
        from app.matching.services import personal_data_in

        if personal_data_in(text):
            raise NeedError({"shared_text": _l("Please leave out e-mail addresses and phone numbers.")})
        candidate = cand.is_eligible(need, user_id, now)
        if candidate is None:
            raise NeedError({"user_id": _l("This person can't be proposed for this need (not free at that time, "
                                           "the language is missing, no contact wanted, already asked, or "
                                           "enough proposals this week).")})
        proposal = Proposal(need_id=need.id, user_id=user_id, shared_text=text, proposed_by_id=actor.id,
                            created_at=now, deadline=deadline_of(need, now))
        db.session.add(proposal)
        try:
            db.session.flush()
        except IntegrityError:  # proposed a moment ago by a colleague
            raise NeedError({"user_id": _l("This person has been proposed for this need already.")}) from None
        if need.state == NeedState.OPEN:
            set_state(actor, need, NeedState.PROPOSED, now, user=user_id)
        audit.record(actor, "proposal.sent", proposal, office_id=need.office_id, need=need.id, user=user_id,
                     score=candidate.score)
        _mail_proposal(proposal, need)
        db.session.commit()
        return proposal
    except Exception:
        db.session.rollback()
        raise


def deadline_of(need: Need, now: datetime) -> datetime:
    """When a proposal made now expires: after the answer days, or at the appointment if sooner."""
    deadline = now + timedelta(days=answer_days())
    if need.timing == NeedTiming.AT and need.starts_at is not None:
        deadline = min(deadline, need.starts_at)  # an answer after the appointment is no answer
    return deadline


def _appointment_passed(need: Need, now: datetime) -> bool:
    return need.timing == NeedTiming.AT and need.starts_at is not None and need.starts_at <= now


def proposal_mail_context(proposal: Proposal, need: Need, user: User) -> dict:
    """What the proposal's mail says, in the volunteer's language, with the signed answer link
    (`proposal.id` known: after the flush)."""
    token = link_token(proposal)
    with force_locale(user.locale or "de"):
        context = _need_context(need, user.locale or "de")
        context.update(shared_text=proposal.shared_text,
                       deadline=format_datetime(proposal.deadline, "full"),
                       answer_link=external_url("matching.answer", token=token))
    return context


def _mail_proposal(proposal: Proposal, need: Need) -> None:
    user = db.session.get(User, proposal.user_id)
    queue_mail_to_user("matching_proposal", user, proposal_mail_context(proposal, need, user),
                       office_id=need.office_id)


def _need_context(need: Need, locale: str) -> dict:
    """What a volunteer may know of a need: category, district, time — never the case code."""
    from app.matching.texts import when_of

    return {"category": need.category.label(locale), "district": need.district.name if need.district else "",
            "when": when_of(need), "office": need.office.name, "office_email": need.office.email or "",
            "ongoing": need.ongoing}


class ProposalError(Exception):
    def __init__(self, code: str, message):
        super().__init__(str(message))
        self.code, self.message = code, message


GONE = _l("This request is no longer open: you answered already, the time to answer has passed, or the "
          "office found someone else.")


def _open(token: str, spend: bool) -> Proposal:
    """The proposal a link names (spent with `spend`); a broken, expired or used link: ProposalError."""
    return open_link(PURPOSE, token, _max_age(),
                     lambda payload: db.session.get(Proposal, int(payload.get("p", 0) or 0)), ProposalError,
                     spend=spend)


def read(token: str, now: datetime | None = None) -> Proposal:
    """The pending proposal a link is for; spends nothing (the GET page)."""
    now = now or utcnow()
    proposal = _open(token, spend=False)
    if proposal.state != ProposalState.PENDING or proposal.deadline <= now:
        raise ProposalError("gone", GONE)
    return proposal


def answer(token: str, accept: bool, now: datetime | None = None) -> Proposal:
    """Spend the link and answer. Accept → matched (coordinator told); decline → open again."""
    now = now or utcnow()
    try:
        proposal = _open(token, spend=True)
        need = _locked_need(None, proposal.need_id)
        db.session.refresh(proposal)
        if (proposal.state != ProposalState.PENDING or proposal.deadline <= now
                or need.state not in (NeedState.OPEN, NeedState.PROPOSED)):
            raise ProposalError("gone", GONE)
        volunteer = db.session.get(User, proposal.user_id)
        proposal.answered_at = now
        if accept and (_appointment_passed(need, now) or not cand.still_fits(need, proposal.user_id, now)):
            # Consent withdrawn, no longer active or with the office, or the need changed so that
            # the person no longer fits: the request ends here, the need looks for someone else.
            proposal.state = ProposalState.WITHDRAWN
            _reopen_if_none_pending(volunteer, need, proposal, now)
            audit.record(volunteer, "proposal.withdrawn", proposal, office_id=need.office_id, need=need.id,
                         user=proposal.user_id, reason="no longer fits")
            db.session.commit()
            raise ProposalError("gone", _l("This request is no longer open for you: the need or your profile "
                                           "changed since we asked. Thank you all the same!"))
        if accept:
            proposal.state = ProposalState.ACCEPTED
            need.matched_user_id = proposal.user_id
            db.session.execute(update(Proposal).where(Proposal.need_id == need.id, Proposal.id != proposal.id,
                                                      Proposal.state == ProposalState.PENDING)
                               .values(state=ProposalState.WITHDRAWN, answered_at=now)
                               .execution_options(synchronize_session=False))
            set_state(volunteer, need, NeedState.MATCHED, now, user=proposal.user_id)
            _tell_coordinator(need, proposal, volunteer, "matching_accepted")
        else:
            proposal.state = ProposalState.DECLINED
            _reopen_if_none_pending(volunteer, need, proposal, now)
            _tell_coordinator(need, proposal, volunteer, "matching_declined")
        audit.record(volunteer, "proposal.accepted" if accept else "proposal.declined", proposal,
                     office_id=need.office_id, need=need.id, user=proposal.user_id)
        db.session.commit()
        return proposal
    except Exception:
        db.session.rollback()
        raise


def _reopen_if_none_pending(actor, need: Need, proposal: Proposal, now: datetime) -> None:
    db.session.flush()
    others = db.session.scalar(select(Proposal.id).where(Proposal.need_id == need.id, Proposal.id != proposal.id,
                                                         Proposal.state == ProposalState.PENDING).limit(1))
    if others is None and need.state == NeedState.PROPOSED:
        set_state(actor, need, NeedState.OPEN, now, user=proposal.user_id)


def withdraw(actor, proposal_id: int, now: datetime | None = None) -> Proposal:
    """The coordinator takes a pending proposal back (the link then says it is no longer open)."""
    now = now or utcnow()
    try:
        proposal = db.session.get(Proposal, proposal_id)
        if proposal is None:
            raise NeedError({"need": _l("This need does not exist.")})
        need = _locked_need(actor, proposal.need_id)
        db.session.refresh(proposal)
        if proposal.state != ProposalState.PENDING:
            raise NeedError({"proposal": _l("This proposal is answered already.")})
        proposal.state, proposal.answered_at = ProposalState.WITHDRAWN, now
        _reopen_if_none_pending(actor, need, proposal, now)
        audit.record(actor, "proposal.withdrawn", proposal, office_id=need.office_id, need=need.id,
                     user=proposal.user_id)
        db.session.commit()
        return proposal
    except Exception:
        db.session.rollback()
        raise


def _coordinator_of(need: Need, proposal: Proposal | None = None) -> User | None:
    """Who hears about the need: the one who proposed it or recorded it while they still work for
    its office (an active coordinator in its scope, or an admin), else the office's first active
    coordinator — never someone who moved on (the mail names the case code)."""
    from app.accounts.models import Role, coordinator_offices
    from app.core.permissions import can_act_in_office

    for user_id in (proposal.proposed_by_id if proposal else None, need.created_by_id):
        user = db.session.get(User, user_id) if user_id else None
        if (user is not None and user.active and user.deleted_at is None
                and user.role in (Role.COORDINATOR, Role.ADMIN) and can_act_in_office(user, need.office_id)):
            return user
    return db.session.scalar(
        select(User).join(coordinator_offices, coordinator_offices.c.user_id == User.id)
        .where(coordinator_offices.c.office_id == need.office_id, User.role == Role.COORDINATOR,
               User.active.is_(True), User.deleted_at.is_(None)).order_by(User.id).limit(1))


def _tell_coordinator(need: Need, proposal: Proposal, volunteer: User, kind: str) -> None:
    coordinator = _coordinator_of(need, proposal)
    if coordinator is None:
        return
    with force_locale(coordinator.locale or "de"):
        context = _need_context(need, coordinator.locale or "de")
    context.update(volunteer=volunteer.name, case_code=need.case_code,
                   need_link=external_url("matching.need_detail", need_id=need.id))
    queue_mail_to_user(kind, coordinator, context, office_id=need.office_id)


def expire(now: datetime | None = None, limit: int = 500) -> int:
    """Pending proposals past their deadline expire; their need is open again when nobody else
    was asked. One transaction per proposal, re-checked under the need's lock."""
    now = now or utcnow()
    due = db.session.execute(select(Proposal.id, Proposal.need_id).where(
        Proposal.state == ProposalState.PENDING, Proposal.deadline <= now).order_by(Proposal.deadline)
        .limit(limit)).all()
    db.session.rollback()
    done = 0
    for proposal_id, need_id in due:
        try:
            need = _locked_need(None, need_id)
            proposal = db.session.get(Proposal, proposal_id, populate_existing=True)
            if proposal.state != ProposalState.PENDING or proposal.deadline > now:
                db.session.rollback()
                continue
            proposal.state, proposal.answered_at = ProposalState.EXPIRED, now
            _reopen_if_none_pending(None, need, proposal, now)
            audit.record(None, "proposal.expired", proposal, office_id=need.office_id, need=need.id,
                         user=proposal.user_id)
            db.session.commit()
            done += 1
        except Exception:
            db.session.rollback()
            raise
    return done


def send_check_ins(now: datetime | None = None, limit: int = 500) -> int:
    """Remind coordinators of partnerships due for a check-in; each reminder exactly once (the
    UPDATE that sets `sent_at` only where it is still empty is the claim)."""
    now = now or utcnow()
    due = db.session.execute(select(CheckIn.id).join(Need, Need.id == CheckIn.need_id).where(
        CheckIn.sent_at.is_(None), CheckIn.due_at <= now, Need.state == NeedState.MATCHED)
        .order_by(CheckIn.due_at).limit(limit)).scalars().all()
    db.session.rollback()
    sent = 0
    for check_in_id in due:
        claimed = db.session.execute(update(CheckIn).where(CheckIn.id == check_in_id, CheckIn.sent_at.is_(None))
                                     .values(sent_at=now).execution_options(synchronize_session=False))
        if not claimed.rowcount:
            db.session.rollback()
            continue
        check_in = db.session.get(CheckIn, check_in_id)
        need = check_in.need
        coordinator = _coordinator_of(need)
        if coordinator is None:  # nobody to remind yet: keep it due (not claimed) until there is
            db.session.rollback()
            continue
        volunteer = db.session.get(User, need.matched_user_id) if need.matched_user_id else None
        with force_locale(coordinator.locale or "de"):
            context = _need_context(need, coordinator.locale or "de")
            context.update(weeks=check_in.weeks, case_code=need.case_code,
                           volunteer=volunteer.name if volunteer else "",
                           since=format_date(need.matched_at, "long") if need.matched_at else "",
                           need_link=external_url("matching.need_detail", need_id=need.id))
        queue_mail_to_user("matching_check_in", coordinator, context, office_id=need.office_id)
        audit.record(None, "need.check_in_due", need, office_id=need.office_id, weeks=check_in.weeks)
        db.session.commit()
        sent += 1
    return sent


def next_suggestion(need: Need) -> cand.Candidate | None:
    """The best candidate not asked yet (shown on an open need's page after a decline)."""
    ranked = cand.candidates_for(need, limit=1)
    return ranked[0] if ranked else None


__all__ = ["ProposalError", "answer", "expire", "link_token", "next_suggestion", "propose", "read",
           "send_check_ins", "withdraw"]
