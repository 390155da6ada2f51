"""Ranking thousands of candidates takes only their scores (`_parts(..., score_only=True)`); the
shown ones are taken apart afterwards. Both must be the same number, and the order the same as
ranking by the full components."""
from __future__ import annotations

from collections import namedtuple

from hypothesis import given, settings
from hypothesis import strategies as st

from app.matching.candidates import NeedFacts, _parts

Row = namedtuple("Row", "id name langs skills district_id neighbour pending assigned activity_minutes need_hours "
                        "hours_per_month present absent")
CODES = ("ar", "fa", "uk", "de", "tr")

rows = st.builds(
    Row, id=st.integers(1, 10**6), name=st.text("abc", max_size=3),
    langs=st.one_of(st.none(), st.lists(st.tuples(st.sampled_from(CODES), st.integers(1, 4)), max_size=4)
                    .map(lambda ls: ",".join(f"{c}:{lv}" for c, lv in dict(ls).items()) or None)),
    skills=st.one_of(st.none(), st.lists(st.integers(1, 6), max_size=4).map(lambda xs: ",".join(map(str, xs)) or None)),
    district_id=st.one_of(st.none(), st.integers(1, 4)), neighbour=st.booleans(),
    pending=st.integers(0, 3), assigned=st.integers(0, 3), activity_minutes=st.integers(0, 3000),
    need_hours=st.floats(0, 40, allow_nan=False), hours_per_month=st.one_of(st.none(), st.integers(1, 40)),
    present=st.integers(0, 20), absent=st.integers(0, 20))
needs = st.builds(
    lambda required, level, helpful, household, district, slots, hours: NeedFacts(
        required, level, tuple(c for c in helpful if c != required),
        tuple(c for c in household if c != required and c not in helpful), district, slots, hours,
        frozenset({*helpful, *household, *([required] if required else [])})),
    st.one_of(st.none(), st.sampled_from(CODES)), st.integers(1, 4), st.lists(st.sampled_from(CODES), max_size=2),
    st.lists(st.sampled_from(CODES), max_size=2), st.one_of(st.none(), st.integers(1, 4)), st.integers(0, 7),
    st.one_of(st.none(), st.floats(0.5, 20)))


@settings(max_examples=300, deadline=None)
@given(need=needs, row=rows, skill_ids=st.sets(st.integers(1, 6), max_size=3))
def test_score_only_is_the_components_score(need, row, skill_ids):
    assert _parts(need, row, skill_ids, score_only=True) == _parts(need, row, skill_ids).score
