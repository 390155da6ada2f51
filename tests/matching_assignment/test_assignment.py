"""The batch assignment (app.matching.assignment): optimal, legal, never worse than greedy.

Pure functions: no app, no database. Property tests with hypothesis compare the optimal
assignment with brute force on small random cases.
"""
from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.matching.assignment import greedy_assignment, optimal_assignment, total_score


@st.composite
def cases(draw, max_needs=5, max_volunteers=4, max_capacity=3):
    """Random small instances: some pairs allowed with a score, capacities 0..max."""
    n_needs = draw(st.integers(0, max_needs))
    n_volunteers = draw(st.integers(0, max_volunteers))
    needs = [f"n{i}" for i in range(n_needs)]
    volunteers = [f"v{j}" for j in range(n_volunteers)]
    capacity = {v: draw(st.integers(0, max_capacity)) for v in volunteers}
    scores = {}
    for need in needs:
        for volunteer in volunteers:
            if draw(st.booleans()):
                scores[(need, volunteer)] = draw(
                    st.one_of(
                        st.integers(-3, 20).map(float),
                        st.floats(-5, 100, allow_nan=False, allow_infinity=False),
                    )
                )
    return scores, capacity


def brute_force_best(scores, capacity):
    """The best total over every legal assignment (each need: someone allowed, or nobody)."""
    needs = sorted({n for n, _ in scores})
    options = {n: [v for (m, v) in scores if m == n] for n in needs}
    best = 0.0

    def walk(i, used, total):
        nonlocal best
        if i == len(needs):
            best = max(best, total)
            return
        need = needs[i]
        walk(i + 1, used, total)  # leave it open
        for volunteer in options[need]:
            if used[volunteer] < capacity.get(volunteer, 0):
                used[volunteer] += 1
                walk(i + 1, used, total + scores[(need, volunteer)])
                used[volunteer] -= 1

    walk(0, Counter(), 0.0)
    return best


def assert_legal(assignment, scores, capacity):
    for need, volunteer in assignment.items():
        assert (need, volunteer) in scores, "a forbidden pair was used"
    load = Counter(assignment.values())
    for volunteer, count in load.items():
        assert count <= capacity.get(volunteer, 0), "capacity exceeded"


PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(cases())
def test_optimal_equals_brute_force(case):
    scores, capacity = case
    assignment = optimal_assignment(scores, capacity)
    assert_legal(assignment, scores, capacity)
    assert total_score(assignment, scores) == pytest.approx(
        brute_force_best(scores, capacity), rel=1e-9, abs=1e-9
    )


@PROPERTY
@given(cases(max_needs=7, max_volunteers=6))
def test_optimal_never_worse_than_greedy(case):
    scores, capacity = case
    optimal = optimal_assignment(scores, capacity)
    greedy = greedy_assignment(scores, capacity)
    assert_legal(greedy, scores, capacity)
    assert_legal(optimal, scores, capacity)
    assert total_score(optimal, scores) >= total_score(greedy, scores) - 1e-9


@PROPERTY
@given(cases(max_needs=8, max_volunteers=8, max_capacity=4))
def test_never_forbidden_pair_and_capacity_respected(case):
    scores, capacity = case
    for solve in (optimal_assignment, greedy_assignment):
        assignment = solve(scores, capacity)
        assert_legal(assignment, scores, capacity)
        assert set(assignment) <= {n for n, _ in scores}


def test_greedy_is_not_optimal_here_but_the_assignment_is():
    # Greedy takes the best pair (a-x, 10) and leaves b with nobody; optimal gives 9 + 8.
    scores = {("a", "x"): 10.0, ("a", "y"): 9.0, ("b", "x"): 8.0}
    capacity = {"x": 1, "y": 1}
    assert greedy_assignment(scores, capacity) == {"a": "x"}
    assert optimal_assignment(scores, capacity) == {"a": "y", "b": "x"}


def test_need_without_a_free_allowed_volunteer_stays_open():
    scores = {("a", "x"): 5.0, ("b", "x"): 4.0, ("c", "y"): 3.0}
    capacity = {"x": 1, "y": 0}
    assert optimal_assignment(scores, capacity) == {"a": "x"}


def test_capacity_lets_one_volunteer_take_several_needs():
    scores = {("a", "x"): 5.0, ("b", "x"): 4.0, ("c", "x"): 3.0, ("c", "y"): 1.0}
    assert optimal_assignment(scores, {"x": 2, "y": 1}) == {"a": "x", "b": "x", "c": "y"}
    assert optimal_assignment(scores, {"x": 3, "y": 1}) == {"a": "x", "b": "x", "c": "x"}


def test_missing_capacity_means_none_and_empty_input_is_empty():
    assert optimal_assignment({("a", "x"): 5.0}, {}) == {}
    assert optimal_assignment({}, {"x": 3}) == {}
    assert greedy_assignment({("a", "x"): 5.0}, {}) == {}


def test_negative_scores_are_not_taken_when_open_is_better():
    assert optimal_assignment({("a", "x"): -1.0}, {"x": 1}) == {}


def test_an_office_sized_case_runs():
    # 300 needs against 3,000 volunteers, ~10 % of the pairs allowed (not timed here;
    # bench/matching.py measures it).
    rng = random.Random(14)
    needs = [f"n{i}" for i in range(300)]
    volunteers = [f"v{j}" for j in range(3000)]
    capacity = {v: rng.randint(0, 4) for v in volunteers}
    scores = {}
    for need in needs:
        for volunteer in rng.sample(volunteers, 300):
            scores[(need, volunteer)] = rng.uniform(0, 100)
    optimal = optimal_assignment(scores, capacity)
    greedy = greedy_assignment(scores, capacity)
    assert_legal(optimal, scores, capacity)
    assert len(optimal) == 300
    assert total_score(optimal, scores) >= total_score(greedy, scores) - 1e-6
