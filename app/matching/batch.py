"""Matching all open needs of an office at once: the optimal assignment, shown before any mail.

`plan(office_id)` takes the office's open needs (oldest first, at most MAX_NEEDS per run) and the
office's volunteers, and proposes each need at most one volunteer so that the total score is
maximal (`assignment.optimal_assignment`, exact), each volunteer taking at most as many needs as
their remaining monthly hours and this week's contacts allow. Nothing is mailed: `confirm()` does
that once the coordinator has checked the rows — set-wise, in one transaction and a fixed number
of statements whatever the rows (the needs and people locked in one statement each, every pair's
hard conditions in one), with the same checks, proposals, audit entries and mails as
`proposals.propose` one by one.

Statements are a fixed number, whatever the number of needs (7): the needs (2, with skills), one
`candidates.eligible()` statement for the hard conditions that don't depend on the need (contactable,
active, working with the office, the weekly cap) with every fact the score reads, the proposals
made for these needs, the district neighbours, hours of open assignments, contacts this week.
The conditions that depend on the need (free at its time, the required language at its level,
not asked for it before, enough hours left) and the score are applied to the whole needs ×
volunteers matrix with numpy — the same rules and weights as `candidates.score_row` (a test holds
both to the same pairs and scores); reasons are worded by `score_row` itself for the rows shown.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

import numpy as np
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select, union_all, update
from sqlalchemy.orm import joinedload, selectinload

from app.core.permissions import can_act_in_office
from app.core.timeutil import utcnow
from app.extensions import db
from app.matching import assignment
from app.matching import candidates as cand
from app.matching.models import DistrictNeighbour, Need, NeedState, Proposal, ProposalState
from app.people.models import volunteer_offices

MAX_NEEDS = 300  # per run; the oldest first
ALTERNATIVES = 10  # other eligible candidates offered in a row's "change" select
MAX_ROUNDS = 20  # re-solves when a volunteer's chosen needs add up to more hours than are left


@dataclass
class Option:
    user_id: int
    name: str
    score: float


@dataclass
class BatchRow:
    need: Need
    chosen: cand.Candidate | None  # with reasons in words
    options: list[Option]  # the chosen one first, then the best other eligible candidates
    eligible_count: int

    @property
    def score(self) -> float | None:
        return self.chosen.score if self.chosen else None


@dataclass
class BatchPlan:
    office_id: int
    rows: list[BatchRow]
    volunteers: int  # volunteers passing the conditions that don't depend on the need
    pairs: int  # eligible (need, volunteer) pairs
    total: float  # total score of the proposed assignment
    scores: dict[tuple[int, int], float] = field(default_factory=dict)  # the pairs given to the solver
    capacity: dict[int, int] = field(default_factory=dict)
    assignment: dict[int, int] = field(default_factory=dict)  # need id → user id
    more_needs: bool = False  # more open needs than MAX_NEEDS: the rest next run
    hours: dict[int, float] = field(default_factory=dict)  # need id → expected hours (0: not given)
    hours_left: dict[int, float] = field(default_factory=dict)  # user id → hours left (inf: no limit)

    def greedy(self) -> dict[int, int]:
        """The best-pair-first pass under the same rules (count places and hours left): what the
        optimal assignment is measured against."""
        places = dict(self.capacity)
        left = dict(self.hours_left)
        result: dict[int, int] = {}
        for (need_id, uid), score in sorted(self.scores.items(), key=lambda kv: (-kv[1], kv[0])):
            if score < 0:
                break
            if need_id in result or places.get(uid, 0) <= 0 or self.hours[need_id] > left[uid] + 1e-9:
                continue
            result[need_id] = uid
            places[uid] -= 1
            left[uid] -= self.hours[need_id]
        return result


class BatchError(Exception):
    pass


def _office_only(office_id: int) -> SimpleNamespace:
    """What `candidates.eligible` reads of a need, for the conditions no need adds to."""
    return SimpleNamespace(id=None, office_id=office_id, matched_user_id=None, slots=0, required_language=None,
                           required_level=None, district_id=None)


def open_hours(user_ids_select) -> dict[int, float]:  # a SELECT of user ids, or a list of them
    """Expected hours of each volunteer's open assignments (matched, not done) and pending
    proposals, one statement; a need without expected hours counts 0."""
    matched = (select(Need.matched_user_id.label("user_id"), Need.expected_hours.label("hours"))
               .where(Need.state == NeedState.MATCHED, Need.matched_user_id.in_(user_ids_select)))
    pending = (select(Proposal.user_id.label("user_id"), Need.expected_hours.label("hours"))
               .join(Need, Need.id == Proposal.need_id)
               .where(Proposal.state == ProposalState.PENDING, Proposal.user_id.in_(user_ids_select)))
    both = union_all(matched, pending).subquery("open_hours")
    return {uid: float(h or 0) for uid, h in db.session.execute(
        select(both.c.user_id, func.sum(both.c.hours)).group_by(both.c.user_id))}


def contacts_this_week(user_ids_select, now: datetime) -> dict[int, int]:
    """Proposals (and other registered contacts) of each volunteer in the last 7 days, one statement."""
    contacts = cand.contacts_since(now - timedelta(days=7))
    return dict(db.session.execute(select(contacts.c.user_id, func.count()).where(
        contacts.c.user_id.in_(user_ids_select)).group_by(contacts.c.user_id)).all())


def remaining_hours(hours_per_month, hours_this_month: float, open_expected: float) -> float | None:
    """Hours left this month: offered minus given this month minus open assignments (None: no limit)."""
    if not hours_per_month:
        return None
    return max(0.0, float(hours_per_month) - float(hours_this_month) - float(open_expected))


def _needs(office_id: int) -> tuple[list[Need], bool]:
    needs = list(db.session.scalars(
        select(Need).where(Need.office_id == office_id, Need.state == NeedState.OPEN)
        .order_by(Need.created_at, Need.id).limit(MAX_NEEDS + 1)
        .options(joinedload(Need.category), joinedload(Need.district), selectinload(Need.skills))).unique())
    return needs[:MAX_NEEDS], len(needs) > MAX_NEEDS


class _Volunteers:
    """The office's volunteers as arrays (one per fact), for the needs × volunteers matrix."""

    def __init__(self, rows, open_expected: dict[int, float], recent: dict[int, int], cap: int):
        self.rows = rows
        n = len(rows)
        self.ids = np.array([r.id for r in rows], dtype=np.int64)
        self.index = {int(uid): i for i, uid in enumerate(self.ids)}
        self.availability = np.array([r.availability or 0 for r in rows], dtype=np.int64)
        self.district = np.array([r.district_id if r.district_id is not None else -1 for r in rows], dtype=np.int64)
        self.langs: dict[str, np.ndarray] = {}
        self.skills: dict[int, np.ndarray] = {}
        for i, r in enumerate(rows):
            for part in (r.langs or "").split(","):
                if ":" in part:
                    code, level = part.split(":", 1)
                    self.langs.setdefault(code, np.zeros(n, dtype=np.int64))[i] = int(level)
            for x in (r.skills or "").split(","):
                if x:
                    self.skills.setdefault(int(x), np.zeros(n, dtype=bool))[i] = True
        load = np.array([int(r.pending or 0) + int(r.assigned or 0) for r in rows], dtype=float)
        self.done = np.array([float(r.activity_minutes or 0) / 60 + float(r.need_hours or 0) for r in rows])
        self.hpm = np.array([float(r.hours_per_month or 0) for r in rows])
        has_hours = self.hpm > 0
        used = np.divide(self.done, self.hpm, out=np.zeros(n), where=has_hours)
        present = np.array([int(r.present or 0) for r in rows], dtype=float)
        absent = np.array([int(r.absent or 0) for r in rows], dtype=float)
        dates = present + absent
        reliability = np.where(dates > 0, cand.W_RELIABLE * (2 * (present + 1) / (dates + 2) - 1), 0.0)
        # The part of the score that no need changes.
        self.base = cand.BASE - cand.P_LOAD * load - np.where(has_hours, cand.P_HOURS * np.minimum(used, 2.0), 0.0) \
            + reliability
        self.has_hours = has_hours
        opened = np.array([open_expected.get(int(uid), 0.0) for uid in self.ids])
        self.remaining = np.where(has_hours, np.maximum(0.0, self.hpm - self.done - opened), np.inf)
        self.weekly_left = np.array([max(0, cap - int(recent.get(int(uid), 0))) for uid in self.ids], dtype=np.int64)

    def level(self, code: str) -> np.ndarray:
        return self.langs.get(code, np.zeros(len(self.rows), dtype=np.int64))


def _need_row(need: Need, vol: _Volunteers, asked: set[int], neighbours: set[int]) -> tuple[np.ndarray, np.ndarray]:
    """(eligible mask, scores) of one need over every volunteer: `eligible()`'s need-specific
    hard conditions and `score_row`'s formula, vectorised."""
    n = len(vol.rows)
    mask = np.ones(n, dtype=bool)
    if need.slots:
        mask &= (vol.availability & int(need.slots)) != 0
    required = need.required_language
    if required:
        mask &= vol.level(required) >= (need.required_level or 1)
    for uid in asked:
        i = vol.index.get(uid)
        if i is not None:
            mask[i] = False
    if need.matched_user_id is not None and need.matched_user_id in vol.index:
        mask[vol.index[need.matched_user_id]] = False
    hours = float(need.expected_hours or 0)
    if hours:  # more hours than are left this month: not a pair
        mask &= vol.remaining >= hours
    score = vol.base.copy()
    if required:
        score += np.where(vol.level(required) > 0, cand.W_REQUIRED * (vol.level(required) - (need.required_level or 1)), 0.0)
    helpful = need.language_codes("helpful")
    for code in helpful:
        if code != required:
            score += cand.W_HELPFUL * vol.level(code) / 4
    for code in need.language_codes("household"):
        if code != required and code not in helpful:
            score += np.where(vol.level(code) > 0, cand.W_HOUSEHOLD, 0.0)
    for skill in need.skills:
        if skill.id in vol.skills:
            score += np.where(vol.skills[skill.id], cand.W_SKILL, 0.0)
    if need.district_id is not None:
        known = vol.district >= 0
        same = vol.district == need.district_id
        near = np.isin(vol.district, list(neighbours)) if neighbours else np.zeros(n, dtype=bool)
        score += np.where(known & same, cand.W_SAME_DISTRICT,
                          np.where(known & near, cand.W_NEIGHBOUR, np.where(known, -cand.P_FURTHER, 0.0)))
    if hours:
        score -= np.where(vol.has_hours & (vol.done + hours > vol.hpm), cand.P_OVER, 0.0)
    return mask, np.round(score, 2)


def _capacity(mask: np.ndarray, hours: np.ndarray, vol: _Volunteers) -> np.ndarray:
    """Per volunteer: how many of their eligible needs fit at most — the k smallest expected hours
    that add up to no more than what is left, and no more than this week's contacts left."""
    eligible_hours = np.where(mask, hours[:, None], np.inf)
    eligible_hours.sort(axis=0)
    fits = np.cumsum(eligible_hours, axis=0) <= vol.remaining[None, :]
    by_hours = np.where(np.isinf(vol.remaining), mask.sum(axis=0), fits.sum(axis=0))
    return np.minimum(by_hours, vol.weekly_left)


def plan(actor, office_id: int, now: datetime | None = None) -> BatchPlan:
    """The best overall assignment of the office's open needs (nothing stored, nothing mailed)."""
    if not can_act_in_office(actor, office_id):
        raise BatchError("office")
    now = now or utcnow()
    needs, more = _needs(office_id)
    if not needs:
        return BatchPlan(office_id, [], 0, 0, 0.0)
    office_users = select(volunteer_offices.c.user_id).where(volunteer_offices.c.office_id == office_id)
    rows = db.session.execute(cand.eligible(_office_only(office_id), now)).all()
    need_ids = [n.id for n in needs]
    asked: dict[int, set[int]] = {}
    for need_id, user_id in db.session.execute(select(Proposal.need_id, Proposal.user_id)
                                               .where(Proposal.need_id.in_(need_ids))):
        asked.setdefault(need_id, set()).add(user_id)
    districts = sorted({n.district_id for n in needs if n.district_id is not None})
    neighbours: dict[int, set[int]] = {}
    if districts:
        for d, nb in db.session.execute(select(DistrictNeighbour.district_id, DistrictNeighbour.neighbour_id)
                                        .where(DistrictNeighbour.district_id.in_(districts))):
            neighbours.setdefault(d, set()).add(nb)
    vol = _Volunteers(rows, open_hours(office_users), contacts_this_week(office_users, now), cand.weekly_cap())
    if not rows:
        return BatchPlan(office_id, [BatchRow(n, None, [], 0) for n in needs], 0, 0, 0.0, more_needs=more)

    mask = np.zeros((len(needs), len(rows)), dtype=bool)
    score = np.zeros((len(needs), len(rows)))
    for i, need in enumerate(needs):
        mask[i], score[i] = _need_row(need, vol, asked.get(need.id, set()),
                                      neighbours.get(need.district_id, set()))
    hours = np.array([float(n.expected_hours or 0) for n in needs])
    capacity = _capacity(mask, hours, vol)
    mask &= capacity[None, :] > 0
    orders = _orders(vol, mask, score)
    chosen = _solve(needs, vol, orders, score, capacity)

    pairs = int(mask.sum())
    total = 0.0
    out_rows = []
    names = {int(r.id): r.name for r in rows}
    words = cand.Words()
    for i, need in enumerate(needs):
        order = orders[i]
        picked = chosen.get(need.id)
        candidate = None
        if picked is not None:
            candidate = _worded(need, rows[vol.index[picked]], neighbours.get(need.district_id, set()), words)
            total += float(score[i, vol.index[picked]])
        options = [Option(picked, names[picked], float(score[i, vol.index[picked]]))] if picked is not None else []
        for j in order[:ALTERNATIVES + 1]:
            uid = int(vol.ids[j])
            if uid != picked and len(options) < ALTERNATIVES + (picked is not None):
                options.append(Option(uid, names[uid], float(score[i, j])))
        out_rows.append(BatchRow(need, candidate, options, len(order)))
    # the pruned pairs as (need id, user id) → score, for the comparison with the greedy pass
    rows_, cols_, scores_ = _pruned(needs, vol, orders, score, capacity)
    uids = vol.ids[cols_].tolist()
    scores = dict(zip(zip([needs[i].id for i in rows_.tolist()], uids), scores_.tolist()))
    cap = {uid: int(capacity[vol.index[uid]]) for uid in set(uids)}
    return BatchPlan(office_id, out_rows, len(rows), pairs, round(total, 2), scores=scores, capacity=cap,
                     assignment=chosen, more_needs=more, hours={n.id: float(n.expected_hours or 0) for n in needs},
                     hours_left={uid: float(vol.remaining[vol.index[uid]]) for uid in cap})


def _orders(vol, mask, score) -> list[np.ndarray]:
    """Per need: its eligible volunteers' columns, best score first (ties: lower user id)."""
    out = []
    for i in range(mask.shape[0]):
        cols = np.flatnonzero(mask[i])
        out.append(cols[np.lexsort((vol.ids[cols], -score[i, cols]))])
    return out


def _pruned(needs, vol, orders, score, capacity) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs that can be in an optimal assignment: per need its best volunteers until their
    places cover every need (exact, the argument of `assignment.optimal_assignment`), as arrays
    of need index, volunteer column and score, best first per need."""
    n_needs = len(needs)
    need_parts, column_parts, score_parts = [], [], []
    for i in range(n_needs):
        cols = orders[i]
        cols = cols[capacity[cols] > 0]
        if not len(cols):
            continue
        places = np.cumsum(np.minimum(capacity[cols], n_needs))
        keep = cols[: int(np.searchsorted(places, n_needs)) + 1]
        need_parts.append(np.full(len(keep), i, dtype=np.intp))
        column_parts.append(keep)
        score_parts.append(score[i, keep])
    if not need_parts:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty, np.zeros(0)
    return (np.concatenate(need_parts), np.concatenate(column_parts).astype(np.intp),
            np.concatenate(score_parts).astype(float))


def _solve(needs, vol, orders, score, capacity) -> dict[int, int]:
    """Optimal under the count capacities; when a volunteer's chosen needs add up to more hours
    than are left, their capacity drops by one and it is solved again."""
    capacity = capacity.copy()
    hours_of = {n.id: float(n.expected_hours or 0) for n in needs}
    # Ties go to the older need: a bonus far below the scores' 0.01 steps (all of them together
    # add less than 0.005), so it only decides between assignments of equal total.
    tie = 0.004 * (len(needs) - np.arange(len(needs))) / len(needs) ** 2
    for _round in range(MAX_ROUNDS):
        rows, cols, scores = _pruned(needs, vol, orders, score, capacity)
        # solved on the arrays as they are (no dict of pairs each round): needs by their order
        # here, volunteers by their column, each pair's score with its need's tie bonus
        chosen = {needs[i].id: int(vol.ids[c]) for i, c in assignment.solve_indexed(
            rows, cols, scores + tie[rows], np.asarray(capacity, dtype=np.intp), len(needs))}
        load: dict[int, float] = {}
        for need_id, uid in chosen.items():
            load[uid] = load.get(uid, 0.0) + hours_of[need_id]
        over = [uid for uid, h in load.items() if h > vol.remaining[vol.index[uid]] + 1e-9]
        if not over:
            return chosen
        for uid in over:
            capacity[vol.index[uid]] = max(0, sum(1 for u in chosen.values() if u == uid) - 1)
    # Still over after MAX_ROUNDS: drop each over-full volunteer's weakest needs.
    by_user: dict[int, list[int]] = {}
    for need_id, uid in chosen.items():
        by_user.setdefault(uid, []).append(need_id)
    need_index = {n.id: i for i, n in enumerate(needs)}
    for uid, need_ids in by_user.items():
        left = vol.remaining[vol.index[uid]]
        for need_id in sorted(need_ids, key=lambda n: -score[need_index[n], vol.index[uid]]):
            if hours_of[need_id] <= left + 1e-9:
                left -= hours_of[need_id]
            else:
                del chosen[need_id]
    return chosen


def _worded(need: Need, row, neighbours: set[int], words: cand.Words) -> cand.Candidate:
    """The chosen volunteer as `score_row` words it (reasons in plain words; one `words` for
    every row, so each phrase is translated once per page, not once per row)."""
    facts = row._asdict()
    facts["neighbour"] = facts.get("district_id") in neighbours
    skill_names = cand.skill_names_of(need)
    return cand.score_row(need, SimpleNamespace(**facts), {s.id for s in need.skills}, skill_names, words)


# ---------------------------------------------------------------- confirm
@dataclass
class Outcome:
    need_id: int
    user_id: int | None
    sent: bool
    reason: str = ""


def default_text(locale: str = "de") -> str:
    with force_locale(locale):
        return str(_l("The office would like to ask you for help with this. If you can, say yes with the "
                      "link; the coordinator will tell you the details."))


def confirm(actor, office_id: int, choices: list[tuple[int, int]], shared_text: str,
            now: datetime | None = None) -> list[Outcome]:
    """Propose each chosen (need, volunteer) pair, checked again at this moment and set-wise, in
    one transaction: the needs locked in one statement (in id order, FOR UPDATE; on SQLite the
    database's write lock is taken first), the people in another (as `proposals.propose` locks
    one, before the weekly cap is counted), every pair's hard conditions in one `candidates.pairs`
    statement for the set, the hours of open assignments in one; then the rows in order, as one
    by one: the need still open, of this office, its appointment ahead, no case code in the
    text, the pair eligible, the person's week and hours left across the rows. Valid rows are
    written together — proposals, needs "proposed", audit entries and one mail each (rendered
    per recipient by `queue_mails_to_users`) — a constant number of statements whatever the
    rows; the others come back with the reason. A row is written whole or not at all."""
    if not can_act_in_office(actor, office_id):
        raise BatchError("office")
    now = now or utcnow()
    try:
        outcomes = _confirm_rows(actor, office_id, choices, shared_text, now)
        db.session.commit()
        return outcomes
    except Exception:
        db.session.rollback()
        raise


def _lock_needs(need_ids: list[int]) -> dict[int, Need]:
    """The needs under row locks, one statement in id order (two confirms of overlapping needs
    queue instead of deadlocking), read afresh, with what the mail and the score read."""
    if db.session.get_bind().dialect.name == "sqlite":
        # No row locks in SQLite: a write takes the database's lock before anything is read, so
        # no other writer commits between the checks and the proposals.
        db.session.execute(update(Need).where(Need.id.in_(need_ids)).values(office_id=Need.office_id,
                                                                           updated_at=Need.updated_at)
                           .execution_options(synchronize_session=False))
    return {n.id: n for n in db.session.scalars(
        select(Need).where(Need.id.in_(need_ids)).order_by(Need.id)
        .options(joinedload(Need.category), joinedload(Need.district), joinedload(Need.office),
                 selectinload(Need.skills))
        .with_for_update(of=Need).execution_options(populate_existing=True)).unique()}


def _confirm_rows(actor, office_id, choices, shared_text, now) -> list[Outcome]:
    from app.accounts.models import User
    from app.core import audit
    from app.mail.services import queue_mails_to_users
    from app.matching import proposals as prop
    from app.matching.services import personal_data_in

    text = (shared_text or "").strip()
    text_error = None
    if not text:
        text_error = _l("Please write what the volunteer may know about the need.")
    elif len(text) > prop.MAX_SHARED:
        text_error = _l("At most %(n)d characters, please.", n=prop.MAX_SHARED)
    elif personal_data_in(text):
        text_error = _l("Please leave out e-mail addresses and phone numbers.")
    if text_error is not None or not choices:
        return [Outcome(n, u, False, str(text_error)) for n, u in choices]

    need_ids = sorted({n for n, _u in choices})
    user_ids = sorted({u for _n, u in choices})
    needs = _lock_needs(need_ids)
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)).order_by(User.id)
                                                 .with_for_update())}
    asked = [(n, u) for n, u in choices if n in needs and needs[n].office_id == office_id]
    facts: dict[tuple[int, int], object] = {}
    if asked:
        for row in db.session.execute(cand.pairs(sorted({n for n, _u in asked}), now, only=asked)):
            facts[(row.need_id, row.id)] = row
    opened = open_hours(sorted({u for _n, u in facts})) if facts else {}  # the ids as a list: their indexes
    cap = cand.weekly_cap()
    week_left: dict[int, int] = {}
    hours_left: dict[int, float | None] = {}
    for (_n, uid), row in facts.items():
        week_left[uid] = max(0, cap - int(row.recent or 0))
        done = float(row.activity_minutes or 0) / 60 + float(row.need_hours or 0)
        hours_left[uid] = remaining_hours(row.hours_per_month, done, opened.get(uid, 0.0))

    outcomes: list[Outcome] = []
    accepted: list[tuple[Need, int, float]] = []
    taken: set[int] = set()
    for need_id, user_id in choices:
        need = needs.get(need_id)
        reason = None
        if need is None or need.office_id != office_id:
            reason = _l("This need does not exist.")
        elif need.state != NeedState.OPEN or need_id in taken:
            state = NeedState.PROPOSED if need_id in taken else need.state
            reason = _l("The need is no longer open (%(state)s).", state=state.label)
        elif prop._appointment_passed(need, now):
            reason = _l("The appointment has passed. Please change its date first.")
        elif need.case_code and need.case_code.lower() in text.lower():
            reason = _l("Please leave the case code out: volunteers never see it.")
        elif (need_id, user_id) not in facts or week_left.get(user_id, 0) <= 0:
            reason = _l("This person no longer meets the conditions (time, language, contact wanted, already asked, "
                        "or enough proposals this week).")
        else:
            hours = float(need.expected_hours or 0)
            left = hours_left.get(user_id)
            if left is not None and hours > left + 1e-9:
                reason = _l("Not enough hours left this month for this need (%(left)s of %(hours)s hours).",
                            left=cand.format_hours(left), hours=cand.format_hours(hours))
        if reason is not None:
            outcomes.append(Outcome(need_id, user_id, False, str(reason)))
            continue
        row = facts[(need_id, user_id)]
        score = cand._parts(cand.NeedFacts.of(need), row, {s.id for s in need.skills}).score
        accepted.append((need, user_id, score))
        taken.add(need_id)
        week_left[user_id] -= 1
        if hours_left.get(user_id) is not None:
            hours_left[user_id] -= float(need.expected_hours or 0)
        outcomes.append(Outcome(need_id, user_id, True))
    if not accepted:
        return outcomes

    # The proposals in one INSERT … RETURNING (a flush of new objects writes one row per statement
    # on SQLite); (need, person) is unique, so the ids come back matched to their rows.
    rows = [dict(need_id=need.id, user_id=uid, state=ProposalState.PENDING, shared_text=text,
                 proposed_by_id=actor.id, created_at=now, deadline=prop.deadline_of(need, now))
            for need, uid, _score in accepted]
    ids = {(n, u): i for i, n, u in db.session.execute(
        insert(Proposal.__table__).returning(Proposal.id, Proposal.need_id, Proposal.user_id), rows)}
    for need, _uid, _score in accepted:  # as `services.set_state` moves them (one UPDATE for all)
        need.state, need.state_changed_at = NeedState.PROPOSED, now
    db.session.flush()
    entries = []
    for need, uid, score in accepted:  # the entries `set_state` and `propose` record, in that order
        entries.append(audit.record(actor, "need.state_changed", need, office_id=need.office_id,
                                    was=NeedState.OPEN.value, state=NeedState.PROPOSED.value, user=uid))
        entries.append(audit.record(actor, "proposal.sent", record_type="proposals", record_id=ids[(need.id, uid)],
                                    office_id=need.office_id, need=need.id, user=uid, score=score))
    _insert_entries(entries)
    mails = []
    for row, (need, uid, _score) in zip(rows, accepted):
        proposal = SimpleNamespace(id=ids[(need.id, uid)], shared_text=text, deadline=row["deadline"])
        mails.append((users[uid], prop.proposal_mail_context(proposal, need, users[uid])))
    queue_mails_to_users("matching_proposal", mails, office_id=office_id)
    return outcomes


def _insert_entries(entries: list) -> None:
    """`audit.record`'s entries (added to the session) written by one INSERT instead of one per
    entry: the same columns, each as `record` set it; the table's defaults (the time) as in a flush."""
    from app.core.models import AuditEntry

    columns = [c.key for c in AuditEntry.__table__.columns]
    rows = []
    for entry in entries:
        db.session.expunge(entry)
        state = entry.__dict__
        rows.append({k: state[k] for k in columns if k in state})
    if rows:
        db.session.execute(insert(AuditEntry), rows)


__all__ = ["ALTERNATIVES", "MAX_NEEDS", "BatchError", "BatchPlan", "BatchRow", "Option", "Outcome", "confirm",
           "default_text", "plan"]
