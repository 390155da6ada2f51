"""Demo activities for `flask seed-demo`: for every office a weekly German course and a language
café (series with skipped holiday dates, past dates too), a round table per district with
delegate places (at most 2 per organisation), the theatre project, the Brückenfest with a dozen
shifts, and activities run by Sportverein Eintracht Brackel (kontakt01@partner.example).

Deterministic (every random draw comes from a generator seeded by the activity's title) and safe
to run twice (an activity whose office already has one of that title is skipped, with its
sign-ups). Sign-ups are inserted set-wise as the sign-up service would leave them: confirmed up
to the capacity, then a waiting list with queue numbers 1, 2, 3 …; nobody on two overlapping
slots."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from app.core.demo import register_demo_step


@dataclass
class RolePlan:
    name: str
    capacity: int
    fill: float = 0.6  # share of the capacity signed up; above 1: a waiting list
    slot: tuple[time, time] | None = None
    language: tuple[str, int] | None = None
    skill: str | None = None
    for_partners: bool = False
    max_per_org: int | None = None
    deadline_hours: int = 0
    description: str = ""


@dataclass
class Plan:
    title: str
    kind: str
    office_id: int
    summary: str
    description: str
    languages: list[str]
    roles: list[RolePlan]
    dates: list[tuple[datetime, datetime]] = field(default_factory=list)
    series: dict | None = None
    satellite_id: int | None = None
    address: tuple[str, str, str] | None = None  # place name, street, postcode
    district_id: int | None = None
    organisation_id: int | None = None
    state: str = "published"


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _weekly(first: date, last: date, weekdays: list[int], start: time, end: time, skip: set[date]):
    from app.activities.series import expand

    mask = 0
    for w in weekdays:
        mask |= 1 << w
    rule = dict(weekdays=mask, starts_on=first, ends_on=last, start_time=start, end_time=end,
                skip_dates=sorted(d.isoformat() for d in skip))
    return rule, expand(weekdays_mask=mask, starts_on=first, ends_on=last, start_time=start, end_time=end,
                        skip=frozenset(skip))


def _plans(today: date) -> list[Plan]:
    from app.activities.series import span
    from app.extensions import db
    from app.offices.models import District, Office
    from app.people.models import Organisation, OrganisationState

    plans: list[Plan] = []
    term_start = _monday(today) - timedelta(weeks=4)  # four weeks of this term are over
    term_end = term_start + timedelta(weeks=16)
    holidays = {term_start + timedelta(weeks=7, days=d) for d in range(7)}  # one week of school holidays
    offices = db.session.scalars(select(Office).order_by(Office.id)).all()
    for i, office in enumerate(offices):
        district = office.districts[0] if office.districts else None
        course_days = [(0, 2), (1, 3), (0, 3), (1, 4), (2, 4), (0, 2), (1, 3)][i % 7]
        rule, pairs = _weekly(term_start, term_end, list(course_days), time(17), time(18, 30), holidays)
        plans.append(Plan(
            title=f"Deutschkurs A2 – {office.name}", kind="language_course", office_id=office.id,
            summary="Deutsch lernen in kleinen Gruppen, zweimal in der Woche.",
            description="Wir üben **Alltagsdeutsch**: beim Arzt, beim Amt, beim Einkaufen.\n\n"
                        "- kleine Gruppen\n- Kinderbetreuung im Nebenraum\n- kostenlos",
            languages=["de", "ar", "uk"], series=rule, dates=pairs,
            district_id=district.id if district else None,
            roles=[RolePlan("Kursleitung", 2, fill=1.0, language=("de", 4), skill="teaching_german",
                            deadline_hours=24, description="Sie leiten den Kurs mit einer zweiten Person."),
                   RolePlan("Kinderbetreuung", 2, fill=0.5 + 0.25 * (i % 3), skill="childcare")]))
        sat = next((s for s in office.satellites if s.active), None)
        cafe_day = (4, 2, 3, 1, 4, 0, 2)[i % 7]
        rule, pairs = _weekly(term_start, term_end, [cafe_day], time(15), time(17), holidays)
        plans.append(Plan(
            title=f"Sprachcafé – {office.name}", kind="language_cafe", office_id=office.id,
            summary="Bei Kaffee und Tee Deutsch sprechen – ohne Anmeldung für Gäste.",
            description="Jede Woche treffen sich Neuzugewanderte und Menschen aus der Nachbarschaft zum "
                        "Gespräch. Ehrenamtliche begleiten die Tische.",
            languages=["de", "ar", "fa", "uk", "tr"], series=rule, dates=pairs,
            satellite_id=sat.id if sat else None, district_id=district.id if district else None,
            roles=[RolePlan("Gesprächspartner*in", 6, fill=(0.5, 1.0, 1.4)[i % 3]),
                   RolePlan("Dolmetschen Arabisch", 1, fill=1.0, language=("ar", 3))]))
        for k, d in enumerate(office.districts):
            meeting_day = _monday(today) + timedelta(days=2 + k)  # Wednesday, Thursday
            starts = [meeting_day - timedelta(weeks=4), meeting_day + timedelta(weeks=2),
                      meeting_day + timedelta(weeks=6)]
            plans.append(Plan(
                title=f"Runder Tisch {d.name}", kind="round_table", office_id=office.id,
                summary=f"Büro, Partner, Verwaltung und Initiativen in {d.name} stimmen sich ab.",
                description="Tagesordnung: Neues aus dem Büro, Berichte der Partner, Termine.\n\n"
                            "Jede Organisation meldet bis zu **zwei** Delegierte an.",
                languages=["de"], dates=[span(x, time(18), time(20)) for x in starts], district_id=d.id,
                roles=[RolePlan("Delegierte", 16, fill=0.0, for_partners=True, max_per_org=2, deadline_hours=48),
                       RolePlan("Protokoll", 1, fill=1.0)]))

    by_slug = {o.slug: o for o in offices}
    nord = by_slug.get("innenstadt-nord") or offices[0]
    lue = by_slug.get("luetgendortmund") or offices[-1]
    fest_day = _monday(today) + timedelta(weeks=5, days=5)  # a Saturday
    nord_district = next((d for d in nord.districts), None)
    plans.append(Plan(
        title="Brückenfest 2026" if fest_day.year == 2026 else f"Brückenfest {fest_day.year}", kind="event",
        office_id=nord.id, summary="Das Fest der Nachbarschaft am Nordmarkt: Musik, Essen, Spiele.",
        description="Einmal im Jahr feiert das Netzwerk mit der ganzen Stadt. Wir brauchen viele Hände – "
                    "schon zwei Stunden helfen!",
        languages=["de", "ar", "tr", "uk", "en"], address=("Nordmarkt", "Nordmarkt 1", "44145"),
        district_id=nord_district.id if nord_district else None,
        dates=[span(fest_day, time(10), time(22))],
        roles=[RolePlan("Aufbau", 6, 0.8, (time(10), time(12)), skill="events"),
               RolePlan("Getränkestand", 4, 1.75, (time(14), time(16)),
                        description="Getränke ausgeben und kassieren."),
               RolePlan("Getränkestand", 4, 1.0, (time(16), time(18))),
               RolePlan("Getränkestand", 4, 0.5, (time(18), time(20))),
               RolePlan("Kuchenbuffet", 3, 1.0, (time(14), time(17)), skill="cooking"),
               RolePlan("Kuchenbuffet", 3, 0.34, (time(17), time(20))),
               RolePlan("Kinderschminken", 2, 2.0, (time(14), time(16)), skill="childcare"),
               RolePlan("Spielstraße", 3, 0.67, (time(16), time(18))),
               RolePlan("Infostand mehrsprachig", 2, 0.5, (time(13), time(16)), language=("ar", 3)),
               RolePlan("Dolmetschen an der Bühne", 2, 0.5, (time(15), time(18)), language=("uk", 3)),
               RolePlan("Erste Hilfe", 2, 1.0, (time(12), time(20))),
               RolePlan("Abbau", 6, 0.5, (time(20), time(22)))]))
    lue_district = next((d for d in lue.districts), None)
    rule, pairs = _weekly(term_start + timedelta(weeks=1), term_end, [3], time(18), time(20, 30), holidays)
    plans.append(Plan(
        title="Theaterprojekt „Zwischen den Welten“", kind="theatre", office_id=lue.id,
        summary="Neuzugewanderte und Alteingesessene spielen ihre eigenen Geschichten.",
        description="Wir proben jeden Donnerstag. Am Ende steht eine Aufführung im Kulturhaus.\n\n"
                    "Keine Vorkenntnisse nötig – nur Lust am Spielen.",
        languages=["de", "ar", "fa"], series=rule, dates=pairs, district_id=lue_district.id if lue_district else None,
        roles=[RolePlan("Schauspieler*in", 10, 1.3, skill="arts"), RolePlan("Bühnenhilfe", 3, 0.67)]))

    brackel = db.session.scalar(select(Organisation).where(Organisation.name == "Sportverein Eintracht Brackel",
                                                           Organisation.state == OrganisationState.APPROVED))
    if brackel is not None and brackel.districts:
        office_id = brackel.districts[0].office_id
        if office_id is not None:
            rule, pairs = _weekly(term_start, term_end, [5], time(10), time(12), holidays)
            plans.append(Plan(
                title="Fußball für alle – offenes Training", kind="other", office_id=office_id,
                summary="Jeden Samstag kicken – für alle ab 14, Schuhe können geliehen werden.",
                description="Der **Sportverein Eintracht Brackel** lädt ein. Trainer und Ehrenamtliche "
                            "sorgen für ein faires Spiel.",
                languages=["de", "ar", "tr"], series=rule, dates=pairs,
                address=("Sportplatz Eintracht", "Flughafenstraße 20", "44309"),
                district_id=brackel.districts[0].id, organisation_id=brackel.id,
                roles=[RolePlan("Trainingshilfe", 4, 0.75, skill="sports")]))
            plans.append(Plan(
                title="Fahrradtour an der Emscher", kind="other", office_id=office_id, state="draft",
                summary="Eine gemeinsame Tour für Familien, Räder werden gestellt.",
                description="Entwurf des Vereins – die Koordination prüft und veröffentlicht.",
                languages=["de"], dates=[span(fest_day + timedelta(weeks=2), time(11), time(15))],
                address=("Treffpunkt Vereinsheim", "Flughafenstraße 20", "44309"),
                district_id=brackel.districts[0].id, organisation_id=brackel.id,
                roles=[RolePlan("Begleitung", 4, 0.0)]))
    return plans


def seed_activities() -> dict[str, int]:
    from app.accounts.models import Role as UserRole
    from app.accounts.models import User
    from app.activities import events
    from app.activities.models import (Activity, ActivityDate, ActivityState, ActivityType, DateSeries, PlaceKind,
                                       Role, Signup, SignupState, Slot, activity_languages)
    from app.activities.structure import sync_slots
    from app.core.timeutil import to_local, utcnow
    from app.extensions import db
    from app.people.models import ChoiceItem, Organisation, OrganisationState, organisation_districts, volunteer_offices

    now = utcnow()
    today = to_local(now).date()
    created = {"activities": 0, "activity_dates": 0, "activity_signups": 0}
    known = set(db.session.execute(select(Activity.office_id, Activity.title)).all())
    skills = {k: i for k, i in db.session.execute(select(ChoiceItem.key, ChoiceItem.id).where(
        ChoiceItem.list_name == ChoiceItem.SKILLS))}
    volunteers_by_office: dict[int, list[int]] = {}
    for user_id, office_id in db.session.execute(
            select(volunteer_offices.c.user_id, volunteer_offices.c.office_id)
            .join(User, User.id == volunteer_offices.c.user_id)
            .where(User.role == UserRole.VOLUNTEER, User.deleted_at.is_(None))
            .order_by(volunteer_offices.c.user_id)):
        volunteers_by_office.setdefault(office_id, []).append(user_id)
    everyone = sorted({u for ids in volunteers_by_office.values() for u in ids})
    from app.accounts.models import coordinator_offices

    contact_of = {}
    for user_id, office_id in db.session.execute(select(coordinator_offices.c.user_id, coordinator_offices.c.office_id)
                                                 .order_by(coordinator_offices.c.user_id)):
        contact_of.setdefault(office_id, user_id)
    orgs_by_district: dict[int, list[tuple[int, str]]] = {}
    for org_id, name, district_id in db.session.execute(
            select(Organisation.id, Organisation.name, organisation_districts.c.district_id)
            .join(organisation_districts, organisation_districts.c.organisation_id == Organisation.id)
            .where(Organisation.state == OrganisationState.APPROVED).order_by(Organisation.id)):
        orgs_by_district.setdefault(district_id, []).append((org_id, name))
    booked: dict[int, list[tuple[datetime, datetime]]] = {}

    def free(user_id: int, starts: datetime, ends: datetime) -> bool:
        return all(e <= starts or s >= ends for s, e in booked.get(user_id, []))

    for plan in _plans(today):
        if (plan.office_id, plan.title) in known:
            continue
        rng = random.Random(f"willkommen-demo:{plan.title}")
        place_kind = PlaceKind.ADDRESS if plan.address else (PlaceKind.SATELLITE if plan.satellite_id else PlaceKind.OFFICE)
        name, street, postcode = plan.address or ("", "", "")
        published = plan.state == "published"
        act = Activity(title=plan.title, kind=ActivityType(plan.kind), office_id=plan.office_id, place_kind=place_kind,
                       satellite_id=plan.satellite_id, place_name=name, street=street, postcode=postcode,
                       district_id=plan.district_id, summary=plan.summary, description=plan.description,
                       organisation_id=plan.organisation_id, contact_id=contact_of.get(plan.office_id),
                       state=ActivityState(plan.state), published_at=now if published else None)
        db.session.add(act)
        db.session.flush()
        db.session.execute(activity_languages.insert(), [{"activity_id": act.id, "code": c}
                                                         for c in dict.fromkeys(plan.languages)])
        series_id = None
        if plan.series:
            s = DateSeries(activity_id=act.id, interval_weeks=1, **plan.series)
            db.session.add(s)
            db.session.flush()
            series_id = s.id
        for starts, ends in plan.dates:
            db.session.add(ActivityDate(activity_id=act.id, series_id=series_id, starts_at=starts, ends_at=ends))
        for pos, rp in enumerate(plan.roles):
            db.session.add(Role(
                activity_id=act.id, name=rp.name, description=rp.description, position=pos, capacity=rp.capacity,
                slot_start=rp.slot[0] if rp.slot else None, slot_end=rp.slot[1] if rp.slot else None,
                deadline_hours=rp.deadline_hours,
                required_language=rp.language[0] if rp.language else None,
                required_level=rp.language[1] if rp.language else None,
                required_skill_id=skills.get(rp.skill) if rp.skill else None,
                for_partners=rp.for_partners, max_per_organisation=rp.max_per_org,
                signup_opens_at=now - timedelta(days=3) if plan.kind == "event" else None))
        db.session.flush()
        sync_slots(act.id)
        created["activities"] += 1
        created["activity_dates"] += len(plan.dates)
        if not published:
            continue
        pool = everyone if plan.kind == "event" else volunteers_by_office.get(plan.office_id, [])
        slots = db.session.execute(select(Slot, Role).join(Role, Role.id == Slot.role_id)
                                   .where(Slot.activity_id == act.id).order_by(Slot.starts_at, Role.position)).all()
        rows = []
        regulars: dict[int, list[int]] = {}  # the same people come every week
        for slot, role in slots:
            rp = plan.roles[role.position]
            if rp.for_partners:
                for org_id, org_name in orgs_by_district.get(plan.district_id, []):
                    for n in range(rng.choice([1, 2, 2])):
                        rows.append(dict(slot_id=slot.id, user_id=None, organisation_id=org_id,
                                         delegate_name=f"{org_name.split()[0]}-Delegierte {n + 1}",
                                         state=SignupState.CONFIRMED, queue_no=None, confirmed_at=now,
                                         created_at=now - timedelta(days=10)))
                slot.version = sum(1 for r in rows if r["slot_id"] == slot.id)
                continue
            past = slot.starts_at < now
            wanted = int(round(role.capacity * rp.fill * (rng.uniform(0.7, 1.0) if past else 1)))
            if past:
                wanted = min(wanted, role.capacity)
            people = regulars.get(role.id)
            if people is None:
                people = rng.sample(pool, min(len(pool), max(wanted, role.capacity) + 4)) if pool else []
                regulars[role.id] = people
            placed, queue = 0, 0
            for user_id in people:
                if placed + queue >= wanted:
                    break
                if not free(user_id, slot.starts_at, slot.ends_at):
                    continue
                if placed < role.capacity:
                    placed += 1
                    state, queue_no = SignupState.CONFIRMED, None
                else:
                    queue += 1
                    state, queue_no = SignupState.WAITING, queue
                booked.setdefault(user_id, []).append((slot.starts_at, slot.ends_at))
                rows.append(dict(slot_id=slot.id, user_id=user_id, organisation_id=None, delegate_name="",
                                 state=state, queue_no=queue_no,
                                 confirmed_at=now if state == SignupState.CONFIRMED else None,
                                 created_at=now - timedelta(days=rng.randrange(1, 30), minutes=rng.randrange(600))))
            slot.version = placed + queue
        if rows:
            db.session.execute(Signup.__table__.insert(), [{**r, "updated_at": r["created_at"], "over_capacity": False,
                                                             "offer_count": 0} for r in rows])
            created["activity_signups"] += len(rows)
        events.changed(act.id)
    db.session.commit()
    return created


register_demo_step(seed_activities)


def seed_attendance() -> dict[str, int]:
    """Past dates as a coordinator leaves them: attendance of the people with a place (mostly
    present, some excused, a few absent without a word), newcomers counted on courses and cafés —
    so "my hours", certificates and the Ehrenamtskarte list have something to show. Only where
    nothing is marked yet."""
    from sqlalchemy import update

    from app.activities.models import Activity, ActivityDate, ActivityType, Attendance, Signup, SignupState, Slot
    from app.core.timeutil import utcnow
    from app.extensions import db

    now = utcnow()
    created = {"attendance": 0, "dates_with_newcomers": 0}
    if db.session.scalar(select(Signup.id).where(Signup.attendance.is_not(None), Signup.user_id.is_not(None))
                         .limit(1)):
        return created
    rows = db.session.execute(
        select(Signup.id, Signup.user_id, Slot.ends_at, Activity.contact_id)
        .join(Slot, Slot.id == Signup.slot_id).join(Activity, Activity.id == Slot.activity_id)
        .join(ActivityDate, ActivityDate.id == Slot.date_id)
        .where(Signup.state == SignupState.CONFIRMED, Signup.user_id.is_not(None), Slot.ends_at < now,
               ActivityDate.cancelled_at.is_(None))
        .order_by(Signup.id)).all()
    marks = []
    for signup_id, user_id, ends_at, contact_id in rows:
        roll = random.Random(f"willkommen-demo:attendance:{signup_id}").random()
        mark = Attendance.PRESENT if roll < 0.86 else (Attendance.EXCUSED if roll < 0.94 else Attendance.ABSENT)
        marks.append({"b_id": signup_id, "a": mark, "at": ends_at, "by": contact_id})
    if marks:
        from sqlalchemy import bindparam

        db.session.execute(update(Signup.__table__).where(Signup.__table__.c.id == bindparam("b_id"))
                           .values(attendance=bindparam("a"), attendance_at=bindparam("at"),
                                   attendance_by_id=bindparam("by")), marks)
        created["attendance"] = len(marks)
    dates = db.session.execute(
        select(ActivityDate.id).join(Activity, Activity.id == ActivityDate.activity_id)
        .where(ActivityDate.ends_at < now, ActivityDate.cancelled_at.is_(None), ActivityDate.newcomers.is_(None),
               Activity.kind.in_((ActivityType.LANGUAGE_COURSE, ActivityType.LANGUAGE_CAFE)))
        .order_by(ActivityDate.id)).scalars().all()
    for date_id in dates:
        n = random.Random(f"willkommen-demo:newcomers:{date_id}").randint(4, 18)
        db.session.execute(update(ActivityDate).where(ActivityDate.id == date_id).values(newcomers=n))
    created["dates_with_newcomers"] = len(dates)
    db.session.commit()
    return created


register_demo_step(seed_attendance)


def seed_handovers() -> dict[str, int]:
    """Two hand-overs to look at: the demo volunteer (ehrenamt001) offers a coming place to everyone
    who fits, and on the festival's set-up shift (which needs the coordinator's approval) a colleague
    has taken a place over and waits for the office's yes. Through the services (mails to the sink)."""
    from app.accounts.models import User
    from app.activities import handover, signup
    from app.activities.models import (Activity, ActivityDate, ActivityState, ActivityType, Handover, Role, Signup,
                                       SignupState, Slot)
    from app.core.timeutil import utcnow
    from app.core.tokens import make_token
    from app.extensions import db

    now = utcnow()
    created = {"handovers": 0}
    if db.session.scalar(select(Handover.id).limit(1)):
        return created

    def coming(*where):
        return (select(Signup).join(Slot, Slot.id == Signup.slot_id).join(ActivityDate, ActivityDate.id == Slot.date_id)
                .join(Activity, Activity.id == Slot.activity_id)
                .where(Signup.state == SignupState.CONFIRMED, Signup.user_id.is_not(None),
                       Slot.starts_at > now + timedelta(days=2), ActivityDate.cancelled_at.is_(None),
                       Activity.state == ActivityState.PUBLISHED, *where)
                .order_by(Slot.starts_at, Signup.id).limit(1))

    demo = db.session.scalar(select(User).where(User.email == "ehrenamt001@willkommen.example"))
    if demo is not None:
        mine = db.session.scalar(coming(Signup.user_id == demo.id, Activity.kind != ActivityType.ROUND_TABLE))
        if mine is None:  # give the demo volunteer a place to hand over: the next café date with room
            slot_id = db.session.scalar(
                select(Slot.id).join(Activity, Activity.id == Slot.activity_id).join(Role, Role.id == Slot.role_id)
                .where(Activity.kind == ActivityType.LANGUAGE_CAFE, Activity.state == ActivityState.PUBLISHED,
                       Role.required_language.is_(None), Role.required_skill_id.is_(None),
                       Slot.starts_at > now + timedelta(days=2)).order_by(Slot.starts_at).limit(1))
            if slot_id is not None:
                try:
                    signup.sign_up(demo, [slot_id])
                except signup.SignupError:
                    pass
            mine = db.session.scalar(coming(Signup.user_id == demo.id, Activity.kind != ActivityType.ROUND_TABLE))
        if mine is not None and mine.state == SignupState.CONFIRMED:
            handover.offer(demo, mine.id, note="Ich bin an dem Tag leider beim Arzt.", now=now)
            created["handovers"] += 1
    setup = db.session.scalar(select(Role).join(Activity, Activity.id == Role.activity_id)
                              .where(Activity.kind == ActivityType.EVENT, Role.name == "Aufbau").limit(1))
    if setup is not None:
        setup.handover_needs_approval = True
        db.session.commit()
        theirs = db.session.scalar(coming(Slot.role_id == setup.id))
        if theirs is not None:
            slot = db.session.get(Slot, theirs.slot_id)
            on_slot = select(Signup.user_id).where(Signup.slot_id == slot.id, Signup.user_id.is_not(None))
            colleague = db.session.scalar(
                select(User).join(Signup, Signup.user_id == User.id)
                .where(Signup.state == SignupState.CONFIRMED, User.id.not_in(on_slot), User.id != demo.id if demo else True)
                .join(Slot, Slot.id == Signup.slot_id).where(Slot.activity_id != slot.activity_id)
                .order_by(User.id).limit(1))
            owner = db.session.get(User, theirs.user_id)
            if colleague is not None and owner is not None:
                h = handover.offer(owner, theirs.id, to_user_id=colleague.id, note="Ich muss arbeiten.", now=now)
                try:
                    handover.accept(make_token(handover.PURPOSE, h=h.id, u=colleague.id), now=now)
                except signup.SignupError:
                    pass
                created["handovers"] += 1
    return created


register_demo_step(seed_handovers)
