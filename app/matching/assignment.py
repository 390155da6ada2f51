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

from collections.abc import Hashable, Mapping
from math import isfinite
from typing import TypeVar

import numpy as np
from scipy.optimize import linear_sum_assignment

NeedId = TypeVar("NeedId", bound=Hashable)
VolunteerId = TypeVar("VolunteerId", bound=Hashable)

__all__ = ["optimal_assignment", "solve_indexed", "greedy_assignment", "total_score"]


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

    # Needs and volunteers by index, in a fixed order (their repr); each pair's need, volunteer
    # and score as arrays in the pairs' order.
    needs = sorted({n for n, _ in pairs}, key=repr)
    volunteers = sorted({v for _, v in pairs}, key=repr)
    need_index = {n: i for i, n in enumerate(needs)}
    volunteer_index = {v: i for i, v in enumerate(volunteers)}
    count = len(pairs)
    chosen = solve_indexed(
        np.fromiter((need_index[n] for n, _v in pairs), dtype=np.intp, count=count),
        np.fromiter((volunteer_index[v] for _n, v in pairs), dtype=np.intp, count=count),
        np.fromiter(pairs.values(), dtype=float, count=count),
        np.fromiter((int(capacity[v]) for v in volunteers), dtype=np.intp, count=len(volunteers)),
        len(needs))
    return {needs[row]: volunteers[col] for row, col in chosen}


def solve_indexed(pair_need: np.ndarray, pair_volunteer: np.ndarray, pair_score: np.ndarray,
                  capacity_of: np.ndarray, n_needs: int) -> list[tuple[int, int]]:
    """`optimal_assignment` on numbers, set-wise in numpy (tens of thousands of pairs): needs
    0..n_needs-1, volunteers 0..len(capacity_of)-1, each allowed pair once with its finite score
    (any order; equal scores are taken in this order), `capacity_of[v] > 0` for every pair's
    volunteer. The chosen (need, volunteer) pairs."""
    count = len(pair_score)
    if not count:
        return []
    # Exact pruning: for each need keep only its best volunteers until their
    # places add up to the number of needs. If an optimal assignment gave the
    # need someone further down, the other needs fill fewer places than the
    # kept ones offer, so one of them is free and scores at least as much.
    # (Per need best first; a pair is kept while the places of those before it in its need's
    # list are fewer than the needs.)
    order = np.lexsort((np.arange(count), -pair_score, pair_need))
    need_sorted = pair_need[order]
    offered = np.minimum(capacity_of[pair_volunteer[order]], n_needs)
    running = np.cumsum(offered)
    group_start = np.searchsorted(need_sorted, need_sorted, side="left")
    before = running - offered - np.where(group_start > 0, running[group_start - 1], 0)
    keep = order[before < n_needs]
    kept_need, kept_volunteer, kept_score = pair_need[keep], pair_volunteer[keep], pair_score[keep]

    # Columns: one per usable place of each volunteer, never more than the
    # number of needs the volunteer is kept for (more places add nothing).
    places = np.minimum(capacity_of, np.bincount(kept_volunteer, minlength=len(capacity_of)))
    column_start = np.cumsum(places) - places
    n_places = int(places.sum())
    column_owner = np.repeat(np.arange(len(capacity_of)), places)

    # Maximise score == minimise -score. Forbidden cells get a cost no optimal
    # solution uses, because every need also has its own "unassigned" column
    # at cost 0 (the last n_needs columns; only the diagonal one is allowed).
    magnitude = float(np.abs(kept_score).max())
    forbidden = (magnitude + 1.0) * (n_needs + 1) * 4.0 + 1.0
    cost = np.full((n_needs, n_places + n_needs), forbidden, dtype=float)
    cost[np.arange(n_needs), n_places + np.arange(n_needs)] = 0.0
    widths = places[kept_volunteer]  # every kept pair's cells: the volunteer's places
    within = np.arange(int(widths.sum()), dtype=np.intp) - np.repeat(np.cumsum(widths) - widths, widths)
    cost[np.repeat(kept_need, widths), np.repeat(column_start[kept_volunteer], widths) + within] = \
        -np.repeat(kept_score, widths)

    kept = set(zip(kept_need.tolist(), kept_volunteer.tolist()))
    rows, cols = linear_sum_assignment(cost)
    chosen = []
    for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
        if col >= n_places:
            continue  # the need's "unassigned" column
        volunteer = int(column_owner[col])
        if (row, volunteer) in kept:  # a forbidden cell is never returned
            chosen.append((row, volunteer))
    return chosen


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
