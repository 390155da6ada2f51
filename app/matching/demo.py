"""Demo needs for `flask seed-demo`: per office open, proposed, matched, done and closed needs,
and a partnership whose 4-week check-in is due (the job `partnership-check-ins` reminds the
coordinator). Proposals go to volunteers who meet the hard conditions (the candidate query).
Deterministic and safe to run twice: an office that has demo needs (case codes `DEMO-…`) is
skipped."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.core.demo import register_demo_step

# category key, state, description, shared text, required language, helpful languages, weekly slot
NEEDS = [
    ("accompaniment", "open", "Begleitung zur Ausländerbehörde, Verlängerung des Aufenthaltstitels.",
     "", "ar", ["ar"], (1, 0)),
    ("letters", "open", "Hilfe bei Briefen vom Jobcenter und der Familienkasse.", "", None, ["fa", "prs"], None),
    ("homework", "proposed", "Hausaufgabenhilfe für ein Kind in der 4. Klasse, Mathe und Deutsch.",
     "Ein Kind in der 4. Klasse braucht Hilfe bei den Hausaufgaben, einmal pro Woche.", None, ["uk"], (2, 1)),
    ("translation", "matched", "Übersetzung beim Elternabend der Grundschule.",
     "Übersetzung beim Elternabend einer Grundschule, etwa zwei Stunden.", None, ["ar", "kmr"], None),
    ("furniture", "done", "Möbel für die erste eigene Wohnung abholen und aufbauen.",
     "Eine Familie braucht Hilfe beim Aufbau von Möbeln.", None, [], None),
    ("leisure", "closed", "Sportpartnerschaft für einen Jugendlichen.", "", None, ["ti"], None),
    ("language_partner", "partnership", "Sprachpartnerschaft: Deutsch üben im Alltag, wöchentlich.",
     "Sprachpartnerschaft: einmal pro Woche Deutsch im Alltag üben, zum Beispiel beim Einkaufen.", None,
     ["ar", "fa"], (3, 1)),
]


@register_demo_step
def seed_needs() -> dict[str, int]:
    from app.accounts.models import Role, User
    from app.core.timeutil import utcnow
    from app.extensions import db
    from app.matching.candidates import candidates_for
    from app.matching.models import CheckIn, Need, NeedState, NeedTiming, Proposal, ProposalState
    from app.matching.reference import load_neighbours
    from app.offices.models import Office
    from app.people.models import ChoiceItem, slot_bit

    load_neighbours()
    created = {"needs": 0, "proposals": 0}
    now = utcnow()
    categories = {c.key: c for c in db.session.scalars(select(ChoiceItem).where(
        ChoiceItem.list_name == ChoiceItem.NEED_CATEGORIES))}
    done_codes = set(db.session.scalars(select(Need.case_code).where(Need.case_code.like("DEMO-%"))))
    for office in db.session.scalars(select(Office).order_by(Office.id)).all():
        prefix = f"DEMO-{office.id:02d}-"
        if any(code.startswith(prefix) for code in done_codes):
            continue
        coordinator = db.session.scalar(select(User).where(User.role == Role.COORDINATOR,
                                                           User.offices.any(Office.id == office.id)).order_by(User.id))
        districts = office.districts
        asked: set[int] = set()
        for i, (key, state, description, shared, required, helpful, slot) in enumerate(NEEDS, start=1):
            if key not in categories:
                continue
            ongoing = state == "partnership"
            need = Need(office_id=office.id, district_id=districts[i % len(districts)].id if districts else None,
                        category_id=categories[key].id, case_code=f"{prefix}{i:03d}", household_size=1 + i % 5,
                        household_languages=",".join(helpful[:1]), helpful_languages=",".join(helpful),
                        required_language=required, required_level=2 if required else None,
                        timing=NeedTiming.WEEKLY if slot else NeedTiming.FLEXIBLE,
                        slots=slot_bit(*slot) if slot else 0, expected_hours=2.0 if not ongoing else 1.5,
                        description=description, ongoing=ongoing, created_by_id=coordinator.id if coordinator else None,
                        created_at=now - timedelta(days=3 * i), state=NeedState.OPEN,
                        state_changed_at=now - timedelta(days=3 * i), due_on=(now + timedelta(days=14)).date())
            db.session.add(need)
            db.session.flush()
            created["needs"] += 1
            if state == "open":
                continue
            if state == "closed":
                need.state, need.close_reason = NeedState.CLOSED, "Die Familie ist in eine andere Stadt gezogen."
                continue
            picks = [c for c in candidates_for(need, limit=None, now=now) if c.user_id not in asked]
            if not picks:
                continue
            volunteer = picks[0]
            asked.add(volunteer.user_id)
            answered = state in ("matched", "done", "partnership")
            when = now - timedelta(weeks=5) if ongoing else now - timedelta(days=2)
            db.session.add(Proposal(need_id=need.id, user_id=volunteer.user_id, shared_text=shared,
                                    proposed_by_id=coordinator.id if coordinator else None, created_at=when,
                                    deadline=when + timedelta(days=3),
                                    state=ProposalState.ACCEPTED if answered else ProposalState.PENDING,
                                    answered_at=when + timedelta(days=1) if answered else None))
            created["proposals"] += 1
            if not answered:
                need.state = NeedState.PROPOSED
                continue
            need.state, need.matched_user_id, need.matched_at = NeedState.MATCHED, volunteer.user_id, when
            if state == "done":
                need.state, need.hours_given, need.done_at = NeedState.DONE, 3.0, now - timedelta(hours=20)
                need.outcome = "Alles aufgebaut, die Familie ist zufrieden."
            if ongoing:  # 5 weeks ago: the 4-week check-in is due, the 12-week one later
                for weeks in (4, 12):
                    db.session.add(CheckIn(need_id=need.id, weeks=weeks, due_at=when + timedelta(weeks=weeks)))
        db.session.commit()
    return created
