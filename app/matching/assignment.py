"""The office's batch assignment: needs to volunteers, best total score.

Pure functions (no Flask, no database). The caller applies the hard conditions
(only allowed pairs appear in ``scores``) and derives each volunteer's
capacity from their remaining monthly hours.

``optimal_assignment`` solves the problem exactly with
``scipy.optimize.linear_sum_assignment`` on an expanded cost matrix: every
volunteer's column is repeated ``capacity`` times (but never more often than
there are needs they may take), and every need gets one "unassigned" column of
its own, so a need with no free allowed volunteer stays open instead of being
given a forbidden pair. ``greedy_assignment`` takes the best pair first and is
kept for comparison (tests and the benchmark).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Hashable, Mapping
from math import isfinite
from operator import itemgetter
from typing import TypeVar

import numpy as np
from scipy.optimize import linear_sum_assignment

NeedId = TypeVar("NeedId", bound=Hashable)
VolunteerId = TypeVar("VolunteerId", bound=Hashable)

__all__ = ["optimal_assignment", "greedy_assignment", "total_score"]


def _allowed_pairs(scores, capacity):
    """Pairs that may be used: present in scores, finite, volunteer with capacity > 0."""
    free = {v for v, c in capacity.items() if c > 0}
    pairs = {}
    for key, score in scores.items():
        if key[1] in free:
            score = float(score)
            if isfinite(score):
                pairs[key] = score
    return pairs


def optimal_assignment(
    scores: Mapping[tuple[NeedId, VolunteerId], float],
    capacity: Mapping[VolunteerId, int],
) -> dict[NeedId, VolunteerId]:
    """The assignment of maximal total score.

    Each need gets at most one volunteer, each volunteer at most ``capacity[v]``
    needs, only pairs in ``scores`` are used. A pair is only chosen when it adds
    to the total, i.e. pairs with a negative score are left out when leaving the
    need unassigned is better (a score of 0 may or may not be used).
    """
    pairs = _allowed_pairs(scores, capacity)
    if not pairs:
        return {}

    needs = sorted({n for n, _ in pairs}, key=repr)
    need_index = {n: i for i, n in enumerate(needs)}
    n_needs = len(needs)

    # Exact pruning: for each need keep only its best volunteers until their
    # places add up to the number of needs. If an optimal assignment gave the
    # need someone further down, the other needs fill fewer places than the
    # kept ones offer, so one of them is free and scores at least as much.
    candidates: dict = defaultdict(list)
    for (need, volunteer), score in pairs.items():
        candidates[need].append((score, volunteer))
    kept: dict = {}
    per_volunteer: dict = defaultdict(int)
    for need, options in candidates.items():
        # Each kept volunteer offers at least one place, so at most n_needs are ever kept.
        best = heapq.nlargest(n_needs, options, key=itemgetter(0)) if len(options) > n_needs else \
            sorted(options, key=itemgetter(0), reverse=True)
        places = 0
        for score, volunteer in best:
            kept[(need, volunteer)] = score
            per_volunteer[volunteer] += 1
            places += min(int(capacity[volunteer]), n_needs)
            if places >= n_needs:
                break

    # Columns: one per usable place of each volunteer, never more than the
    # number of needs the volunteer is kept for (more places add nothing).
    columns: list = []
    column_start: dict = {}
    for volunteer in sorted(per_volunteer, key=repr):
        places = min(int(capacity[volunteer]), per_volunteer[volunteer])
        column_start[volunteer] = (len(columns), places)
        columns.extend([volunteer] * places)

    n_places = len(columns)
    # Maximise score == minimise -score. Forbidden cells get a cost no optimal
    # solution uses, because every need also has its own "unassigned" column
    # at cost 0 (the last n_needs columns; only the diagonal one is allowed).
    magnitude = max(abs(s) for s in kept.values())
    forbidden = (magnitude + 1.0) * (n_needs + 1) * 4.0 + 1.0
    cost = np.full((n_needs, n_places + n_needs), forbidden, dtype=float)
    cost[np.arange(n_needs), n_places + np.arange(n_needs)] = 0.0
    for (need, volunteer), score in kept.items():
        start, places = column_start[volunteer]
        cost[need_index[need], start : start + places] = -score

    rows, cols = linear_sum_assignment(cost)
    result: dict = {}
    for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
        if col >= n_places:
            continue  # the need's "unassigned" column
        need, volunteer = needs[row], columns[col]
        if (need, volunteer) not in kept:  # a forbidden cell: never returned
            continue
        result[need] = volunteer
    return result


def greedy_assignment(
    scores: Mapping[tuple[NeedId, VolunteerId], float],
    capacity: Mapping[VolunteerId, int],
) -> dict[NeedId, VolunteerId]:
    """Best pair first: the simple pass the optimal assignment is measured against.

    Same rules as ``optimal_assignment``; pairs with a negative score are not
    taken (leaving the need open adds more).
    """
    pairs = _allowed_pairs(scores, capacity)
    left = {v: int(c) for v, c in capacity.items()}
    result: dict = {}
    ordered = sorted(pairs.items(), key=lambda item: (-item[1], repr(item[0])))
    for (need, volunteer), score in ordered:
        if score < 0:
            break
        if need in result or left.get(volunteer, 0) <= 0:
            continue
        result[need] = volunteer
        left[volunteer] -= 1
    return result


def total_score(
    assignment: Mapping[NeedId, VolunteerId],
    scores: Mapping[tuple[NeedId, VolunteerId], float],
) -> float:
    """The sum of the scores of the chosen pairs."""
    return float(sum(scores[(n, v)] for n, v in assignment.items()))
