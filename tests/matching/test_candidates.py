"""Candidates: every hard condition in SQL, never violated; the score and its reasons."""
from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from tests.matching.conftest import user


def _ids(app, need_id, **kw):
    from app.matching.candidates import score_candidates

    with app.app_context():
        return [c.user_id for c in score_candidates([need_id], **kw)[need_id]]


def test_hard_conditions_each_exclude(app, make, need):
    office, other = make.office(districts=("Hörde",)), make.office()
    coordinator = make.coordinator(office)
    fits = make.full_volunteer(office, name="Passt")
    weak = make.full_volunteer(office, languages=(("ar", "basic"),))
    busy = make.full_volunteer(office, slots=((4, "evening"),))
    paused = make.full_volunteer(office, status="paused")
    silent = make.full_volunteer(office, consents=("share_with_partner",))
    elsewhere = make.full_volunteer(office, work_offices=[other.id])
    unconfirmed = make.full_volunteer(office, confirmed=False)
    need_id = need(office, coordinator, required_language="ar", required_level=2, timing="weekly",
                   slots=1 << (1 * 3 + 0))  # Tuesday morning
    got = _ids(app, need_id)
    assert got == [fits.id]
    assert not {weak.id, busy.id, paused.id, silent.id, elsewhere.id, unconfirmed.id} & set(got)


def test_withdrawn_consent_removes_at_once(app, make, need):
    from app.people.consent import record_consent

    office = make.office()
    coordinator = make.coordinator(office)
    person = make.full_volunteer(office)
    need_id = need(office, coordinator)
    assert _ids(app, need_id) == [person.id]
    with app.app_context():
        from app.people.models import ConsentPurpose

        record_consent(person.id, ConsentPurpose.CONTACT, False)  # the person's own withdrawal
    assert _ids(app, need_id) == []


def test_not_proposed_twice_and_weekly_cap(app, make, need):
    from app.matching.models import Proposal, ProposalState
    from app.core.timeutil import utcnow

    office = make.office()
    coordinator = make.coordinator(office)
    person = make.full_volunteer(office)
    needs = [need(office, coordinator, case_code=f"N{i}") for i in range(5)]
    with app.app_context():
        app.config["MATCHING_WEEKLY_CAP"] = 3
        now = utcnow()
        db.session.add(Proposal(need_id=needs[0], user_id=person.id, deadline=now + timedelta(days=3),
                                state=ProposalState.DECLINED, created_at=now - timedelta(days=30)))
        db.session.commit()
    assert _ids(app, needs[0]) == []  # asked for this need once: never again
    assert _ids(app, needs[1]) == [person.id]
    with app.app_context():
        for n in needs[1:4]:
            db.session.add(Proposal(need_id=n, user_id=person.id, deadline=utcnow() + timedelta(days=3),
                                    state=ProposalState.DECLINED))
        db.session.commit()
    assert _ids(app, needs[4]) == []  # three this week: over the cap


def test_score_reasons_and_load_spreads_the_work(app, make, need):
    from app.matching.candidates import score_candidates
    from app.matching.models import Need, NeedState
    from app.matching.reference import set_neighbours
    from app.offices.models import District
    from tests.matching.conftest import skill_id

    office = make.office(districts=("Hörde", "Aplerbeck", "Hombruch"))
    coordinator = make.coordinator(office)
    with app.app_context():
        ids = dict(db.session.execute(select(District.name, District.id)).all())
        hoerde, aplerbeck, hombruch = ids["Hörde"], ids["Aplerbeck"], ids["Hombruch"]
        set_neighbours(hoerde, aplerbeck)
        db.session.commit()
    near = make.full_volunteer(office, name="Nah", district_id=hoerde, work_offices=[office.id])
    next_door = make.full_volunteer(office, name="Nachbar", district_id=aplerbeck, work_offices=[office.id])
    far = make.full_volunteer(office, name="Fern", district_id=hombruch, work_offices=[office.id])
    need_id = need(office, coordinator, district_id=hoerde, helpful_languages=["ar"],
                   skill_ids=[skill_id(app, "accompanying")], timing="weekly", slots=1 << 3)
    with app.app_context():
        ranked = score_candidates([need_id])[need_id]
        assert [c.name for c in ranked] == ["Nah", "Nachbar", "Fern"]
        reasons = " · ".join(ranked[0].reasons)
        assert "Arabisch (Muttersprache)" in reasons and "wohnt in Hörde" in reasons
        assert "Dienstag" in reasons and "0 offene" in reasons or "keine offenen" in reasons
        # one open assignment lowers the score
        other = db.session.get(Need, need(office, coordinator, case_code="X"))
        other.state, other.matched_user_id = NeedState.MATCHED, near.id
        db.session.commit()
        again = {c.user_id: c for c in score_candidates([need_id])[need_id]}
        assert again[near.id].score < ranked[0].score
        assert "1 offener Einsatz" in " · ".join(again[near.id].reasons)


def test_candidate_page_statements_constant(app, make, need, client, auth):
    from tests.conftest import count_statements

    office = make.office()
    coordinator = make.coordinator(office)
    need_id = need(office, coordinator)
    make.organisation(districts=[office.district_ids[0]])
    for _ in range(3):
        make.full_volunteer(office)
    auth.login(coordinator)
    path = f"/matching/needs/{need_id}"
    client.get(path)
    few = count_statements(app, client, path)
    for _ in range(27):
        make.full_volunteer(office)
    many = count_statements(app, client, path)
    assert few == many
    assert "Volunteer" in client.get(path).get_data(as_text=True)


def test_partners_beside(app, make, need):
    from app.matching.candidates import partners_for
    from app.matching.models import Need
    from app.people.models import Organisation
    from tests.matching.conftest import category_id

    office = make.office()
    coordinator = make.coordinator(office)
    need_id = need(office, coordinator)
    takes = make.organisation(districts=[office.district_ids[0]])
    pending = make.organisation(districts=[office.district_ids[0]], state="pending")
    with app.app_context():
        from app.people.models import ChoiceItem

        cat = db.session.get(ChoiceItem, category_id(app))
        for org_id in (takes.id, pending.id):
            db.session.get(Organisation, org_id).need_categories = [cat]
        db.session.commit()
        assert [o.id for o in partners_for(db.session.get(Need, need_id))] == [takes.id]


# ---------------------------------------------------------------- property: hard conditions hold
LANGS = ["ar", "fa", "uk"]
volunteer_st = st.fixed_dictionaries({
    "langs": st.lists(st.tuples(st.sampled_from(LANGS), st.integers(1, 4)), max_size=3, unique_by=lambda x: x[0]),
    "slots": st.integers(0, (1 << 21) - 1),
    "status": st.sampled_from(["active", "active", "paused", "new"]),
    "contact": st.booleans(),
    "own_office": st.booleans(),
    "confirmed": st.booleans(),
    "proposed": st.booleans(),
})
need_st = st.fixed_dictionaries({
    "lang": st.one_of(st.none(), st.sampled_from(LANGS)),
    "level": st.integers(1, 4),
    "slots": st.integers(0, (1 << 21) - 1),
})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(volunteers=st.lists(volunteer_st, min_size=1, max_size=6), spec=need_st)
def test_hard_conditions_never_violated(app, volunteers, spec):
    from app.accounts.models import Role, User
    from app.core.timeutil import utcnow
    from app.matching.candidates import score_candidates
    from app.matching.models import Need, Proposal
    from app.offices.models import District, Office
    from app.people.models import (ChoiceItem, ConsentPurpose, ConsentText, VolunteerConsent, VolunteerLanguage,
                                   VolunteerProfile, VolunteerStatus)
    from app.people.reference import load_people_reference

    with app.app_context():
        # a fresh world for each example, built inside the test
        for table in ("proposals", "needs", "volunteer_languages", "volunteer_offices", "volunteer_consents",
                      "volunteer_profiles"):
            db.session.execute(db.metadata.tables[table].delete())
        db.session.execute(User.__table__.delete())
        db.session.commit()
        load_people_reference()
        office = db.session.scalar(select(Office).where(Office.slug == "prop")) or Office(slug="prop", name="Prop")
        other = db.session.scalar(select(Office).where(Office.slug == "other")) or Office(slug="other", name="Other")
        db.session.add_all([office, other])
        db.session.flush()
        district = db.session.scalar(select(District).where(District.name == "PropD")) or District(
            name="PropD", office_id=office.id)
        db.session.add(district)
        text = db.session.scalar(select(ConsentText).where(ConsentText.purpose == ConsentPurpose.CONTACT))
        category = db.session.scalar(select(ChoiceItem.id).where(ChoiceItem.list_name == ChoiceItem.NEED_CATEGORIES))
        need = Need(office_id=office.id, district_id=None, category_id=category, case_code="P",
                    required_language=spec["lang"], required_level=spec["level"] if spec["lang"] else None,
                    slots=spec["slots"])
        db.session.add(need)
        db.session.flush()
        people = []
        for i, v in enumerate(volunteers):
            u = User(email=f"p{i}@example.org", name=f"P {i}", role=Role.VOLUNTEER, password_hash="x",
                     confirmed_at=utcnow() if v["confirmed"] else None)
            db.session.add(u)
            db.session.flush()
            profile = VolunteerProfile(user_id=u.id, availability=v["slots"], status=VolunteerStatus(v["status"]),
                                       languages=[VolunteerLanguage(code=c, level=lv) for c, lv in v["langs"]],
                                       offices=[office if v["own_office"] else other])
            db.session.add(profile)
            db.session.add(VolunteerConsent(user_id=u.id, purpose=ConsentPurpose.CONTACT, given=v["contact"],
                                            text_id=text.id))
            if v["proposed"]:
                db.session.add(Proposal(need_id=need.id, user_id=u.id, deadline=utcnow()))
            people.append((u.id, v))
        db.session.commit()
        got = {c.user_id for c in score_candidates([need.id])[need.id]}
        from app.matching.candidates import pairs

        in_batch = {r.id for r in db.session.execute(pairs([need.id]))}
        assert in_batch == got  # the batch's statement and the single need's agree
        for uid, v in people:
            speaks = dict(v["langs"])
            ok = (v["confirmed"] and v["contact"] and v["own_office"] and v["status"] == "active"
                  and not v["proposed"]
                  and (not spec["slots"] or v["slots"] & spec["slots"])
                  and (spec["lang"] is None or speaks.get(spec["lang"], 0) >= spec["level"]))
            assert (uid in got) == bool(ok), (v, spec)


def test_batch_equals_one_by_one(app, make, need):
    from app.matching.candidates import score_candidates

    office = make.office()
    coordinator = make.coordinator(office)
    for langs, slots in ((("ar", "native"),), ((1, "morning"),)), ((("fa", "good"),), ((3, "afternoon"),)), \
            ((("ar", "basic"),), ((1, "morning"), (3, "afternoon"))):
        make.full_volunteer(office, languages=langs, slots=slots)
    needs = [need(office, coordinator, case_code="A", required_language="ar", required_level=2),
             need(office, coordinator, case_code="B", timing="weekly", slots=1 << (3 * 3 + 1)),
             need(office, coordinator, case_code="C", helpful_languages=["fa"])]
    with app.app_context():
        batch = score_candidates(needs)
        for n in needs:
            single = score_candidates([n])[n]
            assert [(c.user_id, c.score, c.reasons) for c in batch[n]] == \
                   [(c.user_id, c.score, c.reasons) for c in single]
        assert len(batch[needs[0]]) == 1 and len(batch[needs[1]]) == 2 and len(batch[needs[2]]) == 3
